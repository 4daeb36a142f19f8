"""Repr-Digest (RFC 9530) and a clear file name on the Markdown downloads."""

import base64
import gzip
import hashlib

import pytest

pytestmark = pytest.mark.django_db


def repr_digest(response):
    value = response["Repr-Digest"]
    assert value.startswith("sha-256=:") and value.endswith(":")
    return base64.b64decode(value.removeprefix("sha-256=:").removesuffix(":"))


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_digest_is_that_of_the_bytes_sent(client, terms, language):
    response = client.get(f"/{language}/terms-of-service/versions/1/{language}.md")
    assert "Content-Encoding" not in response
    assert repr_digest(response) == hashlib.sha256(response.content).digest()
    assert repr_digest(response).hex() == getattr(terms, f"body_sha256_{language}")
    assert response["Content-Disposition"] == f'inline; filename="terms-of-service-v1.{language}.md"'


def test_a_gzipped_download_carries_the_digest_of_the_gzipped_bytes(client, terms):
    response = client.get("/vi/terms-of-service/versions/1/vi.md", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    assert repr_digest(response) == hashlib.sha256(response.content).digest()
    assert gzip.decompress(response.content).decode() == terms.body_vi


def test_pages_carry_no_digest(client, terms):
    assert "Repr-Digest" not in client.get("/vi/terms-of-service/versions/1/")


def test_a_not_modified_answer_carries_no_digest(client, terms):
    first = client.get("/vi/terms-of-service/versions/1/vi.md")
    again = client.get("/vi/terms-of-service/versions/1/vi.md", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and "Repr-Digest" not in again
