"""Signals of the legal app."""

from django.dispatch import Signal

# Sent after a publish or withdraw commits, with `document`: caches and notifications listen.
versions_changed = Signal()
