"""The 403 page: says, in the reader's language, what was refused and which role may do it.

Django's own answer is a bare English "403 Forbidden". Admin refusals get an admin page
that names the group the action needs; anywhere else the site's own layout is used.
"""

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PUBLISHERS_ONLY = gettext_lazy("Publishing and withdrawing versions is for the group “Legal publishers”.")
# Admin URL names (without "admin:") whose refusal has a specific reason; the rest get the general one.
REASONS = {
    "legal_documentversion_publish": PUBLISHERS_ONLY,
    "legal_documentversion_withdraw": PUBLISHERS_ONLY,
    "legal_documentversion_delete": gettext_lazy(
        "A draft can be deleted by the person who created it and by the group “Legal publishers”. "
        "Published and withdrawn versions are a legal record: nobody can delete them."
    ),
    "legal_documentversion_change": gettext_lazy(
        "Published and withdrawn versions are a legal record: nobody can change them. "
        "To change the text, create a new draft from the version."
    ),
    "legal_document_delete": gettext_lazy(
        "A document that has versions is part of the legal record and cannot be deleted."
    ),
}


def _reason(url_name):
    if url_name in REASONS:
        return REASONS[url_name]
    if url_name.startswith(("auth_", "axes_")):
        return _("Managing staff accounts, groups and sign-in locks is for superusers.")
    return _(
        "Your account does not have the permission this page needs. Legal editors write and preview drafts; "
        "Legal publishers also publish, withdraw and delete drafts."
    )


def permission_denied(request, exception=None):
    """handler403: a localised refusal that names the role needed."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        match = None
    if match is None or match.namespace != "admin":
        return TemplateResponse(request, "403.html", {}, status=403)
    user = request.user
    context = {
        **admin.site.each_context(request),
        "title": _("You cannot do this"),
        "reason": _reason(match.url_name or ""),
        "groups": list(user.groups.values_list("name", flat=True)) if user.is_authenticated else [],
    }
    return TemplateResponse(request, "admin/403.html", context, status=403)
