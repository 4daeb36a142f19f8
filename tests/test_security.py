"""Security (sigma_terms/security.py): headers and CSP, admin login protection, client addresses, request ids, redirects that never leave the site.

The settings that switch these on are checked in test_settings.py."""

import io
import logging

import pytest

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from sigma_terms.security import RequestIdFilter

pytestmark = pytest.mark.django_db

PUBLIC = [
    "/vi/",
    "/vi/terms-of-service/",
    "/en/terms-of-service/versions/",
    "/en/terms-of-service/versions/1/",
    "/vi/no-such-page/",
    "/healthz",
]


def csp_directives(response):
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("path", PUBLIC + ["/", "/admin/login/", "/static/legal/site.css"])
def test_every_response_carries_the_security_headers(client, terms, path):
    response = client.get(path)
    directives = csp_directives(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Permissions-Policy"].startswith("accelerometer=(), autoplay=(), camera=()")
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["X-Request-ID"]


SHARED_HEADERS = (
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "Cross-Origin-Resource-Policy",
    "X-Frame-Options",
    "Permissions-Policy",
    "Content-Language",
    "Content-Type",
    "Cache-Control",
    "Vary",
    "ETag",
    "Access-Control-Allow-Origin",
)


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("/vi/terms-of-service/", "vi"),
        ("/en/terms-of-service/", "en"),
        ("/en/terms-of-service/versions/", "en"),
        ("/vi/terms-of-service/versions/1/", "vi"),
        ("/api/documents/terms-of-service/", "vi"),
    ],
)
def test_cached_answers_carry_the_same_security_and_language_headers(client, terms, path, language):
    """A page answered from the page cache has every header the freshly rendered one had."""
    with CaptureQueriesContext(connection) as rendering:
        fresh = client.get(path)
    with CaptureQueriesContext(connection) as serving:
        cached = client.get(path)
    # The first answer was built from the database; the second came from the page cache.
    assert (len(rendering) > 0, len(serving)) == (True, 0)
    assert {name: cached.get(name) for name in SHARED_HEADERS} == {name: fresh.get(name) for name in SHARED_HEADERS}
    assert cached["Content-Language"] == language and cached["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", PUBLIC)
def test_public_pages_allow_no_inline_script_or_style(client, terms, path):
    response = client.get(path)
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    page = response.content.decode()
    assert "<script>" not in page and "<style" not in page and " style=" not in page and " on" + "click=" not in page


def test_only_the_admin_relaxes_inline_styles(admin_client):
    directives = csp_directives(admin_client.get("/admin/legal/documentversion/"))
    assert directives["style-src"] == ["'self'", "'unsafe-inline'"]
    assert directives["script-src"] == ["'self'"]


def test_hsts_and_secure_cookies_are_off_for_plain_http(client, terms):
    response = client.get("/vi/terms-of-service/")
    assert "Strict-Transport-Security" not in response
    assert not settings.SESSION_COOKIE_SECURE and not settings.SECURE_SSL_REDIRECT


# Admin login ---------------------------------------------------------------------------


def login(client, password, address="10.0.0.1"):
    return client.post("/admin/login/?next=/admin/", {"username": "legal", "password": password}, REMOTE_ADDR=address)


def test_five_failures_lock_the_username_from_that_address_for_an_hour(client, clock, caplog):
    from datetime import timedelta

    User.objects.create_user("legal", password="right-password", is_staff=True)
    for _ in range(4):
        assert login(client, "wrong").status_code == 200
    with caplog.at_level(logging.WARNING, logger="axes"):
        assert login(client, "wrong").status_code == 429  # the fifth failure locks the pair
        locked = login(client, "right-password")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert any("locking out" in record.getMessage().lower() for record in caplog.records)
    # Another address is not affected; the same address is, until the hour has passed.
    assert login(Client(), "right-password", address="10.0.0.2").status_code == 302
    clock.shift(timedelta(minutes=59))
    assert login(client, "right-password").status_code == 429
    # A refused attempt counts too: the hour runs from the last attempt.
    clock.shift(timedelta(minutes=61))
    assert login(client, "right-password").status_code == 302


def test_client_address_comes_from_the_trusted_header(client, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    User.objects.create_user("legal", password="right-password", is_staff=True)
    for i in range(5):
        # The client forges the left part; the proxy appends the real address.
        client.post(
            "/admin/login/",
            {"username": "legal", "password": "x"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"1.2.3.{i}, 203.0.113.9",
        )
    blocked = client.post(
        "/admin/login/",
        {"username": "legal", "password": "right-password"},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.9",
    )
    assert blocked.status_code == 429
    other = Client().post(
        "/admin/login/",
        {"username": "legal", "password": "right-password"},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.10",
    )
    assert other.status_code == 302


def test_admin_login_requires_csrf():
    User.objects.create_user("legal", password="right-password", is_staff=True)
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/admin/login/", {"username": "legal", "password": "right-password"}).status_code == 403


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "http:evil.example",
        " //evil.example",
        "///evil.example",
        "https:/evil.example",
    ],
)
def test_login_next_never_leads_off_site(client, target):
    User.objects.create_user("legal", password="right-password", is_staff=True)
    response = client.post(f"/admin/login/?next={target}", {"username": "legal", "password": "right-password"})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/") and not location.startswith("//") and "\\" not in location


def test_errors_are_logged_with_path_and_request_id(client):
    """The configured log line of a request's error names that request's id and path."""
    [console] = [h for h in logging.getLogger().handlers if any(isinstance(f, RequestIdFilter) for f in h.filters)]
    written = io.StringIO()
    stream = console.setStream(written)
    try:
        response = client.get("/vi/terms-of-service/versions/5/", HTTP_X_REQUEST_ID="req-12345678")
    finally:
        console.setStream(stream)
    assert response.status_code == 404 and response["X-Request-ID"] == "req-12345678"
    [line] = [line for line in written.getvalue().splitlines() if " django.request " in line]
    assert line.endswith(
        "WARNING django.request [request req-12345678 /vi/terms-of-service/versions/5/] "
        "Not Found: /vi/terms-of-service/versions/5/"
    )


def test_404_page_leaks_nothing(client, terms):
    page = client.get("/vi/terms-of-service/versions/5/").content.decode()
    for leak in ("Traceback", "settings", "urlpatterns", "DEBUG", "legal.views"):
        assert leak not in page


def test_a_forwarded_header_from_outside_the_trusted_proxies_cannot_dodge_the_lock_out(client, settings, caplog):
    """Reaching the app directly with a new X-Forwarded-For per attempt still locks the username out."""
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    User.objects.create_user("legal", password="right-password", is_staff=True)
    with caplog.at_level(logging.WARNING, logger="sigma_terms.security"):
        for i in range(5):
            client.post(
                "/admin/login/",
                {"username": "legal", "password": "x"},
                REMOTE_ADDR="198.51.100.7",
                HTTP_X_FORWARDED_FOR=f"10.0.{i}.1",
            )
    blocked = client.post(
        "/admin/login/",
        {"username": "legal", "password": "right-password"},
        REMOTE_ADDR="198.51.100.7",
        HTTP_X_FORWARDED_FOR="10.9.9.9",
    )
    assert blocked.status_code == 429
    assert "Ignored HTTP_X_FORWARDED_FOR from 198.51.100.7, which is not a trusted proxy" in caplog.text


@pytest.mark.parametrize(
    ("remote", "forwarded", "count", "expected"),
    [
        ("127.0.0.1", "203.0.113.9", 1, "203.0.113.9"),  # the proxy on this machine
        ("10.1.2.3", "1.1.1.1, 203.0.113.9", 1, "203.0.113.9"),  # a proxy in the trusted network
        ("127.0.0.1", "1.1.1.1, 203.0.113.9, 10.1.0.5", 2, "203.0.113.9"),  # two proxies
        ("198.51.100.7", "203.0.113.9", 1, "198.51.100.7"),  # not a proxy: header ignored
        ("127.0.0.1", "203.0.113.9", 2, "127.0.0.1"),  # fewer entries than proxies
        ("127.0.0.1", "not-an-address", 1, "127.0.0.1"),
        ("127.0.0.1", "", 1, "127.0.0.1"),
    ],
)
def test_client_address_is_taken_only_from_trusted_proxies(rf, settings, remote, forwarded, count, expected):
    from sigma_terms.security import client_ip

    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.TRUSTED_PROXY_COUNT = count
    settings.TRUSTED_PROXIES = ["127.0.0.1", "::1", "10.1.0.0/16"]
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_staff_passwords_are_hashed_with_argon2_and_old_pbkdf2_hashes_upgrade_on_login(client, db):
    """The production hashers: Argon2 first; a PBKDF2 hash still signs in and is upgraded then."""
    from django.conf import settings as project
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.test import override_settings

    from sigma_terms import settings as production

    hashers = production.PASSWORD_HASHERS
    assert hashers[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=hashers):
        user = User.objects.create_user("legal", password="correct horse battery staple", is_staff=True)
        assert user.password.startswith("argon2$argon2id$")
        user.password = make_password("correct horse battery staple", hasher="pbkdf2_sha256")
        user.save()
        response = client.post(
            f"/{project.ADMIN_URL}login/",
            {"username": "legal", "password": "correct horse battery staple", "next": f"/{project.ADMIN_URL}"},
        )
        assert response.status_code == 302
        user.refresh_from_db()
        assert user.password.startswith("argon2$argon2id$")
