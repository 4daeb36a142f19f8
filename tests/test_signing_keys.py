"""The one reading, checking and making of the site's Ed25519 keys (the log's and the receipts')."""

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from legal import receipts, signing_keys
from legal.signing_keys import SigningKeyError
from tests.conftest import run_django

RAW = bytes(range(32))


def raw_of(key):
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())


def test_a_made_key_is_a_pem_private_key_that_signs_receipts(settings, tmp_path):
    """`python -m legal.signing_keys`, which make runs for .log_signing_key and .receipt_key, prints one PEM key."""
    result = run_django(["-m", "legal.signing_keys"])
    assert result.returncode == 0, result.stderr
    made = result.stdout
    assert made.startswith("-----BEGIN PRIVATE KEY-----\n") and made.endswith("-----END PRIVATE KEY-----\n")
    assert isinstance(signing_keys.load_key(made, "LOG_SIGNING_KEY"), Ed25519PrivateKey)
    assert made != signing_keys.new_private_key_pem()
    path = tmp_path / "key.pem"
    path.write_text(made)
    settings.RECEIPT_SIGNING_KEY, settings.RECEIPT_SIGNING_KEY_FILE = "", str(path)
    assert receipts.sign({"id": 1}).count(".") == 2


@pytest.mark.parametrize(
    "value",
    [
        base64.b64encode(RAW).decode(),
        base64.urlsafe_b64encode(RAW).decode().rstrip("="),
        f"  {base64.b64encode(RAW).decode()}\n",
        signing_keys.private_key_pem(Ed25519PrivateKey.from_private_bytes(RAW)),
        signing_keys.private_key_pem(Ed25519PrivateKey.from_private_bytes(RAW)).encode(),
    ],
)
def test_a_private_key_is_read_from_pem_or_the_base64_of_its_32_bytes(value):
    assert raw_of(signing_keys.load_key(value, "LOG_SIGNING_KEY")) == RAW


def test_a_public_key_is_published_but_never_signs():
    public_pem = signing_keys.public_key_pem(Ed25519PrivateKey.from_private_bytes(RAW).public_key())
    with pytest.raises(SigningKeyError) as refused:
        signing_keys.load_key(public_pem, "RECEIPT_SIGNING_KEY")
    assert str(refused.value) == "RECEIPT_SIGNING_KEY holds a public key; signing needs the private key"
    public = signing_keys.load_key(public_pem, "RECEIPT_RETIRED_KEY_FILES k.pem", private=False)
    assert isinstance(public, Ed25519PublicKey)
    # A private key where a public one will do gives its public half.
    private_pem = signing_keys.private_key_pem(Ed25519PrivateKey.from_private_bytes(RAW))
    assert signing_keys.load_key(private_pem, "X", private=False) == public


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (base64.b64encode(b"short").decode(), "LOG_SIGNING_KEY: 32 bytes of base64 or a PEM Ed25519 private key"),
        ("not-a-key", "LOG_SIGNING_KEY is not an Ed25519 key in PEM or base64 (Invalid base64"),
        (
            "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----",
            "LOG_SIGNING_KEY is not an Ed25519 key in PEM",
        ),
        ("khoá bí mật", "LOG_SIGNING_KEY is not an Ed25519 key in PEM or base64"),
        (b"\xff\xfe", "LOG_SIGNING_KEY is not an Ed25519 key in PEM or base64"),
    ],
)
def test_an_unusable_key_is_one_line_naming_the_setting(value, message):
    with pytest.raises(SigningKeyError) as refused:
        signing_keys.load_key(value, "LOG_SIGNING_KEY")
    assert str(refused.value).startswith(message)
    assert "\n" not in str(refused.value)


def test_a_key_of_another_algorithm_is_refused():
    rsa_pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=1024)
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    with pytest.raises(SigningKeyError, match="^RECEIPT_SIGNING_KEY is not an Ed25519 key$"):
        signing_keys.load_key(rsa_pem, "RECEIPT_SIGNING_KEY")


def test_a_key_file_is_read_bounded_and_named_in_errors(tmp_path):
    good = tmp_path / "key.pem"
    good.write_text(signing_keys.private_key_pem(Ed25519PrivateKey.from_private_bytes(RAW)))
    assert raw_of(signing_keys.load_key_file(good, "RECEIPT_SIGNING_KEY_FILE")) == RAW
    huge = tmp_path / "huge.pem"
    huge.write_bytes(b"A" * (signing_keys.MAX_KEY_FILE_BYTES + 1))
    with pytest.raises(SigningKeyError, match=f"^RECEIPT_SIGNING_KEY_FILE: {huge} is too large to be a key$"):
        signing_keys.load_key_file(huge, "RECEIPT_SIGNING_KEY_FILE")
    missing = tmp_path / "missing.pem"
    with pytest.raises(SigningKeyError, match=f"^RECEIPT_SIGNING_KEY_FILE: cannot read {missing} "):
        signing_keys.load_key_file(missing, "RECEIPT_SIGNING_KEY_FILE")
    bad = tmp_path / "bad.pem"
    bad.write_text("nope")
    with pytest.raises(SigningKeyError, match=f"^RECEIPT_SIGNING_KEY_FILE {bad}: 32 bytes"):
        signing_keys.load_key_file(bad, "RECEIPT_SIGNING_KEY_FILE")


def test_the_setting_comes_before_the_file_and_neither_is_none(settings, tmp_path):
    other = Ed25519PrivateKey.generate()
    path = tmp_path / "key.pem"
    path.write_text(signing_keys.private_key_pem(other))
    settings.RECEIPT_SIGNING_KEY, settings.RECEIPT_SIGNING_KEY_FILE = base64.b64encode(RAW).decode(), str(path)
    assert raw_of(signing_keys.configured_key("RECEIPT_SIGNING_KEY", "RECEIPT_SIGNING_KEY_FILE")) == RAW
    settings.RECEIPT_SIGNING_KEY = ""
    assert raw_of(signing_keys.configured_key("RECEIPT_SIGNING_KEY", "RECEIPT_SIGNING_KEY_FILE")) == raw_of(other)
    settings.RECEIPT_SIGNING_KEY_FILE = ""
    assert signing_keys.configured_key("RECEIPT_SIGNING_KEY", "RECEIPT_SIGNING_KEY_FILE") is None
    settings.LOG_SIGNING_KEY = ""
    assert signing_keys.configured_key("LOG_SIGNING_KEY") is None
