"""The translation stays in step with the Vietnamese text, section by section (legal.translation_sync)."""

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from legal.models import Document, DocumentVersion, ProtectedVersionError, SectionConfirmation
from legal.publishing import (
    PublishingError,
    new_draft_from,
    plan_publish,
    publish_version,
    rebase_draft,
    reissue_draft,
    withdraw_version,
)
from legal.section_ledger import read_section_texts
from legal.translation_sync import (
    LedgerError,
    SectionState,
    confirm_sections,
    section_statuses,
    section_texts,
    translation_problems,
)
from tests.conftest import START, make_version, site_time, staff, text_of

pytestmark = pytest.mark.django_db

ADMIN = "/admin/legal/documentversion/"
SECTION_2 = "2-he-thong-sigmavideo-cua-khach-hang"
CLAUSE_VI = ("Khách hàng sẽ tạo tài khoản", "Khách hàng phải tạo tài khoản")
CLAUSE_EN = ("the Customer shall create", "the Customer must create")


def states(version):
    return {(status.language, status.anchor): status.state for status in section_statuses(version)}


def out_of_step(version):
    return {anchor for (_code, anchor), state in states(version).items() if state != SectionState.IN_STEP}


@pytest.fixture
def clause_changed(terms):
    """A draft of the Terms whose Vietnamese section 2 says "must" where version 1 says "shall"."""
    draft = new_draft_from(terms)
    draft.effective_at = START + timedelta(days=31)
    draft.summary_vi, draft.summary_en = "Sửa điều 2", "Clause 2 amended"
    draft.body_vi = terms.body_vi.replace(*CLAUSE_VI)
    draft.save()
    return draft


# The rule ---------------------------------------------------------------------------------


def test_a_changed_vietnamese_clause_makes_its_english_section_stale_and_blocks_publishing(clause_changed):
    """Only section 2 is stale; the refusal names the section and the language."""
    assert out_of_step(clause_changed) == {SECTION_2}
    with translation.override("en"):
        problems = plan_publish(clause_changed).problems
    assert problems == [
        "The English translation of section “2. Hệ thống Sigma.video của Khách hàng” "
        "(#2-he-thong-sigmavideo-cua-khach-hang) has not been confirmed since the Vietnamese text of that section "
        "changed. Check it against the Vietnamese text and confirm it."
    ]
    with pytest.raises(PublishingError):
        publish_version(clause_changed)
    assert DocumentVersion.objects.get(pk=clause_changed.pk).is_draft


def test_editing_the_english_too_does_not_confirm_it(clause_changed):
    """The translation is stale whether or not it was edited: only a confirmation counts."""
    clause_changed.body_en = clause_changed.body_en.replace(*CLAUSE_EN)
    clause_changed.save()
    assert out_of_step(clause_changed) == {SECTION_2}
    confirm_sections(clause_changed, anchors=[SECTION_2])
    assert out_of_step(clause_changed) == set()
    assert publish_version(clause_changed).number == 2


def test_an_english_only_edit_needs_no_confirmation(terms):
    draft = new_draft_from(terms)
    draft.body_en = draft.body_en.replace(*CLAUSE_EN)
    draft.save()
    assert out_of_step(draft) == set() and translation_problems(draft) == []


def test_undoing_the_vietnamese_change_puts_the_section_back_in_step(clause_changed, terms):
    clause_changed.body_vi = terms.body_vi
    clause_changed.save()
    assert out_of_step(clause_changed) == set()


SECTIONS = 5
VARIANTS = (("Đoạn gốc.", "Original."), ("Đoạn sửa.", "Amended."), ("Đoạn khác hẳn.", "Quite different."))


def small_body(paragraphs, language):
    heading = "Điều" if language == "vi" else "Article"
    title = "# Quy định\n\n" if language == "vi" else "# Rules\n\n"
    return title + "\n".join(f"## {number + 1}. {heading}\n\n{text}\n" for number, text in enumerate(paragraphs))


@pytest.fixture
def rules(db):
    """A small document of five sections, version 1 published with its translation confirmed."""
    document = Document.objects.create(slug="rules", title_vi="Quy định", title_en="Rules")
    version = DocumentVersion(document=document, effective_at=START + timedelta(days=1))
    for code, index in (("vi", 0), ("en", 1)):
        setattr(version, f"title_{code}", "Quy định" if code == "vi" else "Rules")
        setattr(version, f"body_{code}", small_body([VARIANTS[0][index]] * SECTIONS, code))
    version.save()
    confirm_sections(version)
    return publish_version(version)


EDITS = st.lists(
    st.one_of(
        st.tuples(st.just("vi"), st.integers(0, SECTIONS - 1), st.integers(0, len(VARIANTS) - 1)),
        st.tuples(st.just("en"), st.integers(0, SECTIONS - 1), st.integers(0, len(VARIANTS) - 1)),
        st.tuples(st.just("confirm"), st.integers(0, SECTIONS - 1), st.just(0)),
    ),
    max_size=12,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=EDITS)
def test_stale_sections_are_exactly_those_whose_vietnamese_changed_since_confirmed(rules, edits):
    """Random edits to random sections of both languages, and confirmations in between.

    The stale sections are those whose Vietnamese text differs from what it was when that
    section was last confirmed (at first: version 1's text, confirmed when it was published).
    """
    draft = new_draft_from(rules)
    anchors = [section.anchor for section in section_texts(draft, "vi")[1:]]
    vi, en = [VARIANTS[0][0]] * SECTIONS, [VARIANTS[0][1]] * SECTIONS
    confirmed = list(vi)  # the Vietnamese paragraph each section was last confirmed against
    for action, index, variant in edits:
        if action == "confirm":
            confirm_sections(draft, anchors=[anchors[index]])
            confirmed[index] = vi[index]
            continue
        (vi if action == "vi" else en)[index] = VARIANTS[variant][0 if action == "vi" else 1]
        draft.body_vi, draft.body_en = small_body(vi, "vi"), small_body(en, "en")
        draft.save()
    expected = {anchors[index] for index in range(SECTIONS) if vi[index] != confirmed[index]}
    assert out_of_step(draft) == expected
    assert {state for state in states(draft).values()} <= {SectionState.IN_STEP, SectionState.STALE}
    assert len(translation_problems(draft)) == len(expected)


# Sections added and removed ---------------------------------------------------------------


def test_a_new_section_must_be_confirmed_and_a_removed_one_leaves_the_ledger(rules):
    draft = new_draft_from(rules)
    draft.body_vi = draft.body_vi.replace("## 5. Điều\n\nĐoạn gốc.\n", "## 6. Điều mới\n\nĐoạn mới.\n")
    draft.body_en = draft.body_en.replace("## 5. Article\n\nOriginal.\n", "## 6. New article\n\nNew.\n")
    draft.effective_at, draft.change_kind = START + timedelta(days=40), "editorial"
    draft.summary_vi = draft.summary_en = "Điều 6"
    draft.save()
    assert states(draft)[("en", "6-dieu-moi")] == SectionState.NEW
    assert ("en", "5-dieu") not in states(draft)
    with translation.override("en"):
        assert translation_problems(draft) == [
            "The English translation of section “6. Điều mới” (#6-dieu-moi) has never been confirmed against the "
            "Vietnamese text. Check it and confirm it."
        ]
    confirm_sections(draft, anchors=["6-dieu-moi"])
    published = publish_version(draft, editorial_confirmed=True)
    # The published ledger holds exactly the published sections: the removed one is gone.
    anchors = set(published.section_confirmations.values_list("anchor", flat=True))
    assert anchors == {"", "1-dieu", "2-dieu", "3-dieu", "4-dieu", "6-dieu-moi"}


def test_a_renamed_heading_is_a_new_section(terms):
    """Anchors come from the Vietnamese headings: a renamed heading is a section never confirmed."""
    draft = new_draft_from(terms)
    draft.body_vi = draft.body_vi.replace("## 3. Bảo vệ", "## 3. Bảo đảm")
    draft.save()
    [anchor] = out_of_step(draft)
    assert anchor.startswith("3-bao-dam") and states(draft)[("en", anchor)] == SectionState.NEW


def test_the_title_and_opening_text_are_a_section_too(terms):
    draft = new_draft_from(terms)
    draft.title_vi = "Điều khoản sử dụng dịch vụ"
    draft.save()
    assert out_of_step(draft) == {""}
    with translation.override("en"):
        assert "the title and the opening text" in translation_problems(draft)[0]


# Inheritance -------------------------------------------------------------------------------


def test_a_new_draft_inherits_who_confirmed_each_section_and_when(rules):
    draft = new_draft_from(rules)
    copied = lambda version: sorted(  # noqa: E731
        version.section_confirmations.values_list("language", "anchor", "authoritative_sha256", "confirmed_at")
    )
    assert copied(draft) == copied(rules) and len(copied(draft)) == SECTIONS + 1
    assert out_of_step(draft) == set()


def test_rebase_and_reissue_keep_the_confirmations_of_the_sections_they_take_over(terms, clock):
    """A section taken whole from the version rebased on keeps that version's confirmation."""
    material = make_version(
        terms.document, body_vi=terms.body_vi.replace(*CLAUSE_VI), body_en=terms.body_en.replace(*CLAUSE_EN),
        effective_at=START + timedelta(days=31), editorial=False,
    )  # fmt: skip
    withdraw_version(material, reason="An urgent fix first.", reissue=True)
    fix = make_version(
        terms.document,
        body_vi=terms.body_vi.replace("contact@gviet.vn", "legal@sigma.video"),
        body_en=terms.body_en.replace("contact@gviet.vn", "legal@sigma.video"),
        effective_at=START + timedelta(hours=1),
    )
    reissue, conflicts = reissue_draft(DocumentVersion.objects.get(pk=material.pk))
    assert conflicts == 0 and out_of_step(reissue) == set()
    late = new_draft_from(terms)  # made from version 1 before the fix was published
    late.body_vi = late.body_vi.replace(*CLAUSE_VI)
    late.save()
    confirm_sections(late, anchors=[SECTION_2])
    assert rebase_draft(late) == 0
    late.refresh_from_db()
    assert late.based_on_id == fix.pk and out_of_step(late) == set()


# Not affecting the translation ---------------------------------------------------------------


def test_a_change_that_does_not_affect_the_translation_needs_a_reason_and_is_recorded(clause_changed):
    user = staff("editor", "Legal editors")
    with pytest.raises(LedgerError):
        confirm_sections(clause_changed, anchors=[SECTION_2], method=SectionConfirmation.Method.NOT_AFFECTED)
    assert out_of_step(clause_changed) == {SECTION_2}
    with translation.override("en"):
        confirm_sections(
            clause_changed,
            anchors=[SECTION_2],
            method=SectionConfirmation.Method.NOT_AFFECTED,
            reason="“sẽ” and “phải” are both “shall” here.",
            user=user,
        )
    row = clause_changed.section_confirmations.get(language="en", anchor=SECTION_2)
    assert (row.method, row.reason, row.confirmed_by, row.confirmed_at) == (
        "not_affected", "“sẽ” and “phải” are both “shall” here.", user, START,
    )  # fmt: skip
    entry = LogEntry.objects.get(object_id=str(clause_changed.pk))
    assert entry.user == user and entry.change_message == (
        "Marked the Vietnamese change as not affecting the translation of English: section “2. Hệ thống "
        "Sigma.video của Khách hàng” (#2-he-thong-sigmavideo-cua-khach-hang). Reason: “sẽ” and “phải” are both "
        "“shall” here."
    )
    assert publish_version(clause_changed).number == 2


def test_an_unknown_anchor_is_refused_and_nothing_is_recorded(clause_changed):
    with translation.override("en"), pytest.raises(LedgerError) as refused:
        confirm_sections(clause_changed, anchors=[SECTION_2, "no-such-section"])
    assert refused.value.problems == ["The Vietnamese text has no section with the anchor #no-such-section."]
    assert out_of_step(clause_changed) == {SECTION_2}


# The record is frozen with the version -----------------------------------------------------


def test_a_published_versions_ledger_never_changes(terms):
    row = terms.section_confirmations.first()
    row.reason = "changed"
    for attempt in (row.save, row.delete, terms.section_confirmations.all().delete):
        with pytest.raises(ProtectedVersionError):
            attempt()
    with pytest.raises(ProtectedVersionError):
        terms.section_confirmations.update(method="confirmed")
    with pytest.raises(LedgerError):
        confirm_sections(terms)


# Existing versions start in step -----------------------------------------------------------


def test_the_migration_starts_every_published_version_in_step_and_drafts_inherit(terms):
    publisher = User.objects.create_user("publisher")
    second = make_version(terms.document, body_vi=terms.body_vi.replace(*CLAUSE_VI), user=publisher,
                          effective_at=START + timedelta(hours=1))  # fmt: skip
    draft = new_draft_from(second)
    with connection.cursor() as cursor:  # the database as it was before the ledger
        cursor.execute("DELETE FROM legal_sectionconfirmation")
    assert out_of_step(draft) == {"", *[s.anchor for s in section_texts(draft, "vi")[1:]]}
    migration = __import__("legal.migrations.0010_translation_ledger", fromlist=["start_in_step"])
    migration.start_in_step(apps, None)
    for version in (terms, second):
        rows = version.section_confirmations.all()
        assert {(row.method, row.confirmed_at, row.confirmed_by_id) for row in rows} == {
            ("initial", version.published_at, version.published_by_id)
        }
        assert out_of_step(DocumentVersion.objects.get(pk=version.pk)) == set()
    assert out_of_step(draft) == set() and draft.section_confirmations.count() == len(section_texts(draft, "vi"))


# import_version ----------------------------------------------------------------------------


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_version_names_the_stale_section_and_confirms_what_it_is_told(terms, tmp_path):
    vi = write(tmp_path, "t.vi.md", terms.body_vi.replace(*CLAUSE_VI))
    en = write(tmp_path, "t.en.md", terms.body_en.replace(*CLAUSE_EN))
    args = [vi, en, "--document", "terms-of-service", "--publish", "--summary", "Điều 2"]
    args += ["--effective", "2026-12-30T00:00+07:00"]
    with pytest.raises(CommandError, match=r"English translation of section .*#2-he-thong-sigmavideo-cua-khach-hang"):
        call_command("import_version", *args, stdout=StringIO())
    with pytest.raises(CommandError, match="no section with the anchor #nowhere"):
        call_command("import_version", *args, "--confirm-translation", "nowhere", stdout=StringIO())
    assert DocumentVersion.objects.count() == 1  # nothing was written
    out = StringIO()
    call_command("import_version", *args, "--confirm-translation", SECTION_2, stdout=out)
    assert out.getvalue().strip() == "Published terms-of-service version 2."
    version = DocumentVersion.objects.get(number=2)
    rows = {row.anchor: row for row in version.section_confirmations.all()}
    assert (rows[SECTION_2].method, rows[SECTION_2].confirmed_by) == ("command", None)
    # The other sections keep version 1's confirmations, inherited.
    assert {row.method for anchor, row in rows.items() if anchor != SECTION_2} == {"command"}
    assert all(row.confirmed_at == terms.published_at for anchor, row in rows.items() if anchor != SECTION_2)


def test_import_version_confirm_translations_confirms_every_section_out_of_step(terms, tmp_path):
    vi = write(tmp_path, "t.vi.md", terms.body_vi.replace(*CLAUSE_VI).replace("## 3. ", "## 3. Mới: "))
    en = write(tmp_path, "t.en.md", terms.body_en.replace("## 3. ", "## 3. New: "))
    call_command("import_version", vi, en, "--document", "terms-of-service", stdout=StringIO())
    draft = DocumentVersion.objects.get(status="draft")
    assert len(out_of_step(draft)) == 2
    call_command(
        "import_version", vi, en, "--document", "terms-of-service", "--confirm-translations", stdout=StringIO()
    )
    second = DocumentVersion.objects.drafts().exclude(pk=draft.pk).get()
    assert out_of_step(second) == set()


def test_import_version_records_its_confirmations_in_the_history_under_the_user_it_is_given(terms, tmp_path):
    vi = write(tmp_path, "t.vi.md", terms.body_vi.replace(*CLAUSE_VI))
    en = write(tmp_path, "t.en.md", terms.body_en.replace(*CLAUSE_EN))
    args = [vi, en, "--document", "terms-of-service", "--confirm-translation", SECTION_2]
    with pytest.raises(CommandError, match=r"^--user 'nobody': no active staff account has that username$"):
        call_command("import_version", *args, "--user", "nobody", stdout=StringIO())
    assert DocumentVersion.objects.count() == 1
    legal = staff("legal", "Legal publishers")
    call_command("import_version", *args, "--user", "legal", stdout=StringIO())
    draft = DocumentVersion.objects.drafts().get()
    row = draft.section_confirmations.get(anchor=SECTION_2, language="en")
    assert (row.method, row.confirmed_by) == ("command", legal)
    entry = LogEntry.objects.get(object_id=str(draft.pk))
    assert entry.user == legal and SECTION_2 in entry.get_change_message()


# The admin: the path a new user takes ------------------------------------------------------


def test_change_a_clause_read_the_redline_confirm_and_publish_in_the_admin(client, clause_changed):
    """Refused naming the English section; the Vietnamese redline beside the English; confirm; publish."""
    client.force_login(staff("publisher", "Legal publishers"))
    with translation.override("en"):
        page = client.get(f"{ADMIN}{clause_changed.pk}/publish/", HTTP_ACCEPT_LANGUAGE="en")
    assert "#2-he-thong-sigmavideo-cua-khach-hang" in text_of(page)
    assert client.get(f"{ADMIN}{clause_changed.pk}/change/").status_code == 200
    ledger = client.get(f"{ADMIN}{clause_changed.pk}/translation/")
    html = ledger.content.decode()
    section = html[html.index(f'id="ledger-en-{SECTION_2}"') :]
    section = section[: section.index("</section>\n  <section") if "</section>\n  <section" in section else None]
    assert '<del><span class="visually-hidden">' in section and "sẽ" in section and "phải" in section
    assert "the Customer shall create" in section  # the English section, beside it
    clause_changed.body_en = clause_changed.body_en.replace(*CLAUSE_EN)
    clause_changed.save()
    answer = client.post(
        f"{ADMIN}{clause_changed.pk}/translation/", {"language": "en", "anchor": SECTION_2, "action": "confirm"}
    )
    assert answer.status_code == 302
    assert out_of_step(clause_changed) == set()
    assert LogEntry.objects.filter(object_id=str(clause_changed.pk)).count() == 1
    assert client.post(f"{ADMIN}{clause_changed.pk}/publish/").status_code == 302
    assert DocumentVersion.objects.get(pk=clause_changed.pk).number == 2


def test_the_admin_records_a_change_that_does_not_affect_the_translation(client, clause_changed):
    client.force_login(staff("editor", "Legal editors"))
    url = f"{ADMIN}{clause_changed.pk}/translation/"
    data = {"language": "en", "anchor": SECTION_2, "action": "not_affected"}
    client.post(url, {**data, "reason": "  "})
    assert out_of_step(clause_changed) == {SECTION_2}
    client.post(url, {**data, "reason": "Same meaning."})
    row = clause_changed.section_confirmations.get(language="en", anchor=SECTION_2)
    assert (row.method, row.reason, row.confirmed_by.username) == ("not_affected", "Same meaning.", "editor")
    assert "Same meaning." in client.get(url).content.decode()


def test_only_who_may_change_a_draft_confirms_and_never_a_published_version(client, clause_changed, terms):
    data = {"language": "en", "anchor": SECTION_2, "action": "confirm"}
    url = f"{ADMIN}{clause_changed.pk}/translation/"
    assert client.post(url, data).status_code == 302  # to the login page
    client.force_login(User.objects.create_user("visitor", password="pw", is_staff=True))
    assert client.get(url).status_code == 404 and client.post(url, data).status_code == 404
    client.force_login(staff("publisher", "Legal publishers"))
    assert client.post(f"{ADMIN}{terms.pk}/translation/", {**data, "anchor": ""}).status_code == 403
    assert client.get(f"{ADMIN}{terms.pk}/translation/").status_code == 200
    assert client.put(url).status_code == 405
    hostile = ({**data, "language": "fr"}, {**data, "language": "vi"}, {**data, "anchor": "x" * 500},
               {**data, "action": "drop"}, {**data, "action": "not_affected", "reason": "x" * 2001})  # fmt: skip
    for attempt in hostile:
        assert client.post(url, attempt).status_code == 302
    assert out_of_step(clause_changed) == {SECTION_2}
    assert not clause_changed.section_confirmations.filter(language="vi").exists()


def test_the_authoritative_language_is_not_a_translation(clause_changed):
    with translation.override("en"), pytest.raises(LedgerError) as refused:
        confirm_sections(clause_changed, languages=["vi"])
    assert refused.value.problems == ["Vietnamese is not a translation of this document."]


def test_the_vietnamese_admin_page_names_the_states_in_vietnamese(client, clause_changed):
    client.force_login(staff("editor", "Legal editors"))
    with translation.override("vi"):
        page = client.get(f"{ADMIN}{clause_changed.pk}/translation/", HTTP_ACCEPT_LANGUAGE="vi")
    content = page.content.decode()
    assert "Cần xác nhận lại" in content and "Khớp" in content
    assert "Stale" not in content and "In step" not in content


# Readers and machines ------------------------------------------------------------------------


def test_the_english_page_says_it_was_checked_section_by_section(client, terms):
    notice = "This translation was checked against the Vietnamese text of this version, section by section."
    assert notice in text_of(client.get("/en/terms-of-service/"))
    assert notice in text_of(client.get("/en/terms-of-service/versions/1/"))
    assert "translation-checked" not in client.get("/vi/terms-of-service/").content.decode()


def test_a_preview_names_the_english_sections_not_yet_checked(client, clause_changed):
    client.force_login(staff("editor", "Legal editors"))
    page = text_of(client.get(f"{ADMIN}{clause_changed.pk}/preview/en/"))
    assert "have not been checked against the Vietnamese text of this version" in page
    assert "2. The Customer&#x27;s Sigma.video System" in page.split("may not say the same thing:")[1][:200]
    assert "This translation was checked" not in page
    confirm_sections(clause_changed)
    page = text_of(client.get(f"{ADMIN}{clause_changed.pk}/preview/en/"))
    assert "This translation was checked against the Vietnamese text of this version, section by section." in page


def sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_the_api_gives_each_sections_hash_and_what_it_was_confirmed_against(client, terms, public_site_url):
    second = make_version(
        terms.document, body_vi=terms.body_vi.replace(*CLAUSE_VI), body_en=terms.body_en.replace(*CLAUSE_EN),
        effective_at=site_time(2026, 12, 1, 0, 0),
    )  # fmt: skip
    listing = client.get("/api/documents/terms-of-service/").json()
    url = "https://terms.sigma.video/api/documents/terms-of-service/versions/2/sections/"
    assert listing["scheduled"]["sections"] == url
    data = client.get("/api/documents/terms-of-service/versions/2/sections/").json()
    assert (data["document"], data["version"], data["authoritative_language"]) == ("terms-of-service", 2, "vi")
    vi, en = data["languages"]["vi"], data["languages"]["en"]
    assert vi["sha256"] == second.body_sha256_vi and en["sha256"] == second.body_sha256_en
    assert [s["anchor"] for s in vi["sections"]] == [s["anchor"] for s in en["sections"]]
    section_vi = next(s for s in vi["sections"] if s["anchor"] == SECTION_2)
    section_en = next(s for s in en["sections"] if s["anchor"] == SECTION_2)
    # The section's text: its heading and one line per block, as the redline reads the page.
    [expected] = [s for s in read_section_texts(second.title_vi, second.body_html_vi) if s.anchor == SECTION_2]
    assert expected.text.startswith("2. Hệ thống Sigma.video của Khách hàng\n") and CLAUSE_VI[1] in expected.text
    assert section_vi == {"anchor": SECTION_2, "title": expected.title, "sha256": sha(expected.text)}
    assert section_en["confirmed_against"] == section_vi["sha256"]
    assert section_en["sha256"] != section_vi["sha256"] and section_en["confirmed_how"] == "confirmed"
    assert section_en["confirmed_at"] == "2026-11-24T12:00:00+07:00"
    assert all(s["confirmed_against"] == v["sha256"] for s, v in zip(en["sections"], vi["sections"], strict=True))
    assert "confirmed_against" not in section_vi
    missing = client.get("/api/documents/terms-of-service/versions/9/sections/")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert client.post("/api/documents/terms-of-service/versions/2/sections/").status_code == 405


def test_a_draft_has_no_sections_answer(client, clause_changed):
    assert client.get("/api/documents/terms-of-service/versions/2/sections/").status_code == 404


def test_inheriting_and_confirming_cost_the_same_few_queries_for_hundreds_of_sections(
    db, django_assert_max_num_queries
):
    """Work grows with the text (bounded by the renderer's 500 headings), not queries with the sections."""
    document = Document.objects.create(slug="long", title_vi="Dài", title_en="Long")
    version = DocumentVersion(
        document=document, effective_at=START + timedelta(days=1), title_vi="Dài", title_en="Long"
    )
    version.body_vi = "".join(f"## Điều {n}\n\nNội dung {n}.\n\n" for n in range(400))
    version.body_en = "".join(f"## Article {n}\n\nText {n}.\n\n" for n in range(400))
    version.save()
    with django_assert_max_num_queries(12):
        confirmed = confirm_sections(version)
    assert len(confirmed) == 401
    published = publish_version(version)
    with django_assert_max_num_queries(15):
        draft = new_draft_from(published)
    assert draft.section_confirmations.count() == 401
    draft.body_vi = draft.body_vi.replace("Nội dung 7.", "Nội dung bảy.")
    draft.save()
    assert out_of_step(draft) == {"dieu-7"}
    with django_assert_max_num_queries(12):
        assert [status.anchor for status in confirm_sections(draft, only_out_of_step=True)] == ["dieu-7"]
    assert out_of_step(draft) == set()
