"""Signals of the legal app."""

from django.dispatch import Signal

# Sent after a publish or withdraw commits, with `document`: the page cache listens
# (legal/apps.py). Notices are queued inside the publishing transaction, not from here.
versions_changed = Signal()
