"""A real RFC 3161 time-stamping authority on loopback, with its own throwaway test CA.

It answers `application/timestamp-query` POSTs with tokens signed by an ECDSA P-256 key
whose certificate (extended key usage: time-stamping, critical) is issued by a test root.
The tokens carry the ESS signing-certificate-v2 attribute, so `openssl ts -verify` accepts
them with `-CAfile` naming the root. `mode` makes it misbehave as real authorities do:
"garbage" (not DER), "error" (HTTP 500), "rejection" (PKIStatus rejection), "wrong-nonce",
"wrong-digest", "bad-signature" (signed by another key), "slow" (holds the answer until `release` is set or 10 s pass).
"""

import datetime
import hashlib
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, issuer, public_key, signing_key, *, ca):
    start = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=365 * 30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
    else:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        builder = builder.add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
        )
    return builder.sign(signing_key, hashes.SHA256())


class TimeStampingAuthority:
    def __init__(self):
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        self.ca_cert = _certificate("Sigma Terms test TSA root", "Sigma Terms test TSA root",
                                    self.ca_key.public_key(), self.ca_key, ca=True)  # fmt: skip
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.cert = _certificate("Sigma Terms test TSA", "Sigma Terms test TSA root",
                                 self.key.public_key(), self.ca_key, ca=False)  # fmt: skip
        self.cert_der = self.cert.public_bytes(serialization.Encoding.DER)
        self.mode = "ok"
        self.requests = []
        self.release = threading.Event()
        self.serial = 0

    @property
    def ca_pem(self):
        return self.ca_cert.public_bytes(serialization.Encoding.PEM)

    def respond(self, body):
        request = tsp.TimeStampReq.load(body)
        imprint = request["message_imprint"]
        nonce = request["nonce"].native
        if self.mode == "rejection":
            # TimeStampResp with the status alone (asn1crypto's class insists on a token).
            status = tsp.PKIStatusInfo({"status": "rejection", "status_string": ["bad request"]}).dump()
            return b"\x30" + bytes([len(status)]) + status
        if self.mode == "wrong-digest":
            imprint = tsp.MessageImprint({"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": b"\x00" * 32})
        if self.mode == "wrong-nonce":
            nonce += 1
        self.serial += 1
        info = tsp.TSTInfo(
            {
                "version": "v1",
                "policy": "1.3.6.1.4.1.99999.1",
                "message_imprint": imprint,
                "serial_number": self.serial,
                "gen_time": datetime.datetime.now(datetime.UTC).replace(microsecond=0),
                "nonce": nonce,
            }
        )
        certificate = asn1_x509.Certificate.load(self.cert_der)
        signed_attrs = cms.CMSAttributes(
            [
                {"type": "content_type", "values": ["tst_info"]},
                {"type": "message_digest", "values": [hashlib.sha256(info.dump()).digest()]},
                {
                    "type": "signing_certificate_v2",
                    "values": [{"certs": [{"cert_hash": hashlib.sha256(self.cert_der).digest()}]}],
                },
            ]
        )
        signer = ec.generate_private_key(ec.SECP256R1()) if self.mode == "bad-signature" else self.key
        signature = signer.sign(signed_attrs.dump(), ec.ECDSA(hashes.SHA256()))
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": {
                    "issuer_and_serial_number": {
                        "issuer": certificate.issuer,
                        "serial_number": certificate.serial_number,
                    }
                },
                "digest_algorithm": {"algorithm": "sha256"},
                "signed_attrs": signed_attrs,
                "signature_algorithm": {"algorithm": "sha256_ecdsa"},
                "signature": signature,
            }
        )
        signed_data = cms.SignedData(
            {
                "version": "v3",
                "digest_algorithms": [{"algorithm": "sha256"}],
                "encap_content_info": {"content_type": "tst_info", "content": info},
                "certificates": [certificate] if request["cert_req"].native else [],
                "signer_infos": [signer_info],
            }
        )
        token = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
        return tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token}).dump()


def _handler(authority):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = min(int(self.headers.get("Content-Length") or 0), 65536)
            body = self.rfile.read(length)
            authority.requests.append((self.headers.get("Content-Type"), body))
            if authority.mode == "slow":
                authority.release.wait(10)
            if authority.mode == "error":
                self.send_error(500)
                return
            answer = b"this is not a time-stamp" if authority.mode == "garbage" else authority.respond(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    return Handler


@contextmanager
def tsa_server():
    """A TimeStampingAuthority serving on 127.0.0.1; yields (authority, url)."""
    authority = TimeStampingAuthority()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(authority))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield authority, f"http://127.0.0.1:{server.server_address[1]}/tsa"
    finally:
        authority.release.set()
        server.shutdown()
        server.server_close()
