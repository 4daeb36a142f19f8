"""The admin workflow for legal staff, through the Django test client."""

import re
from datetime import timedelta

import pytest

from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User

from legal.models import DocumentVersion
from tests.conftest import ADMIN, START, form_data, make_version, site_time, staff, text_of

pytestmark = pytest.mark.django_db


def test_version_list_shows_state_languages_and_filters(publisher, terms, draft):
    response = publisher.get(ADMIN)
    page = response.content.decode()
    assert response.status_code == 200
    # The Vietnamese admin (no Accept-Language) names each version's public state.
    assert sorted(re.findall(r'<td class="field-state">(.*?)</td>', page)) == ["Bản nháp", "Đang có hiệu lực"]
    assert publisher.get(ADMIN + "?state=draft").context["cl"].result_count == 1
    assert publisher.get(ADMIN + "?state=in_effect").context["cl"].result_count == 1
    assert publisher.get(ADMIN + "?state=withdrawn").context["cl"].result_count == 0
    assert publisher.get(ADMIN + "?q=khoản").context["cl"].result_count == 2


def test_editor_creates_a_draft_from_a_version_with_one_post(editor, terms):
    response = editor.post(f"{ADMIN}{terms.pk}/new-draft/")
    draft = DocumentVersion.objects.get(status="draft")
    assert response.status_code == 302 and response["Location"] == f"{ADMIN}{draft.pk}/change/"
    assert (draft.body_vi, draft.body_en, draft.title_en) == (terms.body_vi, terms.body_en, terms.title_en)
    assert editor.put(f"{ADMIN}{terms.pk}/new-draft/").status_code == 405


def test_editor_edits_a_draft_in_both_languages(editor, draft):
    response = editor.post(f"{ADMIN}{draft.pk}/change/", form_data(draft, body_en=draft.body_en + "\nNew line.\n"))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert "New line." in draft.body_en and "New line." in draft.body_html_en


def test_change_form_has_tabs_monospace_editor_and_no_foreign_script(editor, draft):
    page = editor.get(f"{ADMIN}{draft.pk}/change/").content.decode()
    assert 'class="markdown-editor' in page
    assert "tabbed_translation_fields.js" in page
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', page)
    assert scripts and all(src.startswith("/static/") or src.startswith("/admin/") for src in scripts), scripts
    assert "/static/xstatic/jquery-ui/jquery-ui.min.js" in scripts


def test_editor_sees_no_publish_button_and_gets_403(editor, draft):
    page = editor.get(f"{ADMIN}{draft.pk}/change/").content.decode()
    assert "/publish/" not in page
    assert editor.get(f"{ADMIN}{draft.pk}/publish/").status_code == 403
    assert editor.post(f"{ADMIN}{draft.pk}/publish/").status_code == 403
    assert DocumentVersion.objects.get(pk=draft.pk).status == "draft"


def test_publish_confirmation_shows_number_supersedes_and_diff(publisher, terms, draft):
    page = publisher.get(f"{ADMIN}{draft.pk}/publish/").content.decode()
    assert '<dd class="publish-number">2</dd>' in page
    assert str(terms) in page
    assert '<del><span class="visually-hidden">' in page and "sẽ" in page and "phải" in page
    assert "must" in page and "shall" in page
    assert 'type="submit"' in page


def test_publish_confirmation_lists_problems_and_post_refuses(publisher, draft):
    draft.title_en = ""
    draft.effective_at = START - timedelta(days=1)
    draft.save()
    response = publisher.get(f"{ADMIN}{draft.pk}/publish/", HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert "The title in English is missing." in page  # the admin in the language the browser asked for
    assert 'type="submit"' not in page.split("publish-problems")[1].split("</div>")[0]
    response = publisher.post(f"{ADMIN}{draft.pk}/publish/")
    assert response.status_code == 302
    assert DocumentVersion.objects.get(pk=draft.pk).status == "draft"


def test_publisher_publishes_and_the_public_page_switches_at_the_minute(publisher, client, terms, draft, clock):
    draft.change_kind = "editorial"
    draft.effective_at = START + timedelta(minutes=5)
    draft.save()
    response = publisher.post(f"{ADMIN}{draft.pk}/publish/", {"when": "date", "editorial_confirmed": "on"})
    assert response.status_code == 302
    version = DocumentVersion.objects.get(pk=draft.pk)
    assert (version.status, version.number, version.published_by.username) == ("published", 2, "publisher")
    assert LogEntry.objects.filter(object_id=str(version.pk)).exists()
    public = client.get("/vi/terms-of-service/")
    assert "Phiên bản 1" in public.content.decode()
    clock.move_to(START + timedelta(minutes=5))
    public = client.get("/vi/terms-of-service/")
    assert "Phiên bản 2" in public.content.decode() and "phải tạo tài khoản" in public.content.decode()
    assert client.get("/vi/terms-of-service/versions/1/").status_code == 200


def test_publish_and_withdraw_refuse_get_side_effects(publisher, terms, draft):
    """GET shows the confirmation pages and changes nothing; other methods than GET and POST are refused."""
    assert publisher.get(f"{ADMIN}{draft.pk}/publish/").status_code == 200
    assert DocumentVersion.objects.get(pk=draft.pk).status == "draft"
    assert publisher.put(f"{ADMIN}{draft.pk}/publish/").status_code == 405
    scheduled = make_version(terms.document, effective_at=site_time(2026, 12, 1, 0, 0))
    assert publisher.get(f"{ADMIN}{scheduled.pk}/withdraw/", {"reason": "By GET.", "reissue": "on"}).status_code == 200
    assert DocumentVersion.objects.get(pk=scheduled.pk).status == "published"
    assert publisher.put(f"{ADMIN}{scheduled.pk}/withdraw/").status_code == 405
    assert DocumentVersion.objects.get(pk=scheduled.pk).status == "published"


def test_publish_requires_csrf_token(terms, draft):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff("p2", "Legal publishers"))
    assert strict.post(f"{ADMIN}{draft.pk}/publish/").status_code == 403
    assert DocumentVersion.objects.get(pk=draft.pk).status == "draft"


def test_published_version_is_read_only_and_undeletable(publisher, terms):
    page = publisher.get(f"{ADMIN}{terms.pk}/change/").content.decode()
    assert 'name="_save"' not in page and "<textarea" not in page
    response = publisher.post(f"{ADMIN}{terms.pk}/change/", form_data(terms, body_vi="defaced"))
    assert response.status_code == 403
    assert publisher.post(f"{ADMIN}{terms.pk}/delete/", {"post": "yes"}).status_code == 403
    response = publisher.post(ADMIN, {"action": "delete_selected", "_selected_action": [terms.pk], "post": "yes"})
    assert DocumentVersion.objects.filter(pk=terms.pk).exists()
    assert DocumentVersion.objects.get(pk=terms.pk).body_vi != "defaced"


def test_document_with_versions_cannot_be_deleted_in_admin(publisher, terms):
    response = publisher.post(f"/admin/legal/document/{terms.document_id}/delete/", {"post": "yes"})
    assert response.status_code == 403


def test_withdraw_a_scheduled_version(publisher, client, terms, clock):
    scheduled = make_version(terms.document, effective_at=site_time(2026, 12, 1, 0, 0))
    page = publisher.get(f"{ADMIN}{scheduled.pk}/change/").content.decode()
    assert f"{scheduled.pk}/withdraw/" in page
    assert publisher.get(f"{ADMIN}{scheduled.pk}/withdraw/").status_code == 200
    # A reason is required: without one the form says so next to the field and nothing changes.
    refused = publisher.post(f"{ADMIN}{scheduled.pk}/withdraw/", {"reason": "  "})
    assert refused.status_code == 200 and refused.context["form"].errors["reason"]
    assert DocumentVersion.objects.get(pk=scheduled.pk).status == "published"
    reason = "Published by mistake: the new fees are not ready."
    done = publisher.post(f"{ADMIN}{scheduled.pk}/withdraw/", {"reason": reason, "reissue": "on"})
    assert done.status_code == 302
    scheduled.refresh_from_db()
    assert (scheduled.status, scheduled.withdrawn_by.username) == ("withdrawn", "publisher")
    assert (scheduled.withdrawal_reason, scheduled.withdrawal_reissue_planned) == (reason, True)
    history = publisher.get(f"{ADMIN}{scheduled.pk}/history/").content.decode()
    assert "Reason: Published by mistake: the new fees are not ready. To be re-issued." in history
    # The text stays retrievable by staff; the public gets a 410 page that says why.
    assert publisher.get(f"{ADMIN}{scheduled.pk}/change/").status_code == 200
    gone = client.get(f"/en/terms-of-service/versions/{scheduled.number}/")
    assert gone.status_code == 410 and reason in text_of(gone)


def test_editor_cannot_withdraw(editor, terms):
    scheduled = make_version(terms.document, effective_at=site_time(2026, 12, 1, 0, 0))
    assert editor.post(f"{ADMIN}{scheduled.pk}/withdraw/").status_code == 403
    assert DocumentVersion.objects.get(pk=scheduled.pk).status == "published"


def test_preview_shows_the_draft_with_banner_noindex_and_no_cache(editor, draft):
    for language, marker in (("vi", "phải tạo tài khoản"), ("en", "must create")):
        response = editor.get(f"{ADMIN}{draft.pk}/preview/{language}/")
        page = response.content.decode()
        assert response.status_code == 200
        assert marker in page and "draft-banner" in page
        assert '<meta name="robots" content="noindex, nofollow">' in page
        assert "no-cache" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
        assert f'<html lang="{language}">' in page


def test_preview_is_hidden_from_everyone_else(client, draft):
    url = f"{ADMIN}{draft.pk}/preview/vi/"
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(staff("viewer"))  # staff without permissions: the draft does not exist for them
    assert client.get(url).status_code == 404
    client.force_login(staff("second-editor", "Legal editors"))
    assert client.get(f"{ADMIN}{draft.pk}/preview/xx/").status_code == 404  # no such language


def test_superuser_can_publish(client, draft):
    client.force_login(User.objects.create_superuser("root", password="pw"))
    assert client.post(f"{ADMIN}{draft.pk}/publish/").status_code == 302
    assert DocumentVersion.objects.get(pk=draft.pk).status == "published"


def test_text_typed_in_the_admin_is_stored_with_lf_line_endings_and_nfc(editor, draft):
    """Browsers submit CRLF; what is stored, hashed and downloaded is what was typed, with LF."""
    import hashlib
    import unicodedata

    typed = draft.body_en.replace("\n", "\r\n") + "\r\nCafe\u0301 clause.\r\n"
    decomposed_vi = unicodedata.normalize("NFD", draft.body_vi).replace("\n", "\r\n")
    response = editor.post(f"{ADMIN}{draft.pk}/change/", form_data(draft, body_en=typed, body_vi=decomposed_vi))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert "\r" not in draft.body_en and "\r" not in draft.body_vi
    assert draft.body_en.endswith("\nCafé clause.\n") and "\u0301" not in draft.body_en
    assert draft.body_vi == unicodedata.normalize("NFC", draft.body_vi)
    assert draft.body_sha256_en == hashlib.sha256(draft.body_en.encode()).hexdigest()


def test_a_withdrawn_version_can_be_reissued_from_the_admin(publisher, terms, clock):
    scheduled = make_version(terms.document, effective_at=site_time(2026, 12, 1, 0, 0))
    from legal.publishing import withdraw_version

    withdraw_version(scheduled, reason="Urgent fix first.", reissue=True)
    page = publisher.get(f"{ADMIN}{scheduled.pk}/change/").content.decode()
    assert f"{scheduled.pk}/reissue/" in page
    assert publisher.get(f"{ADMIN}{scheduled.pk}/reissue/").status_code == 405
    response = publisher.post(f"{ADMIN}{scheduled.pk}/reissue/")
    draft = DocumentVersion.objects.get(status="draft")
    assert response["Location"] == f"{ADMIN}{draft.pk}/change/"
    assert (draft.reissue_of_id, draft.based_on_id, draft.body_vi) == (scheduled.pk, terms.pk, scheduled.body_vi)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[" * 100_000, "Line 1 is 100000 characters long; at most 30000 are allowed on one line."),
        ("".join(f"## H {i}\n\n" for i in range(10_000)), "The text has 10000 headings; at most 500 are allowed."),
        (
            "".join("  " * i + "- x\n" for i in range(300)),
            "Line 101 is nested 101 levels deep (lists, quotes); at most 100 are allowed.",
        ),
        (">" * 500 + " x\n", "Line 1 is nested 500 levels deep (lists, quotes); at most 100 are allowed."),
    ],
    ids=["brackets", "headings", "deep-list", "deep-quotes"],
)
def test_change_form_shows_a_limit_error_next_to_the_body(editor, draft, body, message):
    """Text the renderer would refuse is a form error on that language's body; nothing is saved."""
    editor.cookies["django_language"] = "en"
    response = editor.post(f"{ADMIN}{draft.pk}/change/", form_data(draft, body_en=body))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["body_en"] == [message]
    draft.refresh_from_db()
    assert "## H 1\n" not in draft.body_en and not draft.body_en.startswith("[[[")


def test_change_form_limit_error_is_in_vietnamese_for_a_vietnamese_editor(editor, draft):
    editor.cookies["django_language"] = "vi"
    response = editor.post(f"{ADMIN}{draft.pk}/change/", form_data(draft, body_vi=">" * 500 + " x\n"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["body_vi"] == [
        "Dòng 1 lồng sâu 500 cấp (danh sách, trích dẫn); tối đa 100 cấp."
    ]
