"""The reading site in a real browser: the system Chromium driven by Playwright.

A cross-cutting walk; it mainly covers the reader pages (legal/views.py, templates, static/).

Skipped when /usr/bin/chromium is missing (Debian package `chromium`); Playwright never
downloads a browser of its own. Screenshots of the main pages go to `screenshots/`.
"""

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "browser tests need the system Chromium at /usr/bin/chromium (apt-get install chromium)",
        allow_module_level=True,
    )

from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402

from tests.conftest import make_version, rearranged_terms, site_time  # noqa: E402

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
SECTION = "3-bao-ve-quyen-rieng-tu"
READER_PAGES = ["/{lang}/", "/{lang}/terms-of-service/", "/{lang}/terms-of-service/versions/",
                "/{lang}/terms-of-service/versions/1/"]  # fmt: skip
# Pages that exist once version 2 is scheduled (the `second_version` fixture), and a 404.
MORE_PAGES = ["/{lang}/terms-of-service/versions/2/", "/{lang}/terms-of-service/compare/1/2/",
              "/{lang}/terms-of-service/compare/2/1/", "/{lang}/terms-of-service/versions/2/bilingual/",
              "/{lang}/terms-of-service/compare/1/2/bilingual/", "/{lang}/no-such-document/"]  # fmt: skip


@pytest.fixture(scope="module", autouse=True)
def _allow_orm_beside_playwright():
    """Playwright's sync API runs an event loop in this thread, which Django's ORM would refuse."""
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if before is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture(scope="module")
def browser(_allow_orm_beside_playwright):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(committed_terms, live_server):
    """The live server's address."""
    return live_server.url


@pytest.fixture
def second_version(committed_terms, site):
    """Version 2, scheduled for the day after tomorrow, with one changed sentence per language."""
    return make_version(
        committed_terms.document,
        body_vi=committed_terms.body_vi.replace("sẽ tạo tài khoản", "phải tạo tài khoản"),
        body_en=committed_terms.body_en.replace("shall create an account", "must create an account"),
        summary="Stronger passwords",
        effective_at=site_time(2026, 11, 26, 0, 0),
    )


@pytest.fixture
def new_page(browser, site):
    """new_page(**context_options): a page on the live server that records every request."""
    contexts = []

    def make(**options):
        options = {"locale": "vi-VN", "viewport": DESKTOP, **options}
        context = browser.new_context(base_url=site, **options)
        contexts.append(context)
        page = context.new_page()
        page.requests = []
        page.on("request", lambda request: page.requests.append(request.url))
        return page

    yield make
    for context in contexts:
        context.close()


def fits_width(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_root_lands_on_the_readers_language(new_page, site):
    for locale, landing in (("vi-VN", "/vi/"), ("en-US", "/en/")):
        page = new_page(locale=locale)
        page.goto("/")
        assert page.url == site + landing
        assert page.locator("html").get_attribute("lang") == landing.strip("/")


def test_table_of_contents_jumps_to_the_section_and_marks_it(new_page, site):
    page = new_page()
    page.goto("/vi/terms-of-service/")
    link = page.locator(f'.toc a[href="#{SECTION}"]')
    expect(page.locator("details.toc")).to_have_attribute("open", "")
    assert page.locator(".toc-sidebar").evaluate("e => getComputedStyle(e).position") == "sticky"
    link.click()
    expect(page).to_have_url(f"{site}/vi/terms-of-service/#{SECTION}")
    expect(page.locator(f'[id="{SECTION}"]')).to_be_in_viewport()
    expect(link).to_have_attribute("aria-current", "true")
    expect(page.locator('.toc a[aria-current="true"]')).to_have_count(1)


def test_table_of_contents_is_a_closed_disclosure_on_phones(new_page, site):
    page = new_page(viewport=PHONE)
    page.goto("/vi/terms-of-service/")
    toc = page.locator("details.toc")
    expect(toc).not_to_have_attribute("open", "")
    page.locator("details.toc summary").click()
    page.locator(f'.toc a[href="#{SECTION}"]').click()
    expect(page).to_have_url(f"{site}/vi/terms-of-service/#{SECTION}")
    expect(page.locator(f'[id="{SECTION}"]')).to_be_in_viewport()
    page.set_viewport_size(DESKTOP)  # turning a tablet: the sidebar shows the contents again
    expect(toc).to_have_attribute("open", "")


def test_switching_language_keeps_the_section_and_is_remembered(new_page, site):
    page = new_page()
    page.goto(f"/vi/terms-of-service/#{SECTION}")
    page.locator('.language-switcher a[data-language="en"]').click()
    expect(page).to_have_url(f"{site}/en/terms-of-service/#{SECTION}")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(f'[id="{SECTION}"]')).to_be_in_viewport()
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies["django_language"] == "en"
    page.goto("/")  # the context's Accept-Language says vi; the cookie wins
    assert page.url == f"{site}/en/"


def test_pages_read_and_switch_language_without_javascript(new_page, site):
    page = new_page(java_script_enabled=False, viewport=PHONE)
    page.goto("/vi/terms-of-service/")
    expect(page.locator("details.toc")).to_have_attribute("open", "")
    page.locator('.language-switcher a[data-language="en"]').click()
    expect(page).to_have_url(f"{site}/en/terms-of-service/")
    page.locator(".toc a").first.click()
    expect(page).to_have_url(f"{site}/en/terms-of-service/#1-cac-dinh-nghia")


def test_history_is_reached_from_the_document(new_page, site):
    page = new_page()
    page.goto("/vi/terms-of-service/")
    page.locator('.version-line a[href$="/versions/"]').click()
    expect(page).to_have_url(f"{site}/vi/terms-of-service/versions/")
    expect(page.locator(".history-item")).to_have_count(1)
    expect(page.locator(".badge-current")).to_be_visible()
    page.locator(".history-title a").click()
    expect(page).to_have_url(f"{site}/vi/terms-of-service/versions/1/")
    expect(page.locator("h1")).to_have_text("Điều khoản sử dụng")


def test_two_versions_are_compared_from_the_history(new_page, site, second_version):
    page = new_page()
    page.goto("/en/terms-of-service/versions/")
    expect(page.locator(".history-item")).to_have_count(2)
    expect(page.locator(".badge-scheduled")).to_be_visible()
    # Chosen in the list itself: "from" and "to" radio buttons in each row, 1 to 2 preselected.
    expect(page.locator('input[name="version_a"][value="1"]')).to_be_checked()
    expect(page.locator('input[name="version_b"][value="2"]')).to_be_checked()
    page.get_by_role("group", name="Compare version 2").get_by_label("from").check()
    page.get_by_role("group", name="Compare version 1").get_by_label("to").check()
    page.locator(".history-compare-help button").click()
    expect(page).to_have_url(f"{site}/en/terms-of-service/compare/2/1/")
    page.go_back()
    page.get_by_role("group", name="Compare version 1").get_by_label("from").check()
    page.get_by_role("group", name="Compare version 2").get_by_label("to").check()
    page.locator(".history-compare-help button").click()
    expect(page).to_have_url(f"{site}/en/terms-of-service/compare/1/2/")
    inserted = page.locator(".redline ins", has_text="must")
    deleted = page.locator(".redline del", has_text="shall")
    expect(inserted).to_be_visible()
    expect(deleted).to_be_visible()
    # Readable without colour: underlined and struck through.
    assert inserted.evaluate("e => getComputedStyle(e).textDecorationLine") == "underline"
    assert deleted.evaluate("e => getComputedStyle(e).textDecorationLine") == "line-through"
    # The "[inserted: ...]" words are for screen readers only.
    for hidden in inserted.locator(".visually-hidden").all():
        assert hidden.bounding_box()["width"] <= 1


def test_print_shows_the_document_without_navigation(new_page, site):
    page = new_page()
    page.goto("/en/terms-of-service/")
    page.emulate_media(media="print")
    for hidden in (".language-switcher", ".toc-sidebar", ".skip-link", ".permalink >> nth=0"):
        expect(page.locator(hidden)).to_be_hidden()
    for shown in ("h1", ".version-line", ".print-url", ".document-body"):
        expect(page.locator(shown)).to_be_visible()
    expect(page.locator(".print-url")).to_have_text(f"{site}/en/terms-of-service/versions/1/")
    assert page.locator("h2").first.evaluate("e => getComputedStyle(e).breakAfter") == "avoid"
    page.emulate_media(media="screen")
    expect(page.locator(".print-url")).to_be_hidden()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375", "1280"])
def test_no_horizontal_scrolling(new_page, second_version, viewport):
    page = new_page(viewport=viewport)
    for lang in ("vi", "en"):
        for path in READER_PAGES + MORE_PAGES:
            page.goto(path.format(lang=lang))
            assert fits_width(page), f"{path.format(lang=lang)} scrolls sideways at {viewport['width']} px"


def test_no_request_leaves_the_origin(new_page, site):
    origin = urlsplit(site)[:2]
    page = new_page()
    for lang in ("vi", "en"):
        for path in READER_PAGES:
            page.goto(path.format(lang=lang))
    page.locator(".language-switcher a").click()
    assert page.requests, "no request was recorded"
    foreign = [url for url in page.requests if urlsplit(url)[:2] != origin]
    assert foreign == []


def test_keyboard_reaches_skip_link_first_and_permalinks_show_on_focus(new_page, site):
    page = new_page()
    page.goto("/vi/terms-of-service/")
    assert page.locator(".permalink").first.evaluate("e => getComputedStyle(e).opacity") == "0"
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{site}/vi/terms-of-service/#main")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")
    for _ in range(30):  # on through the contents and the version line to the first permalink
        if page.evaluate("document.activeElement.classList.contains('permalink')"):
            break
        page.keyboard.press("Tab")
    permalink = page.locator(":focus")
    assert permalink.get_attribute("class") == "permalink"
    assert permalink.evaluate("e => getComputedStyle(e).opacity") == "1"
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{site}/vi/terms-of-service/#1-cac-dinh-nghia")


# The page background (--bg in static/legal/site.css) the reader's colour scheme selects.
BACKGROUND = {"light": "rgb(255, 255, 255)", "dark": "rgb(18, 22, 28)"}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_main_pages_take_the_readers_colour_scheme_and_fit_phone_and_desktop(new_page, second_version, scheme):
    """Each main page answers 200 in the reader's scheme, no wider than the screen; screenshots are kept."""
    SCREENSHOTS.mkdir(exist_ok=True)
    for viewport in (PHONE, DESKTOP):
        page = new_page(viewport=viewport, color_scheme=scheme)
        for name, path in (("document-vi", "/vi/terms-of-service/"), ("document-en", "/en/terms-of-service/"),
                           ("history-vi", "/vi/terms-of-service/versions/"),
                           ("compare-en", "/en/terms-of-service/compare/1/2/")):  # fmt: skip
            response = page.goto(path)
            where = f"{path} {viewport['width']}px {scheme}"
            assert response.status == 200, where
            assert page.evaluate("getComputedStyle(document.body).backgroundColor") == BACKGROUND[scheme], where
            assert fits_width(page), where
            shot = page.screenshot(path=SCREENSHOTS / f"{name}-{viewport['width']}-{scheme}.png", full_page=True)
            assert int.from_bytes(shot[16:20], "big") == viewport["width"], where  # the PNG's width


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_reader_pages_have_no_accessibility_violations(new_page, second_version, scheme):
    axe = Axe()
    page = new_page(color_scheme=scheme)
    reports = []
    for lang in ("vi", "en"):
        for path in READER_PAGES + MORE_PAGES:
            page.goto(path.format(lang=lang))
            results = axe.run(page)
            if results.violations_count:
                reports.append(f"{path.format(lang=lang)} ({scheme}):\n{results.generate_report()}")
    assert not reports, "\n\n".join(reports)


def test_admin_language_tabs_work_with_packaged_jquery_ui_and_no_csp_violation(new_page, site, committed_terms):
    """The tabbed translation editor loads jQuery UI from our own origin and shows one tab per language."""
    from django.contrib.auth.models import User

    from legal.publishing import new_draft_from

    # A superuser: a transactional test's flush has removed the groups the migration made.
    User.objects.create_superuser("editor", password="a-long-editor-password")
    draft = new_draft_from(committed_terms)
    page = new_page(locale="en-US")
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.goto("/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "a-long-editor-password")
    page.click("input[type=submit]")
    page.goto(f"/admin/legal/documentversion/{draft.pk}/change/")
    expect(page.locator(".ui-tabs-nav").first).to_be_visible()
    # One tab per language around each translated field; switch the body's tabs both ways.
    for shown, hidden in (("vi", "en"), ("en", "vi")):
        panel = page.locator(".ui-tabs-panel", has=page.locator(f"#id_body_{shown}"))
        page.locator(f'.ui-tabs-nav a[href="#{panel.get_attribute("id")}"]').click()
        expect(page.locator(f"#id_body_{shown}")).to_be_visible()
        expect(page.locator(f"#id_body_{hidden}")).to_be_hidden()
    assert page.locator("#id_body_en").evaluate("e => getComputedStyle(e).fontFamily").startswith('"Noto Sans Mono"')
    assert not [p for p in problems if "Content Security Policy" in p], problems
    assert all(urlsplit(url).netloc == urlsplit(site).netloc for url in page.requests)


def test_an_editor_edits_a_draft_in_the_vietnamese_admin(new_page, site, committed_terms, tmp_path):
    """The Vietnamese tab opens first in both admin languages; "06/01/2027" is saved as 6 January 2027."""
    from legal.publishing import new_draft_from
    from tests.conftest import EDITORS, staff

    # staff() makes the group again when a transactional test's flush removed it.
    editor = staff("editor", EDITORS, password="a-long-editor-password")
    draft = new_draft_from(committed_terms, user=editor)
    change = f"/admin/legal/documentversion/{draft.pk}/change/"
    for locale in ("en-US", "vi-VN"):  # the Vietnamese desktop page last: it saves the date
        for viewport in (PHONE, DESKTOP):
            page = new_page(locale=locale, viewport=viewport)
            page.goto("/admin/login/")
            page.fill("#id_username", "editor")
            page.fill("#id_password", "a-long-editor-password")
            page.click("input[type=submit]")
            page.goto(change)
            expect(page.locator("#site-name")).to_contain_text("Sigma.video")
            # The authoritative Vietnamese text is the open tab, whatever the admin's language.
            expect(page.locator("#id_body_vi")).to_be_visible()
            expect(page.locator("#id_body_en")).to_be_hidden()
            tabs = page.locator(".ui-tabs-nav").first.locator("a")
            assert [tab.get_attribute("href").rsplit("_", 1)[1] for tab in tabs.all()] == ["vi", "en"]
            page.screenshot(path=tmp_path / f"admin-change-{locale}-{viewport['width']}.png", full_page=False)
    # The editor's font draws Vietnamese letters whole: Liberation Mono here, never DejaVu Sans Mono.
    editor_font = page.locator("#id_body_vi").evaluate("e => getComputedStyle(e).fontFamily")
    assert editor_font.startswith('"Noto Sans Mono", "Liberation Mono"') and "DejaVu" not in editor_font
    page.locator("#id_body_vi").screenshot(path=tmp_path / "admin-editor-font.png")
    page.fill("#id_effective_at_0", "06/01/2027")
    page.fill("#id_effective_at_1", "00:00")
    page.click("input[name=_continue]")
    expect(page.locator(".field-effective .readonly")).to_have_text(
        "00:00, 6 tháng 1 năm 2027 (còn 42 ngày, 12 giờ nữa)"
    )
    expect(page.locator("#id_effective_at_0")).to_have_value("06/01/2027")
    draft.refresh_from_db()
    assert draft.effective_at == site_time(2027, 1, 6, 0, 0)
    page.screenshot(path=tmp_path / "admin-change-vi-saved.png", full_page=True)
    print(f"screenshots in {tmp_path}")


def test_a_new_user_changes_a_clause_confirms_the_translation_and_publishes(new_page, site, committed_terms):
    """Refused naming the English section; the Vietnamese redline beside it; edit the English, confirm, publish."""
    from datetime import timedelta

    from django.contrib.auth.models import User

    from legal.models import DocumentVersion
    from legal.publishing import new_draft_from
    from tests.conftest import START

    User.objects.create_superuser("publisher", password="a-long-publisher-password")
    draft = new_draft_from(committed_terms)
    draft.body_vi = draft.body_vi.replace("sẽ tạo tài khoản", "phải tạo tài khoản")
    draft.summary_vi, draft.summary_en = "Điều 2", "Clause 2"
    draft.effective_at = START + timedelta(days=31)
    draft.save()
    admin = f"/admin/legal/documentversion/{draft.pk}"
    section = "2-he-thong-sigmavideo-cua-khach-hang"
    page = new_page(locale="en-US")
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.goto("/admin/login/")
    page.fill("#id_username", "publisher")
    page.fill("#id_password", "a-long-publisher-password")
    page.click("input[type=submit]")
    page.goto(f"{admin}/publish/")
    expect(page.locator(".publish-problems")).to_contain_text("English translation of section “2. Hệ thống")
    expect(page.locator(".publish-problems")).to_contain_text(f"(#{section})")
    page.get_by_role("link", name="Check the translation section by section").click()
    ledger = page.locator(f"#ledger-en-{section}")
    expect(ledger.locator(".ledger-source del")).to_contain_text("sẽ")
    expect(ledger.locator(".ledger-source ins")).to_contain_text("phải")
    expect(ledger.locator(".ledger-translation")).to_contain_text("the Customer shall create")
    expect(ledger.locator(".ledger-state")).to_have_text("Stale")
    # Update the English in the editor's English tab.
    page.goto(f"{admin}/change/")
    panel = page.locator(".ui-tabs-panel", has=page.locator("#id_body_en"))
    page.locator(f'.ui-tabs-nav a[href="#{panel.get_attribute("id")}"]').click()
    english = page.locator("#id_body_en")
    english.fill(english.input_value().replace("shall create an account", "must create an account"))
    page.click("input[name=_continue]")
    page.get_by_role("link", name="Translation: 1 section to confirm").click()
    expect(ledger.locator(".ledger-translation")).to_contain_text("must create an account")
    ledger.get_by_role("button", name="Confirmed against the Vietnamese").click()
    expect(page.locator(f"#ledger-en-{section} .ledger-state")).to_have_text("In step")
    expect(page.locator(".ledger-summary")).to_have_text(
        "Every translated section is in step with the authoritative text."
    )
    page.goto(f"{admin}/publish/")
    page.locator("input[type=submit][value=Publish]").click()
    expect(page.locator(".messagelist")).to_contain_text("Published as version 2.")
    assert DocumentVersion.objects.get(pk=draft.pk).number == 2
    assert not [p for p in problems if "Content Security Policy" in p], problems


@pytest.mark.parametrize("path", ["/vi/terms-of-service/", "/en/terms-of-service/versions/1/"])
def test_the_json_ld_data_block_is_data_and_breaks_no_policy(new_page, site, path):
    """The schema.org block reads as JSON in the page and raises no CSP violation: it is data, never run.

    The same block typed as JavaScript is refused by the CSP with a console error, which this catches.
    """
    import json

    page = new_page()
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.goto(path)
    assert json.loads(page.locator('script[type="application/ld+json"]').text_content())["version"] == "1"
    assert not [p for p in problems if "Content Security Policy" in p], problems
    violations = page.evaluate(
        """() => new Promise(resolve => {
            const seen = [];
            document.addEventListener('securitypolicyviolation', e => seen.push(e.violatedDirective));
            setTimeout(() => resolve(seen), 200);
        })"""
    )
    assert violations == []


# Comparisons and both languages side by side; screenshots go to a temporary folder (printed).


@pytest.fixture
def moved_version(committed_terms, site):
    """Version 2: the fee clause and the email address changed, section 1 moved to the end."""
    return rearranged_terms(committed_terms)


@pytest.fixture(scope="module")
def shots():
    """A temporary folder of its own (pytest's rotate away), kept to be looked at."""
    folder = Path(tempfile.mkdtemp(prefix="comparison-screenshots-"))
    yield folder
    print(f"\nscreenshots in {folder}")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375", "1280"])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_comparison_reads_naturally_at_both_widths(new_page, moved_version, viewport, lang, shots):
    page = new_page(viewport=viewport)
    page.goto(f"/{lang}/terms-of-service/compare/1/2/")
    assert fits_width(page)
    summary = page.locator(".compare-summary")
    expect(summary.locator("li")).to_have_count(2)  # one section moved, three changed
    # The email address and the fee clause: one deletion, then one insertion.
    expect(page.locator(".redline del", has_text="contact@gviet.vn")).to_have_count(1)
    expect(page.locator(".redline ins", has_text="legal@sigma.video")).to_have_count(1)
    # The moved section: marked at both places, with links between them, not by colour alone.
    away = page.locator(".redline-moved-away")
    moved = page.locator(".redline-moved")
    expect(away).to_have_count(1)
    expect(moved).to_have_count(1)
    assert moved.evaluate("e => getComputedStyle(e).borderLeftStyle") == "double"
    away.locator('a[href="#move-1-to"]').click()
    expect(page.locator("#move-1-to")).to_be_in_viewport()
    page.screenshot(path=shots / f"compare-moved-{lang}-{viewport['width']}.png")
    page.screenshot(path=shots / f"compare-{lang}-{viewport['width']}.png", full_page=True)
    summary.screenshot(path=shots / f"compare-summary-{lang}-{viewport['width']}.png")


def test_changes_are_reached_with_links_and_with_j_and_k(new_page, site, moved_version):
    page = new_page(java_script_enabled=False)
    page.goto("/en/terms-of-service/compare/1/2/")
    page.locator(".compare-summary a", has_text="Go to the first change").click()
    expect(page).to_have_url(f"{site}/en/terms-of-service/compare/1/2/#change-1")
    page.locator("#change-1 a[rel=next]").click()
    expect(page).to_have_url(f"{site}/en/terms-of-service/compare/1/2/#change-2")
    page.locator("#change-2 a[rel=prev]").click()
    expect(page).to_have_url(f"{site}/en/terms-of-service/compare/1/2/#change-1")

    page = new_page()
    page.goto("/en/terms-of-service/compare/1/2/")
    page.keyboard.press("j")
    expect(page).to_have_url(f"{site}/en/terms-of-service/compare/1/2/#change-1")
    expect(page.locator("#change-1")).to_be_focused()
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(page).to_have_url(f"{site}/en/terms-of-service/compare/1/2/#change-3")
    page.keyboard.press("k")
    expect(page).to_have_url(f"{site}/en/terms-of-service/compare/1/2/#change-2")
    expect(page.locator("#change-2")).to_be_in_viewport()


def test_each_change_says_what_it_is_to_a_screen_reader(new_page, moved_version):
    page = new_page()
    page.goto("/en/terms-of-service/compare/1/2/")
    assert page.locator(".redline del", has_text="contact@gviet.vn").inner_text().startswith("[deleted:")
    assert page.locator(".redline ins", has_text="legal@sigma.video").inner_text().startswith("[inserted:")
    expect(page.locator(".redline-moved-away .badge")).to_have_text("Section moved away")
    expect(page.locator(".redline-moved .badge")).to_have_text("Moved section")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_both_languages_side_by_side_on_desktop_interleaved_on_phones(new_page, moved_version, lang, shots):
    for viewport in (DESKTOP, PHONE):
        page = new_page(viewport=viewport)
        page.goto(f"/{lang}/terms-of-service/versions/2/bilingual/")
        assert fits_width(page)
        row = page.locator('section.bilingual-row[id="2-bao-ve-quyen-rieng-tu"]')
        vi, en = row.locator('[lang="vi"]').first, row.locator('[lang="en"]').first
        expect(vi).to_contain_text("Bảo vệ quyền riêng tư")
        expect(en).to_contain_text("Privacy Protection")
        vi_box, en_box = vi.bounding_box(), en.bounding_box()
        if viewport is DESKTOP:
            assert vi_box["x"] + vi_box["width"] <= en_box["x"] and abs(vi_box["y"] - en_box["y"]) < 2
        else:
            assert vi_box["y"] + vi_box["height"] <= en_box["y"] + 1  # Vietnamese first, English below
        page.screenshot(path=shots / f"bilingual-{lang}-{viewport['width']}.png", full_page=True)
        row.scroll_into_view_if_needed()
        page.screenshot(path=shots / f"bilingual-row-{lang}-{viewport['width']}.png")
    page.emulate_media(media="print")
    expect(page.locator(".language-switcher")).to_be_hidden()
    expect(page.locator(".print-url")).to_be_visible()
    page.set_viewport_size(DESKTOP)
    vi_box, en_box = vi.bounding_box(), en.bounding_box()
    assert vi_box["x"] + vi_box["width"] <= en_box["x"]  # two columns on paper too
    page.screenshot(path=shots / f"bilingual-{lang}-print.png", full_page=True)
    page = new_page(viewport=PHONE)
    page.goto(f"/{lang}/terms-of-service/compare/1/2/bilingual/")
    assert fits_width(page)
    page.screenshot(path=shots / f"compare-bilingual-{lang}-375.png", full_page=True)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_comparison_pages_have_no_accessibility_violations(new_page, moved_version, scheme, shots):
    axe = Axe()
    page = new_page(color_scheme=scheme)
    reports = []
    for path in ("compare/1/2/", "compare/2/1/", "compare/1/2/bilingual/", "versions/2/bilingual/"):
        for lang in ("vi", "en"):
            page.goto(f"/{lang}/terms-of-service/{path}")
            results = axe.run(page)
            if results.violations_count:
                reports.append(f"{lang}/{path} ({scheme}):\n{results.generate_report()}")
    page.goto("/en/terms-of-service/compare/1/2/")
    page.screenshot(path=shots / f"compare-en-1280-{scheme}.png", full_page=True)
    assert not reports, "\n\n".join(reports)
