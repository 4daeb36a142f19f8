"""The admin preview of drafts in any state: never a 500, a styled banner, a working language switch."""

import pytest

from django.conf import settings

from tests.conftest import ADMIN

pytestmark = pytest.mark.django_db


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
