"""The site's Ed25519 keys: reading one from a setting or a file, checking it, and making a new one.

The transparency log signs with `LOG_SIGNING_KEY` (`legal.transparency`) and acceptance
receipts with `RECEIPT_SIGNING_KEY` or `RECEIPT_SIGNING_KEY_FILE`, publishing the keys in
`RECEIPT_RETIRED_KEY_FILES` too (`legal.receipts`); both read them here. A key is a PEM
(PKCS#8 private key, or SubjectPublicKeyInfo where a public key will do) or the base64 of
the 32 bytes of a private key. A key that cannot be used raises SigningKeyError, whose
message is one line naming the setting.

`python -m legal.signing_keys > key.pem` makes a new private key; `make` generates each
checkout's `.log_signing_key` and `.receipt_key` with it.
"""

import base64
import binascii

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

# A PEM Ed25519 key is about 120 bytes; a larger file is not one.
MAX_KEY_FILE_BYTES = 16 * 1024


class SigningKeyError(ValueError):
    """A configured key cannot be used; the message is one line naming the setting."""


def new_private_key_pem() -> str:
    """A new Ed25519 private key as PKCS#8 PEM."""
    return private_key_pem(Ed25519PrivateKey.generate())


def private_key_pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def public_key_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def _text(value: str | bytes, where: str) -> str:
    if isinstance(value, bytes):
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            raise SigningKeyError(f"{where} is not an Ed25519 key in PEM or base64") from None
    return value.strip()


def load_key(value: str | bytes, where: str, *, private: bool = True) -> Ed25519PrivateKey | Ed25519PublicKey:
    """The Ed25519 key `value` holds; `where` names its setting (and file) in the error.

    With `private`, only a private key will do; without, a public key is returned (the
    public half of a private one).
    """
    text = _text(value, where)
    try:
        if text.startswith("-----BEGIN PUBLIC KEY-----"):
            key = serialization.load_pem_public_key(text.encode("ascii"))
        elif text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        else:
            raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=False)
            if len(raw) != 32:
                raise SigningKeyError(f"{where}: 32 bytes of base64 or a PEM Ed25519 private key")
            key = Ed25519PrivateKey.from_private_bytes(raw)
    except (ValueError, TypeError, binascii.Error, UnicodeEncodeError) as error:
        if isinstance(error, SigningKeyError):
            raise
        reason = str(error).splitlines()[0] if str(error) else error.__class__.__name__
        raise SigningKeyError(f"{where} is not an Ed25519 key in PEM or base64 ({reason})") from None
    if isinstance(key, Ed25519PublicKey):
        if private:
            raise SigningKeyError(f"{where} holds a public key; signing needs the private key")
        return key
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{where} is not an Ed25519 key")
    return key if private else key.public_key()


def read_key_file(path, setting: str) -> bytes:
    """The bytes of the key file `path` that `setting` names, refused unread when too large for a key."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_KEY_FILE_BYTES + 1)
    except OSError as error:
        raise SigningKeyError(f"{setting}: cannot read {path} ({error.strerror or error.__class__.__name__})") from None
    if len(data) > MAX_KEY_FILE_BYTES:
        raise SigningKeyError(f"{setting}: {path} is too large to be a key")
    return data


def load_key_file(path, setting: str, *, private: bool = True) -> Ed25519PrivateKey | Ed25519PublicKey:
    """The key in the file `path` that `setting` names (see `load_key`)."""
    return load_key(read_key_file(path, setting), f"{setting} {path}", private=private)


def configured_key(setting: str, file_setting: str | None = None) -> Ed25519PrivateKey | None:
    """The private key in the setting `setting`, else in the file `file_setting` names; None when neither is set."""
    from django.conf import settings

    value = getattr(settings, setting, "")
    if value:
        return load_key(value, setting)
    path = getattr(settings, file_setting, "") if file_setting else ""
    if path:
        return load_key_file(path, file_setting)
    return None


if __name__ == "__main__":  # `python -m legal.signing_keys > key.pem`: a new private key
    print(new_private_key_pem(), end="")
