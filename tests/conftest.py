"""Shared fixtures: the bundled Terms, versions built through the real publishing code."""

import datetime
import os
import re
import secrets
import subprocess
import sys
import zoneinfo

import pytest
import time_machine

from django.conf import settings
from django.core.cache import cache

from legal.importing import load_bundled_terms
from legal.models import DocumentVersion
from legal.publishing import publish_version
from legal.translation_sync import confirm_sections, inherit_ledger

SITE_TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def site_time(*args):
    """An aware datetime in the site's time zone: site_time(2026, 11, 24, 0, 0)."""
    return datetime.datetime(*args, tzinfo=SITE_TZ)


# Every test starts on the day the bundled Terms took effect, at noon in Hanoi.
START = site_time(2026, 11, 24, 12, 0)


@pytest.fixture(autouse=True)
def clock(request):
    """Freeze time at START; tests move it with clock.move_to(...).

    A test marked `real_clock` runs on the machine's clock instead: for what only real time
    shows, such as a cache in another process expiring at a switch.
    """
    if request.node.get_closest_marker("real_clock"):
        yield None
        return
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def _is_transactional(request):
    marker = request.node.get_closest_marker("django_db")
    return bool({"transactional_db", "live_server"} & set(request.fixturenames)) or bool(
        marker and marker.kwargs.get("transaction")
    )


@pytest.fixture(autouse=True)
def _release_records_before_flush(request):
    """Let Django flush a transactional test's SQLite database despite the triggers.

    Django empties the tables with DELETE after a transactional test, which the triggers
    that protect published versions refuse (PostgreSQL uses TRUNCATE, which they do not
    see). Set up after the database fixture, this runs before its flush: it lifts the
    triggers, empties the tables they guard (versions, log, acceptances) and puts them back.
    """
    if not _is_transactional(request):
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    from django.db import connection

    from legal import acceptance_triggers, db_triggers, log_triggers

    if connection.vendor == "sqlite":
        db_triggers.remove(connection)
        log_triggers.remove(connection)
        acceptance_triggers.remove(connection)
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys = OFF")
            for table in (
                acceptance_triggers.TABLE,
                log_triggers.STAMPS,
                log_triggers.PDFS,
                log_triggers.LEAVES,
                log_triggers.HEADS,
                db_triggers.TABLE,
            ):
                cursor.execute(f"DELETE FROM {table}")
            cursor.execute("PRAGMA foreign_keys = ON")
        db_triggers.install(connection)
        log_triggers.install(connection)
        acceptance_triggers.install(connection)


@pytest.fixture
def terms(db):
    """Version 1 of the Terms, loaded exactly as `make run` loads it."""
    return load_bundled_terms()


def make_version(
    document,
    *,
    body_vi=None,
    body_en=None,
    summary="Changes.",
    effective_at,
    editorial=True,
    publish=True,
    user=None,
    at=None,
    confirm_translations=True,
):
    """A version of `document` derived from its latest one, published through publish_version.

    It inherits the latest one's translation ledger; unless `confirm_translations` is False,
    every translated section not in step is confirmed against the authoritative text first,
    as the translator would before publishing.
    """
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
    inherit_ledger(version, base)
    if confirm_translations:
        confirm_sections(version, user=user, only_out_of_step=True, at=at)
    if publish:
        version = publish_version(version, user=user, at=at, editorial_confirmed=editorial)
    return version


def text_of(response):
    """The visible text of an HTML response, tags removed and white space folded."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def run_django(argv, **environment):
    """Run `python argv...` in the project folder with a clean environment (a real process).

    For what only a fresh process shows: settings read from the environment, a database
    that cannot be reached, a command's exit code. `environment` is added to PATH,
    DJANGO_SETTINGS_MODULE=tests.settings, a test-only DJANGO_SECRET_KEY (pass
    DJANGO_SECRET_KEY="" for none) and this process's LOG_SIGNING_KEY.
    """
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DJANGO_SECRET_KEY": "test-only-" + secrets.token_urlsafe(40),
        # The same log key as this process (tests/settings.py), so its signed heads verify there.
        "LOG_SIGNING_KEY": os.environ.get("LOG_SIGNING_KEY", ""),
        **environment,
    }
    return subprocess.run(
        [sys.executable, *argv], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def public_site_url(settings):
    """SITE_URL as production sets it, for links in emails and the API."""
    settings.SITE_URL = "https://terms.sigma.video"
