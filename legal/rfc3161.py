"""The RFC 3161 time-stamp protocol: build a request, check a response.

The only module that knows asn1crypto (ASN.1/CMS structures); signatures are checked with
`cryptography`. A response is accepted only when the authority granted it, it stamps the
digest and nonce that were asked for, and its CMS signature verifies with the signer's
certificate carried in the token, whose key usage is time-stamping. Whether that
certificate chains to an authority one trusts is the reader's check, with the TSA's CA
(`openssl ts -verify -data vi.md -in vi.md.tsr -CAfile tsa-ca.pem`).
"""

import datetime
import hashlib
from dataclasses import dataclass

from asn1crypto import cms, core, tsp
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

# Hash algorithms a signer may use: asn1crypto's name → (hashlib name, cryptography class).
_HASHES = {
    "sha256": ("sha256", hashes.SHA256),
    "sha384": ("sha384", hashes.SHA384),
    "sha512": ("sha512", hashes.SHA512),
}
GRANTED = ("granted", "granted_with_mods")


class _TimeStampResp(core.Sequence):
    """RFC 3161 §2.4.2 TimeStampResp. asn1crypto's own makes the token required, but an
    authority that refuses sends the status alone."""

    _fields = [("status", tsp.PKIStatusInfo), ("time_stamp_token", cms.ContentInfo, {"optional": True})]


class InvalidResponse(ValueError):
    """The authority's answer is not a valid time-stamp of what was asked; the message says why."""


@dataclass(frozen=True)
class Token:
    gen_time: datetime.datetime
    serial_number: int
    signer: str


def build_request(digest: bytes, *, nonce: int) -> bytes:
    """A DER TimeStampReq for a SHA-256 `digest`, asking for the signer's certificate."""
    return tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": digest},
            "nonce": nonce,
            "cert_req": True,
        }
    ).dump()


def _signer_certificate(signed_data, signer_info):
    sid = signer_info["sid"]
    for choice in signed_data["certificates"] or []:
        if choice.name != "certificate":
            continue
        certificate = choice.chosen
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if certificate.issuer == wanted["issuer"] and certificate.serial_number == wanted["serial_number"].native:
                return certificate
        elif sid.name == "subject_key_identifier" and certificate.key_identifier == sid.chosen.native:
            return certificate
    raise InvalidResponse("the token does not carry its signer's certificate")


def _verify_signature(certificate, signer_info, signed_bytes):
    digest_name = signer_info["digest_algorithm"]["algorithm"].native
    if digest_name not in _HASHES:
        raise InvalidResponse(f"unsupported digest algorithm {digest_name}")
    algorithm = _HASHES[digest_name][1]()
    key = load_der_public_key(certificate.public_key.dump())
    signature = signer_info["signature"].native
    scheme = signer_info["signature_algorithm"].signature_algo
    try:
        if isinstance(key, rsa.RSAPublicKey) and scheme == "rsassa_pkcs1v15":
            key.verify(signature, signed_bytes, padding.PKCS1v15(), algorithm)
        elif isinstance(key, rsa.RSAPublicKey) and scheme == "rsassa_pss":
            key.verify(signature, signed_bytes, padding.PSS(padding.MGF1(algorithm), padding.PSS.AUTO), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey) and scheme == "ecdsa":
            key.verify(signature, signed_bytes, ec.ECDSA(algorithm))
        elif isinstance(key, ed25519.Ed25519PublicKey) and scheme == "ed25519":
            key.verify(signature, signed_bytes)
        else:
            raise InvalidResponse(f"unsupported signature algorithm {scheme}")
    except InvalidSignature:
        raise InvalidResponse("the token's signature does not verify") from None


def _check(der, digest, nonce):
    response = _TimeStampResp.load(der, strict=True)
    status = response["status"]["status"].native
    if status not in GRANTED:
        text = response["status"]["status_string"].native or []
        raise InvalidResponse(f"the authority answered {status}" + (f": {' '.join(text)[:200]}" if text else ""))
    token = response["time_stamp_token"]
    if token["content_type"].native != "signed_data":
        raise InvalidResponse("the token is not CMS signed data")
    signed_data = token["content"]
    encapsulated = signed_data["encap_content_info"]
    if encapsulated["content_type"].native != "tst_info":
        raise InvalidResponse("the token does not hold a TSTInfo")
    tst_bytes = encapsulated["content"].contents
    info = tsp.TSTInfo.load(tst_bytes, strict=True)
    imprint = info["message_imprint"]
    if imprint["hash_algorithm"]["algorithm"].native != "sha256" or imprint["hashed_message"].native != digest:
        raise InvalidResponse("the token stamps another digest than the one sent")
    if info["nonce"].native != nonce:
        raise InvalidResponse("the token's nonce is not the request's")
    signer_infos = signed_data["signer_infos"]
    if len(signer_infos) != 1:
        raise InvalidResponse("the token has no single signer")
    signer_info = signer_infos[0]
    attributes = {attribute["type"].native: attribute["values"] for attribute in signer_info["signed_attrs"]}
    if [value.native for value in attributes.get("content_type", [])] != ["tst_info"]:
        raise InvalidResponse("the signed content type is not TSTInfo")
    digest_name = signer_info["digest_algorithm"]["algorithm"].native
    if digest_name not in _HASHES:
        raise InvalidResponse(f"unsupported digest algorithm {digest_name}")
    expected = hashlib.new(_HASHES[digest_name][0], tst_bytes).digest()
    if [value.native for value in attributes.get("message_digest", [])] != [expected]:
        raise InvalidResponse("the signed digest is not that of the TSTInfo")
    certificate = _signer_certificate(signed_data, signer_info)
    if "time_stamping" not in (
        certificate.extended_key_usage_value.native if certificate.extended_key_usage_value else []
    ):
        raise InvalidResponse("the signer's certificate is not for time-stamping")
    # The signature covers the DER of the signed attributes as a SET, not as the [0] field.
    signed_bytes = b"\x31" + signer_info["signed_attrs"].dump()[1:]
    _verify_signature(certificate, signer_info, signed_bytes)
    return Token(
        gen_time=info["gen_time"].native,
        serial_number=info["serial_number"].native,
        signer=certificate.subject.human_friendly,
    )


def check_response(der: bytes, *, digest: bytes, nonce: int) -> Token:
    """The Token in `der` if it is a granted, signed time-stamp of `digest` with `nonce`.

    Raises InvalidResponse with a one-line reason for anything else, garbage included.
    """
    try:
        return _check(der, digest, nonce)
    except InvalidResponse:
        raise
    except Exception as error:  # asn1crypto parses lazily: a malformed field fails anywhere
        raise InvalidResponse(f"not a valid time-stamp response ({type(error).__name__})") from None
