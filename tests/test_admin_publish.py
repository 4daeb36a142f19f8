"""Publishing guides the publisher: the kind of change against the diff's evidence, "as soon as allowed",
and a confirmation page in the order a publisher checks it."""

import re
from datetime import timedelta

import pytest

from django.contrib.admin.models import LogEntry
from django.utils import translation

from legal.change_evidence import ClauseChange, changed_clauses
from legal.models import DocumentVersion, Subscription
from legal.publishing import PublishingError, new_draft_from, plan_publish, publish_version
from legal.translation_sync import confirm_sections
from tests.conftest import ADMIN, START, make_version, text_of

pytestmark = pytest.mark.django_db

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
