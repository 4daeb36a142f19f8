"""The version admin (legal/admin/versions.py) for legal staff, through the Django test client.

The workflow: drafts, the preview, dates in each language, guides, and publishing with its
confirmation page. The crawl of every admin page for every role is in test_admin.py.
"""

import re
from datetime import timedelta

import pytest

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.utils import translation

from legal.change_evidence import ClauseChange, changed_clauses
from legal.models import DocumentVersion, Subscription
from legal.publishing import PublishingError, new_draft_from, plan_publish, publish_version
from legal.templatetags.date_words import distance_in_words
from legal.translation_sync import confirm_sections
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
    assert {src.split("/")[1] for src in scripts} == {"static", "admin"}, scripts  # served by the site itself
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


# --------------------------------------------------------------------------------------------------
# The admin preview of drafts in any state: never a 500, a styled banner, a working language switch.


def test_a_draft_without_an_effective_date_can_be_previewed(editor, undated_draft):
    """Preview before a date is entered shows the text and says there is no date yet."""
    assert undated_draft.effective_at is None
    for language, words in (("vi", "chưa có ngày hiệu lực"), ("en", "no effective date yet")):
        response = editor.get(f"{ADMIN}{undated_draft.pk}/preview/{language}/")
        assert response.status_code == 200
        assert words in response.content.decode()


def test_the_preview_language_link_opens_the_other_languages_preview(editor, undated_draft):
    """The language switch of a preview leads to the preview in the other language, not back to itself."""
    page = editor.get(f"{ADMIN}{undated_draft.pk}/preview/vi/").content.decode()
    assert f'href="http://testserver{ADMIN}{undated_draft.pk}/preview/en/" hreflang="en"' in page
    page = editor.get(f"{ADMIN}{undated_draft.pk}/preview/en/").content.decode()
    assert f'href="http://testserver{ADMIN}{undated_draft.pk}/preview/vi/" hreflang="vi"' in page


def test_view_on_site_opens_a_drafts_preview_and_a_published_versions_page(editor, undated_draft, terms):
    """ "View on site" never sends a draft's editor to the live version."""
    page = editor.get(f"{ADMIN}{undated_draft.pk}/change/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="{ADMIN}{undated_draft.pk}/preview/en/" class="viewsitelink"' in page
    page = editor.get(f"{ADMIN}{undated_draft.pk}/change/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert f'href="{ADMIN}{undated_draft.pk}/preview/vi/" class="viewsitelink"' in page
    page = editor.get(f"{ADMIN}{terms.pk}/change/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert 'href="/vi/terms-of-service/versions/1/" class="viewsitelink"' in page


def test_the_draft_banner_is_styled_by_the_stylesheet_not_inline(editor, undated_draft):
    """The DRAFT banner has its own rule in site.css; the page carries no inline style (strict CSP)."""
    page = editor.get(f"{ADMIN}{undated_draft.pk}/preview/vi/").content.decode()
    assert '<div class="draft-banner" role="status">' in page and "style=" not in page
    stylesheet = (settings.BASE_DIR / "static" / "legal" / "site.css").read_text()
    assert ".draft-banner {" in stylesheet


# --------------------------------------------------------------------------------------------------
# Dates in the admin cannot be misread: each language's input formats, and dates shown in words.


def save_date(client, version, day, time="00:00", language="vi"):
    data = form_data(version, effective_at_0=day, effective_at_1=time)
    return client.post(f"{ADMIN}{version.pk}/change/", data, HTTP_ACCEPT_LANGUAGE=language)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("06/01/2027", site_time(2027, 1, 6, 0, 0)), ("13/01/2027", site_time(2027, 1, 13, 0, 0)),
     ("2027-01-06", site_time(2027, 1, 6, 0, 0))],
)  # fmt: skip
def test_the_vietnamese_admin_reads_day_month_year(editor, draft, typed, stored):
    """ "06/01/2027" typed in the Vietnamese admin's split date/time widget is 6 January 2027."""
    response = save_date(editor, draft, typed)
    assert response.status_code == 302, response.context["adminform"].form.errors
    draft.refresh_from_db()
    assert draft.effective_at == stored


def test_the_vietnamese_date_widget_writes_day_month_year(editor, draft):
    """The widget shows a stored date as the Vietnamese admin reads it back."""
    draft.effective_at = site_time(2027, 1, 6, 9, 30)
    draft.save()
    page = editor.get(f"{ADMIN}{draft.pk}/change/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert 'name="effective_at_0" value="06/01/2027"' in page
    assert 'name="effective_at_1" value="09:30:00"' in page


def test_the_english_admin_refuses_a_slashed_date_next_to_the_field(editor, draft):
    """In English "06/01/2027" could be 1 June: it is refused with an error on the field, not guessed."""
    before = draft.effective_at
    response = save_date(editor, draft, "06/01/2027", language="en")
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["effective_at"] == ["Enter a valid date."]
    draft.refresh_from_db()
    assert draft.effective_at == before
    for typed in ("2027-01-06", "6 January 2027"):
        assert save_date(editor, draft, typed, language="en").status_code == 302
        draft.refresh_from_db()
        assert draft.effective_at == site_time(2027, 1, 6, 0, 0)


def test_the_list_and_the_form_show_the_date_in_words_and_how_far_it_is(editor, draft):
    """The effective date appears in words beside the relative time, in the admin's language."""
    draft.effective_at = site_time(2027, 1, 6, 0, 0)  # the clock stands at 24 November 2026, 12:00
    draft.save()
    vi = "00:00, 6 tháng 1 năm 2027 (còn 42 ngày, 12 giờ nữa)"
    en = "6 January 2027, 00:00 (in 42 days, 12 hours)"
    for url in (ADMIN, f"{ADMIN}{draft.pk}/change/"):
        assert vi in editor.get(url, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
        assert en in editor.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # The version in effect took effect this morning: in the past, said so.
    assert "24 November 2026, 00:00 (12 hours ago)" in editor.get(ADMIN, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_a_draft_without_a_date_says_so(editor, terms):
    """A new draft's missing date is named, in words, not left blank."""
    response = editor.post(f"{ADMIN}{terms.pk}/new-draft/", HTTP_ACCEPT_LANGUAGE="en")
    page = editor.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "no date yet" in page
    assert "chưa có ngày" in editor.get(ADMIN, HTTP_ACCEPT_LANGUAGE="vi").content.decode()


@pytest.mark.parametrize(
    ("delta", "words"),
    [(timedelta(days=29, hours=23, minutes=59), "29 days, 23 hours"), (timedelta(days=1), "1 day"),
     (timedelta(hours=3, minutes=5), "3 hours, 5 minutes"), (timedelta(minutes=1, seconds=59), "1 minute"),
     (timedelta(0), "0 minutes")],
)  # fmt: skip
def test_distances_count_whole_units_and_never_round_up(delta, words):
    """29 days 23 hours 59 minutes is not "30 days": notice periods are counted in whole days."""
    with translation.override("en"):
        assert distance_in_words(delta) == words


# --------------------------------------------------------------------------------------------------
# Smaller guides in the admin: a new draft is confirmed before it exists, the history has a Vietnamese name.


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


# --------------------------------------------------------------------------------------------------
# Publishing guides the publisher: the kind of change against the diff's evidence, "as soon as
# allowed", and a confirmation page in the order a publisher checks it.


EDITORIAL = DocumentVersion.ChangeKind.EDITORIAL
MATERIAL = DocumentVersion.ChangeKind.MATERIAL
LEAD = timedelta(seconds=300)


def drafted(terms, *, vi=None, en=None, kind=EDITORIAL, effective_at=None, summary="Sửa lỗi chính tả"):
    """A draft of `terms` with (old, new) replacements in each language, its translation confirmed."""
    draft = new_draft_from(terms)
    for code, change in (("vi", vi), ("en", en)):
        if change:
            body = getattr(draft, f"body_{code}")
            assert change[0] in body
            setattr(draft, f"body_{code}", body.replace(change[0], change[1], 1))
        setattr(draft, f"summary_{code}", f"{summary} ({code})")
    draft.change_kind, draft.effective_at = kind, effective_at
    draft.save()
    confirm_sections(draft, only_out_of_step=True)  # as the translator would (tests/test_translation_sync.py)
    return draft


# New drafts start as material ------------------------------------------------------------------


def test_a_new_draft_from_an_editorial_version_starts_as_material(publisher, terms):
    """Neither "New draft from this version" nor "Add" inherits or defaults to editorial."""
    editorial = make_version(terms.document, body_en=terms.body_en + "\nTypo.\n", effective_at=START + LEAD)
    assert editorial.change_kind == EDITORIAL
    assert new_draft_from(editorial).change_kind == MATERIAL
    response = publisher.post(f"{ADMIN}{editorial.pk}/new-draft/")
    assert response.status_code == 302
    assert DocumentVersion.objects.drafts().latest("pk").change_kind == MATERIAL
    form = publisher.get(f"{ADMIN}add/").context["adminform"].form
    assert form.initial.get("change_kind", form.fields["change_kind"].initial) == MATERIAL


# The diff's evidence --------------------------------------------------------------------------


def test_formatting_alone_is_no_change_of_words(terms):
    """Bold, punctuation and line breaks change no clause; the evidence is empty."""
    draft = drafted(
        terms,
        vi=("Khách hàng sẽ tạo tài khoản", "**Khách hàng** sẽ tạo tài khoản"),
        en=("the Customer shall create", "the Customer shall\ncreate"),
    )
    assert changed_clauses(terms, draft) == []


def test_a_changed_word_names_its_section_in_each_language(terms):
    """One word replaced in clause 2 of each language: two clause changes, named by their headings."""
    draft = drafted(
        terms,
        vi=("Khách hàng sẽ tạo tài khoản", "Khách hàng phải tạo tài khoản"),
        en=("the Customer shall create", "the Customer must create"),
    )
    assert changed_clauses(terms, draft) == [
        ClauseChange("vi", "2-he-thong-sigmavideo-cua-khach-hang", "2. Hệ thống Sigma.video của Khách hàng"),
        ClauseChange("en", "2-he-thong-sigmavideo-cua-khach-hang", "2. The Customer's Sigma.video System"),
    ]
    assert changed_clauses(None, draft) == []  # a first version has nothing to differ from


def test_an_editorial_change_of_words_is_refused_unless_confirmed(terms):
    """The evidence contradicts "editorial": publishing refuses, naming the sections, until the publisher confirms."""
    draft = drafted(
        terms, vi=("Khách hàng sẽ tạo tài khoản", "Khách hàng phải tạo tài khoản"), effective_at=START + LEAD
    )
    with translation.override("en"), pytest.raises(PublishingError) as refused:
        publish_version(draft)
    assert refused.value.problems == [
        "The change is marked editorial, but the words of 1 section changed: “2. Hệ thống Sigma.video của Khách hàng” "
        "(Vietnamese). A change to a clause's words is material unless you confirm it is editorial (a typo fixed, "
        "nothing meant differently). Tick the confirmation, or mark the change as material."
    ]
    published = publish_version(draft, editorial_confirmed=True)
    assert (published.number, published.change_kind) == (2, EDITORIAL)


def test_an_editorial_change_of_formatting_needs_no_confirmation(terms):
    """Where the evidence agrees with "editorial" nothing more is asked."""
    draft = drafted(terms, en=("the Customer shall create", "the Customer shall  create"), effective_at=START + LEAD)
    assert publish_version(draft).number == 2


def test_the_publisher_confirms_an_editorial_change_of_words_on_the_page(publisher, terms):
    """The confirmation page shows the evidence and a required checkbox; without the tick nothing is published."""
    draft = drafted(terms, en=("the Customer shall create", "the Customer must create"), effective_at=START + LEAD)
    page = publisher.get(f"{ADMIN}{draft.pk}/publish/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    form = page.split('class="publish-form"')[1]
    assert 'name="editorial_confirmed" required' in form
    assert "“2. The Customer&#x27;s Sigma.video System” (English)" in form
    refused = publisher.post(f"{ADMIN}{draft.pk}/publish/", {"when": "date"}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 302 and refused["Location"] == f"{ADMIN}{draft.pk}/publish/"
    assert DocumentVersion.objects.get(pk=draft.pk).is_draft
    done = publisher.post(f"{ADMIN}{draft.pk}/publish/", {"when": "date", "editorial_confirmed": "on"})
    assert done.status_code == 302 and done["Location"] == f"{ADMIN}{draft.pk}/change/"
    published = DocumentVersion.objects.get(pk=draft.pk)
    assert published.is_published and published.change_kind == EDITORIAL
    message = LogEntry.objects.get(object_id=str(draft.pk)).change_message
    assert message == "Published as version 2. Confirmed editorial although the words of 1 sections changed."


def test_a_material_change_with_the_same_words_says_it_could_be_editorial(publisher, terms):
    """The evidence is shown the other way round too, without blocking the safer kind."""
    draft = drafted(terms, kind=MATERIAL, en=("the Customer shall create", "the Customer shall  create"))
    page = text_of(publisher.get(f"{ADMIN}{draft.pk}/publish/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Only formatting differs from the version it follows: the change could be marked editorial." in page


# As soon as allowed ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "after"),
    [(EDITORIAL, LEAD), (MATERIAL, timedelta(days=30))],
)
def test_as_soon_as_allowed_is_the_lead_time_or_the_notice_period(terms, kind, after):
    """Without a date, publishing as soon as allowed takes effect after the lead time (editorial) or notice (material)."""
    draft = drafted(terms, kind=kind, en=("the Customer shall create", "the Customer shall  create"))
    assert draft.effective_at is None
    published = publish_version(draft, as_soon_as_allowed=True)
    assert published.effective_at == START + after


def test_as_soon_as_allowed_comes_just_after_the_last_scheduled_version(terms):
    """Versions take effect in number order: the earliest instant is one second after the last one scheduled."""
    scheduled = make_version(
        terms.document, body_en=terms.body_en + "\nLater.\n", effective_at=START + timedelta(days=3)
    )
    draft = drafted(terms, en=("the Customer shall create", "the Customer shall  create"))
    draft.based_on = scheduled
    draft.save()
    published = publish_version(draft, as_soon_as_allowed=True, editorial_confirmed=True)
    assert published.effective_at == START + timedelta(days=3, seconds=1)


def test_as_soon_as_allowed_is_computed_at_the_moment_of_publishing(publisher, terms, clock):
    """The page shows the instant allowed when it is read; the POST two minutes later takes the instant allowed then."""
    draft = drafted(terms, en=("the Customer shall create", "the Customer shall  create"), effective_at=START)
    response = publisher.get(f"{ADMIN}{draft.pk}/publish/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["timing"] == "date"
    assert "A version takes effect at the earliest 5 minutes after it is published" in text_of(response)
    response = publisher.get(f"{ADMIN}{draft.pk}/publish/?when=asap", HTTP_ACCEPT_LANGUAGE="en")
    assert "24 November 2026, 12:05 (in 5 minutes)" in text_of(response)
    assert response.context["plan"].problems == []
    clock.move_to(START + timedelta(minutes=2))
    done = publisher.post(f"{ADMIN}{draft.pk}/publish/?when=asap", {"when": "asap"})
    assert done.status_code == 302
    published = DocumentVersion.objects.get(pk=draft.pk)
    assert published.effective_at == START + timedelta(minutes=2) + LEAD
    assert LogEntry.objects.get(object_id=str(draft.pk)).change_message == (
        "Published as version 2. Takes effect as soon as allowed: 2026-11-24T12:07:00+07:00."
    )


def test_a_draft_without_a_date_is_offered_as_soon_as_allowed(publisher, terms):
    """No date: the page opens on "as soon as allowed"; asked for its own date it says there is none, no "Supersedes"."""
    draft = drafted(terms, kind=MATERIAL, en=("the Customer shall create", "the Customer must create"))
    response = publisher.get(f"{ADMIN}{draft.pk}/publish/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["timing"] == "asap"
    assert "24 December 2026, 12:00 (in 30 days)" in text_of(response)
    page = text_of(publisher.get(f"{ADMIN}{draft.pk}/publish/?when=date", HTTP_ACCEPT_LANGUAGE="en"))
    assert "no date yet: set one in the draft, or publish as soon as allowed" in page
    assert "Replaces — " in page
    assert "nothing (first version)" not in page and "Supersedes" not in page
    assert "The effective date is missing." in page


# The confirmation page ------------------------------------------------------------------------


def test_the_confirmation_page_shows_what_matters_in_order_then_publish(publisher, terms):
    """Number, date in words, replaced version, emailed summaries, subscriber counts, redlines, then Publish."""
    make = Subscription.objects.create
    for email, language, confirmed in (
        ("a@example.vn", "vi", START), ("b@example.vn", "vi", START), ("c@example.com", "en", START),
        ("pending@example.com", "en", None),
    ):  # fmt: skip
        make(document=terms.document, email=email, language=language, confirmed_at=confirmed)
    make(document=terms.document, email="gone@example.vn", language="vi", confirmed_at=START, unsubscribed_at=START)
    draft = drafted(
        terms,
        kind=MATERIAL,
        vi=("Khách hàng sẽ tạo tài khoản", "Khách hàng phải tạo tài khoản"),
        en=("the Customer shall create", "the Customer must create"),
        effective_at=START + timedelta(days=31),
        summary="Điều 2 đã sửa",
    )
    page = text_of(publisher.get(f"{ADMIN}{draft.pk}/publish/", HTTP_ACCEPT_LANGUAGE="en"))
    order = [
        "Number it will get 2",
        "25 December 2026, 12:00 (in 31 days)",
        "Replaces Terms of Service, version 1, the version in effect at that instant",
        "VI · 2 confirmed subscribers will be notified",
        "Điều khoản sử dụng: phiên bản 2 có hiệu lực từ ngày 25 tháng 12 năm 2026 Điều 2 đã sửa (vi)",
        "EN · 1 confirmed subscriber will be notified",
        "Terms of Service: version 2 takes effect on 25 December 2026 Điều 2 đã sửa (en)",
        "Changes against version 1",
        "[deleted: sẽ ] [inserted: phải ]",
        "[deleted: shall ] [inserted: must ]",
        "Publishing makes this text version 2",
    ]
    positions = [page.find(text) for text in order]
    assert -1 not in positions, [text for text, at in zip(order, positions, strict=True) if at == -1]
    assert positions == sorted(positions)


def test_every_problem_comes_after_the_redline_and_there_is_no_publish_button(publisher, terms):
    """A draft that cannot be published lists every problem below the redline, and offers no Publish."""
    draft = drafted(terms, kind=MATERIAL, en=("the Customer shall create", "the Customer must create"))
    draft.title_en = ""
    draft.effective_at = START + timedelta(days=2)
    draft.save()
    response = publisher.get(f"{ADMIN}{draft.pk}/publish/", HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert page.index("Changes against version 1") < page.index("This version cannot be published yet")
    assert [problem for problem in response.context["plan"].problems] == [
        "The title in English is missing.",
        "A material change must take effect at least 30 days after it is published, that is on or after "
        "24 December 2026, 12:00. Choose a later date or mark the change as editorial.",
    ]
    assert not re.search(r'type="submit"[^>]*value="Publish"', page)


def test_the_plan_names_the_version_in_effect_at_that_instant(terms):
    """After a scheduled version, the one replaced is the scheduled one, not the version in effect now."""
    scheduled = make_version(
        terms.document, body_en=terms.body_en + "\nLater.\n", effective_at=START + timedelta(days=3)
    )
    draft = new_draft_from(scheduled)
    draft.effective_at = START + timedelta(days=40)
    plan = plan_publish(draft)
    assert (plan.follows, plan.replaces, plan.effective) == (scheduled, scheduled, START + timedelta(days=40))
