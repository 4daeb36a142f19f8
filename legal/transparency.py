"""The public append-only log of publications and withdrawals (RFC 9162-style transparency).

Every publication and withdrawal of every language of a version is appended as a leaf,
in the same transaction as the change of state, so the log and the record never disagree.
The entry is RFC 8785 canonical JSON; leaves and nodes are hashed as RFC 9162 §2.1 says
(`legal.merkle`). After each append the log signs a tree head with its Ed25519 key
(`LOG_SIGNING_KEY`): the signed bytes are the TLS encoding of RFC 9162's TreeHeadDataV2
(uint64 timestamp in milliseconds, uint64 tree size, the root hash with a one-byte length,
no extensions). Without a key the leaves are still appended and the next signed head
covers them.

`verify_log` checks the log against the database; `legal.verify_log` lets anyone check
a downloaded text and two tree heads without trusting the site.
"""

import base64
import binascii
import datetime
import hashlib
import logging
import struct
from dataclasses import dataclass

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Exists, OuterRef, Subquery, Value, When

from . import clock, merkle, signing_keys
from .models import DocumentVersion, LogLeaf, RecordPdf, Timestamp, TreeHead, language_codes
from .signing_keys import SigningKeyError

logger = logging.getLogger(__name__)

# Any fixed number: appends to the one log take turns on PostgreSQL (SQLite has one writer).
_APPEND_LOCK = 0x5167_6D61_4C6F_67
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def signing_key():
    """The log's Ed25519 private key, or None when LOG_SIGNING_KEY is not set; SigningKeyError when it is unusable."""
    return signing_keys.configured_key("LOG_SIGNING_KEY")


def public_key_der(key):
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_id(key):
    """SHA-256 of the public key's DER SubjectPublicKeyInfo, hex (RFC 9162 §4.4's log ID)."""
    return hashlib.sha256(public_key_der(key)).hexdigest()


def public_key_jwk(key):
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": key_id(key), "alg": "EdDSA", "use": "sig"}


def tree_head_data(*, tree_size, root_hash, timestamp):
    """The bytes a tree head's signature covers (TLS-encoded TreeHeadDataV2)."""
    root = bytes.fromhex(root_hash)
    return struct.pack(">QQB", timestamp, tree_size, len(root)) + root + b"\x00\x00"


# Entries ---------------------------------------------------------------------------------


def instant(moment):
    """An instant as RFC 3339 in UTC: 2026-11-24T05:00:00Z (None for a missing one)."""
    if moment is None:
        return None
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def entry_for(version, language, event):
    """The canonical entry (RFC 8785 JSON, as text) of `event` for one language of `version`."""
    record = {
        "document": version.document.slug,
        "number": version.number,
        "language": language,
        "sha256": getattr(version, f"body_sha256_{language}"),
        "effective_at": instant(version.effective_at),
        "published_at": instant(version.published_at),
        "event": event,
    }
    if event == LogLeaf.Event.WITHDRAWN:
        record["withdrawn_at"] = instant(version.withdrawn_at)
    return rfc8785.dumps(record).decode("utf-8")


def _lock():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_APPEND_LOCK])


def _append(version, event):
    """Append one leaf per language of `version` for `event`; returns the new leaves."""
    size = LogLeaf.objects.count()
    leaves = []
    for language in version.complete_languages:
        entry = entry_for(version, language, event)
        leaf = LogLeaf(
            leaf_index=size + len(leaves),
            version=version,
            language=language,
            event=event,
            entry=entry,
            leaf_hash=merkle.leaf_hash(entry.encode("utf-8")).hex(),
        )
        leaf.save()
        leaves.append(leaf)
    return leaves


def leaf_hashes(tree_size=None):
    """The leaf hashes of the first `tree_size` leaves (all by default), as bytes, in order."""
    queryset = LogLeaf.objects.order_by("leaf_index").values_list("leaf_hash", flat=True)
    if tree_size is not None:
        queryset = queryset[:tree_size]
    return [bytes.fromhex(value) for value in queryset]


def sign_tree_head():
    """Sign and store the head of the log as it is now; None without a (valid) key or leaves.

    A malformed key is logged, not raised: publishing must not fail for want of a signature,
    and the next head signed with a good key covers every leaf appended meanwhile.
    """
    try:
        key = signing_key()
    except SigningKeyError:
        logger.exception("The transparency log signs no tree head")
        return None
    size = LogLeaf.objects.count()
    if key is None or size == 0:
        return None
    existing = TreeHead.objects.filter(tree_size=size).first()
    if existing is not None:
        return existing
    root_hash = merkle.root(leaf_hashes(size)).hex()
    timestamp = int(clock.now().timestamp() * 1000)
    signature = key.sign(tree_head_data(tree_size=size, root_hash=root_hash, timestamp=timestamp))
    head = TreeHead(
        tree_size=size,
        root_hash=root_hash,
        timestamp=timestamp,
        key_id=key_id(key),
        signature=base64.b64encode(signature).decode(),
    )
    head.save()
    return head


def queue_timestamps(*, versions=(), tree_head=None):
    """Queue a time-stamp of each language's text of `versions` and of `tree_head`, per TSA."""
    for url in settings.TSA_URLS:
        for version in versions:
            for language in version.complete_languages:
                if not Timestamp.objects.filter(
                    subject=Timestamp.Subject.TEXT, version=version, language=language, tsa_url=url
                ).exists():
                    Timestamp.objects.create(
                        subject=Timestamp.Subject.TEXT,
                        version=version,
                        language=language,
                        digest=getattr(version, f"body_sha256_{language}"),
                        tsa_url=url,
                    )
        if tree_head is not None and not tree_head.timestamps.filter(tsa_url=url).exists():
            data = tree_head_data(
                tree_size=tree_head.tree_size, root_hash=tree_head.root_hash, timestamp=tree_head.timestamp
            )
            Timestamp.objects.create(
                subject=Timestamp.Subject.TREE_HEAD,
                tree_head=tree_head,
                digest=hashlib.sha256(data).hexdigest(),
                tsa_url=url,
            )


def record_event(version, event):
    """Append `event` of `version` to the log, sign the new head and queue its time-stamps.

    Called by the publishing service inside its transaction: the leaves commit, or roll
    back, with the change of state. Nothing here waits on the network.
    """
    with transaction.atomic():
        _lock()
        _append(version, event)
        head = sign_tree_head()
        queue_timestamps(versions=[version] if event == LogLeaf.Event.PUBLISHED else [], tree_head=head)


def _expected_events():
    """(version, event) for every event the record holds, in the order they happened."""
    events = []
    for version in DocumentVersion.objects.listed().select_related("document"):
        events.append((version.published_at, version.number, version, LogLeaf.Event.PUBLISHED))
        if version.is_withdrawn:
            events.append((version.withdrawn_at, version.number, version, LogLeaf.Event.WITHDRAWN))
    # A record tampered into a withdrawal without a time sorts last rather than failing here.
    events.sort(key=lambda item: (item[0] is None, item[0] or _EPOCH, item[2].document.slug, item[1], item[3]))
    return [(version, event) for _at, _number, version, event in events]


def backfill():
    """Append every event the log lacks (versions published before it existed), sign, queue.

    Idempotent: a second run appends nothing. Returns the number of leaves appended.
    """
    signing_key()  # a malformed key is the operator's to fix: say so before writing anything
    with transaction.atomic():
        _lock()
        logged = set(LogLeaf.objects.values_list("version_id", "event").distinct())
        appended = 0
        for version, event in _expected_events():
            if (version.pk, event) not in logged:
                appended += len(_append(version, event))
        head = sign_tree_head()
        published = [version for version, event in _expected_events() if event == LogLeaf.Event.PUBLISHED]
        queue_timestamps(versions=published, tree_head=head)
        if head is not None:
            # Heads signed before a TSA was configured get their stamp too.
            for older in TreeHead.objects.exclude(pk=head.pk):
                queue_timestamps(tree_head=older)
    return appended


@dataclass(frozen=True)
class StampState:
    """What a page shows of a time-stamp: its status and, once granted, its time."""

    status: str
    gen_time: datetime.datetime | None


def with_evidence(queryset):
    """Annotate each version with its evidence, per language, inside the same query.

    `log_index_<code>`, `pdf_<code>`, and `stamp_status_<code>` / `stamp_time_<code>` of its
    best time-stamp (granted, else pending, else failed; the first queued of a kind).
    """
    rank = Case(
        When(status=Timestamp.Status.GRANTED, then=Value(0)),
        When(status=Timestamp.Status.PENDING, then=Value(1)),
        default=Value(2),
    )
    annotations = {}
    for code in language_codes():
        leaves = LogLeaf.objects.filter(version=OuterRef("pk"), language=code, event=LogLeaf.Event.PUBLISHED)
        stamps = (
            Timestamp.objects.filter(version=OuterRef("pk"), language=code, subject=Timestamp.Subject.TEXT)
            .annotate(rank=rank)
            .order_by("rank", "pk")
        )
        annotations[f"log_index_{code}"] = Subquery(leaves.values("leaf_index")[:1])
        annotations[f"pdf_{code}"] = Exists(RecordPdf.objects.filter(version=OuterRef("pk"), language=code))
        annotations[f"stamp_status_{code}"] = Subquery(stamps.values("status")[:1])
        annotations[f"stamp_time_{code}"] = Subquery(stamps.values("gen_time")[:1])
    return queryset.annotate(**annotations)


def evidence_of(version):
    """{language: {"log_index": int | None, "timestamp": StampState | None, "pdf": bool}}.

    Read from the `with_evidence()` annotations when the row has them, else queried.
    """
    if version.pk is None or version.number is None:
        return {}
    if f"log_index_{language_codes()[0]}" not in version.__dict__:
        version = with_evidence(type(version).objects.filter(pk=version.pk)).get()
    evidence = {}
    for code in version.complete_languages:
        status = getattr(version, f"stamp_status_{code}")
        evidence[code] = {
            "log_index": getattr(version, f"log_index_{code}"),
            "pdf": bool(getattr(version, f"pdf_{code}")),
            "timestamp": StampState(status, getattr(version, f"stamp_time_{code}")) if status else None,
        }
    return evidence


# Proofs ------------------------------------------------------------------------------------


def inclusion_proof(index, tree_size):
    return merkle.inclusion_proof(index, leaf_hashes(tree_size))


def consistency_proof(first, second):
    return merkle.consistency_proof(first, leaf_hashes(second))


# Verification against the database -----------------------------------------------------------


def verify_signature(head, key):
    data = tree_head_data(tree_size=head.tree_size, root_hash=head.root_hash, timestamp=head.timestamp)
    try:
        key.public_key().verify(base64.b64decode(head.signature), data)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def verify_log():
    """One line per way the log disagrees with the database or with itself; [] when sound."""
    problems = []
    leaves = list(LogLeaf.objects.select_related("version__document").order_by("leaf_index"))
    indexes = [leaf.leaf_index for leaf in leaves]
    if indexes != list(range(len(leaves))):
        missing = sorted(set(range(max(indexes, default=-1) + 1)) - set(indexes))
        problems.append(f"log: indexes are not 0 to {len(leaves) - 1} without gaps (missing {missing[:10]})")
    seen = set()
    for leaf in leaves:
        name = f"log #{leaf.leaf_index}"
        if merkle.leaf_hash(leaf.entry.encode("utf-8")).hex() != leaf.leaf_hash:
            problems.append(f"{name}: leaf hash is not the hash of its entry")
        version = leaf.version
        if leaf.event == LogLeaf.Event.WITHDRAWN and not version.is_withdrawn:
            problems.append(f"{name}: records a withdrawal of a version that is not withdrawn")
        elif version.is_draft:
            problems.append(f"{name}: records a version that is a draft")
        elif leaf.entry != entry_for(version, leaf.language, leaf.event):
            problems.append(f"{name}: entry differs from {version.document.slug} v{version.number} in the database")
        seen.add((version.pk, leaf.language, leaf.event))
    for version, event in _expected_events():
        for language in language_codes():
            if version.has_language(language) and (version.pk, language, event) not in seen:
                problems.append(f"{version.document.slug} v{version.number} {language}: {event} is not in the log")
    key = signing_key()
    hashes = [bytes.fromhex(leaf.leaf_hash) for leaf in leaves]
    for head in TreeHead.objects.order_by("tree_size"):
        name = f"tree head {head.tree_size}"
        if head.tree_size > len(hashes):
            problems.append(f"{name}: covers more leaves than the log holds ({len(hashes)})")
            continue
        if merkle.root(hashes[: head.tree_size]).hex() != head.root_hash:
            problems.append(f"{name}: root hash differs from the root of the leaves")
        if key is None or head.key_id != key_id(key):
            problems.append(f"{name}: signed with key {head.key_id[:16]}…, not this site's LOG_SIGNING_KEY")
        elif not verify_signature(head, key):
            problems.append(f"{name}: signature does not verify")
    return problems
