"""Who may change what in the legal admin: the rules the admin classes ask.

Editors write drafts; publishers also publish, withdraw and delete any draft; superusers
hold every permission. A document's slug, authoritative language and notice period name
and govern every version already published, so they are fixed once one was.
"""

from django.utils.translation import gettext

from ..models import PUBLISH_PERMISSION

# The slug is named by evidence, receipts and links, so it never changes once published.
FIXED_DOCUMENT_FIELDS = ("slug", "authoritative_language", "notice_period_days")


class ReadOnly:
    """A ModelAdmin mixin: records and outboxes that nobody adds or changes in the admin, nor
    deletes unless `deletable` (then with the usual delete permission)."""

    deletable = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.deletable and super().has_delete_permission(request, obj)


def is_publisher(user):
    return user.has_perm(PUBLISH_PERMISSION)


def fixed_document_fields(user, document):
    """The fields of `document` (None: a new one) that `user` may not change.

    Editors may name a new document but never set or change its authoritative language or
    notice period. Once a version of it was published (withdrawn ones count: they were
    announced), the three are fixed for everyone, except that a superuser may still
    change the notice period for future versions.
    """
    if document is None:
        return () if is_publisher(user) else FIXED_DOCUMENT_FIELDS[1:]
    if not is_publisher(user):
        return FIXED_DOCUMENT_FIELDS
    if not document.versions.listed().exists():
        return ()
    if user.is_superuser:
        return ("slug", "authoritative_language")
    return FIXED_DOCUMENT_FIELDS


def may_delete_draft(user, draft):
    """A draft may be deleted by its author and by any publisher; `draft` None asks "any draft"."""
    if is_publisher(user):
        return True
    if not user.has_perm("legal.change_documentversion"):
        return False
    return draft is None or (draft.created_by_id is not None and draft.created_by_id == user.pk)


def notice_period_change(form):
    """ "Notice period: 30 → 45 days." when the form changes it, for the admin history; else None."""
    if "notice_period_days" not in form.changed_data:
        return None
    old, new = form.initial.get("notice_period_days"), form.cleaned_data["notice_period_days"]
    return gettext("Notice period changed from %(old)s to %(new)s days.") % {"old": old, "new": new}
