"""The one clock, and what a calendar day means: everything that depends on "now" asks here.

Tests move time with time-machine, which `now()` honours like any other caller of
`django.utils.timezone.now`; keeping a single entry point makes that the only seam.

A day is a whole day in the site's time zone (Asia/Ho_Chi_Minh), the same on the pages
and in the API: from its first microsecond to its last.
"""

import datetime
import re

from django.utils import timezone
from django.utils.dateparse import parse_datetime

DATE_ONLY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Longer text is no ISO 8601 date and time; the bound keeps the parser's work small.
MAX_INSTANT_CHARS = 64


class DayOutOfRange(ValueError):
    """A calendar day whose start or end cannot be represented as an instant."""


class InvalidInstant(ValueError):
    """Text that is not an ISO 8601 date (and time) this site can hold."""


class InstantOutOfRange(InvalidInstant):
    """A well-formed instant outside what the database (UTC) can hold: year 1 at +07:00."""


def now():
    return timezone.now()


def day_span(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The first and last instant (microsecond) of `day` in the site's time zone.

    Raises DayOutOfRange for days at the edges of the calendar (year 1, year 9999),
    whose instants cannot be written in UTC.
    """
    try:
        start = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
        end = timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time()))
        start.astimezone(datetime.UTC), end.astimezone(datetime.UTC)
    except (OverflowError, ValueError) as exc:
        raise DayOutOfRange(str(day)) from exc
    return start, end - datetime.timedelta(microseconds=1)


def site_instant(moment: datetime.datetime) -> datetime.datetime:
    """`moment` as an aware instant, a naive one read as site time; InstantOutOfRange if UTC cannot hold it."""
    try:
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        moment.astimezone(datetime.UTC)  # year 1 with a positive offset has no UTC instant
    except (OverflowError, ValueError):
        raise InstantOutOfRange(str(moment)) from None
    return moment


def parse_instant(text: str, *, offset_required: bool = False) -> datetime.datetime:
    """An aware datetime from ISO 8601 text; without an offset it is site time, unless `offset_required`.

    Raises InvalidInstant for anything else (an impossible date such as month 13 included),
    InstantOutOfRange for an instant at the edges of the calendar.
    """
    try:
        parsed = parse_datetime(text) if len(text) <= MAX_INSTANT_CHARS else None
    except ValueError:  # well-formed but impossible: 2026-02-30
        parsed = None
    if parsed is None or (offset_required and parsed.utcoffset() is None):
        raise InvalidInstant(text)
    return site_instant(parsed)


def parse_day(text: str) -> datetime.date:
    """The calendar day written YYYY-MM-DD; InvalidInstant for other text, DayOutOfRange at the calendar's edges."""
    try:
        day = datetime.date.fromisoformat(text) if DATE_ONLY.fullmatch(text) else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidInstant(text)
    day_span(day)
    return day


def today() -> datetime.date:
    return timezone.localdate(now())


def tense_of(day: datetime.date) -> str:
    """ "past", "today" or "future": how a sentence about `day` must be worded."""
    current = today()
    if day < current:
        return "past"
    return "today" if day == current else "future"
