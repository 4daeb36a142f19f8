"""Signed receipts of acceptances: verified with PyJWT (another JOSE library) and the published JWKS."""

import json
import logging
import re
import subprocess

import jwt
import pytest

from django.conf import settings as django_settings

from legal import receipts, signing_keys
from legal.models import Acceptance
from legal.product_auth import issue_credential
from tests.test_acceptance_api import (
    DOCUMENT,
    EXPORT,
    _body,
    accept,
    acceptance_body,
    assert_error,
    bearer,
    post,
    status_of,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("public_site_url")]

JWKS = "/.well-known/jwks.json"


@pytest.fixture
def token(db):
    """A product token with every scope."""
    return issue_credential(name="Media VOD")[1]


def verify(client, receipt):
    """The receipt's header and payload, verified against the keys the site publishes, as a product would."""
    key_set = jwt.PyJWKSet.from_dict(client.get(JWKS).json())
    kid = jwt.get_unverified_header(receipt)["kid"]
    key = next(k for k in key_set.keys if k.key_id == kid)
    decoded = jwt.api_jws.PyJWS().decode_complete(receipt, key=key, algorithms=["EdDSA"])
    return decoded["header"], json.loads(decoded["payload"])


def without_receipt(record):
    return {name: value for name, value in record.items() if name != "receipt"}


@pytest.fixture
def key_files(tmp_path):
    """Two private keys in files, as an operator keeps them."""
    paths = []
    for name in ("old.pem", "new.pem"):
        path = tmp_path / name
        path.write_text(signing_keys.new_private_key_pem())
        paths.append(path)
    return paths


def test_a_recorded_acceptance_carries_a_receipt_that_verifies_with_the_jwks(client, terms, token):
    record = accept(client, token)
    header, payload = verify(client, record["receipt"])
    assert header == {"alg": "EdDSA", "kid": receipts.keys().kid, "typ": "JOSE"}
    assert payload == without_receipt(record)
    assert payload["text_sha256"] == terms.body_sha256_vi


def test_a_changed_record_does_not_verify(client, terms, token):
    """The signature covers the record: another account in the payload breaks it."""
    receipt = accept(client, token)["receipt"]
    head, body, signature = receipt.split(".")
    forged = jwt.utils.base64url_encode(jwt.utils.base64url_decode(body).replace(b'"acct-123"', b'"acct-999"')).decode()
    with pytest.raises(jwt.InvalidSignatureError):
        verify(client, f"{head}.{forged}.{signature}")


def test_the_same_record_always_gets_the_same_receipt(client, terms, token):
    """Ed25519 is deterministic: the 200 of a retry, an idempotent retry and the export agree."""
    first = accept(client, token, key="k")
    assert accept(client, token, status=200)["receipt"] == first["receipt"]
    assert accept(client, token, status=200, key="k")["receipt"] == first["receipt"]
    line = json.loads(_body(client.get(EXPORT, {"document": DOCUMENT}, **bearer(token))).splitlines()[0])
    assert line["receipt"] == first["receipt"]


def test_the_jwks_is_public_cacheable_and_holds_no_private_key(client, db):
    response = client.get(JWKS)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jwk-set+json"
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["Access-Control-Allow-Origin"] == "*"
    (key,) = response.json()["keys"]
    assert key == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": key["x"],
        "kid": receipts.keys().kid,
        "use": "sig",
        "alg": "EdDSA",
    }
    assert client.post(JWKS).status_code == 405


def test_a_rotated_key_stays_published_so_old_receipts_verify(client, terms, token, settings, key_files):
    old, new = key_files
    settings.RECEIPT_SIGNING_KEY, settings.RECEIPT_SIGNING_KEY_FILE = "", str(old)
    old_receipt = accept(client, token, account="before")["receipt"]
    old_kid = receipts.keys().kid

    settings.RECEIPT_SIGNING_KEY_FILE, settings.RECEIPT_RETIRED_KEY_FILES = str(new), [str(old)]
    new_receipt = accept(client, token, account="after")["receipt"]
    kids = [key["kid"] for key in client.get(JWKS).json()["keys"]]
    assert kids == [receipts.keys().kid, old_kid]
    assert verify(client, old_receipt)[0]["kid"] == old_kid
    assert verify(client, new_receipt)[0]["kid"] == kids[0] != old_kid
    assert '"d"' not in client.get(JWKS).content.decode()

    settings.RECEIPT_RETIRED_KEY_FILES = []  # retired for good: its receipts no longer verify here
    with pytest.raises(StopIteration):
        verify(client, old_receipt)


def test_a_public_key_can_be_retired_but_cannot_sign(client, terms, token, settings, tmp_path, caplog):
    from joserfc.jwk import OKPKey

    public = tmp_path / "public.pem"
    public.write_bytes(OKPKey.import_key(signing_keys.new_private_key_pem()).as_pem(private=False))
    settings.RECEIPT_RETIRED_KEY_FILES = [str(public)]
    assert len(client.get(JWKS).json()["keys"]) == 2
    settings.RECEIPT_SIGNING_KEY = ""
    settings.RECEIPT_SIGNING_KEY_FILE = str(public)
    with caplog.at_level(logging.ERROR):
        response = post(client, token, acceptance_body(account="a"))
    assert_error(response, 503, "receipts_unavailable")
    assert "holds a public key; signing needs the private key" in caplog.text


@pytest.mark.parametrize(
    ("configure", "logged"),
    [
        ({"RECEIPT_SIGNING_KEY": "", "RECEIPT_SIGNING_KEY_FILE": "/nonexistent/receipt.pem"}, "cannot read"),
        ({"RECEIPT_SIGNING_KEY": "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----"}, "not an Ed25519"),
        ({"RECEIPT_SIGNING_KEY": "", "RECEIPT_SIGNING_KEY_FILE": ""}, "neither RECEIPT_SIGNING_KEY"),
    ],
)
def test_without_a_usable_key_nothing_is_recorded_and_reads_still_answer(
    client, terms, token, settings, caplog, configure, logged
):
    """Recording is refused before writing (503); status answers, and the export with `receipt: null`."""
    accept(client, token, account="earlier")
    for name, value in configure.items():
        setattr(settings, name, value)
    with caplog.at_level(logging.ERROR):
        assert_error(post(client, token, acceptance_body(account="a")), 503, "receipts_unavailable")
        assert Acceptance.objects.count() == 1
        assert status_of(client, token, "earlier")["accepted_version"] == 1
        assert json.loads(_body(client.get(EXPORT, {"document": DOCUMENT}, **bearer(token))))["receipt"] is None
        assert_error(client.get(JWKS), 503, "receipts_unavailable")
    assert logged in caplog.text


def test_with_debug_and_no_key_the_process_signs_with_a_key_of_its_own(client, terms, token, settings):
    settings.DEBUG, settings.RECEIPT_SIGNING_KEY, settings.RECEIPT_SIGNING_KEY_FILE = True, "", ""
    record = accept(client, token)
    assert verify(client, record["receipt"])[1] == without_receipt(record)


def test_an_oversized_key_file_is_refused_unread(client, terms, token, settings, tmp_path):
    huge = tmp_path / "huge.pem"
    huge.write_bytes(b"A" * (signing_keys.MAX_KEY_FILE_BYTES + 10))
    settings.RECEIPT_SIGNING_KEY, settings.RECEIPT_SIGNING_KEY_FILE = "", str(huge)
    assert_error(post(client, token, acceptance_body(account="a")), 503, "receipts_unavailable")


def test_export_as_csv_has_the_receipts(client, terms, token):
    record = accept(client, token)
    header, row = _body(client.get(EXPORT, {"document": DOCUMENT, "format": "csv"}, **bearer(token))).splitlines()
    assert header.endswith(",receipt")
    assert row.endswith("," + record["receipt"])


def test_no_private_key_is_in_the_repository():
    """The signing key is generated per checkout (.receipt_key, ignored) or comes from the environment."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=django_settings.BASE_DIR, capture_output=True, timeout=60, check=False
    )
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    pem = re.compile(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----\s*[A-Za-z0-9+/=\s]{40,}-----END")
    for name in filter(None, listed.stdout.decode().split("\0")):
        path = django_settings.BASE_DIR / name
        if path.is_file() and path.stat().st_size < 1_000_000:
            assert not pem.search(path.read_bytes()), name
    ignored = subprocess.run(
        ["git", "check-ignore", ".receipt_key"], cwd=django_settings.BASE_DIR, capture_output=True, timeout=60
    )
    assert ignored.returncode == 0
