"""Roles that hold (legal/admin/roles.py): who may change a document's fixed fields and delete drafts, and how a refusal reads."""

import pytest

from django.contrib.admin.models import LogEntry

from legal.models import Document, DocumentVersion, Notification, Subscription
from legal.publishing import new_draft_from, publish_version, withdraw_version
from legal.translation_sync import confirm_sections
from tests.conftest import ADMIN, START, make_version, role_user, site_time, staff

pytestmark = pytest.mark.django_db

DOCUMENTS = "/admin/legal/document/"
FIXED = ("slug", "authoritative_language", "notice_period_days")


@pytest.fixture
def unpublished(db):
    """A document with no version yet."""
    return Document.objects.create(slug="privacy", title_vi="Chính sách riêng tư", title_en="Privacy Policy")


def login(client, role):
    user = role_user(role)
    client.force_login(user)
    return user


def document_form(document, **changes):
    data = {
        "slug": document.slug,
        "title_vi": document.title_vi,
        "title_en": document.title_en,
        "authoritative_language": document.authoritative_language,
        "notice_period_days": document.notice_period_days,
    }
    return {**data, **changes}


def editable(client, document):
    form = client.get(f"{DOCUMENTS}{document.pk}/change/").context["adminform"].form
    return {name for name in FIXED if name in form.fields}


HOSTILE = {"slug": "renamed", "authoritative_language": "en", "notice_period_days": 0}


@pytest.mark.parametrize(
    ("role", "published", "may_change"),
    [
        ("editor", False, set()),
        ("editor", True, set()),
        ("publisher", False, set(FIXED)),
        ("publisher", True, set()),
        ("superuser", False, set(FIXED)),
        ("superuser", True, {"notice_period_days"}),
    ],
)
def test_who_may_change_a_documents_slug_language_and_notice_period(
    client, terms, unpublished, role, published, may_change
):
    """Editors never; publishers until a version is published; after that only a superuser, and only the notice period."""
    login(client, role)
    document = terms.document if published else unpublished
    assert editable(client, document) == may_change
    response = client.post(f"{DOCUMENTS}{document.pk}/change/", document_form(document, title_en="Renamed", **HOSTILE))
    assert response.status_code == 302
    after = Document.objects.get(pk=document.pk)
    assert after.title_en == "Renamed"
    for name in FIXED:
        expected = HOSTILE[name] if name in may_change else getattr(document, name)
        assert getattr(after, name) == expected, name


def test_a_withdrawn_version_fixes_the_document_too(client, terms, unpublished):
    """A document whose only version was published and then withdrawn keeps its slug."""
    version = DocumentVersion(document=unpublished, effective_at=site_time(2026, 12, 1, 0, 0), change_kind="editorial")
    for code in ("vi", "en"):
        setattr(version, f"title_{code}", getattr(unpublished, f"title_{code}"))
        setattr(version, f"body_{code}", "## 1. A\n\nText.\n")
    version.save()
    confirm_sections(version)
    withdraw_version(publish_version(version, user=None), user=None, reason="Mistake.")
    login(client, "publisher")
    assert editable(client, unpublished) == set()


def test_an_editor_names_a_new_document_but_not_its_language_or_notice(client, db):
    """An editor creating a document sets its slug; language and notice period keep their defaults."""
    login(client, "editor")
    form = client.get(f"{DOCUMENTS}add/").context["adminform"].form
    assert "slug" in form.fields and "notice_period_days" not in form.fields
    data = {"slug": "cookies", "title_vi": "Cookie", "title_en": "Cookies", **{"notice_period_days": 0}}
    assert client.post(f"{DOCUMENTS}add/", data).status_code == 302
    created = Document.objects.get(slug="cookies")
    assert (created.authoritative_language, created.notice_period_days) == ("vi", 30)


def test_a_superusers_change_of_the_notice_period_is_in_the_history_with_both_values(client, terms):
    """The history records the old and the new notice period, not only that it changed."""
    login(client, "superuser")
    document = terms.document
    data = document_form(document, notice_period_days=45)
    assert client.post(f"{DOCUMENTS}{document.pk}/change/", data, HTTP_ACCEPT_LANGUAGE="en").status_code == 302
    entry = LogEntry.objects.get(object_id=str(document.pk))
    assert entry.get_change_message() == "Changed Notice period (days). Notice period changed from 30 to 45 days."
    history = client.get(f"{DOCUMENTS}{document.pk}/history/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Notice period changed from 30 to 45 days." in history


def test_authors_delete_their_own_drafts_and_publishers_any_draft(client, terms):
    """An editor deletes a draft they created, not a colleague's; a publisher deletes anyone's."""
    author = login(client, "editor")
    own = new_draft_from(terms, user=author)
    colleague = new_draft_from(terms, user=staff("colleague", "Legal editors"))
    assert client.post(f"{ADMIN}{own.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not DocumentVersion.objects.filter(pk=own.pk).exists()
    refused = client.post(f"{ADMIN}{colleague.pk}/delete/", {"post": "yes"})
    assert refused.status_code == 403
    assert DocumentVersion.objects.filter(pk=colleague.pk).exists()
    login(client, "publisher")
    assert client.post(f"{ADMIN}{colleague.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not DocumentVersion.objects.filter(pk=colleague.pk).exists()


@pytest.mark.parametrize("role", ["editor", "publisher", "superuser"])
def test_nobody_deletes_a_published_or_withdrawn_version(client, terms, role):
    """The legal record is never deleted, not even by a superuser."""
    withdrawn = make_version(terms.document, effective_at=site_time(2026, 12, 1, 0, 0))
    withdraw_version(withdrawn, user=None, reason="Mistake.")
    login(client, role)
    for version in (terms, withdrawn):
        assert client.post(f"{ADMIN}{version.pk}/delete/", {"post": "yes"}).status_code == 403
        assert DocumentVersion.objects.filter(pk=version.pk).exists()


def test_a_refusal_explains_itself_and_names_the_role_in_the_admins_language(client, terms):
    """An editor opening a publish address gets a localised page naming the group that may publish."""
    login(client, "editor")
    draft = new_draft_from(terms)
    for language, reason, membership in (
        ("vi", "Việc xuất bản và rút phiên bản dành cho nhóm “Legal publishers”.", "Bạn đang đăng nhập là editor, thuộc: Legal editors."),
        ("en", "Publishing and withdrawing versions is for the group “Legal publishers”.", "You are signed in as editor, in: Legal editors."),
    ):  # fmt: skip
        response = client.get(f"{ADMIN}{draft.pk}/publish/", HTTP_ACCEPT_LANGUAGE=language)
        page = response.content.decode()
        assert response.status_code == 403
        assert reason in page and membership in page
        assert "403 Forbidden" not in page
        assert "Sigma.video" in page  # the admin's own header, not a bare page


def test_records_and_outboxes_are_read_only_and_only_a_subscription_may_be_erased(client, terms):
    """Even a superuser adds and changes none of them; only a subscription is deleted (an erasure request)."""
    Subscription.objects.create(document=terms.document, email="r@example.com", language="en", confirmed_at=START)
    make_version(terms.document, effective_at=site_time(2026, 12, 1))
    subscription, notice = Subscription.objects.get(), Notification.objects.get()
    login(client, "superuser")
    assert client.get(f"/admin/legal/subscription/{subscription.pk}/delete/").status_code == 200
    for model, pk in (("notification", notice.pk), ("subscription", subscription.pk)):
        assert client.get(f"/admin/legal/{model}/add/").status_code == 403
        page = client.get(f"/admin/legal/{model}/{pk}/change/")
        assert page.status_code == 200 and b'name="_save"' not in page.content  # shown, not editable
    assert client.get(f"/admin/legal/notification/{notice.pk}/delete/").status_code == 403
    for model in ("acceptance", "webhookdelivery"):
        assert client.get(f"/admin/legal/{model}/add/").status_code == 403
