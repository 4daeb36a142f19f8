"""Forms: subscribing to the changes of a document; the limits of a version's Markdown."""

import unicodedata

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .rendering import RenderLimitError, check_limits
from .subscribing import normalise_email

INVALID_EMAIL = _("Enter a valid email address, such as name@example.com.")


def is_line_break_or_control(char):
    """CR, LF, NUL, U+2028 and every other control, format or line-separating character."""
    category = unicodedata.category(char)
    return category[0] == "C" or category in ("Zl", "Zp")


class SingleLineEmailField(forms.EmailField):
    """An email address on one line.

    Django's fields strip surrounding whitespace, which would quietly turn
    "a@example.com\\r\\nBcc: ..." into something else; line breaks and other control
    characters anywhere in the value are refused before any stripping happens.
    """

    default_error_messages = {"invalid": INVALID_EMAIL}

    def to_python(self, value):
        if isinstance(value, str) and any(is_line_break_or_control(char) for char in value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return normalise_email(super().to_python(value))


class SubscribeForm(forms.Form):
    email = SingleLineEmailField(label=_("Email address"), max_length=254)
    language = forms.ChoiceField(label=_("Language of the emails"), choices=settings.LANGUAGES)

    def refuse_as_rate_limited(self):
        """Say on the form that its sender asked too often (the view counts, legal/rate_limits.py)."""
        self.add_error(
            None, ValidationError(_("Too many subscription requests. Please try again later."), code="rate_limited")
        )


MARKDOWN_LIMIT_MESSAGES = {
    "body_chars": _("The text is %(found)s characters long; at most %(limit)s are allowed."),
    "line_chars": _("Line %(line)s is %(found)s characters long; at most %(limit)s are allowed on one line."),
    "headings": _("The text has %(found)s headings; at most %(limit)s are allowed."),
    "nesting_depth": _("Line %(line)s is nested %(found)s levels deep (lists, quotes); at most %(limit)s are allowed."),
    "bracket_scan_chars": _("Too many unclosed [ or ( brackets in long paragraphs (near line %(line)s)."),
    "html_tags": _("The text has %(found)s HTML tags; at most %(limit)s are allowed."),
    "inline_marks": _("The text has %(found)s *, _ and ` marks; at most %(limit)s are allowed."),
}


def validate_markdown_limits(value):
    """A form error (next to the field) for Markdown the renderer would refuse."""
    try:
        check_limits(unicodedata.normalize("NFC", value or ""))
    except RenderLimitError as exc:
        params = {"found": exc.found, "limit": exc.limit, "line": exc.line}
        raise ValidationError(MARKDOWN_LIMIT_MESSAGES[exc.code], code=exc.code, params=params) from None
