"""django-modeltranslation registrations: the only place that declares translated fields."""

from modeltranslation.translator import TranslationOptions, register

from .models import Document, DocumentVersion


@register(Document)
class DocumentTranslationOptions(TranslationOptions):
    fields = ("title",)


@register(DocumentVersion)
class DocumentVersionTranslationOptions(TranslationOptions):
    fields = ("title", "summary", "body", "body_html", "sections", "body_sha256")
