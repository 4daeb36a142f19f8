"""The review hand-off between editors and publishers: submit, send back, and the emails that tell them.

State changes are keyword-only functions that record the step in the version's admin
history in the same transaction, then email whoever must act, each in the language they
last signed in with (`legal.models.StaffLanguage`). The step stands even when a mail
server fails: the answer says which emails were not sent, so the person can tell their
colleagues themselves. Delivery is bounded (`REVIEW_EMAIL_TIMEOUT`, one connection per
step, and the rest are not tried once the server failed), so a slow or silent mail server
delays the page by seconds at most, never hangs it.
"""

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.core.mail import get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from . import clock
from .emails import build_email
from .links import site_url
from .models import (
    PUBLISH_PERMISSION,
    DocumentVersion,
    Review,
    ReviewState,
    StaffLanguage,
    draft_fingerprint,
    language_codes,
)
from .reviews import language_of, review_of, review_state
from .templatetags.date_words import date_in_words

logger = logging.getLogger(__name__)

# A comment is a few sentences for a colleague, not a document.
COMMENT_MAX_LENGTH = 4000
# Seconds the admin waits for the mail server per review step, whatever EMAIL_TIMEOUT says.
REVIEW_EMAIL_TIMEOUT = 10


class ReviewError(Exception):
    """The step cannot be taken; `problems` says why, one sentence each."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass
class Delivery:
    """Who an email of one review step reached, and who it did not."""

    sent: list = field(default_factory=list)
    failed: list = field(default_factory=list)


def _record(version, user, message):
    LogEntry.objects.log_actions(
        user_id=user.pk, queryset=[version], action_flag=CHANGE, change_message=message, single_object=True
    )


def _lock(version):
    return DocumentVersion.objects.select_for_update().select_related("document").get(pk=version.pk)


def publishers(*, excluding=None):
    """Active staff who may publish and have an email address: who is asked to review."""
    users = get_user_model().objects.with_perm(
        PUBLISH_PERMISSION, include_superusers=False, backend="django.contrib.auth.backends.ModelBackend"
    )
    users = users.filter(is_active=True).exclude(email="").order_by("username")
    return users.exclude(pk=excluding.pk) if excluding is not None else users


def _name(user):
    return (user.get_full_name() or user.get_username()) if user is not None else _("someone")


def _admin_url(name, *args):
    return site_url(reverse(f"admin:legal_documentversion_{name}", args=args))


def _links(version):
    return {
        "change_url": _admin_url("change", version.pk),
        "publish_url": _admin_url("publish", version.pk),
        "preview_urls": [(code, _admin_url("preview", version.pk, code)) for code in language_codes()],
    }


def _email(*, to, template, context):
    """The email `template` to one member of staff, in their language (`legal.emails.build_email`)."""
    language = language_of(to)
    with translation.override(language):
        recipient = _name(to)
    return build_email(template=template, context={**context, "recipient": recipient}, language=language, to=to.email)


def _deliver(messages):
    """Send each message; once the mail server fails, the rest are not tried. Returns a Delivery."""
    delivery = Delivery()
    timeout = min(settings.EMAIL_TIMEOUT or REVIEW_EMAIL_TIMEOUT, REVIEW_EMAIL_TIMEOUT)
    connection = get_connection(fail_silently=False, timeout=timeout)
    broken = False
    for recipient, message in messages:
        if broken:
            delivery.failed.append(recipient)
            continue
        message.connection = connection
        try:
            if message.send() != 1:
                raise ConnectionError("the mail backend accepted no message")
        except Exception as exc:  # any failure of the mail server: reported, never raised
            logger.warning("Could not send a review email to user %s: %s: %s", recipient.pk, type(exc).__name__, exc)
            delivery.failed.append(recipient)
            broken = True
        else:
            delivery.sent.append(recipient)
    try:
        connection.close()
    except Exception:  # closing a connection that already failed
        pass
    return delivery


def _summaries(version):
    return [(code, getattr(version, f"summary_{code}") or "") for code in language_codes()]


def submit_for_review(version, *, user):
    """The editor hands the draft to the publishers: recorded, then every publisher is emailed.

    Returns the Delivery of the emails. Refuses a version that is not a draft, and a draft
    already submitted and unchanged since.
    """
    with transaction.atomic():
        version = _lock(version)
        if not version.is_draft:
            raise ReviewError([_("Only a draft can be submitted for review.")])
        if review_state(version) == ReviewState.SUBMITTED:
            raise ReviewError([_("This draft is already submitted for review and has not changed since.")])
        now = clock.now()
        Review.objects.update_or_create(
            version=version,
            defaults={
                "state": ReviewState.SUBMITTED,
                "fingerprint": draft_fingerprint(version),
                "submitted_at": now,
                "submitted_by": user,
                "updated_at": now,
            },
        )
        recipients = list(publishers(excluding=user))
        emails = ", ".join(recipient.email for recipient in recipients) or "—"
        _record(version, user, _("Submitted for review; emailed to: %(emails)s.") % {"emails": emails})
    context = {
        "version": version,
        "editor": _name(user),
        "summaries": _summaries(version),
        **_links(version),
    }

    def message_for(recipient):
        with translation.override(language_of(recipient)):
            effective = date_in_words(version.effective_at)
            kind = version.get_change_kind_display()
        return _email(
            to=recipient,
            template="review_requested",
            context={**context, "effective": effective, "kind": kind},
        )

    return _deliver([(recipient, message_for(recipient)) for recipient in recipients])


def send_back(version, *, user, comment):
    """A publisher returns a submitted draft to its editor with a comment, which the editor is emailed.

    Returns the Delivery of the email.
    """
    comment = (comment or "").replace("\r\n", "\n").strip()
    problems = []
    if not comment:
        problems.append(_("Say what should change: the comment is emailed to the editor."))
    elif len(comment) > COMMENT_MAX_LENGTH:
        problems.append(_("The comment is too long: at most %(limit)s characters.") % {"limit": COMMENT_MAX_LENGTH})
    with transaction.atomic():
        version = _lock(version)
        if not version.is_draft or review_state(version) != ReviewState.SUBMITTED:
            problems.insert(0, _("Only a draft submitted for review, unchanged since, can be sent back."))
        if problems:
            raise ReviewError(problems)
        review = review_of(version)
        now = clock.now()
        review.state, review.returned_at, review.returned_by = ReviewState.RETURNED, now, user
        review.comment, review.updated_at = comment, now
        review.save()
        _record(version, user, _("Sent back for changes: %(comment)s") % {"comment": comment})
    editor = review.submitted_by
    if editor is None or not editor.email or not editor.is_active:
        return Delivery(failed=[editor] if editor is not None else [])

    message = _email(
        to=editor,
        template="review_returned",
        context={"version": version, "publisher": _name(user), "comment": comment, **_links(version)},
    )
    return _deliver([(editor, message)])


def note_saved(version, *, user):
    """After a save of the draft: a submitted draft that changed goes back to "in progress", in its history.

    Returns True when it did.
    """
    with transaction.atomic():
        review = Review.objects.select_for_update().filter(version=version.pk, state=ReviewState.SUBMITTED).first()
        if review is None or review.fingerprint == draft_fingerprint(version):
            return False
        review.state, review.updated_at = ReviewState.IN_PROGRESS, clock.now()
        review.save(update_fields=["state", "updated_at"])
        _record(version, user, _("Changed after it was submitted for review: back in progress."))
    return True


def remember_language(sender, request, user, **kwargs):
    """user_logged_in receiver: the admin's language at sign-in is the language of this person's emails."""
    language = getattr(request, "LANGUAGE_CODE", None)
    if language in language_codes() and user.pk and user.is_staff:
        StaffLanguage.objects.update_or_create(user=user, defaults={"language": language})
