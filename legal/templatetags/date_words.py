"""Dates that cannot be misread: an instant in words beside how far it is from now.

"00:00, 6 tháng 1 năm 2027 (còn 42 ngày, 12 giờ nữa)" / "6 January 2027, 00:00 (in 42
days, 12 hours)", in the active language. Distances are counted in days, the unit of the
notice period, never rounded up: 29 days 23 hours is not 30 days' notice. Used by the
admin's lists and forms; templates write `{% load date_words %}{{ value|in_words }}`.
"""

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from legal import clock

register = template.Library()


def _days(n):
    return ngettext("%(count)d day", "%(count)d days", n) % {"count": n}


def _hours(n):
    return ngettext("%(count)d hour", "%(count)d hours", n) % {"count": n}


def _minutes(n):
    return ngettext("%(count)d minute", "%(count)d minutes", n) % {"count": n}


def distance_in_words(delta):
    """A non-negative timedelta as "42 days, 12 hours", "3 hours, 5 minutes" or "5 minutes"."""
    hours, seconds = divmod(delta.seconds, 3600)
    if delta.days:
        parts = [_days(delta.days)] + ([_hours(hours)] if hours else [])
    elif hours:
        parts = [_hours(hours)] + ([_minutes(seconds // 60)] if seconds // 60 else [])
    else:
        parts = [_minutes(seconds // 60)]
    return ", ".join(parts)


@register.filter(name="in_words")
def date_in_words(value, now=None):
    """The instant in words with the distance from now, or "no date yet" for None."""
    if value is None:
        return gettext("no date yet")
    now = clock.now() if now is None else now
    words = date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if value > now:
        relative = gettext("in %(time)s") % {"time": distance_in_words(value - now)}
    else:
        relative = gettext("%(time)s ago") % {"time": distance_in_words(now - value)}
    return f"{words} ({relative})"
