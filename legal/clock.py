"""The one clock, and what a calendar day means: everything that depends on "now" asks here.

Tests move time with time-machine, which `now()` honours like any other caller of
`django.utils.timezone.now`; keeping a single entry point makes that the only seam.

A day is a whole day in the site's time zone (Asia/Ho_Chi_Minh), the same on the pages
and in the API: from its first microsecond to its last.
"""

import datetime

from django.utils import timezone


class DayOutOfRange(ValueError):
    """A calendar day whose start or end cannot be represented as an instant."""


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


def today() -> datetime.date:
    return timezone.localdate(now())


def tense_of(day: datetime.date) -> str:
    """ "past", "today" or "future": how a sentence about `day` must be worded."""
    current = today()
    if day < current:
        return "past"
    return "today" if day == current else "future"
