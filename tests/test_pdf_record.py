"""The PDF of record: made once after publishing, with its text, footer and the Markdown attached."""

import hashlib
import io
from io import StringIO

import pypdf
import pytest

from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from legal import pdf_record
from legal.models import AppendOnlyError, RecordPdf
from tests.conftest import make_version, site_time, text_of

pytestmark = pytest.mark.django_db


def build():
    out = StringIO()
    call_command("fetch_timestamps", stdout=out)
    return out.getvalue().splitlines()[0]


def read(content):
    return pypdf.PdfReader(io.BytesIO(content))


def test_publishing_leaves_the_pdf_to_the_worker_which_makes_it_once(terms, client):
    """No PDF is made in the publish; the worker makes one per language, and never again."""
    assert RecordPdf.objects.count() == 0
    assert client.get("/vi/terms-of-service/versions/1/vi.pdf").status_code == 404
    assert "PDF" not in text_of(client.get("/vi/terms-of-service/versions/1/"))
    assert build() == "2 PDFs of record made, 0 could not be made (see the log)."
    assert build() == "0 granted, 0 to retry, 0 failed; 0 pending."  # nothing left to make
    assert sorted(RecordPdf.objects.values_list("language", flat=True)) == ["en", "vi"]
    page = client.get("/vi/terms-of-service/versions/1/").content.decode()
    assert '<a href="/vi/terms-of-service/versions/1/vi.pdf">PDF</a>' in page


@pytest.mark.parametrize(
    "language, words, sentence",
    [
        ("vi", "Điều khoản sử dụng", "Sigma.video là nền tảng (phần mềm dịch vụ) cung cấp giải pháp"),
        ("en", "Terms of Service", "Sigma.video is a platform (software"),
    ],
)
def test_the_pdf_holds_the_text_footer_and_the_exact_markdown(
    terms, client, public_site_url, language, words, sentence
):
    build()
    response = client.get(f"/{language}/terms-of-service/versions/1/{language}.pdf")
    assert response["Content-Type"] == "application/pdf"
    document = read(response.content)
    sha256 = getattr(terms, f"body_sha256_{language}")
    url = f"https://terms.sigma.video/{language}/terms-of-service/versions/1/"
    pages = [page.extract_text() for page in document.pages]
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert f"SHA-256 {sha256}" in text and url in text and f"{number}/{len(pages)}" in text
    footer = {"vi": "phiên bản 1 · có hiệu lực từ", "en": "version 1 · effective"}[language]
    assert all(footer in text for text in pages)
    assert pages[0].startswith(words)  # real, selectable text, Vietnamese marks included
    assert sentence in " ".join(pages[0].split())
    attached = document.attachments[f"terms-of-service-v1.{language}.md"][0]
    assert hashlib.sha256(attached).hexdigest() == sha256
    assert attached == client.get(f"/{language}/terms-of-service/versions/1/{language}.md").content


def test_a_pdf_of_record_is_never_changed_or_deleted(terms):
    build()
    record = RecordPdf.objects.first()
    with pytest.raises(AppendOnlyError):
        record.delete()
    for sql in ("UPDATE legal_recordpdf SET sha256 = 'x'", "DELETE FROM legal_recordpdf"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql)
    assert RecordPdf.objects.count() == 2


HOSTILE = """## Bảng

| a | b |
|---|---|
| một | hai | ba | bốn |
| năm |

```
mã nguồn có dấu: điều khoản
```

> trích dẫn **đậm** _nghiêng_

{long}
"""


def test_hostile_text_still_gets_its_pdf(terms):
    """A ragged table, code and a 20,000-letter word with Vietnamese marks: the PDF is made, text intact."""
    body = HOSTILE.format(long="ệ" * 20000)
    version = make_version(terms.document, body_vi=body, body_en=body, effective_at=site_time(2026, 12, 1))
    made, failed = pdf_record.build_missing()
    assert failed == [] and len(made) == 4
    content = bytes(RecordPdf.objects.get(version=version, language="vi").pdf)
    document = read(content)
    text = "".join(page.extract_text() for page in document.pages)
    assert "mã nguồn có dấu" in text and "ệệệệ" in text
    attached = document.attachments["terms-of-service-v2.vi.md"][0]
    assert hashlib.sha256(attached).hexdigest() == version.body_sha256_vi


def test_a_withdrawn_version_keeps_its_pdf(terms, client):
    from legal.publishing import withdraw_version

    version = make_version(terms.document, effective_at=site_time(2026, 12, 1))
    withdraw_version(version, reason="Mistake.")
    build()
    assert client.get("/en/terms-of-service/versions/2/en.pdf").status_code == 200
    assert client.get("/en/terms-of-service/versions/3/en.pdf").status_code == 404
    assert client.get("/en/terms-of-service/versions/2/xx.pdf").status_code == 404
