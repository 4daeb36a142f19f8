"""Acceptance records and product credentials (legal/models/acceptances.py): storage, commands, admin, append-only.

The API that records and reads them is tests/test_acceptance_api.py's.
"""

import hashlib
import json

import pytest

from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from legal import acceptance_api, acceptance_triggers
from legal.models import Acceptance, ProductCredential, Scope
from legal.product_auth import issue_credential
from tests.conftest import START, make_version, site_time
from tests.test_acceptance_api import STATUS, accept, assert_error, bearer, post, status_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("public_site_url")]


@pytest.fixture
def token(db):
    """A product token with every scope."""
    return issue_credential(name="Media VOD")[1]


@pytest.fixture
def material(terms):
    """Version 2, a material change, takes effect on 1 January 2027."""
    return make_version(terms.document, effective_at=site_time(2027, 1, 1), editorial=False)


# Product credentials ---------------------------------------------------------------------------------------------


def test_only_the_sha256_of_the_secret_is_stored(token):
    credential = ProductCredential.objects.get()
    assert credential.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert len(token) == 43  # 256 bits, URL-safe base64
    assert token not in json.dumps(list(ProductCredential.objects.values()), default=str)
    assert credential.scopes == Scope.values


def test_create_product_token_prints_the_secret_alone_on_its_last_line(client, terms, capsys):
    call_command("create_product_token", "Media Live", "--scopes", "acceptances:read")
    secret = capsys.readouterr().out.splitlines()[-1]
    credential = ProductCredential.objects.get(name="Media Live")
    assert credential.scopes == ["acceptances:read"]
    assert credential.token_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert status_of(client, secret, "acct-1")["accepted_version"] is None
    assert_error(post(client, secret, {}), 403, "insufficient_scope")
    with pytest.raises(CommandError, match="exists"):
        call_command("create_product_token", "Media Live")


def test_create_product_token_gives_every_scope_by_default(capsys, db):
    call_command("create_product_token", "SSAI")
    assert ProductCredential.objects.get(name="SSAI").scopes == Scope.values


# Append-only -----------------------------------------------------------------------------------------------------


def test_the_append_only_triggers_are_installed(db):
    assert acceptance_triggers.installed(connection) == set(acceptance_triggers.TRIGGERS[connection.vendor])


@pytest.mark.django_db(transaction=True)
def test_migrate_puts_lost_triggers_back():
    """The post_migrate handler legal/apps.py connects reinstalls them (SQLite drops them on table rebuilds)."""
    acceptance_triggers.remove(connection)
    assert acceptance_triggers.installed(connection) == set()
    call_command("migrate", verbosity=0)
    assert acceptance_triggers.installed(connection) == set(acceptance_triggers.TRIGGERS[connection.vendor])


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE legal_acceptance SET account = 'someone-else'",
        "UPDATE legal_acceptance SET accepted_at = recorded_at",
        "DELETE FROM legal_acceptance",
    ],
)
def test_the_database_refuses_to_change_or_delete_an_acceptance(client, terms, token, statement):
    accept(client, token)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert Acceptance.objects.get().account == "acct-123"


def test_querysets_cannot_change_or_delete_an_acceptance_either(client, terms, token):
    accept(client, token)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Acceptance.objects.update(language="en")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Acceptance.objects.all().delete()
    assert Acceptance.objects.get().language == "vi"


# Evidence of one account -----------------------------------------------------------------------------------------


def test_export_acceptances_prints_an_accounts_evidence_with_receipts_and_keys(client, terms, token, material, capsys):
    accept(client, token, account="other")
    first = accept(client, token)
    second = accept(client, token, version=2)
    call_command("export_acceptances", "acct-123")
    evidence = json.loads(capsys.readouterr().out)
    assert evidence["document"] == "terms-of-service" and evidence["account"] == "acct-123"
    assert evidence["records"] == [first, second]
    assert evidence["records"][0]["version_url"] == "https://terms.sigma.video/vi/terms-of-service/versions/1/"
    assert evidence["jwks"] == client.get("/.well-known/jwks.json").json()
    call_command("export_acceptances", "acct-123", "--format", "csv")
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split(",") == acceptance_api.EXPORT_COLUMNS
    assert [row.split(",")[0] for row in rows] == [str(first["id"]), str(second["id"])]
    assert rows[1].endswith(second["receipt"])


def test_export_acceptances_writes_a_file_and_refuses_bad_input(client, terms, token, tmp_path):
    accept(client, token)
    target = tmp_path / "evidence.json"
    call_command("export_acceptances", "acct-123", "--output", str(target))
    assert len(json.loads(target.read_text())["records"]) == 1
    with pytest.raises(CommandError, match="no document has the slug 'nope'"):
        call_command("export_acceptances", "acct-123", "--document", "nope")
    with pytest.raises(CommandError, match="an account is 1 to 128"):
        call_command("export_acceptances", "a/b")
    with pytest.raises(CommandError, match="No such file or directory"):
        call_command("export_acceptances", "acct-123", "--output", str(tmp_path / "missing" / "x.json"))


# Admin -----------------------------------------------------------------------------------------------------------


def test_a_superuser_creates_a_credential_and_sees_its_token_once(client, terms):
    client.force_login(User.objects.create_superuser("root", password="pw"))
    response = client.post(
        "/admin/legal/productcredential/add/", {"name": "Livestream", "scopes": ["acceptances:read"]}
    )
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    credential = ProductCredential.objects.get()
    assert (credential.name, credential.scopes, credential.created_by.username) == (
        "Livestream",
        ["acceptances:read"],
        "root",
    )
    assert credential.token_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert status_of(client, secret)["accepted_version"] is None
    page = client.get(f"/admin/legal/productcredential/{credential.pk}/change/")
    assert secret not in page.content.decode()


def test_a_superuser_revokes_credentials_in_the_admin(client, terms, token):
    client.force_login(User.objects.create_superuser("root", password="pw"))
    credential = ProductCredential.objects.get()
    response = client.post(
        "/admin/legal/productcredential/", {"action": "revoke", "_selected_action": [credential.pk]}, follow=True
    )
    assert response.status_code == 200
    assert ProductCredential.objects.get().revoked_at == START
    assert_error(
        client.get(STATUS, {"document": "terms-of-service", "account": "a"}, **bearer(token)), 401, "invalid_token"
    )


def test_staff_who_are_not_superusers_cannot_see_credentials(client, terms):
    staff = User.objects.create_user("editor", password="pw", is_staff=True)
    staff.user_permissions.add(*__import__("django.contrib.auth.models").contrib.auth.models.Permission.objects.all())
    client.force_login(staff)
    assert client.get("/admin/legal/productcredential/").status_code == 403
    assert client.get("/admin/legal/productcredential/add/").status_code == 403


@pytest.mark.parametrize(("action", "content_type"), [("export_json", "application/json"), ("export_csv", "text/csv")])
def test_staff_who_may_view_acceptances_export_the_selected_records(client, terms, token, action, content_type):
    first, second = accept(client, token, account="acct-1"), accept(client, token, account="acct-2")
    staff = User.objects.create_user("legal", password="pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_acceptance"))
    client.force_login(staff)
    response = client.post(
        "/admin/legal/acceptance/",
        {"action": action, "_selected_action": [second["id"]]},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert response["Content-Disposition"].startswith("attachment;")
    body = response.content.decode()
    assert second["receipt"] in body and first["receipt"] not in body
    if action == "export_json":
        assert json.loads(body) == {"records": [second]}


def test_an_admin_export_is_bounded(client, terms, token, monkeypatch):
    from legal.admin import acceptances as admin_acceptances

    accept(client, token, account="acct-1")
    accept(client, token, account="acct-2")
    monkeypatch.setattr(admin_acceptances, "MAX_ADMIN_EXPORT", 1)
    client.force_login(User.objects.create_superuser("root", password="pw"))
    ids = list(Acceptance.objects.values_list("pk", flat=True))
    response = client.post("/admin/legal/acceptance/", {"action": "export_json", "_selected_action": ids}, follow=True)
    assert response["Content-Type"].startswith("text/html")
    assert "Chỉ chọn tối đa 1 bản ghi để xuất" in response.content.decode()  # the admin speaks Vietnamese


def test_staff_search_acceptances_by_account_read_only(client, terms, token):
    accept(client, token, account="acct-1")
    accept(client, token, account="acct-2")
    client.force_login(User.objects.create_superuser("root", password="pw"))
    response = client.get("/admin/legal/acceptance/", {"q": "acct-2"})
    assert [a.account for a in response.context["cl"].result_list] == ["acct-2"]
    pk = Acceptance.objects.get(account="acct-2").pk
    page = client.get(f"/admin/legal/acceptance/{pk}/change/")
    assert page.status_code == 200 and 'name="account"' not in page.content.decode()
    assert client.post(f"/admin/legal/acceptance/{pk}/delete/").status_code == 403
    assert client.get("/admin/legal/acceptance/add/").status_code == 403
