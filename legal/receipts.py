"""Signed receipts of acceptance records: a compact JWS (EdDSA, Ed25519) and the public keys.

A receipt is the record's JSON (keys sorted, no spaces) signed with the site's Ed25519 key;
anyone verifies it with the keys published at `/.well-known/jwks.json` and any JOSE library.
Ed25519 signatures are deterministic, so the same record under the same key always gives
the same receipt: receipts are computed when a record is shown, not stored.

The private key never lives in the repository. `RECEIPT_SIGNING_KEY` holds its PEM, or
`RECEIPT_SIGNING_KEY_FILE` names a file holding it (`make run` generates one per checkout
into .receipt_key with `python -m legal.signing_keys`, which reads and checks every key). Rotation: sign with a new key and list
the old one's file in `RECEIPT_RETIRED_KEY_FILES`; the JWKS keeps publishing its public half
(never the private one) so the receipts it signed still verify. A key's `kid` is its
RFC 7638 thumbprint, so it needs no name. With DJANGO_DEBUG=1 and no key, the process makes
do with a key of its own (its receipts stop verifying when it restarts).

joserfc is used here and nowhere else, so swapping the JOSE library is a one-file change.
"""

import functools
import json
import logging
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jws
from joserfc.errors import UnsupportedAlgorithmError
from joserfc.jwk import OKPKey
from joserfc.jws import JWSRegistry

from django.conf import settings
from django.core.signals import setting_changed

from .signing_keys import SigningKeyError, configured_key, load_key_file, private_key_pem, public_key_pem

logger = logging.getLogger("legal.receipts")

ALGORITHM = "EdDSA"


class _EdDSARegistry(JWSRegistry):
    """Allows EdDSA alone, without joserfc's deprecation warning for it.

    RFC 9864 prefers the fully specified name "Ed25519" for the very same signature; "EdDSA"
    is what verifiers in the field (PyJWT, jose, nimbus-jose-jwt) accept today.
    """

    def get_alg(self, name):
        if name != ALGORITHM:
            raise UnsupportedAlgorithmError(f"Algorithm of {name!r} is not allowed")
        return self.algorithms[name]


REGISTRY = _EdDSARegistry(algorithms=[ALGORITHM])
SETTINGS = {"RECEIPT_SIGNING_KEY", "RECEIPT_SIGNING_KEY_FILE", "RECEIPT_RETIRED_KEY_FILES", "DEBUG"}
# The one error of an unusable key, under the name this module's callers know.
ReceiptKeyError = SigningKeyError


@dataclass(frozen=True)
class Keys:
    signing: OKPKey
    kid: str
    published: tuple[dict, ...]  # public JWKs: the signing key's first, then retired ones


def _jose(key) -> OKPKey:
    """The joserfc form of a key read by `legal.signing_keys`."""
    if isinstance(key, Ed25519PrivateKey):
        return OKPKey.import_key(private_key_pem(key))
    return OKPKey.import_key(public_key_pem(key))


def _public_jwk(key):
    return {**key.as_dict(private=False), "kid": key.thumbprint(), "use": "sig", "alg": ALGORITHM}


@functools.cache
def keys() -> Keys:
    """The signing key and the published ones, read once per process (and after a settings change)."""
    key = configured_key("RECEIPT_SIGNING_KEY", "RECEIPT_SIGNING_KEY_FILE")
    if key is None:
        if not settings.DEBUG:
            raise ReceiptKeyError("neither RECEIPT_SIGNING_KEY nor RECEIPT_SIGNING_KEY_FILE is set")
        logger.warning("no RECEIPT_SIGNING_KEY: signing receipts with a key of this process only")
        key = Ed25519PrivateKey.generate()
    signing = _jose(key)
    published = {signing.thumbprint(): _public_jwk(signing)}
    for name in settings.RECEIPT_RETIRED_KEY_FILES:
        retired = _jose(load_key_file(name, "RECEIPT_RETIRED_KEY_FILES", private=False))
        published.setdefault(retired.thumbprint(), _public_jwk(retired))
    return Keys(signing=signing, kid=signing.thumbprint(), published=tuple(published.values()))


def _forget_keys(*, setting, **kwargs):
    if setting in SETTINGS:
        keys.cache_clear()


setting_changed.connect(_forget_keys, dispatch_uid="legal.receipts.forget_keys")


def payload(record: dict) -> bytes:
    """The signed bytes of a record: its JSON with sorted keys and no spaces, in UTF-8."""
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign(record: dict) -> str:
    """The compact JWS of `record`; raises ReceiptKeyError when no usable key is configured."""
    current = keys()
    header = {"alg": ALGORITHM, "kid": current.kid, "typ": "JOSE"}
    return jws.serialize_compact(header, payload(record), current.signing, registry=REGISTRY)


def sign_or_none(record: dict) -> str | None:
    """The receipt, or None (logged) when the key is missing or broken: a read never fails on it."""
    try:
        return sign(record)
    except ReceiptKeyError as problem:
        logger.error("acceptance receipts cannot be signed: %s", problem)
        return None


def jwks() -> dict:
    """The JSON Web Key Set of every key whose receipts verify: public halves only."""
    return {"keys": list(keys().published)}
