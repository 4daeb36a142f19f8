"""The shared test world, built through the real code paths.

- The clock: frozen at START (noon in Hanoi on the day the bundled Terms took effect).
- Documents and versions: `terms` (version 1, loaded as `make run` loads it),
  `committed_terms` (the same, committed, for a live server or another connection),
  `scheduled` (version 2 from 1 December 2026), `two_versions`, `withdrawn` (version 3,
  withdrawn), `history` (those and an unpublished draft), `three_versions` (1 and 2 in
  effect in turn, 3 scheduled), `draft` and `undated_draft`;
  `make_version` and `rearranged_terms` build more, through `publish_version`.
- Staff, in the groups migration 0002 makes: `staff(...)` and `role_user(role)`; the users
  `editor_user`, `publisher_user`, `superuser_user`; and the test client signed in as each:
  `editor`, `publisher`, `superuser`.
- The database's guards: `execute(sql)` as the owner would, `without_triggers`.
- Readers and machines: `subscribers` (one confirmed per language, one pending, one who
  left), `product_token` (a product credential with every scope), `mail` (a real SMTP
  server on loopback that the site sends to), `public_site_url`.
"""

import datetime
import os
import re
import secrets
import subprocess
import sys
import threading
import zoneinfo
from datetime import timedelta
from importlib import import_module

import pytest
import time_machine

from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.core.cache import cache
from django.db import connection, connections, transaction

from legal import histories
from legal.caching import local_pages
from legal.importing import load_bundled_terms
from legal.models import DocumentVersion, Subscription
from legal.product_auth import issue_credential
from legal.publishing import new_draft_from, publish_version, withdraw_version
from legal.translation_sync import confirm_sections, inherit_ledger
from tests.smtp import smtp_server

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
    # The processes' own copies too (pages and versions), so no test starts with another's.
    cache.clear()
    local_pages.clear()
    histories.forget()
    yield
    cache.clear()
    local_pages.clear()
    histories.forget()


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


@pytest.fixture
def committed_terms(transactional_db):
    """The bundled Terms, committed (not in a test transaction) so a live server's thread sees them."""
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


@pytest.fixture
def scheduled(terms):
    """Version 2 takes effect at 00:00 on 1 December 2026 in Hanoi, summary "Clarified section 2"."""
    return make_version(terms.document, effective_at=site_time(2026, 12, 1), summary="Clarified section 2")


@pytest.fixture
def two_versions(terms, scheduled):
    """(version 1 in effect, version 2 scheduled)."""
    return terms, scheduled


@pytest.fixture
def withdrawn(scheduled):
    """Version 3, published for 1 January 2027 after `scheduled` and withdrawn "Published by mistake."."""
    version = make_version(scheduled.document, effective_at=site_time(2027, 1, 1))
    return withdraw_version(version, reason="Published by mistake.")


@pytest.fixture
def history(terms, scheduled, withdrawn):
    """Version 1 in effect, 2 scheduled, 3 withdrawn, and version 4 an unpublished draft for 1 February 2027.

    Returns version 1.
    """
    make_version(terms.document, effective_at=site_time(2027, 2, 1), publish=False)
    return terms


@pytest.fixture
def three_versions(terms, clock):
    """Version 1 and 2 in effect in turn, version 3 scheduled for 1 December 2026."""
    v2 = make_version(
        terms.document,
        body_vi=terms.body_vi.replace("sẽ tạo tài khoản", "phải tạo tài khoản"),
        body_en=terms.body_en.replace("shall create", "must create"),
        effective_at=site_time(2026, 11, 24, 12, 5),
    )
    v3 = make_version(
        terms.document,
        body_vi=v2.body_vi + "\n## 4. Chấm dứt\n\nHai bên có thể chấm dứt.\n",
        body_en=v2.body_en + "\n## 4. Termination\n\nEither party may terminate.\n",
        effective_at=site_time(2026, 12, 1, 0, 0),
        summary="New section 4",
    )
    clock.move_to(site_time(2026, 11, 24, 12, 5))  # version 2 takes effect after the publish lead time
    return terms, v2, v3


@pytest.fixture
def undated_draft(terms):
    """A new draft straight from "New draft from this version": no effective date yet."""
    return new_draft_from(terms)


@pytest.fixture
def draft(terms):
    """A draft of version 2 a month ahead: clause 2's "shall create" becomes "must create", translation confirmed."""
    draft = new_draft_from(terms)
    draft.effective_at = START + timedelta(days=31)
    draft.summary_vi, draft.summary_en = "Sửa điều 2", "Clause 2 amended"
    draft.body_vi = terms.body_vi.replace("Khách hàng sẽ tạo tài khoản", "Khách hàng phải tạo tài khoản")
    draft.body_en = terms.body_en.replace("the Customer shall create", "the Customer must create")
    draft.save()
    confirm_sections(draft)  # the English was updated with the Vietnamese
    return draft


def rearranged_terms(terms):
    """Version 2 changes the fee clause and the email address and moves section 1 to the end."""

    def rearranged(body, fee):
        intro, *sections = body.split("\n## ")
        numbers = [("1", "3"), ("2", "1"), ("3", "2")]
        renumbered = [s.replace(f"{old}.", f"{new}.", 1) for s, (old, new) in zip(sections, numbers, strict=True)]
        first, second, third = renumbered
        intro = intro.replace("contact@gviet.vn", "legal@sigma.video")
        return "\n## ".join([intro, second.replace(*fee), third, first])

    return make_version(
        terms.document,
        body_vi=rearranged(terms.body_vi, ("mức phí đăng ký", "gói dịch vụ đã đăng ký")),
        body_en=rearranged(terms.body_en, ("subscription fee", "subscribed service plan")),
        effective_at=site_time(2026, 12, 1, 0, 0),
        summary="Definitions moved to the end; new contact address",
    )


# The database's own guards -------------------------------------------------------------


def execute(sql, params=()):
    """Raw SQL in its own transaction, as someone with the owner's access would run it."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def without_triggers():
    """Someone with the owner's access lifts every trigger; they come back afterwards."""
    from legal import db_triggers, log_triggers

    db_triggers.remove(connection)
    log_triggers.remove(connection)
    yield
    db_triggers.install(connection)
    log_triggers.install(connection)


# Staff ------------------------------------------------------------------------------------

ADMIN = "/admin/legal/documentversion/"
EDITORS, PUBLISHERS = "Legal editors", "Legal publishers"
ROLE_GROUPS = {"editor": EDITORS, "publisher": PUBLISHERS}


def staff_group(name):
    """The group `name` with the permissions migration 0002 gives it.

    The migration made it; a transactional test's flush empties the table, so it is made
    again from the migration's own lists when missing.
    """
    group, created = Group.objects.get_or_create(name=name)
    if created:
        codenames = import_module("legal.migrations.0002_legal_staff_groups").GROUPS[name]
        group.permissions.set(Permission.objects.filter(content_type__app_label="legal", codename__in=codenames))
    return group


def staff(name, group=None, *, password="pw", **extra):
    """A staff user `name`, in `group` ("Legal editors" or "Legal publishers") when given."""
    user = User.objects.create_user(name, password=password, is_staff=True, **extra)
    if group:
        user.groups.add(staff_group(group))
    return user


def role_user(role):
    """A user per admin role: "editor" and "publisher" in their groups, "superuser" named root."""
    if role == "superuser":
        return User.objects.create_superuser("root", password="pw")
    return staff(role, ROLE_GROUPS[role])


@pytest.fixture
def editor_user(db):
    return role_user("editor")


@pytest.fixture
def publisher_user(db):
    return role_user("publisher")


@pytest.fixture
def superuser_user(db):
    return role_user("superuser")


@pytest.fixture
def editor(client, editor_user):
    """The test client signed in as a legal editor."""
    client.force_login(editor_user)
    return client


@pytest.fixture
def publisher(client, publisher_user):
    """The test client signed in as a legal publisher."""
    client.force_login(publisher_user)
    return client


@pytest.fixture
def superuser(client, superuser_user):
    """The test client signed in as a superuser."""
    client.force_login(superuser_user)
    return client


def form_data(version, **changes):
    """The admin's version form as `version` fills it, with `changes`."""
    data = {
        "document": version.document_id,
        "change_kind": version.change_kind,
        "effective_at_0": "2026-12-30",
        "effective_at_1": "00:00:00",
    }
    for code in ("vi", "en"):
        for base in ("title", "summary", "body"):
            data[f"{base}_{code}"] = getattr(version, f"{base}_{code}") or ""
    data.update(changes)
    return data


# Readers and machines -------------------------------------------------------------------


@pytest.fixture
def subscribers(terms):
    """One confirmed reader per language, one who never confirmed, one who left."""
    document = terms.document
    make = Subscription.objects.create
    return {
        "vi": make(document=document, email="doc@example.vn", language="vi", confirmed_at=START),
        "en": make(document=document, email="reader@example.com", language="en", confirmed_at=START),
        "pending": make(document=document, email="pending@example.com", language="en"),
        "left": make(document=document, email="left@example.com", language="en", confirmed_at=START,
                     unsubscribed_at=START),
    }  # fmt: skip


@pytest.fixture
def product_token(db):
    """The secret of a product credential with every scope."""
    return issue_credential(name="Media VOD")[1]


@pytest.fixture
def mail(settings, public_site_url):
    """A real SMTP server on loopback that the site sends to; `.handler.envelopes` holds what arrived."""
    with smtp_server() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 5
        yield server


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


def at_once(work, arguments):
    """`work(argument)` for each argument in a thread of its own, all released together; the results in order.

    For races on a real database: each thread closes its connections when done, and an
    exception raised in a thread is raised again here.
    """
    barrier = threading.Barrier(len(arguments))
    results, failures = [None] * len(arguments), []

    def run(index, argument):
        try:
            barrier.wait(timeout=30)
            results[index] = work(argument)
        except BaseException as exc:  # noqa: BLE001 (raised again in the test's thread)
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(arguments)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if failures:
        raise failures[0]
    return results
