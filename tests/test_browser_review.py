"""The review hand-off and guided publishing in a real browser, as a new editor and publisher would use them.

A cross-cutting walk; it mainly covers the version admin (DocumentVersionAdmin) and legal/reviewing.py.

The system Chromium driven by Playwright against a live server, with a real SMTP server on
loopback for the review email. Every step saves a screenshot to pytest's temporary folder
(printed at the end); the README's "For legal staff" captions name them.
"""

import email
import email.policy
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from legal.models import DocumentVersion, StaffLanguage
from tests import test_browser_reader  # skips this module too where Chromium is missing
from tests.conftest import EDITORS, PUBLISHERS, START, staff

pytestmark = pytest.mark.browser

# The browser, live server and page fixtures of the reader's browser tests.
_allow_orm_beside_playwright = test_browser_reader._allow_orm_beside_playwright
browser = test_browser_reader.browser
site = test_browser_reader.site
new_page = test_browser_reader.new_page

PASSWORD = "a-long-staff-password"
VERSIONS = "/admin/legal/documentversion/"


def team():
    """An editor and a publisher with addresses, in groups as the migration makes them."""
    return {
        "editor": staff("editor", EDITORS, password=PASSWORD, email="editor@sigma.video"),
        "publisher": staff("publisher", PUBLISHERS, password=PASSWORD, email="publisher@sigma.video"),
    }


def show(page, field_id):
    """Open the language tab that holds the field `field_id`."""
    panel = page.locator(".ui-tabs-panel", has=page.locator(f"#{field_id}"))
    page.locator(f'.ui-tabs-nav a[href="#{panel.get_attribute("id")}"]').click()
    expect(page.locator(f"#{field_id}")).to_be_visible()


def sign_in(page, username):
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_contain_text("Sigma.video")


@pytest.fixture
def mail(mail, settings, site):
    """The shared SMTP server on loopback, with links in emails pointing at the live server."""
    settings.SITE_URL = site
    return mail


def test_an_editor_submits_for_review_and_a_publisher_publishes_as_soon_as_allowed(
    new_page, site, committed_terms, mail, tmp_path
):
    """Draft from the version in effect, preview without a date, submit; the publisher follows the emailed link."""
    users = team()
    editor = new_page(locale="vi-VN")
    sign_in(editor, "editor")
    editor.goto(f"{VERSIONS}{committed_terms.pk}/change/")
    editor.get_by_role("link", name="Bản nháp mới từ phiên bản này").click()
    editor.screenshot(path=tmp_path / "1-new-draft-confirmation.png", full_page=True)
    editor.get_by_role("button", name="Tạo bản nháp").click()
    expect(editor.locator("#id_body_vi")).to_be_visible()  # the authoritative text's tab is open
    draft = DocumentVersion.objects.drafts().get()
    assert draft.change_kind == "material"

    # An editorial fix of the contact address, in both languages, no date yet.
    editor.select_option("#id_change_kind", "editorial")
    for code in ("vi", "en"):
        show(editor, f"id_body_{code}")
        body = editor.locator(f"#id_body_{code}")
        body.fill(body.input_value().replace("contact@gviet.vn", "legal@sigma.video"))
    editor.fill("#id_summary_vi", "Địa chỉ liên hệ mới: legal@sigma.video")
    show(editor, "id_summary_en")
    editor.fill("#id_summary_en", "New contact address: legal@sigma.video")
    editor.click("input[name=_continue]")
    expect(editor.locator(".messagelist")).to_be_visible()

    # The preview works before a date is given, under its DRAFT banner.
    editor.get_by_role("link", name="Xem trước (VI)").click()
    expect(editor.locator(".draft-banner")).to_contain_text("BẢN NHÁP")
    expect(editor.locator(".document-body")).to_contain_text("legal@sigma.video")
    editor.screenshot(path=tmp_path / "2-preview-without-a-date.png", full_page=False)
    editor.go_back()

    # The Vietnamese changed, so the English section is confirmed against it (the ledger).
    change_page = editor.url
    editor.goto(change_page.replace("/change/", "/translation/"))
    confirm = editor.locator(".ledger-form button.default")
    expect(confirm).to_have_count(1)
    confirm.click()
    expect(editor.locator(".ledger-form button.default")).to_have_count(0)
    editor.goto(change_page)

    editor.get_by_role("button", name="Gửi duyệt").click()
    expect(editor.locator(".messagelist")).to_contain_text("Đã gửi email tới: publisher@sigma.video.")
    editor.screenshot(path=tmp_path / "3-submitted-for-review.png", full_page=False)

    # The publisher's email, in Vietnamese (no language recorded yet: the site's default).
    assert not StaffLanguage.objects.filter(user=users["publisher"]).exists()
    [envelope] = mail.handler.envelopes
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert envelope.rcpt_tos == ["publisher@sigma.video"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "VI: Địa chỉ liên hệ mới: legal@sigma.video" in text
    publish_link = re.search(rf"{re.escape(site)}\S+/publish/", text).group()

    publisher = new_page(locale="en-US")
    sign_in(publisher, "publisher")
    publisher.goto(VERSIONS)
    expect(publisher.locator("#result_list")).to_contain_text("Submitted for review by editor")
    publisher.screenshot(path=tmp_path / "4-change-list-review-state.png", full_page=False)
    publisher.goto(publish_link)
    # No date in the draft: the page offers "as soon as allowed", five minutes from now.
    expect(publisher.locator(".publish-when")).to_have_text("24 November 2026, 12:05 (in 5 minutes)")
    expect(publisher.locator(".publish-email[lang=vi]")).to_contain_text("Địa chỉ liên hệ mới")
    # The words changed, so "editorial" needs the publisher's confirmation before Publish.
    expect(publisher.locator(".publish-evidence")).to_contain_text("the words of 2 sections changed")
    publisher.screenshot(path=tmp_path / "5-publish-as-soon-as-allowed.png", full_page=True)
    publisher.get_by_role("button", name="Publish").click()
    assert DocumentVersion.objects.get(pk=draft.pk).is_draft  # the browser refused the unticked box
    publisher.check("input[name=editorial_confirmed]")
    publisher.get_by_role("button", name="Publish").click()
    expect(publisher.locator(".messagelist")).to_contain_text("Published as version 2.")
    published = DocumentVersion.objects.get(pk=draft.pk)
    assert (published.number, published.effective_at) == (2, START + timedelta(minutes=5))
    publisher.screenshot(path=tmp_path / "6-published.png", full_page=False)
    print(f"screenshots in {tmp_path}")


def test_a_publisher_sends_a_draft_back_and_publishes_a_material_change_at_the_end_of_notice(
    new_page, site, committed_terms, mail, tmp_path
):
    """Sent back with a comment, resubmitted, then published as soon as allowed: after the notice period."""
    from legal.publishing import new_draft_from
    from legal.reviewing import submit_for_review

    users = team()
    draft = new_draft_from(committed_terms, user=users["editor"])
    draft.body_en = draft.body_en.replace("the Customer shall create", "the Customer must create")
    draft.summary_vi, draft.summary_en = "Điều 2", "Clause 2"
    draft.save()
    submit_for_review(draft, user=users["editor"])
    publisher = new_page(locale="en-US")
    sign_in(publisher, "publisher")
    publisher.goto(f"{VERSIONS}{draft.pk}/change/")
    publisher.get_by_role("link", name="Send back…").click()
    publisher.fill("#id_comment", "Clause 2 needs the same change in Vietnamese.")
    publisher.screenshot(path=tmp_path / "7-send-back.png", full_page=False)
    publisher.get_by_role("button", name="Send back").click()
    expect(publisher.locator(".messagelist")).to_contain_text("Emailed to: editor@sigma.video.")
    assert "Clause 2 needs the same change in Vietnamese." in mail.handler.envelopes[-1].content.decode()
    publisher.goto(f"{VERSIONS}{draft.pk}/history/")
    expect(publisher.locator("#change-history")).to_contain_text("Sent back for changes: Clause 2 needs")

    publisher.goto(f"{VERSIONS}{draft.pk}/publish/")
    expect(publisher.locator(".publish-when")).to_have_text("24 December 2026, 12:00 (in 30 days)")
    publisher.screenshot(path=tmp_path / "8-material-as-soon-as-allowed.png", full_page=True)
    publisher.get_by_role("button", name="Publish").click()
    expect(publisher.locator(".messagelist")).to_contain_text("Published as version 2.")
    assert DocumentVersion.objects.get(pk=draft.pk).effective_at == START + timedelta(days=30)
    print(f"screenshots in {tmp_path}")


def test_the_editor_draws_vietnamese_letters_whole(new_page, site, committed_terms, tmp_path):
    """Chromium renders each Vietnamese letter of the editor as one glyph, never base plus detached tone mark."""
    team()
    page = new_page(locale="vi-VN")
    sign_in(page, "editor")
    from legal.publishing import new_draft_from

    draft = new_draft_from(committed_terms)
    page.goto(f"{VERSIONS}{draft.pk}/change/")
    sample = "Khách hàng sử dụng dịch vụ phải tuân thủ điều khoản của tổ chức"
    page.fill("#id_body_vi", sample)
    page.locator("#id_body_vi").screenshot(path=tmp_path / "9-editor-font.png")
    # The fonts Chromium actually used for the text inside the textarea (its user-agent shadow tree).
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")

    def walk(node):
        yield node
        for child in node.get("children", []) + node.get("shadowRoots", []):
            yield from walk(child)

    root = cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
    textarea = next(n for n in walk(root) if n.get("localName") == "textarea" and "id_body_vi" in n["attributes"])
    inner = next(n for shadow in textarea["shadowRoots"] for n in walk(shadow) if n.get("nodeType") == 1)
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": inner["nodeId"]})["fonts"]
    assert sum(font["glyphCount"] for font in fonts) == len(sample), fonts  # one glyph per letter: none decomposed
    assert "DejaVu Sans Mono" not in {font["familyName"] for font in fonts}, fonts


def test_the_authoritative_languages_tab_opens_first_in_every_admin_language(new_page, site, committed_terms):
    """A document written in English first opens its versions on the English tab, in both admin languages."""
    from legal.models import Document

    team()
    document = Document.objects.create(
        slug="privacy", title_vi="Chính sách riêng tư", title_en="Privacy Policy", authoritative_language="en"
    )
    draft = DocumentVersion(document=document, title_vi="Riêng tư", title_en="Privacy", body_en="## 1. Data\n")
    draft.save()
    from legal.publishing import new_draft_from

    terms_draft = new_draft_from(committed_terms)  # the Terms: Vietnamese is authoritative
    for locale in ("vi-VN", "en-US"):
        page = new_page(locale=locale)
        sign_in(page, "editor")
        for version, shown, hidden in ((draft, "en", "vi"), (terms_draft, "vi", "en")):
            page.goto(f"{VERSIONS}{version.pk}/change/")
            expect(page.locator(f"#id_body_{shown}")).to_be_visible()
            expect(page.locator(f"#id_body_{hidden}")).to_be_hidden()
        page.close()


def test_an_editor_edits_both_languages_side_by_side_with_a_live_preview(new_page, site, committed_terms, tmp_path):
    """Rows of sections, Vietnamese beside English; typing in a section shows it rendered; saving keeps both."""
    from legal.publishing import new_draft_from

    team()
    draft = new_draft_from(committed_terms)
    page = new_page(locale="vi-VN")
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    sign_in(page, "editor")
    page.goto(f"{VERSIONS}{draft.pk}/change/")
    page.get_by_role("link", name="Sửa song song hai ngôn ngữ").click()
    english = page.locator('textarea[name="en-3"]')
    vietnamese = page.locator('textarea[name="vi-3"]')
    assert vietnamese.bounding_box()["x"] < english.bounding_box()["x"]  # side by side, Vietnamese first
    assert abs(vietnamese.bounding_box()["y"] - english.bounding_box()["y"]) < 1  # the same section's row
    english.fill(english.input_value().replace("the Customer shall create", "the Customer **must** create"))
    expect(page.locator(".section-preview-body strong")).to_have_text("must")
    expect(page.locator(".section-preview-body h2")).to_contain_text("2. The Customer's Sigma.video System")
    page.screenshot(path=tmp_path / "10-side-by-side.png", full_page=False)
    page.get_by_role("button", name="Lưu và tiếp tục chỉnh sửa").click()
    expect(page.locator(".messagelist")).to_be_visible()
    draft.refresh_from_db()
    assert "the Customer **must** create" in draft.body_en and draft.body_vi == committed_terms.body_vi
    assert not [p for p in problems if "Content Security Policy" in p], problems
    print(f"screenshots in {tmp_path}")
