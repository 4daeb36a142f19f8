"""The public append-only log: Merkle proofs, signed tree heads, endpoints, triggers, verification."""

import base64
import hashlib
import importlib
import json
import subprocess
import sys
import urllib.request
from io import StringIO

import pytest
from cryptography.hazmat.primitives.serialization import load_der_public_key

from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from legal import log_triggers, merkle, transparency
from legal.models import AppendOnlyError, LogLeaf, TreeHead
from legal.publishing import withdraw_version
from tests.conftest import execute, make_version, site_time

pytestmark = pytest.mark.django_db


# An independent RFC 9162 §2.1, written from the RFC's recursive definitions ----------------


def sha(data):
    return hashlib.sha256(data).digest()


def rfc_mth(entries):
    n = len(entries)
    if n == 0:
        return sha(b"")
    if n == 1:
        return sha(b"\x00" + entries[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return sha(b"\x01" + rfc_mth(entries[:k]) + rfc_mth(entries[k:]))


def rfc_path(m, entries):
    n = len(entries)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return rfc_path(m, entries[:k]) + [rfc_mth(entries[k:])]
    return rfc_path(m - k, entries[k:]) + [rfc_mth(entries[:k])]


def rfc_subproof(m, entries, complete):
    n = len(entries)
    if m == n:
        return [] if complete else [rfc_mth(entries)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return rfc_subproof(m, entries[:k], complete) + [rfc_mth(entries[k:])]
    return rfc_subproof(m - k, entries[k:], False) + [rfc_mth(entries[:k])]


def entries_of(n):
    return [f"entry {i}".encode() for i in range(n)]


def test_roots_match_the_certificate_transparency_test_vector():
    """The eight-leaf tree of RFC 6962's reference tests has the published root."""
    inputs = [b"", b"\x00", b"\x10", b"\x20\x21", b"\x30\x31", b"\x40\x41\x42\x43",
              bytes(range(0x50, 0x58)), bytes(range(0x60, 0x70))]  # fmt: skip
    leaves = [merkle.leaf_hash(value) for value in inputs]
    assert merkle.root(leaves).hex() == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    assert merkle.root([]).hex() == hashlib.sha256(b"").hexdigest()


def test_roots_and_inclusion_proofs_match_rfc_9162_for_every_size_up_to_64():
    """Every leaf of every tree up to 64 leaves: same root and path as the RFC, and the path verifies."""
    for n in range(1, 65):
        entries = entries_of(n)
        leaves = [merkle.leaf_hash(entry) for entry in entries]
        root = merkle.root(leaves)
        assert root == rfc_mth(entries)
        for m in range(n):
            proof = merkle.inclusion_proof(m, leaves)
            assert proof == rfc_path(m, entries)
            merkle.verify_inclusion(m, n, leaves[m], proof, root)


def test_consistency_proofs_match_rfc_9162_for_every_pair_of_sizes_up_to_64():
    for n in range(1, 65):
        entries = entries_of(n)
        leaves = [merkle.leaf_hash(entry) for entry in entries]
        for m in range(1, n + 1):
            proof = merkle.consistency_proof(m, leaves)
            assert proof == rfc_subproof(m, entries, True)
            merkle.verify_consistency(m, n, rfc_mth(entries[:m]), rfc_mth(entries), proof)


def test_tampered_proofs_are_refused():
    """A changed node, a wrong index, size or root, a short or long path: each fails."""
    entries = entries_of(13)
    leaves = [merkle.leaf_hash(entry) for entry in entries]
    root = merkle.root(leaves)
    proof = merkle.inclusion_proof(5, leaves)
    bad = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
    for args in [
        (5, 13, leaves[5], bad, root),
        (6, 13, leaves[5], proof, root),
        (5, 6, leaves[5], proof, root),
        (5, 13, leaves[5], proof[:-1], root),
        (5, 13, leaves[5], [*proof, proof[0]], root),
        (5, 13, leaves[4], proof, root),
        (13, 13, leaves[5], proof, root),
    ]:
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(*args)
    old_root = merkle.root(leaves[:7])
    consistency = merkle.consistency_proof(7, leaves)
    for args in [
        (7, 13, old_root, root, consistency[:-1]),
        (7, 13, old_root, root, [consistency[0][::-1], *consistency[1:]]),
        (6, 13, old_root, root, consistency),
        (7, 13, merkle.root(leaves[:6]), root, consistency),
        (7, 13, old_root, root, []),
        (13, 7, root, old_root, consistency),
        (13, 13, root, old_root, []),
    ]:
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(*args)


# Publishing appends to the log ---------------------------------------------------------------


def test_publishing_appends_one_canonical_entry_per_language(terms):
    """Version 1 (loaded by publishing) is leaves 0 and 1; its entry is RFC 8785 JSON."""
    leaves = list(LogLeaf.objects.order_by("leaf_index"))
    assert [(leaf.leaf_index, leaf.language, leaf.event) for leaf in leaves] == [
        (0, "vi", "published"),
        (1, "en", "published"),
    ]
    published = transparency.instant(terms.published_at)
    assert leaves[0].entry == (
        '{"document":"terms-of-service","effective_at":"2026-11-23T17:00:00Z","event":"published",'
        f'"language":"vi","number":1,"published_at":"{published}","sha256":"{terms.body_sha256_vi}"}}'
    )
    assert leaves[0].leaf_hash == hashlib.sha256(b"\x00" + leaves[0].entry.encode()).hexdigest()


def test_each_publish_and_withdrawal_signs_a_new_tree_head(terms):
    scheduled = make_version(terms.document, effective_at=site_time(2026, 12, 1, 0, 0))
    withdraw_version(scheduled, reason="Published by mistake.")
    assert list(LogLeaf.objects.values_list("leaf_index", "version__number", "language", "event")) == [
        (0, 1, "vi", "published"), (1, 1, "en", "published"),
        (2, 2, "vi", "published"), (3, 2, "en", "published"),
        (4, 2, "vi", "withdrawn"), (5, 2, "en", "withdrawn"),
    ]  # fmt: skip
    withdrawn = json.loads(LogLeaf.objects.get(leaf_index=4).entry)
    assert withdrawn["withdrawn_at"] == "2026-11-24T05:00:00Z" and withdrawn["event"] == "withdrawn"
    assert list(TreeHead.objects.values_list("tree_size", flat=True)) == [2, 4, 6]
    key = transparency.signing_key()
    for head in TreeHead.objects.all():
        assert head.root_hash == merkle.root(transparency.leaf_hashes(head.tree_size)).hex()
        assert transparency.verify_signature(head, key)
    assert TreeHead.objects.get(tree_size=6).timestamp == 1795496400000  # the frozen clock, in ms


def test_a_failed_publish_appends_nothing(terms):
    """The leaves go in the publish's transaction: a refused publish leaves the log as it was."""
    from legal.publishing import PublishingError

    with pytest.raises(PublishingError):
        make_version(terms.document, effective_at=site_time(2026, 11, 1, 0, 0))
    assert LogLeaf.objects.count() == 2 and TreeHead.objects.count() == 1


def test_without_a_signing_key_the_log_records_and_the_next_key_signs(terms, settings, client):
    settings.LOG_SIGNING_KEY = ""
    make_version(terms.document, effective_at=site_time(2026, 12, 1, 0, 0))
    assert LogLeaf.objects.count() == 4 and TreeHead.objects.count() == 1
    response = client.get("/log/public-key")
    assert response.status_code == 503 and "LOG_SIGNING_KEY" in response.json()["error"]
    settings.LOG_SIGNING_KEY = base64.b64encode(bytes(range(32))).decode()
    call_command("backfill_evidence", stdout=StringIO())
    assert TreeHead.objects.order_by("-tree_size").first().tree_size == 4


def test_a_malformed_signing_key_is_a_one_line_command_error_and_never_stops_a_publish(terms, settings):
    settings.LOG_SIGNING_KEY = "not-a-key"
    with pytest.raises(CommandError, match="LOG_SIGNING_KEY"):
        call_command("backfill_evidence", stdout=StringIO())
    version = make_version(terms.document, effective_at=site_time(2026, 12, 1, 0, 0))
    assert version.number == 2 and LogLeaf.objects.count() == 4 and TreeHead.objects.count() == 1


# The public endpoints ---------------------------------------------------------------------------


@pytest.fixture
def history(terms):
    """Nine versions after the bundled one: a log of 20 leaves and 10 signed heads."""
    for day in range(1, 10):
        make_version(terms.document, effective_at=site_time(2026, 12, day, 0, 0))
    return terms


def test_tree_head_and_public_key_endpoints(history, client):
    head = client.get("/log/tree-head").json()
    assert (head["tree_size"], head["signature_algorithm"]) == (20, "Ed25519")
    assert head["root_hash"] == merkle.root(transparency.leaf_hashes()).hex()
    key = client.get("/log/public-key").json()
    der = base64.b64decode(key["public_key_der"])
    assert key["key_id"] == head["key_id"] == hashlib.sha256(der).hexdigest()
    data = transparency.tree_head_data(tree_size=20, root_hash=head["root_hash"], timestamp=head["timestamp"])
    load_der_public_key(der).verify(base64.b64decode(head["signature"]), data)
    raw = load_der_public_key(der).public_bytes_raw()
    assert base64.urlsafe_b64decode(key["jwk"]["x"] + "=") == raw and key["jwk"]["crv"] == "Ed25519"
    older = client.get("/log/tree-head", {"tree_size": 6}).json()
    assert older["tree_size"] == 6 and older["root_hash"] == merkle.root(transparency.leaf_hashes(6)).hex()


def test_every_inclusion_proof_from_the_api_verifies_against_the_signed_root(history, client):
    heads = {head.tree_size: head for head in TreeHead.objects.all()}
    for size, head in heads.items():
        for index in range(size):
            leaf = client.get(f"/log/entries/{index}").json()
            proof = client.get("/log/proof/inclusion", {"index": index, "tree_size": size}).json()
            nodes = [bytes.fromhex(node) for node in proof["inclusion_path"]]
            leaf_hash = sha(b"\x00" + leaf["leaf_input"].encode())
            assert leaf_hash.hex() == leaf["leaf_hash"]
            merkle.verify_inclusion(index, size, leaf_hash, nodes, bytes.fromhex(head.root_hash))


def test_every_consistency_proof_between_signed_heads_verifies(history, client):
    heads = list(TreeHead.objects.order_by("tree_size"))
    for old in heads:
        for new in heads:
            if old.tree_size < new.tree_size:
                answer = client.get("/log/proof/consistency", {"first": old.tree_size, "second": new.tree_size})
                nodes = [bytes.fromhex(node) for node in answer.json()["consistency_path"]]
                merkle.verify_consistency(
                    old.tree_size, new.tree_size, bytes.fromhex(old.root_hash), bytes.fromhex(new.root_hash), nodes
                )


@pytest.mark.parametrize(
    "url, status",
    [
        ("/log/entries/2", 404),
        ("/log/entries/99999999999999999999999999", 404),
        ("/log/proof/inclusion?index=2&tree_size=2", 400),
        ("/log/proof/inclusion?index=0&tree_size=3", 400),
        ("/log/proof/inclusion?index=-1&tree_size=2", 400),
        ("/log/proof/inclusion?index=x&tree_size=2", 400),
        ("/log/proof/inclusion?index=0", 400),
        ("/log/proof/inclusion?index=0&tree_size=99999999999999999999999", 400),
        ("/log/proof/consistency?first=2&second=1", 400),
        ("/log/proof/consistency?first=0&second=2", 400),
        ("/log/proof/consistency?first=１&second=2", 400),
        ("/log/tree-head?tree_size=5", 400),
        ("/log/tree-head?tree_size=0", 400),
        ("/log/tree-head/2/99999999999999999999999.tsr", 404),
    ],
)
def test_bad_log_requests_are_clear_4xx(terms, client, url, status):
    response = client.get(url)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"


def test_log_endpoints_answer_only_reads(terms, client):
    for url in ("/log/tree-head", "/log/public-key", "/log/entries/0", "/log/proof/inclusion?index=0&tree_size=1"):
        assert client.post(url).status_code == 405
        assert client.get(url).status_code == 200


def test_an_empty_log_says_so(db, client):
    assert client.get("/log/tree-head").status_code == 404
    assert client.get("/log/proof/inclusion?index=0&tree_size=1").json() == {"error": "the log is empty"}


# Append-only, in the model and the database ------------------------------------------------------


def test_model_refuses_changing_or_deleting_log_records(terms):
    leaf = LogLeaf.objects.first()
    leaf.entry = "{}"
    with pytest.raises(AppendOnlyError):
        leaf.save()
    with pytest.raises(AppendOnlyError):
        leaf.delete()
    with pytest.raises(AppendOnlyError):
        LogLeaf.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        TreeHead.objects.update(root_hash="0" * 64)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE legal_logleaf SET entry = '{}' WHERE leaf_index = 0",
        "UPDATE legal_logleaf SET leaf_hash = '00' WHERE leaf_index = 1",
        "DELETE FROM legal_logleaf WHERE leaf_index = 1",
        "UPDATE legal_treehead SET root_hash = '00'",
        "DELETE FROM legal_treehead",
        # A leaf slipped in anywhere but the next index (a rewrite of history).
        "INSERT INTO legal_logleaf (leaf_index, version_id, language, event, entry, leaf_hash, appended_at) "
        "SELECT 5, version_id, 'xx', event, entry, leaf_hash, appended_at FROM legal_logleaf WHERE leaf_index = 0",
    ],
)
def test_database_refuses_rewriting_the_log(terms, sql):
    with pytest.raises(DatabaseError, match="append-only"):
        execute(sql)
    assert transparency.verify_log() == []


def test_log_triggers_exist_and_match_the_sql_the_migration_froze():
    assert log_triggers.installed(connection) == set(log_triggers.TRIGGERS[connection.vendor])
    frozen = importlib.import_module(f"legal.migrations.{log_triggers.INSTALLED_BY[1]}")
    assert log_triggers.statements(connection.vendor) == frozen.SQL[connection.vendor]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE triggers are PostgreSQL's")
def test_truncate_is_refused_to_roles_that_do_not_own_the_log(terms):
    """The owner may TRUNCATE (test flushes); the trigger refuses anyone else, checked as a plain role."""
    role = f"{settings.DATABASES['default']['NAME']}_logtest"
    execute(f'DROP ROLE IF EXISTS "{role}"')
    execute(f'CREATE ROLE "{role}"')
    try:
        execute(f'GRANT TRUNCATE, SELECT ON legal_logleaf TO "{role}"')
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks
                cursor.execute(f'SET LOCAL ROLE "{role}"')
                cursor.execute("TRUNCATE legal_logleaf CASCADE")
    finally:
        execute(f'REVOKE ALL ON legal_logleaf FROM "{role}"')
        execute(f'DROP ROLE IF EXISTS "{role}"')


# Verification and backfill ---------------------------------------------------------------


def verify_log():
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_log", stdout=out, stderr=err)
    except CommandError as exc:
        return str(exc), err.getvalue().splitlines()
    return out.getvalue().strip(), []


def test_verify_log_passes_on_an_honest_log(history):
    withdraw_version(history.document.versions.get(number=10), reason="Mistake.")
    assert verify_log() == ("The log's 22 entries and 11 signed tree heads match the record.", [])


@pytest.mark.parametrize(
    "sql, line",
    [
        ("DELETE FROM legal_logleaf WHERE leaf_index = 3", "log: indexes are not 0 to 18 without gaps (missing [3])"),
        (
            "UPDATE legal_logleaf SET entry = replace(entry, '\"number\":2', '\"number\":7') WHERE leaf_index = 2",
            "log #2: leaf hash is not the hash of its entry",
        ),
        ("UPDATE legal_treehead SET root_hash = '00' WHERE tree_size = 4", "tree head 4: root hash differs"),
        ("UPDATE legal_treehead SET timestamp = timestamp + 1 WHERE tree_size = 4", "tree head 4: signature does"),
        ("UPDATE legal_documentversion SET body_sha256_en = 'x' WHERE number = 2", "log #3: entry differs"),
        ("UPDATE legal_documentversion SET effective_at = '2027-01-01' WHERE number = 9", "log #16: entry differs"),
    ],
)
def test_verify_log_and_verify_versions_name_any_changed_or_removed_row(history, without_triggers, sql, line):
    execute(sql)
    summary, lines = verify_log()
    assert summary.startswith("CommandError") is False and "problems in the transparency log" in summary
    assert any(found.startswith(line) for found in lines), lines
    with pytest.raises(CommandError):
        call_command("verify_versions", stdout=StringIO(), stderr=StringIO())


def test_backfill_puts_earlier_versions_in_the_log_once(history, without_triggers):
    """Versions published before the log existed get their entries, as publishing would have written them."""
    scheduled = history.document.versions.get(number=10)
    withdraw_version(scheduled, reason="Mistake.")
    before = list(LogLeaf.objects.values_list("leaf_index", "entry", "leaf_hash"))
    execute("DELETE FROM legal_timestamp")
    execute("DELETE FROM legal_treehead")
    execute("DELETE FROM legal_logleaf")
    log_triggers.install(connection)
    out = StringIO()
    call_command("backfill_evidence", stdout=out)
    assert out.getvalue().startswith("Appended 22 entries; the log holds 22.")
    assert list(LogLeaf.objects.values_list("leaf_index", "entry", "leaf_hash")) == before
    call_command("backfill_evidence", stdout=out)
    assert "Appended 0 entries; the log holds 22." in out.getvalue()
    assert TreeHead.objects.count() == 1 and verify_log()[1] == []


# The standalone verifier, against a live site -----------------------------------------------------


def run_verifier(*args):
    return subprocess.run(
        [sys.executable, "-m", "legal.verify_log", *args],
        cwd=settings.BASE_DIR,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def download(url, path):
    with urllib.request.urlopen(url, timeout=30) as response:
        path.write_bytes(response.read())
    return path


def test_standalone_verifier_finds_a_downloaded_text_and_checks_heads(live_server, tmp_path):
    from legal.importing import load_bundled_terms

    terms = load_bundled_terms()
    text = download(f"{live_server.url}/vi/terms-of-service/versions/1/vi.md", tmp_path / "vi.md")
    saved = download(f"{live_server.url}/log/tree-head", tmp_path / "head-2.json")
    make_version(terms.document, body_vi=terms.body_vi + "\nThêm.\n", effective_at=site_time(2026, 12, 1, 0, 0))
    key_id = transparency.key_id(transparency.signing_key())

    result = run_verifier(live_server.url, "--text", str(text), "--tree-head", str(saved), "--key-id", key_id)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[1:] == [
        f"OK {text}: SHA-256 {terms.body_sha256_vi} is log #0 (terms-of-service v1 vi, published), "
        "included in the signed tree of size 4",
        f"OK {saved}: the log of size 2 is a prefix of the log of size 4",
    ]

    text.write_bytes(text.read_bytes() + b"\n")
    changed = run_verifier(live_server.url, "--text", str(text))
    assert changed.returncode == 1 and changed.stdout.splitlines()[-1].startswith("FAILED")
    assert "is not in the log's 4 entries" in changed.stdout

    forged = json.loads(saved.read_text())
    forged["root_hash"] = "00" * 32
    saved.write_text(json.dumps(forged))
    refused = run_verifier(live_server.url, "--tree-head", str(saved))
    assert refused.returncode == 1 and "the signature does not verify" in refused.stdout

    wrong_key = run_verifier(live_server.url, "--key-id", "ab" * 32)
    assert wrong_key.returncode == 1 and "not the pinned" in wrong_key.stdout


def test_standalone_verifier_says_in_one_line_when_the_site_is_unreachable():
    result = run_verifier("http://127.0.0.1:9")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("verify_log: http://127.0.0.1:9/log/public-key")
