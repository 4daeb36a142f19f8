"""Atom feed of a document's published versions, one feed per document and language."""

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from . import clock
from .models import Document


class DocumentVersionsFeed(Feed):
    """Every published version, scheduled ones included, and withdrawn ones marked (never drafts).

    A withdrawn version keeps its entry, updated at its withdrawal, so a reader who saw it
    announced learns that it will not take effect.
    """

    feed_type = Atom1Feed
    author_name = "Sigma.video"
    description_template = "feeds/version_description.html"
    item_guid_is_permalink = False

    def get_object(self, request, slug):
        return get_object_or_404(Document.objects.with_published_versions(), slug=slug)

    def title(self, document):
        return document.title

    def subtitle(self, document):
        return _("Every published version of the %(title)s of Sigma.video.") % {"title": document.title}

    def link(self, document):
        return reverse("legal:document", kwargs={"slug": document.slug})

    def feed_url(self, document):
        return reverse("legal:feed", kwargs={"slug": document.slug})

    def items(self, document):
        return document.versions.listed().with_public_state().select_related("document").order_by("-number")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "now": clock.now()}

    def item_title(self, version):
        if version.is_withdrawn:
            return _("Version %(number)s (withdrawn, never in effect)") % {"number": version.number}
        return _("Version %(number)s") % {"number": version.number}

    def item_link(self, version):
        return version.get_absolute_url()

    def item_guid(self, version):
        # Stable whatever the host the feed was fetched from; one entry per version and language.
        return f"tag:sigma.video,2026:{version.document.slug}:version:{version.number}:{get_language()}"

    def item_pubdate(self, version):
        return version.published_at

    def item_updateddate(self, version):
        return version.withdrawn_at or version.published_at
