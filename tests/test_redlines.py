"""The stored redline of a published pair (legal/redlines.py): computed once, served again, optional."""

import re

import pytest

from django.core.cache import cache
from django.db import connection

from legal.models import StoredRedline
from tests.conftest import text_of

pytestmark = pytest.mark.django_db


def test_compare_page_stores_the_redline_and_serves_it_again(client, three_versions):
    """The second reader of a published pair gets the stored redline, not a new computation."""
    assert client.get("/en/terms-of-service/compare/1/2/").status_code == 200
    stored = StoredRedline.objects.get()
    assert (stored.old.number, stored.new.number, stored.language) == (1, 2, "en")
    assert stored.new_sha256 == three_versions[1].body_sha256_en
    data = stored.data
    segment = next(b[2] for s in data for b in s[5] if b[1] == "changed")
    segment[:] = [["insert", "STORED REDLINE MARKER"]]
    StoredRedline.objects.filter(pk=stored.pk).update(data=data)
    cache.clear()
    assert "STORED REDLINE MARKER" in text_of(client.get("/en/terms-of-service/compare/1/2/"))
    assert StoredRedline.objects.count() == 1


def test_compare_page_is_served_when_redlines_cannot_be_stored(client, three_versions):
    """Storing is an optimisation: without the table the page is computed and served."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE legal_storedredline")
    response = client.get("/vi/terms-of-service/compare/1/2/")
    assert response.status_code == 200
    assert re.search(r"<ins><span class=\"visually-hidden\">[^<]*</span>phải", response.content.decode())
