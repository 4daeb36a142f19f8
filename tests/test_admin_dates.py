"""Dates in the admin cannot be misread: each language's input formats, and dates shown in words."""

from datetime import timedelta

import pytest

from django.utils import translation

from legal.templatetags.date_words import distance_in_words
from tests.conftest import ADMIN, form_data, site_time

pytestmark = pytest.mark.django_db


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
