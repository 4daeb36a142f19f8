"""Editing both languages side by side, one row per section, with a preview of the section being edited."""

import pytest

from django.contrib.admin.models import LogEntry

from legal.models import DocumentVersion, ReviewState
from legal.publishing import new_draft_from
from legal.reviewing import submit_for_review
from legal.reviews import review_state
from legal.side_by_side import join_sections, split_sections
from tests.conftest import ADMIN, staff, text_of

pytestmark = pytest.mark.django_db


def form_of(response):
    """The form's fields as the page sends them back unchanged."""
    context = response.context
    data = {"base": context["base"]}
    for row in context["rows"]:
        for code, text in row.texts.items():
            data[f"{code}-{row.index}"] = text
    return data


def test_cutting_at_headings_is_lossless_and_ignores_code_fences():
    """Joining the sections gives back the same text; a # inside a fence is not a heading."""
    text = "Intro.\n\n## 1. A\n\nText.\n```\n# not a heading\n```\n## 2. B\nEnd"
    assert split_sections(text) == ["Intro.\n\n", "## 1. A\n\nText.\n```\n# not a heading\n```\n", "## 2. B\nEnd"]
    assert join_sections(split_sections(text)) == text
    assert split_sections("## Only\n") == ["", "## Only\n"]
    assert join_sections(["Intro", "## 1. A\r\nText"]) == "Intro\n## 1. A\nText"  # never glued to the heading


def test_the_sections_of_both_languages_are_paired_row_by_row(editor, terms):
    """The authoritative language comes first; each row is titled by its Vietnamese heading."""
    draft = new_draft_from(terms)
    response = editor.get(f"{ADMIN}{draft.pk}/side-by-side/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert response.context["languages"] == ["vi", "en"]
    assert [row.title for row in rows] == [
        "", "Điều khoản sử dụng", "1. Các định nghĩa", "2. Hệ thống Sigma.video của Khách hàng",
        "3. Bảo vệ quyền riêng tư",
    ]  # fmt: skip
    assert rows[3].texts["vi"].startswith("## 2. Hệ thống") and rows[3].texts["en"].startswith("## 2. The Customer")
    page = response.content.decode()
    assert 'name="vi-3"' in page and 'name="en-3"' in page
    assert 'name="vi-0"' not in page  # no text before the title in either language: no empty row


def test_saving_unchanged_keeps_the_bytes_and_a_change_reaches_only_its_section(editor, terms):
    """An untouched form saves the same text; one section edited in English changes only that section."""
    draft = new_draft_from(terms)
    url = f"{ADMIN}{draft.pk}/side-by-side/"
    data = form_of(editor.get(url))
    assert editor.post(url, data).status_code == 302
    same = DocumentVersion.objects.get(pk=draft.pk)
    assert (same.body_vi, same.body_en) == (terms.body_vi, terms.body_en)
    data = form_of(editor.get(url))
    data["en-3"] = data["en-3"].replace("the Customer shall create", "the Customer must create")
    response = editor.post(url, {**data, "_continue": "1"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and response["Location"] == url
    saved = DocumentVersion.objects.get(pk=draft.pk)
    assert saved.body_en == terms.body_en.replace("the Customer shall create", "the Customer must create")
    assert saved.body_vi == terms.body_vi
    assert "the Customer must create" in saved.body_html_en  # rendered as every save renders
    assert LogEntry.objects.filter(object_id=str(draft.pk)).count() == 2


def test_a_text_changed_by_someone_else_meanwhile_is_not_overwritten(editor, terms):
    """The form carries what it was opened on; saving over a newer text is refused."""
    draft = new_draft_from(terms)
    url = f"{ADMIN}{draft.pk}/side-by-side/"
    data = form_of(editor.get(url))
    draft.body_en += "\nA colleague's sentence.\n"
    draft.save()
    data["en-1"] = "## 1. Mine\n"
    response = editor.post(url, data, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "The text was changed by someone else since you opened this page." in text_of(response)
    assert DocumentVersion.objects.get(pk=draft.pk).body_en.endswith("A colleague's sentence.\n")


def test_a_text_past_the_limits_is_refused_next_to_its_language(editor, terms):
    """The renderer's limits apply as in the change form; nothing is saved."""
    draft = new_draft_from(terms)
    url = f"{ADMIN}{draft.pk}/side-by-side/"
    data = form_of(editor.get(url))
    data["en-1"] = "x" * 30_001
    response = editor.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "EN: Line 1 is 30001 characters long; at most 30000 are allowed on one line." in text_of(response)
    assert DocumentVersion.objects.get(pk=draft.pk).body_en == terms.body_en


def test_editing_side_by_side_after_submission_puts_the_draft_back_in_progress(editor, terms):
    """The review hand-off sees this path too."""
    draft = new_draft_from(terms)
    submit_for_review(draft, user=staff("author", "Legal editors"))
    url = f"{ADMIN}{draft.pk}/side-by-side/"
    data = form_of(editor.get(url))
    data["vi-1"] = data["vi-1"] + "\nMới.\n"
    editor.post(url, data)
    assert review_state(DocumentVersion.objects.get(pk=draft.pk)) == ReviewState.IN_PROGRESS


def test_the_section_preview_renders_and_sanitises(editor, terms):
    """POST only; the HTML is the renderer's, script removed; text past the limits is a 400 with the reason."""
    draft = new_draft_from(terms)
    url = f"{ADMIN}{draft.pk}/section-preview/"
    assert editor.get(url).status_code == 405
    answer = editor.post(url, {"text": "## 2. Tài khoản\n\n**Phải** <script>alert(1)</script>"})
    assert answer.status_code == 200
    html = answer.json()["html"]
    assert "<strong>Phải</strong>" in html and "<script" not in html
    refused = editor.post(url, {"text": "x" * 30_001}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400
    assert refused.json() == {"error": "Line 1 is 30001 characters long; at most 30000 are allowed on one line."}


def test_only_staff_who_may_change_a_draft_edit_or_preview_it(client, editor, terms):
    """A published version cannot be edited side by side; anonymous visitors are sent to sign in."""
    assert editor.get(f"{ADMIN}{terms.pk}/side-by-side/").status_code == 403
    assert editor.post(f"{ADMIN}{terms.pk}/section-preview/", {"text": "x"}).status_code == 403
    draft = new_draft_from(terms)
    client.logout()
    assert client.get(f"{ADMIN}{draft.pk}/side-by-side/").status_code == 302
