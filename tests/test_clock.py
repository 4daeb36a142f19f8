"""A day is a whole day in Asia/Ho_Chi_Minh (legal/clock.py), the same on the pages and in the API.

The urgent-change scenario that used to open this file is in test_publishing.py.
"""

import re

import pytest

from legal.models import DocumentVersion
from legal.publishing import (
    new_draft_from,
    publish_version,
)
from legal.translation_sync import confirm_sections
from tests.conftest import site_time

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("public_site_url")]


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
