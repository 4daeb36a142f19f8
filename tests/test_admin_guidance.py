"""Smaller guides in the admin: a new draft is confirmed before it exists, the history has a Vietnamese name."""

import pytest

from legal.models import DocumentVersion
from legal.publishing import new_draft_from
from tests.conftest import ADMIN, form_data, text_of

pytestmark = pytest.mark.django_db


def test_new_draft_asks_for_confirmation_before_it_creates_anything(editor, terms):
    """The button opens a page that says what the draft will hold; only its POST makes the draft."""
    page = editor.get(f"{ADMIN}{terms.pk}/change/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'<a href="{ADMIN}{terms.pk}/new-draft/">New draft from this version</a>' in page
    response = editor.get(f"{ADMIN}{terms.pk}/new-draft/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert not DocumentVersion.objects.drafts().exists()
    assert (
        "A new draft copies the title and text of every language of Terms of Service, version 1. It starts as a "
        "material change, with no effective date and no summary of changes." in text_of(response)
    )
    assert '<form method="post">' in response.content.decode()
    assert editor.post(f"{ADMIN}{terms.pk}/new-draft/").status_code == 302
    assert DocumentVersion.objects.drafts().count() == 1


def test_the_confirmation_points_to_drafts_already_open(editor, terms):
    """Two editors starting the same change: the page says a draft exists, in the admin's language."""
    new_draft_from(terms)
    page = text_of(editor.get(f"{ADMIN}{terms.pk}/new-draft/", HTTP_ACCEPT_LANGUAGE="vi"))
    assert "Văn bản này đã có 1 bản nháp: có lẽ nên tiếp tục bản đó." in page


def test_the_history_is_called_history_in_the_vietnamese_admin(editor, terms):
    """Django's own Vietnamese label ("BẢN GHI NHỚ", a memo) is replaced by "Lịch sử"."""
    page = editor.get(f"{ADMIN}{terms.pk}/change/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert f'<a href="{ADMIN}{terms.pk}/history/" class="historylink">Lịch sử</a>' in page
    assert "BẢN GHI NHỚ" not in page.upper()


def test_a_draft_saved_incomplete_shows_what_stops_publishing_next_to_the_fields(editor, terms):
    """Saving works without a date or an English title; the form then warns at the date, the title and the kind."""
    draft = new_draft_from(terms)
    data = form_data(draft, change_kind="editorial", title_en="", summary_vi="Sửa", summary_en="Fix")
    data["body_vi"] = draft.body_vi.replace("Khách hàng sẽ tạo tài khoản", "Khách hàng phải tạo tài khoản")
    data["effective_at_0"] = data["effective_at_1"] = ""
    response = editor.post(f"{ADMIN}{draft.pk}/change/", {**data, "_continue": "1"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    page = editor.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    text = text_of(page)
    assert "Saved. 3 things still stop this draft from being published" in text
    form = page.context["adminform"].form
    assert form.warnings == {
        "title_en": ["The title in English is missing."],
        "change_kind": [
            "The change is marked editorial, but the words of 1 section changed: “2. Hệ thống Sigma.video của "
            "Khách hàng” (Vietnamese). A change to a clause's words is material unless you confirm it is editorial "
            "(a typo fixed, nothing meant differently). Tick the confirmation, or mark the change as material."
        ],
        "effective_at": ["The effective date is missing."],
    }
    html = page.content.decode()
    warning = '<ul class="draft-warnings" role="status"><li>The effective date is missing.</li></ul>'
    assert html.index('id="id_effective_at_0"') < html.index(warning) < html.index('id="id_title_vi"')


def test_a_draft_ready_to_publish_shows_no_warning(editor, terms):
    """No finding, no warning list and no message after saving."""
    draft = new_draft_from(terms)
    data = form_data(draft, summary_vi="Sửa", summary_en="Fix", effective_at_0="2026-12-30")
    response = editor.post(f"{ADMIN}{draft.pk}/change/", {**data, "_continue": "1"}, HTTP_ACCEPT_LANGUAGE="en")
    page = editor.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert "draft-warnings" not in page.content.decode()
    assert "still stop" not in text_of(page)
