"""One truth about time: the urgent-change scenario, through every page, feed, API answer and email.

Version 1 is in effect; version 2 (material) is published to take effect in 31 days;
an urgent editorial fix must take effect in an hour. It cannot jump the queue: version 2
is withdrawn (to be re-issued), the fix is published as version 3, and version 2's text is
re-issued as version 4, rebased on version 3, keeping the notice it already gave.
"""

import re
from datetime import timedelta

import feedparser
import pytest

from django.core.management import call_command
from django.utils import translation

from legal.models import DocumentVersion, PublicState
from legal.publishing import (
    PublishingError,
    new_draft_from,
    plan_publish,
    publish_version,
    reissue_draft,
    withdraw_version,
)
from legal.subscriptions import Notification
from legal.translation_sync import confirm_sections
from tests.conftest import START, site_time

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("public_site_url")]

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
def material(terms, subscribers):
    """Version 2: a material change to the fees clause, drafted from version 1."""
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


# Every page, feed, API answer and email names the same previous version ----------------------------------------


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


# A day is a whole day in Asia/Ho_Chi_Minh, the same on the pages and in the API -------------------------------

SWITCH = site_time(2026, 11, 27, 23, 8)


@pytest.fixture
def switch_at_23_08(terms):
    """Version 2 takes effect at 23:08 on 27 November (Hanoi)."""
    draft = new_draft_from(terms)
    draft.body_en = draft.body_en.replace("contact@gviet.vn", "legal@sigma.video")
    draft.body_vi = draft.body_vi.replace("contact@gviet.vn", "legal@sigma.video")
    draft.effective_at, draft.change_kind = SWITCH, DocumentVersion.ChangeKind.EDITORIAL
    draft.summary_vi = draft.summary_en = "New address"
    draft.save()
    confirm_sections(draft)
    return publish_version(draft, editorial_confirmed=True)


def day_notice(client, path):
    response = client.get(path, follow=True)
    match = re.search(
        r'<div class="notice notice-info day-notice" role="note">(.*?)</div>', response.content.decode(), re.S
    )
    return response, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip() if match else None


def test_a_past_day_with_a_switch_lists_both_versions_on_the_page_and_in_the_api(client, switch_at_23_08, clock):
    clock.move_to(site_time(2026, 12, 1, 9, 0))
    response, notice = day_notice(client, "/en/terms-of-service/on/2026-11-27/")
    assert response.redirect_chain == [("/en/terms-of-service/versions/2/?on=2026-11-27", 302)]
    assert notice == (
        "More than one version applied on 27 November 2026 (Vietnam time): until 23:08: version 1 "
        "from 23:08: version 2 This page shows the version in effect at the end of that day."
    )
    vi = day_notice(client, "/vi/terms-of-service/on/2026-11-27/")[1]
    assert vi.startswith("Trong ngày 27 tháng 11 năm 2026 (giờ Việt Nam) đã có nhiều hơn một phiên bản được áp dụng:")
    api = client.get("/api/documents/terms-of-service/", {"at": "2026-11-27"}).json()
    assert (api["date"], api["at"], api["version"]["number"]) == ("2026-11-27", "2026-11-27T23:59:59.999999+07:00", 2)
    assert [(d["number"], d["from"], d["until"]) for d in api["during"]] == [
        (1, None, "2026-11-27T23:08:00+07:00"),
        (2, "2026-11-27T23:08:00+07:00", None),
    ]


def test_the_page_and_the_api_name_the_same_version_for_every_day(client, switch_at_23_08, clock):
    clock.move_to(site_time(2026, 12, 1, 9, 0))
    for day, number in (("2026-11-26", 1), ("2026-11-27", 2), ("2026-11-28", 2)):
        location = client.get(f"/en/terms-of-service/on/{day}/")["Location"]
        assert location == f"/en/terms-of-service/versions/{number}/?on={day}"
        assert client.get("/api/documents/terms-of-service/", {"at": day}).json()["version"]["number"] == number
    # A day without a switch has one version and says so in one sentence.
    assert day_notice(client, "/en/terms-of-service/on/2026-11-26/")[1] == (
        "This is the version that applied on 26 November 2026."
    )
    assert [d["number"] for d in client.get("/api/documents/terms-of-service/?at=2026-11-26").json()["during"]] == [1]


def test_the_last_microsecond_of_a_day_and_the_first_of_the_next(client, terms, clock):
    draft = new_draft_from(terms)
    draft.body_en += "\nMidnight.\n"
    draft.effective_at, draft.change_kind = site_time(2026, 11, 28, 0, 0), DocumentVersion.ChangeKind.EDITORIAL
    draft.summary_vi = draft.summary_en = "Midnight"
    draft.save()
    publish_version(draft, editorial_confirmed=True)
    api = "/api/documents/terms-of-service/"
    assert client.get(api, {"at": "2026-11-27T23:59:59.999999+07:00"}).json()["version"]["number"] == 1
    assert client.get(api, {"at": "2026-11-28T00:00:00+07:00"}).json()["version"]["number"] == 2
    # Midnight belongs to the day it starts: the 27th ends with version 1, the 28th starts with version 2.
    clock.move_to(site_time(2026, 12, 1))
    assert client.get("/en/terms-of-service/on/2026-11-27/")["Location"].startswith("/en/terms-of-service/versions/1/")
    assert client.get("/en/terms-of-service/on/2026-11-28/")["Location"].startswith("/en/terms-of-service/versions/2/")
    assert [d["number"] for d in client.get(api, {"at": "2026-11-27"}).json()["during"]] == [1]
    assert [d["number"] for d in client.get(api, {"at": "2026-11-28"}).json()["during"]] == [2]


def test_wording_follows_the_tense(client, switch_at_23_08, clock):
    clock.move_to(site_time(2026, 11, 27, 9, 0))
    today = day_notice(client, "/en/terms-of-service/on/2026-11-27/")[1]
    assert today.startswith("The version in effect changes today, 27 November 2026 (Vietnam time): until 23:08")
    assert day_notice(client, "/en/terms-of-service/on/2026-11-26/")[1] == (
        "This is the version that applied on 26 November 2026."
    )
    future, page = day_notice(client, "/en/terms-of-service/on/2027-01-10/")
    assert page == "This is the version scheduled to apply on 10 January 2027."
    assert "applied on" not in future.content.decode()
    clock.move_to(site_time(2026, 11, 30, 9, 0))
    assert day_notice(client, "/en/terms-of-service/on/2026-11-30/")[1] == (
        "This is the version in effect today, 30 November 2026."
    )


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2026-02-30", "2026-13-01"])
def test_days_out_of_range_are_404(client, terms, day):
    assert client.get(f"/en/terms-of-service/on/{day}/").status_code == 404


@pytest.mark.parametrize(
    "at", ["9999-12-31", "0001-01-01", "0001-01-01T00:00:00+07:00", "9999-12-31T23:59:59-07:00", "2026-02-30"]
)
def test_instants_out_of_range_are_400(client, terms, at):
    response = client.get("/api/documents/terms-of-service/", {"at": at})
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_at")
