"""Where a draft stands in the review hand-off, and the language to write to a member of staff.

The records are `legal.models.reviews`; submitting, sending back and the emails live in
`legal.reviewing`.
"""

from django.conf import settings

from .models import Review, ReviewState, StaffLanguage


def review_of(version):
    """The version's Review, or None (never submitted); uses a select_related row when there is one."""
    try:
        return version.review
    except Review.DoesNotExist:
        return None


def review_state(version):
    """The draft's ReviewState; None for a version that is no longer a draft."""
    if not version.is_draft:
        return None
    review = review_of(version)
    return ReviewState.IN_PROGRESS if review is None else review.current_state()


def language_of(user):
    """The language to write to `user` in: the one they last signed in with, else the site's default."""
    try:
        return user.legal_language.language
    except StaffLanguage.DoesNotExist:
        return settings.LANGUAGE_CODE
