"""A Memento client library, pointed at a live server, agrees with the site (legal/memento.py) about every version.

Cross-cutting: a real client over HTTP, beside test_memento.py's test-client checks.

memento-client is the Memento project's own Python client (a test dependency only: it is
not maintained any more, which rules it out for the site itself, but it is the reference
reader of RFC 7089 that an archive's tools share). It finds the canonical page's native
TimeGate, negotiates with Accept-Datetime, checks the redirect's Link header and reads the
Memento's own headers, as a web archive's crawler would.
"""

import datetime

import pytest
from memento_client import MementoClient

from tests.conftest import make_version, site_time

SWITCH = site_time(2026, 12, 1, 0, 0)


@pytest.fixture
def live_history(committed_terms, live_server, clock, settings):
    """Version 1 (the bundled Terms) and version 2 from SWITCH; the clock a day after SWITCH."""
    settings.ALLOWED_HOSTS = ["*"]
    first = committed_terms
    second = make_version(first.document, effective_at=SWITCH)
    clock.move_to(SWITCH + datetime.timedelta(days=1))
    return live_server.url, first, second


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize(
    ("offset", "number"),
    [(-datetime.timedelta(hours=1), 1), (datetime.timedelta(0), 2), (datetime.timedelta(hours=5), 2)],
)
def test_the_client_finds_the_native_timegate_and_the_version_in_effect(live_history, language, offset, number):
    base, first, second = live_history
    original = f"{base}/{language}/terms-of-service/"
    # The canonical page is its own TimeGate (RFC 7089 pattern 1.1): the client reads that as
    # "no separate native TimeGate" (Vary: accept-datetime on the original) ...
    assert MementoClient().get_native_timegate_uri(original, accept_datetime=SWITCH) is None
    # ... and is then pointed at it the way it addresses an aggregator: prefix + original.
    client = MementoClient(timegate_uri="", check_native_timegate=False)
    when = (SWITCH + offset).astimezone(datetime.UTC).replace(tzinfo=None)
    info = client.get_memento_info(original, when)
    mementos = info["mementos"]
    closest = mementos["closest"]
    assert closest["uri"] == [f"{base}/{language}/terms-of-service/versions/{number}/"]
    version = first if number == 1 else second
    assert closest["datetime"] == version.effective_at.astimezone(datetime.UTC).replace(tzinfo=None)
    assert info["timegate_uri"] == original
