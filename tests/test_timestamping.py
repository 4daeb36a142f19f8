"""RFC 3161 time-stamps: a real authority on loopback, and one that is down, slow or wrong."""

import datetime
import hashlib
import shutil
import subprocess
import time
from io import StringIO

import pytest

from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from legal import rfc3161, timestamping, transparency
from legal.models import Timestamp, TreeHead
from tests.conftest import make_version, site_time, text_of
from tests.smtp import closed_port
from tests.tsa import tsa_server

pytestmark = pytest.mark.django_db


@pytest.fixture
def tsa(settings):
    """A real time-stamping authority on loopback, configured as the site's only one."""
    with tsa_server() as (authority, url):
        settings.TSA_URLS = [url]
        settings.TSA_TIMEOUT = 2
        yield authority


def fetch(limit=None):
    out, err = StringIO(), StringIO()
    try:
        call_command("fetch_timestamps", stdout=out, stderr=err, **({"limit": limit} if limit else {}))
    except CommandError as error:
        return f"CommandError: {error}", err.getvalue()
    return out.getvalue().strip().splitlines()[-1], err.getvalue()


def scheduled(terms):
    return make_version(terms.document, body_vi=terms.body_vi + "\nThêm.\n", effective_at=site_time(2026, 12, 1))


def test_publishing_queues_stamps_and_never_asks_the_authority(terms, tsa):
    version = scheduled(terms)
    queued = Timestamp.objects.filter(version=version)
    assert sorted(queued.values_list("language", "status")) == [("en", "pending"), ("vi", "pending")]
    assert queued.get(language="vi").digest == version.body_sha256_vi
    head = TreeHead.objects.get(tree_size=4)
    data = transparency.tree_head_data(tree_size=4, root_hash=head.root_hash, timestamp=head.timestamp)
    assert head.timestamps.get().digest == hashlib.sha256(data).hexdigest()
    assert tsa.requests == []  # publishing waited on no network


def test_round_trip_with_a_real_authority_and_openssl(terms, tsa, client, tmp_path):
    """Publish, fetch, download the text and its token: `openssl ts -verify` says Verification: OK."""
    version = scheduled(terms)
    page = text_of(client.get("/en/terms-of-service/versions/2/"))
    assert page.count("time-stamp pending") == 2
    assert fetch() == ("3 granted, 0 to retry, 0 failed; 0 pending.", "")
    assert [content_type for content_type, _body in tsa.requests] == ["application/timestamp-query"] * 3

    page = client.get("/vi/terms-of-service/versions/2/").content.decode()
    assert 'href="/vi/terms-of-service/versions/2/vi.md.tsr"' in page and "đóng dấu thời gian lúc" in page
    text = client.get("/vi/terms-of-service/versions/2/vi.md").content
    token = client.get("/vi/terms-of-service/versions/2/vi.md.tsr")
    assert token["Content-Type"] == "application/timestamp-reply"
    assert hashlib.sha256(text).hexdigest() == version.body_sha256_vi
    stamp = Timestamp.objects.get(version=version, language="vi")
    assert stamp.gen_time == datetime.datetime(2026, 11, 24, 5, 0, tzinfo=datetime.UTC)  # the TSA's (frozen) clock
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    (tmp_path / "vi.md").write_bytes(text)
    (tmp_path / "vi.md.tsr").write_bytes(token.content)
    (tmp_path / "tsa.pem").write_bytes(tsa.ca_pem)
    result = subprocess.run(
        ["openssl", "ts", "-verify", "-data", "vi.md", "-in", "vi.md.tsr", "-CAfile", "tsa.pem"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "Verification: OK" in result.stdout, result.stdout + result.stderr
    (tmp_path / "vi.md").write_bytes(text + b" ")
    changed = subprocess.run(
        ["openssl", "ts", "-verify", "-data", "vi.md", "-in", "vi.md.tsr", "-CAfile", "tsa.pem"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "Verification: OK" not in changed.stdout


def test_the_tree_head_time_stamp_is_listed_and_downloadable(terms, tsa, client):
    scheduled(terms)
    fetch()
    head = client.get("/log/tree-head").json()
    assert len(head["time_stamps"]) == 1
    answer = client.get(head["time_stamps"][0].removeprefix("http://127.0.0.1:8000"))
    data = transparency.tree_head_data(tree_size=4, root_hash=head["root_hash"], timestamp=head["timestamp"])
    stamp = TreeHead.objects.get(tree_size=4).timestamps.get()
    token = rfc3161.check_response(answer.content, digest=hashlib.sha256(data).digest(), nonce=_nonce(stamp))
    assert token.signer == "Common Name: Sigma Terms test TSA"


def _nonce(stamp):
    from asn1crypto import tsp

    response = tsp.TimeStampResp.load(bytes(stamp.response))
    return response["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed["nonce"].native


@pytest.mark.parametrize(
    "mode, error",
    [
        ("garbage", "not a valid time-stamp response"),
        ("error", "HTTP 500"),
        ("rejection", "the authority answered rejection: bad request"),
        ("wrong-nonce", "the token's nonce is not the request's"),
        ("wrong-digest", "the token stamps another digest than the one sent"),
        ("bad-signature", "the token's signature does not verify"),
    ],
)
def test_a_wrong_answer_is_never_kept_and_is_asked_again_later(terms, tsa, client, clock, mode, error):
    tsa.mode = mode
    version = scheduled(terms)
    summary, errors = fetch()
    assert summary == "0 granted, 3 to retry, 0 failed; 3 pending."
    first = errors.splitlines()[0]
    assert first.startswith(f"{Timestamp.objects.first().tsa_url}: {error}") and first.endswith("(attempt 1)")
    stamp = Timestamp.objects.get(version=version, language="vi")
    assert (stamp.response, stamp.attempts) == (None, 1)
    assert stamp.next_attempt_at == site_time(2026, 11, 24, 12, 1)
    assert client.get("/vi/terms-of-service/versions/2/vi.md.tsr").status_code == 404
    assert fetch()[0] == "0 granted, 0 to retry, 0 failed; 3 pending."  # not due yet
    tsa.mode = "ok"
    clock.move_to(site_time(2026, 11, 24, 12, 1))
    assert fetch()[0] == "3 granted, 0 to retry, 0 failed; 0 pending."


def test_an_unreachable_authority_is_retried_with_growing_delays_then_given_up(terms, settings, clock):
    settings.TSA_URLS = [f"http://127.0.0.1:{closed_port()}/tsa"]
    settings.TSA_MAX_ATTEMPTS = 3
    version = scheduled(terms)
    assert version.number == 2  # publishing did not notice the authority is down
    summary, errors = fetch()
    assert summary == "0 granted, 3 to retry, 0 failed; 3 pending." and "unreachable" in errors
    clock.move_to(site_time(2026, 11, 24, 12, 1))
    fetch()
    stamp = Timestamp.objects.get(version=version, language="vi")
    assert (stamp.attempts, stamp.next_attempt_at) == (2, site_time(2026, 11, 24, 12, 3))
    clock.move_to(site_time(2026, 11, 24, 12, 3))
    summary, errors = fetch()
    assert summary.startswith("CommandError: 3 time-stamps ran out of attempts")
    assert Timestamp.objects.filter(status=Timestamp.Status.FAILED).count() == 3
    assert "did not answer" in text_of(_client().get("/en/terms-of-service/versions/2/"))
    out = StringIO()
    with tsa_server() as (_authority, url):
        Timestamp.objects.filter(status=Timestamp.Status.FAILED).update(tsa_url=url)
        call_command("fetch_timestamps", "--retry-failed", stdout=out)
    assert out.getvalue().splitlines() == [
        "3 failed time-stamps queued again.",
        "3 granted, 0 to retry, 0 failed; 0 pending.",
    ]


def _client():
    from django.test import Client

    return Client()


def test_a_slow_authority_costs_at_most_its_timeout(terms, tsa, settings):
    settings.TSA_TIMEOUT = 0.5
    tsa.mode = "slow"
    scheduled(terms)
    started = time.monotonic()
    summary, errors = fetch(limit=1)
    assert time.monotonic() - started < 8  # generous: proves it does not hang for the TSA's 10 s
    assert summary == "0 granted, 1 to retry, 0 failed; 3 pending."
    assert errors == f"{settings.TSA_URLS[0]}: no answer within 0.5 s (attempt 1)\n"


def test_two_workers_never_ask_for_the_same_stamp(terms, tsa):
    scheduled(terms)
    stamp = Timestamp.objects.first()
    assert timestamping._lease(stamp, site_time(2026, 11, 24, 12, 0))
    assert not timestamping._lease(stamp, site_time(2026, 11, 24, 12, 0))
    assert stamp not in list(timestamping.due(site_time(2026, 11, 24, 12, 0)))


def test_a_granted_stamp_cannot_be_changed_or_deleted(terms, tsa):
    scheduled(terms)
    fetch()
    for sql in ("UPDATE legal_timestamp SET digest = '00'", "DELETE FROM legal_timestamp"):
        with pytest.raises(DatabaseError, match="granted time-stamp"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql)
    assert Timestamp.objects.filter(status=Timestamp.Status.GRANTED).count() == 3


def test_backfill_queues_stamps_for_earlier_versions_once(terms, tsa):
    """Version 1 was published before a TSA was configured: backfill_evidence queues its stamps."""
    assert Timestamp.objects.count() == 0
    out = StringIO()
    call_command("backfill_evidence", stdout=out)
    assert out.getvalue().strip() == (
        "Appended 0 entries; the log holds 2. 2 PDFs of record made. 3 time-stamps wait for `fetch_timestamps`."
    )
    call_command("backfill_evidence", stdout=out)
    assert Timestamp.objects.count() == 3
    assert fetch()[0] == "3 granted, 0 to retry, 0 failed; 0 pending."


def test_fetch_timestamps_refuses_a_bad_limit(db):
    with pytest.raises(CommandError, match="--limit must be at least 1"):
        call_command("fetch_timestamps", "--limit", "0")


@pytest.mark.parametrize("body", [b"", b"\x30\x03\x02\x01", b"\x30" * 5000, bytes(range(256))])
def test_the_protocol_refuses_garbage_with_a_one_line_reason(body):
    with pytest.raises(rfc3161.InvalidResponse) as refused:
        rfc3161.check_response(body, digest=b"\x00" * 32, nonce=1)
    assert "\n" not in str(refused.value)
