"""Shared fixtures: the bundled Terms, versions built through the real publishing code."""

import datetime
import zoneinfo

import pytest
import time_machine

from django.core.cache import cache

from legal.importing import load_bundled_terms
from legal.models import DocumentVersion
from legal.publishing import publish_version

SITE_TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def site_time(*args):
    """An aware datetime in the site's time zone: site_time(2026, 11, 24, 0, 0)."""
    return datetime.datetime(*args, tzinfo=SITE_TZ)


# Every test starts on the day the bundled Terms took effect, at noon in Hanoi.
START = site_time(2026, 11, 24, 12, 0)


@pytest.fixture(autouse=True)
def clock():
    """Freeze time at START; tests move it with clock.move_to(...)."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def terms(db):
    """Version 1 of the Terms, loaded exactly as `make run` loads it."""
    return load_bundled_terms()


def make_version(document, *, body_vi=None, body_en=None, summary="Changes.", effective_at, editorial=True,
                 publish=True, user=None, at=None):
    """A version of `document` derived from its latest one, published through publish_version."""
    base = document.versions.listed().order_by("-number").first()
    version = DocumentVersion(
        document=document,
        effective_at=effective_at,
        change_kind=DocumentVersion.ChangeKind.EDITORIAL if editorial else DocumentVersion.ChangeKind.MATERIAL,
    )
    for code, body in (("vi", body_vi), ("en", body_en)):
        setattr(version, f"title_{code}", getattr(base, f"title_{code}"))
        setattr(version, f"body_{code}", body if body is not None else getattr(base, f"body_{code}"))
        setattr(version, f"summary_{code}", f"{summary} ({code})")
    version.save()
    if publish:
        version = publish_version(version, user=user, at=at)
    return version
