"""The reading site in a real browser: the system Chromium driven by Playwright.

Skipped when /usr/bin/chromium is missing (Debian package `chromium`); Playwright never
downloads a browser of its own. Screenshots of the main pages go to `screenshots/`.
"""

import os
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

from legal.importing import load_bundled_terms  # noqa: E402
from tests.conftest import make_version, site_time  # noqa: E402

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
              "/{lang}/no-such-document/"]  # fmt: skip


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
def version_1(transactional_db):
    """The bundled Terms, committed (not in a test transaction) so the server's thread sees them."""
    return load_bundled_terms()


@pytest.fixture
def site(version_1, live_server):
    """The live server's address."""
    return live_server.url


@pytest.fixture
def second_version(version_1, site):
    """Version 2, scheduled for the day after tomorrow, with one changed sentence per language."""
    return make_version(
        version_1.document,
        body_vi=version_1.body_vi.replace("sẽ tạo tài khoản", "phải tạo tài khoản"),
        body_en=version_1.body_en.replace("shall create an account", "must create an account"),
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
    page.locator(".version-line a").click()
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
    expect(page.locator('select[name="version_a"]')).to_have_value("1")
    expect(page.locator('select[name="version_b"]')).to_have_value("2")
    page.locator('form:has(select[name="version_a"]) button').click()  # preselected: 1 with 2
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


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_of_the_main_pages(new_page, second_version, scheme):
    SCREENSHOTS.mkdir(exist_ok=True)
    for viewport in (PHONE, DESKTOP):
        page = new_page(viewport=viewport, color_scheme=scheme)
        for name, path in (("document-vi", "/vi/terms-of-service/"), ("document-en", "/en/terms-of-service/"),
                           ("history-vi", "/vi/terms-of-service/versions/"),
                           ("compare-en", "/en/terms-of-service/compare/1/2/")):  # fmt: skip
            page.goto(path)
            page.screenshot(path=SCREENSHOTS / f"{name}-{viewport['width']}-{scheme}.png", full_page=True)


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


def test_admin_language_tabs_work_with_packaged_jquery_ui_and_no_csp_violation(new_page, site, version_1):
    """The tabbed translation editor loads jQuery UI from our own origin and shows one tab per language."""
    from django.contrib.auth.models import User

    from legal.publishing import new_draft_from

    # A superuser: a transactional test's flush has removed the groups the migration made.
    User.objects.create_superuser("editor", password="a-long-editor-password")
    draft = new_draft_from(version_1)
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


def test_an_editor_edits_a_draft_in_the_vietnamese_admin(new_page, site, version_1, tmp_path):
    """The Vietnamese tab opens first in both admin languages; "06/01/2027" is saved as 6 January 2027."""
    from importlib import import_module

    from django.contrib.auth.models import Group, Permission, User

    from legal.publishing import new_draft_from

    # A transactional test's flush may have removed the groups the migration made.
    codenames = import_module("legal.migrations.0002_legal_staff_groups").EDITOR_CODENAMES
    editors, _created = Group.objects.get_or_create(name="Legal editors")
    editors.permissions.set(Permission.objects.filter(content_type__app_label="legal", codename__in=codenames))
    editor = User.objects.create_user("editor", password="a-long-editor-password", is_staff=True)
    editor.groups.add(editors)
    draft = new_draft_from(version_1, user=editor)
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


def test_a_new_user_changes_a_clause_confirms_the_translation_and_publishes(new_page, site, version_1):
    """Refused naming the English section; the Vietnamese redline beside it; edit the English, confirm, publish."""
    from datetime import timedelta

    from django.contrib.auth.models import User

    from legal.models import DocumentVersion
    from legal.publishing import new_draft_from
    from tests.conftest import START

    User.objects.create_superuser("publisher", password="a-long-publisher-password")
    draft = new_draft_from(version_1)
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
