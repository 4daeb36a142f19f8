"""legal/rows.py: one row of hand-written SQL as the instance the ORM would give."""

import pytest

from django.db import connection

from legal.models import DocumentVersion, ProductCredential
from legal.product_auth import issue_credential
from legal.rows import Lookup

pytestmark = pytest.mark.django_db


def test_a_lookup_loads_the_fields_it_names_whatever_their_order_converted_as_the_orm_does(terms):
    """Dates come back aware and JSON decoded on both databases; the fields left out load when asked for."""
    lookup = Lookup(DocumentVersion, ["body_sha256_vi", "number", "effective_at", "id"], where='"id" = %s')
    found = lookup.first([terms.pk])
    expected = DocumentVersion.objects.get(pk=terms.pk)
    assert (found.pk, found.number, found.body_sha256_vi, found.effective_at) == (
        expected.pk, expected.number, expected.body_sha256_vi, expected.effective_at,
    )  # fmt: skip
    assert found.effective_at.tzinfo is not None
    assert found.get_deferred_fields() >= {"body_vi", "status"}
    assert found.status == expected.status  # read with a query of its own
    assert lookup.first([-1]) is None


def test_a_credential_found_by_its_digest_is_the_one_the_orm_finds(db):
    credential, _secret = issue_credential(name="Media Live", scopes=["acceptances:read"])
    found = ProductCredential.objects.by_digest(credential.token_sha256)
    assert found == ProductCredential.objects.filter(token_sha256=credential.token_sha256).first()
    assert found.scopes == ["acceptances:read"] and found.name == "Media Live" and found.revoked_at is None
    assert ProductCredential.objects.by_digest("0" * 64) is None


def test_an_instant_is_sent_as_the_orm_sends_it(terms):
    assert Lookup.instant(terms.effective_at) == connection.ops.adapt_datetimefield_value(terms.effective_at)
    earlier = Lookup(DocumentVersion, ["id"], where='"effective_at" <= %s AND "id" = %s')
    assert earlier.first([Lookup.instant(terms.effective_at), terms.pk]).pk == terms.pk
