"""Building emails: `build_email` renders an email's subject and bodies from its templates in
`templates/emails/`, in the reader's language; every email of the site is built by it. The
emails of subscriptions are here too (the confirmation, the notice of a new version, the
follow-up of a withdrawn one), each with the one-click unsubscribe headers; the review
emails to staff are built in `legal.reviewing`.
"""

from datetime import timedelta
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format
from django.utils.timezone import localtime

from . import clock
from .links import absolute_url
from .models import Notification
from .signed_links import confirmation_url, unsubscribe_url


def _format_when(moment):
    return date_format(localtime(moment), "DATETIME_FORMAT")


def _site_domain():
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def notice_message_id(notification):
    """The one Message-ID of a notice, the same on every attempt.

    A server that stored a message but never answered makes the sender try again; the copy
    it then sends carries the same Message-ID, so mail systems and readers see one message.
    Derived from the outbox row, which never changes once queued.
    """
    created = int(notification.created_at.timestamp() * 1_000_000)
    return f"<notice.{notification.pk}.{created}@{_site_domain()}>"


def render_subject(template, context, language):
    """The subject `emails/<template>_subject.txt` makes in `language`, its whitespace folded to single spaces."""
    with translation.override(language):
        return " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())


def build_email(*, template, context, language, to, headers=None, connection=None):
    """The email `emails/<template>_subject.txt`, `.txt` and `.html` make, rendered in `language`.

    Every email says it was sent automatically and in which language; `headers` adds to that.
    """
    context = {**context, "language": language}
    subject = render_subject(template, context, language)
    with translation.override(language):
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[to],
        connection=connection,
        headers={"Auto-Submitted": "auto-generated", "Content-Language": language, **(headers or {})},
    )
    message.attach_alternative(html, "text/html")
    return message


def _message(*, template, context, subscription, language, connection=None, message_id=None):
    """An email to a subscriber, with the unsubscribe link and headers."""
    unsubscribe = unsubscribe_url(subscription, language)
    return build_email(
        template=template,
        context={**context, "unsubscribe_url": unsubscribe},
        language=language,
        to=subscription.email,
        connection=connection,
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            # Our own Message-ID: Django's default asks the resolver for this host's FQDN.
            "Message-ID": message_id or make_msgid(domain=_site_domain()),
        },
    )


def confirmation_message(subscription, language):
    """The email with the link that confirms `subscription`, in `language`."""
    with translation.override(language):
        title = subscription.document.title
        expires = _format_when(clock.now() + timedelta(seconds=settings.SUBSCRIPTION_CONFIRM_MAX_AGE))
    context = {"title": title, "confirm_url": confirmation_url(subscription, language), "expires": expires}
    return _message(template="subscription_confirm", context=context, subscription=subscription, language=language)


def _field_in(version, name, language):
    """The version's field `name` in `language`, or in the authoritative language when that is empty.

    An email goes out in the reader's language; a version not yet translated shows the
    authoritative text rather than nothing.
    """
    authoritative = version.document.authoritative_language
    return getattr(version, f"{name}_{language}") or getattr(version, f"{name}_{authoritative}") or ""


def _title_in(version, language):
    """The version's title in `language`, or in the authoritative language when it has none."""
    return _field_in(version, "title", language)


def notice_summary(version, language):
    """The summary of changes a subscriber reading `language` is emailed (the authoritative one if missing)."""
    return _field_in(version, "summary", language)


def _subject_context(version, language, *, number=None, effective_at=None):
    effective_at = version.effective_at if effective_at is None else effective_at
    with translation.override(language):
        effective_date = date_format(localtime(effective_at), "DATE_FORMAT") if effective_at else "—"
    return {"title": _title_in(version, language), "number": number or version.number, "effective_date": effective_date}


def notice_subject(version, language, *, number=None, effective_at=None):
    """The subject of the notice in `language`; `number`/`effective_at` for a draft about to be published."""
    return render_subject(
        "version_published", _subject_context(version, language, number=number, effective_at=effective_at), language
    )


def notice_message(notification, *, connection=None):
    """The email about `notification.version` to its subscriber, in the subscriber's language."""
    if notification.kind == Notification.Kind.WITHDRAWN:
        return withdrawal_message(notification, connection=connection)
    version = notification.version
    document = version.document
    subscription = notification.subscription
    language = subscription.language
    previous = version.previous()
    with translation.override(language):
        when = _format_when(version.effective_at)
    context = {
        **_subject_context(version, language),
        "version": version,
        "summary": notice_summary(version, language),
        "effective": when,
        "version_url": absolute_url(language, "legal:version", slug=document.slug, number=version.number),
        "previous": previous,
        "compare_url": (
            absolute_url(language, "legal:compare", slug=document.slug, a=previous.number, b=version.number)
            if previous
            else ""
        ),
    }
    return _message(
        template="version_published",
        context=context,
        subscription=subscription,
        language=language,
        connection=connection,
        message_id=notice_message_id(notification),
    )


def withdrawal_message(notification, *, connection=None):
    """The follow-up email: a version the subscriber was told about will not take effect."""
    version = notification.version
    document = version.document
    subscription = notification.subscription
    language = subscription.language
    current = document.versions.in_effect().first()
    with translation.override(language):
        context = {
            "title": _title_in(version, language),
            "version": version,
            "was_effective": _format_when(version.effective_at),
            "withdrawn": _format_when(version.withdrawn_at),
            "reason": version.withdrawal_reason,
            "reissue": version.withdrawal_reissue_planned,
            "current": current,
            "version_url": absolute_url(language, "legal:version", slug=document.slug, number=version.number),
            "document_url": absolute_url(language, "legal:document", slug=document.slug),
        }
    return _message(
        template="version_withdrawn",
        context=context,
        subscription=subscription,
        language=language,
        connection=connection,
    )
