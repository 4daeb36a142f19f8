"""Publishing (legal/publishing.py): rules, numbering, the legal-record guards, concurrent publishes, and the urgent-change scenario."""

import re
from datetime import timedelta

import feedparser
import pytest

from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.utils import translation

from legal.models import Document, DocumentVersion, Notification, ProtectedVersionError, PublicState
from legal.publishing import (
    PublishingError,
    new_draft_from,
    plan_publish,
    publish_version,
    reissue_draft,
    withdraw_version,
)
from legal.translation_sync import confirm_sections
from tests.conftest import START, at_once, make_version, site_time

pytestmark = pytest.mark.django_db


def draft_of(terms, **changes):
    draft = new_draft_from(terms)
    draft.effective_at = START + timedelta(days=31)
    for code in ("vi", "en"):
        setattr(draft, f"summary_{code}", "Tóm tắt" if code == "vi" else "Summary")
    for name, value in changes.items():
        setattr(draft, name, value)
    draft.save()
    return draft


def problems_of(version):
    with pytest.raises(PublishingError) as caught:
        publish_version(version)
    return caught.value.problems


def test_publish_assigns_next_number_and_records(terms):
    user = User.objects.create_user("publisher")
    published = publish_version(draft_of(terms), user=user)
    assert (published.number, published.status, published.published_by) == (2, "published", user)
    assert published.published_at == START
    entry = LogEntry.objects.get(object_id=str(published.pk))
    assert entry.user == user and "Published as version 2" in entry.get_change_message()


def test_complete_draft_has_no_problems(terms):
    plan = plan_publish(draft_of(terms))
    assert plan.problems == [] and plan.number == 2 and plan.supersedes == terms


def test_missing_title_body_and_summary_are_reported_per_language(terms):
    draft = draft_of(terms, title_en="", body_en="", summary_vi="")
    from django.utils import translation

    with translation.override("en"):
        assert problems_of(draft) == [
            "The summary of changes in Vietnamese is missing.",
            "The title in English is missing.",
            "The text in English is missing.",
        ]


def test_section_anchors_must_match_across_languages(terms):
    body_en = terms.body_en + "\n## 4. Extra section\n\nText.\n"
    body_vi = terms.body_vi.replace(
        "## 2. Hệ thống Sigma.video của Khách hàng", "### 2. Hệ thống Sigma.video của Khách hàng"
    )
    from django.utils import translation

    with translation.override("en"):
        problems = problems_of(draft_of(terms, body_en=body_en, body_vi=body_vi))
    assert "English has an extra section “4. Extra section” that Vietnamese does not have." in problems
    assert any("is a level 2 heading in English but level 3 in Vietnamese" in p for p in problems)


def test_missing_section_in_translation_is_named(terms):
    body_en = terms.body_en.split("## 3. Privacy Protection")[0]
    from django.utils import translation

    with translation.override("en"):
        problems = problems_of(draft_of(terms, body_en=body_en))
    assert problems == ["Section “3. Bảo vệ quyền riêng tư” (#3-bao-ve-quyen-rieng-tu) is missing in English."]


def test_effective_date_in_the_past_is_refused(terms):
    from django.utils import translation

    with translation.override("en"):
        problems = problems_of(draft_of(terms, effective_at=START - timedelta(minutes=1)))
    assert problems == ["The effective date is in the past."]


def test_material_change_needs_the_notice_period(terms):
    from django.utils import translation

    draft = draft_of(terms, effective_at=START + timedelta(days=29), change_kind="material")
    with translation.override("en"):
        assert "at least 30 days after it is published" in problems_of(draft)[0]
    draft.effective_at = START + timedelta(days=30)
    draft.save()
    assert publish_version(draft).number == 2


def test_editorial_change_may_take_effect_after_the_lead_time(terms, settings):
    """An editorial change takes effect at the earliest PUBLISH_LEAD_SECONDS after it is published."""
    settings.PUBLISH_LEAD_SECONDS = 300
    with translation.override("en"):
        too_soon = problems_of(draft_of(terms, effective_at=START + timedelta(seconds=299), change_kind="editorial"))
    assert too_soon == [
        "A version takes effect at the earliest 5 minutes after it is published, that is on or after "
        "24 November 2026, 12:05. Choose a later time."
    ]
    draft = draft_of(terms, effective_at=START + timedelta(seconds=300), change_kind="editorial")
    assert publish_version(draft).number == 2


def test_withdrawn_number_is_never_reused(terms, clock):
    scheduled = publish_version(draft_of(terms))
    withdraw_version(scheduled, reason="Published by mistake.")
    again = publish_version(draft_of(terms, effective_at=START + timedelta(days=40)))
    assert (scheduled.number, again.number) == (2, 3)
    assert DocumentVersion.objects.get(pk=scheduled.pk).status == "withdrawn"


def test_version_in_effect_cannot_be_withdrawn(terms, clock):
    scheduled = make_version(terms.document, effective_at=site_time(2026, 11, 25, 0, 0))
    clock.move_to(site_time(2026, 11, 25, 0, 0))
    with pytest.raises(PublishingError):
        withdraw_version(scheduled, reason="Published by mistake.")


def test_only_drafts_publish(terms):
    with pytest.raises(PublishingError):
        publish_version(terms)


def test_scheduled_version_becomes_current_at_its_instant(terms, clock):
    scheduled = make_version(terms.document, effective_at=site_time(2026, 11, 25, 0, 0))
    versions = terms.document.versions
    clock.move_to(site_time(2026, 11, 24, 23, 59, 59))
    assert versions.in_effect().first() == terms
    clock.move_to(site_time(2026, 11, 25, 0, 0))
    assert versions.in_effect().first() == scheduled


# The legal record --------------------------------------------------------------------


def test_published_version_cannot_be_saved_changed(terms):
    terms.body_vi = "defaced"
    with pytest.raises(ProtectedVersionError):
        terms.save()
    terms.refresh_from_db()
    with pytest.raises(ProtectedVersionError):
        terms.save(update_fields=["effective_at"])


def test_published_version_cannot_be_deleted(terms):
    with pytest.raises(ProtectedVersionError):
        terms.delete()
    with pytest.raises(ProtectedVersionError):
        DocumentVersion.objects.all().delete()
    assert DocumentVersion.objects.count() == 1


def test_queryset_update_and_bulk_update_refuse_published_rows(terms):
    with pytest.raises(ProtectedVersionError):
        DocumentVersion.objects.filter(pk=terms.pk).update(body_vi="defaced")
    with pytest.raises(ProtectedVersionError):
        DocumentVersion.objects.update(status="draft")
    terms.title_vi = "defaced"
    with pytest.raises(ProtectedVersionError):
        DocumentVersion.objects.bulk_update([terms], ["title_vi"])
    assert DocumentVersion.objects.get().title_vi == "Điều khoản sử dụng"


def test_withdrawn_version_is_frozen_too(terms):
    scheduled = publish_version(draft_of(terms))
    withdrawn = withdraw_version(scheduled, reason="Published by mistake.")
    withdrawn.status = "published"
    with pytest.raises(ProtectedVersionError):
        withdrawn.save(update_fields=["status"])


def test_drafts_stay_editable_and_deletable(terms):
    draft = draft_of(terms)
    DocumentVersion.objects.filter(pk=draft.pk).update(body_vi="## A\n")
    draft.refresh_from_db()
    draft.save()
    draft.delete()
    assert not DocumentVersion.objects.filter(pk=draft.pk).exists()


def test_document_with_versions_cannot_be_deleted(terms):
    with pytest.raises(ProtectedVersionError):
        terms.document.delete()
    assert Document.objects.count() == 1


# Concurrency ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="real row locks need PostgreSQL (DATABASE_URL)")
def test_concurrent_publishes_get_distinct_numbers_and_instants():
    from legal.importing import load_bundled_terms

    terms = load_bundled_terms()
    drafts = [draft_of(terms, effective_at=START + timedelta(days=31)) for i in range(6)]
    results, errors = [], []

    def publish(draft):
        try:
            results.append(publish_version(draft).number)
        except PublishingError as exc:
            errors.append(exc.problems)

    at_once(publish, drafts)
    # One effective instant: exactly one publish wins; the others, serialised behind it by the
    # row lock, find a version already taking effect then and are refused.
    assert results == [2]
    assert len(errors) == 5
    numbers = list(DocumentVersion.objects.exclude(number=None).values_list("number", flat=True))
    assert sorted(numbers) == [1, 2]


# The urgent-change scenario, through every page, feed, API answer and email --------------------------------
#
# Version 1 is in effect; version 2 (material) is published to take effect in 31 days;
# an urgent editorial fix must take effect in an hour. It cannot jump the queue: version 2
# is withdrawn (to be re-issued), the fix is published as version 3, and version 2's text is
# re-issued as version 4, rebased on version 3, keeping the notice it already gave.


MATERIAL_EFFECTIVE = START + timedelta(days=31)
# Three days later an urgent fix must take effect within the hour.
URGENT_DAY = START + timedelta(days=3)
URGENT_EFFECTIVE = URGENT_DAY + timedelta(hours=1)


def draft_from(version, *, vi, en, effective_at, kind, summary):
    """A draft made from `version` with one replacement in each language."""
    draft = new_draft_from(version)
    draft.body_vi = draft.body_vi.replace(*vi)
    draft.body_en = draft.body_en.replace(*en)
    assert (draft.body_vi, draft.body_en) != (version.body_vi, version.body_en)
    draft.effective_at, draft.change_kind = effective_at, kind
    draft.summary_vi, draft.summary_en = f"{summary} (vi)", f"{summary} (en)"
    draft.save()
    confirm_sections(draft)  # the English replacement translates the Vietnamese one
    return draft


@pytest.fixture
def material(terms, subscribers, public_site_url):
    """Version 2: a material change to the fees clause, drafted from version 1 (links in emails as in production)."""
    draft = draft_from(
        terms,
        vi=("mức phí đăng ký", "gói dịch vụ đã đăng ký"),
        en=("subscription fee", "subscribed service plan"),
        effective_at=MATERIAL_EFFECTIVE,
        kind=DocumentVersion.ChangeKind.MATERIAL,
        summary="New plans",
    )
    return publish_version(draft)


def urgent_draft(terms):
    """The urgent editorial fix (the contact address), drafted from version 1."""
    return draft_from(
        terms,
        vi=("contact@gviet.vn", "legal@sigma.video"),
        en=("contact@gviet.vn", "legal@sigma.video"),
        effective_at=URGENT_EFFECTIVE,
        kind=DocumentVersion.ChangeKind.EDITORIAL,
        summary="New contact address",
    )


@pytest.fixture
def carried_out(terms, material, subscribers, mailoutbox, clock):
    """The whole path: refused, withdrawn, fix published, re-issued keeping the notice, published."""
    call_command("send_notifications")  # subscribers are told about version 2
    clock.move_to(URGENT_DAY)
    urgent = urgent_draft(terms)
    with pytest.raises(PublishingError):
        publish_version(urgent, editorial_confirmed=True)
    withdraw_version(material, reason="An urgent fix must take effect first.", reissue=True)
    fix = publish_version(urgent, editorial_confirmed=True)
    reissue, conflicts = reissue_draft(DocumentVersion.objects.get(pk=material.pk))
    assert conflicts == 0
    reissue.effective_at = MATERIAL_EFFECTIVE
    reissue.save()
    reissued = publish_version(reissue)
    call_command("send_notifications")
    return terms, material, fix, reissued


def test_a_version_cannot_take_effect_before_one_already_scheduled(terms, material):
    """The refusal names the scheduled version and says what to do."""
    with translation.override("en"), pytest.raises(PublishingError) as refused:
        publish_version(urgent_draft(terms), editorial_confirmed=True)
    assert refused.value.problems == [
        "Version 2 is already scheduled to take effect on 25 December 2026, 12:00, and versions take effect in the "
        "order of their numbers, so this one must take effect after it. To put an urgent change into effect sooner, "
        "withdraw version 2 first, publish this change, then re-issue the withdrawn text as a new draft rebased on it."
    ]
    assert DocumentVersion.objects.published().count() == 2


def test_the_reissue_is_the_withdrawn_text_plus_the_urgent_edits(carried_out):
    terms, material, fix, reissued = carried_out
    assert (fix.number, reissued.number) == (3, 4)
    assert (reissued.reissue_of_id, reissued.based_on_id) == (material.pk, fix.pk)
    for code in ("vi", "en"):
        body = getattr(reissued, f"body_{code}")
        assert "legal@sigma.video" in body and "contact@gviet.vn" not in body
    assert "gói dịch vụ đã đăng ký" in reissued.body_vi and "subscribed service plan" in reissued.body_en
    # Its notice counts from the publication of version 2, three days before, so it may keep
    # version 2's date although that is less than 30 days after its own publication.
    assert reissued.published_at == URGENT_DAY and material.published_at == START
    assert (reissued.notice_from, reissued.effective_at) == (START, MATERIAL_EFFECTIVE)


def test_a_reissue_with_other_changes_starts_the_notice_again(terms, material, clock):
    withdraw_version(material, reason="An urgent fix must take effect first.", reissue=True)
    publish_version(urgent_draft(terms), editorial_confirmed=True)
    clock.move_to(START + timedelta(days=2))
    reissue, _conflicts = reissue_draft(DocumentVersion.objects.get(pk=material.pk))
    reissue.effective_at = MATERIAL_EFFECTIVE
    assert plan_publish(reissue).keeps_notice is True
    reissue.body_en += "\nOne more sentence.\n"
    reissue.save()
    with translation.override("en"):
        plan = plan_publish(reissue)
    assert (plan.keeps_notice, plan.notice_from) == (False, START + timedelta(days=2))
    assert plan.problems == [
        "A material change must take effect at least 30 days after it is published, that is on or after "
        "26 December 2026, 12:00. Choose a later date or mark the change as editorial."
    ]
    assert plan.earliest == START + timedelta(days=32)


def test_a_draft_made_before_a_later_publish_must_be_rebased(terms, material):
    """A draft from version 1 would undo version 2's change: publishing refuses until it is rebased."""
    stale = draft_from(
        terms,
        vi=("Điều khoản", "Các điều khoản"),
        en=("Terms", "The terms"),
        effective_at=MATERIAL_EFFECTIVE + timedelta(days=1),
        kind=DocumentVersion.ChangeKind.EDITORIAL,
        summary="Wording",
    )
    with translation.override("en"):
        problems = plan_publish(stale, editorial_confirmed=True).problems
    assert problems == [
        "This draft was made from version 1, but version 2 has been published since: publishing it as it is would "
        "undo the changes of version 2. Rebase the draft on version 2 first."
    ]
    from legal.publishing import rebase_draft

    assert rebase_draft(stale) == 0
    stale.refresh_from_db()
    assert stale.based_on_id == material.pk and "gói dịch vụ đã đăng ký" in stale.body_vi
    assert publish_version(stale, editorial_confirmed=True).number == 3


# The scenario: every page, feed, API answer and email names the same previous version ----------------------------------------


INSTANTS = {
    "before the fix": URGENT_DAY + timedelta(minutes=30),
    "between": URGENT_EFFECTIVE + timedelta(days=1),
    "after the re-issue": MATERIAL_EFFECTIVE + timedelta(days=1),
}


def links(page, rel):
    return re.findall(rf'<link rel="{rel}" href="([^"]+)">', page)


@pytest.mark.parametrize("instant", list(INSTANTS))
def test_pages_history_feed_and_api_agree_on_previous_versions(client, carried_out, clock, instant):
    clock.move_to(INSTANTS[instant])
    expected = {1: None, 3: 1, 4: 3}  # the withdrawn version 2 is nobody's previous version
    base = "/en/terms-of-service"
    for number, previous in expected.items():
        page = client.get(f"{base}/versions/{number}/").content.decode()
        assert links(page, "predecessor-version") == ([f"{base}/versions/{previous}/"] if previous else [])
        following = {1: 3, 3: 4, 4: None}[number]
        assert links(page, "successor-version") == ([f"{base}/versions/{following}/"] if following else [])
        assert links(page, "latest-version") == [f"{base}/"] and links(page, "version-history") == [f"{base}/versions/"]
        if previous:
            assert f'<a href="{base}/compare/{previous}/{number}/">Compare with version {previous}</a>' in page
            assert (
                client.get(f"{base}/versions/{number}/changes/")["Location"] == f"{base}/compare/{previous}/{number}/"
            )
    history = client.get(f"{base}/versions/").content.decode()
    assert re.findall(r'href="/en/terms-of-service/compare/(\d+)/(\d+)/"', history) == [("3", "4"), ("1", "3")]
    api = client.get("/api/documents/terms-of-service/").json()
    assert {v["number"]: (v["previous"], v["next"]) for v in api["versions"]} == {
        4: (3, None),
        2: (1, 3),
        3: (1, 4),
        1: (None, 3),
    }
    feed = feedparser.parse(client.get(f"{base}/feed/").content)
    assert [entry.title for entry in feed.entries] == [
        "Version 4",
        "Version 3",
        "Version 2 (withdrawn, never in effect)",
        "Version 1",
    ]


def test_each_email_compares_with_the_same_previous_version(carried_out, mailoutbox):
    """Version 3's email compares with 1, version 4's with 3; version 2's subscribers hear it was withdrawn."""
    by_subject = {message.subject: message for message in mailoutbox}
    english = {subject: m for subject, m in by_subject.items() if m.to == ["reader@example.com"]}
    assert sorted(english) == [
        "Terms of Service: version 2 takes effect on 25 December 2026",
        "Terms of Service: version 2 will not take effect",
        "Terms of Service: version 3 takes effect on 27 November 2026",
        "Terms of Service: version 4 takes effect on 25 December 2026",
    ]
    v3 = english["Terms of Service: version 3 takes effect on 27 November 2026"].body
    assert "https://terms.sigma.video/en/terms-of-service/compare/1/3/" in v3
    v4 = english["Terms of Service: version 4 takes effect on 25 December 2026"].body
    assert "https://terms.sigma.video/en/terms-of-service/compare/3/4/" in v4


def test_the_withdrawal_follow_up_is_sent_once_in_each_language(carried_out, mailoutbox):
    follow_ups = [m for m in mailoutbox if "will not take effect" in m.subject or "sẽ không có hiệu lực" in m.subject]
    assert sorted(m.to[0] for m in follow_ups) == ["doc@example.vn", "reader@example.com"]
    english = next(m for m in follow_ups if m.to == ["reader@example.com"])
    assert "Reason:\nAn urgent fix must take effect first." in english.body
    assert "Its text is to be re-issued as a new version" in english.body
    vietnamese = next(m for m in follow_ups if m.to == ["doc@example.vn"])
    assert vietnamese.subject == "Điều khoản sử dụng: phiên bản 2 sẽ không có hiệu lực"
    assert "An urgent fix must take effect first." in vietnamese.body
    call_command("send_notifications")  # a second run sends nothing more
    assert len([m for m in mailoutbox if m in follow_ups]) == 2
    kinds = Notification.objects.filter(kind=Notification.Kind.WITHDRAWN).values_list("status", flat=True)
    assert list(kinds) == ["sent", "sent"]


def test_only_subscribers_who_were_told_get_the_follow_up(terms, material, subscribers, mailoutbox):
    """Notices not sent yet are cancelled instead: nobody is told of a withdrawal of what they never heard of."""
    withdraw_version(material, reason="Changed our mind.")
    call_command("send_notifications")
    assert mailoutbox == []
    assert set(Notification.objects.values_list("kind", "status")) == {("published", "cancelled")}


def test_states_move_with_the_clock(carried_out, clock):
    terms, material, fix, reissued = carried_out
    versions = {v.number: v for v in DocumentVersion.objects.listed()}

    def states():
        return {number: version.public_state(at=clock_now()) for number, version in versions.items()}

    from legal import clock as site_clock

    def clock_now():
        return site_clock.now()

    clock.move_to(INSTANTS["before the fix"])
    assert states() == {1: "in_effect", 2: "withdrawn", 3: "scheduled", 4: "scheduled"}
    clock.move_to(INSTANTS["between"])
    assert states() == {1: "superseded", 2: "withdrawn", 3: "in_effect", 4: "scheduled"}
    clock.move_to(INSTANTS["after the re-issue"])
    assert states() == {1: "superseded", 2: PublicState.WITHDRAWN, 3: "superseded", 4: "in_effect"}
    annotated = {v.number: v.state for v in DocumentVersion.objects.listed().with_public_state()}
    assert annotated == states()
