"""Subscribing (legal/subscribing.py, its views, signed links and rate limits): the form on the document pages, double opt-in, unsubscribing, rate limits, hostile input."""

import datetime
import re

import pytest

from django.core.management import call_command
from django.test import Client

from legal import signed_links, subscribing
from legal.models import Notification, Subscription
from tests.conftest import make_version, site_time
from tests.smtp import closed_port

pytestmark = pytest.mark.django_db

SUBSCRIBE = "/en/terms-of-service/subscribe/"
CONFIRM_LINK = re.compile(r"http://[^\s\"<>]+/subscribe/confirm/[^\s\"<>/]+/")
UNSUBSCRIBE_LINK = re.compile(r"http://[^\s\"<>]+/unsubscribe/[^\s\"<>/]+/")


@pytest.fixture
def browser():
    """A client that enforces CSRF checks, as a real browser session would meet them."""
    return Client(enforce_csrf_checks=True)


def submit(client, data, path=SUBSCRIBE, **extra):
    """GET the subscribe page, then POST its form with the CSRF token it carries."""
    page = client.get(path, **extra)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    return client.post(path, {"csrfmiddlewaretoken": token, **data}, **extra)


def confirm_link(message):
    return CONFIRM_LINK.search(message.body).group(0)


def path_of(url):
    return url.removeprefix("http://127.0.0.1:8000")


def confirmed(document, email="reader@example.com", language="en"):
    return Subscription.objects.create(
        document=document, email=email, language=language, confirmed_at=site_time(2026, 11, 24, 12, 0)
    )


# The form on the document pages ----------------------------------------------------------


@pytest.mark.parametrize("language", ["vi", "en"])
def test_document_pages_carry_a_plain_get_form_and_stay_cacheable(client, terms, language):
    for path in (f"/{language}/terms-of-service/", f"/{language}/terms-of-service/versions/1/"):
        response = client.get(path)
        page = response.content.decode()
        form = re.search(r'<form class="subscribe-form" method="get" action="([^"]+)">', page)
        assert form.group(1) == f"/{language}/terms-of-service/subscribe/"
        assert '<label for="email">' in page and '<input type="email" id="email" name="email"' in page
        assert '<label for="language">' in page and f'<option value="{language}" selected>' in page
        assert "csrfmiddlewaretoken" not in page
        assert "Cookie" not in response.get("Vary", "")
        assert not response.cookies


def test_subscribe_page_prefills_the_address_and_language_from_the_query_string(client, terms):
    response = client.get(SUBSCRIBE, {"email": "reader@example.com", "language": "vi"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="reader@example.com"' in page
    assert '<option value="vi" selected>' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    assert '<meta name="robots" content="noindex">' in page


def test_subscribe_page_escapes_what_the_query_string_says(client, terms):
    page = client.get(SUBSCRIBE, {"email": '"><script>alert(1)</script>', "language": "xx"}).content.decode()
    assert "<script>alert(1)" not in page
    assert "&quot;&gt;&lt;script&gt;" in page
    assert '<option value="en" selected>' in page  # an unknown language falls back to the page's


def test_unknown_document_has_no_subscribe_page(client, terms):
    assert client.get("/en/no-such-document/subscribe/").status_code == 404


# The whole life of a subscription --------------------------------------------------------


def test_lifecycle_subscribe_confirm_receive_one_notice_unsubscribe(browser, terms, mailoutbox):
    # Subscribe from the English page, asking for Vietnamese emails.
    response = submit(browser, {"email": "Reader@Example.com", "language": "vi"})
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    subscription = Subscription.objects.get()
    assert (subscription.email, subscription.language, subscription.confirmed_at) == ("reader@example.com", "vi", None)
    [confirmation] = mailoutbox
    assert confirmation.to == ["reader@example.com"]
    assert confirmation.extra_headers["Content-Language"] == "vi"
    assert "12:00, 1 tháng 12 năm 2026" in confirmation.body  # the link's expiry, as Vietnamese write dates
    assert confirmation.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Nothing is sent to an address that has not confirmed.
    make_version(terms.document, effective_at=site_time(2026, 12, 1), summary="Clarified section 2")
    assert not Notification.objects.exists()

    # The link shows a button (a link scanner confirms nothing); the button confirms.
    link = path_of(confirm_link(confirmation))
    assert link.startswith("/vi/terms-of-service/subscribe/confirm/")
    page = browser.get(link)
    assert page.status_code == 200
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    assert browser.post(link, {"csrfmiddlewaretoken": token}).status_code == 200
    subscription.refresh_from_db()
    assert subscription.is_active

    # A new version: exactly one email, in Vietnamese, and nothing more on the second run.
    mailoutbox.clear()
    version = make_version(terms.document, effective_at=site_time(2026, 12, 15), summary="Đổi điều 3")
    call_command("send_notifications", stdout=open("/dev/null", "w"))
    call_command("send_notifications", stdout=open("/dev/null", "w"))
    [notice] = mailoutbox
    assert notice.to == ["reader@example.com"]
    assert notice.extra_headers["Content-Language"] == "vi"
    assert "15 tháng 12 năm 2026" in notice.body
    assert "Đổi điều 3 (vi)" in notice.body
    assert f"/vi/terms-of-service/versions/{version.number}/" in notice.body

    # One click from the mail client: a POST with no cookie and no CSRF token.
    unsubscribe = notice.extra_headers["List-Unsubscribe"].strip("<>")
    one_click = Client(enforce_csrf_checks=True).post(path_of(unsubscribe), {"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at == site_time(2026, 11, 24, 12, 0)

    # Nothing is queued for the next version.
    make_version(terms.document, effective_at=site_time(2027, 1, 1))
    assert Notification.objects.filter(subscription=subscription).count() == 1


def test_subscribing_twice_keeps_one_subscription(browser, terms, mailoutbox):
    submit(browser, {"email": "reader@example.com", "language": "en"})
    submit(browser, {"email": " READER@example.com ", "language": "en"})
    assert Subscription.objects.count() == 1
    assert len(mailoutbox) == 2  # the reader may use either link


def test_both_confirmation_links_work_and_confirming_twice_is_harmless(client, terms, mailoutbox):
    submit(client, {"email": "reader@example.com", "language": "en"})
    submit(client, {"email": "reader@example.com", "language": "en"})
    first, second = (path_of(confirm_link(message)) for message in mailoutbox)
    assert client.post(first).status_code == 200
    confirmed_at = Subscription.objects.get().confirmed_at
    assert client.post(second).status_code == 200
    assert client.post(first).status_code == 200
    assert Subscription.objects.get().confirmed_at == confirmed_at


def test_resubscribing_in_another_language_changes_it_on_confirmation(client, terms, mailoutbox):
    subscription = confirmed(terms.document, language="en")
    submit(client, {"email": "reader@example.com", "language": "vi"})
    subscription.refresh_from_db()
    assert subscription.language == "en"  # nothing changes until the owner confirms
    client.post(path_of(confirm_link(mailoutbox[0])))
    subscription.refresh_from_db()
    assert (subscription.language, subscription.is_active) == ("vi", True)


def test_unsubscribing_twice_is_harmless(client, terms):
    subscription = confirmed(terms.document)
    path = path_of(signed_links.unsubscribe_url(subscription))
    assert client.post(path).status_code == 200
    first = Subscription.objects.get().unsubscribed_at
    response = client.post(path)
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    assert Subscription.objects.get().unsubscribed_at == first


def test_unsubscribe_link_shows_a_button_first(client, terms):
    subscription = confirmed(terms.document, language="vi")
    path = path_of(signed_links.unsubscribe_url(subscription))
    assert path.startswith("/vi/unsubscribe/")
    response = client.get(path)
    assert response.status_code == 200
    assert '<form method="post">' in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.is_active


def test_an_old_confirmation_link_cannot_undo_an_unsubscribe(client, terms, mailoutbox, clock):
    submit(client, {"email": "reader@example.com", "language": "en"})
    link = path_of(confirm_link(mailoutbox[0]))
    client.post(link)
    clock.move_to(site_time(2026, 11, 25, 9, 0))
    client.post(path_of(signed_links.unsubscribe_url(Subscription.objects.get())))
    response = client.post(link)
    assert response.status_code == 400
    assert not Subscription.objects.get().is_active


def test_subscribing_again_after_unsubscribing_needs_a_new_confirmation(client, terms, mailoutbox, clock):
    subscription = confirmed(terms.document)
    client.post(path_of(signed_links.unsubscribe_url(subscription)))
    clock.move_to(site_time(2026, 11, 25, 9, 0))
    submit(client, {"email": "reader@example.com", "language": "en"})
    subscription.refresh_from_db()
    assert not subscription.is_active
    client.post(path_of(confirm_link(mailoutbox[-1])))
    subscription.refresh_from_db()
    assert subscription.is_active and subscription.confirmed_at == site_time(2026, 11, 25, 9, 0)


# Hostile input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        "",
        "not-an-address",
        "reader@",
        "@example.com",
        "reader @example.com",
        "reader@example.com\r\nBcc: victim@example.com",
        "reader@example.com\nBcc: victim@example.com",
        "reader@example.com\r\n",
        "\nreader@example.com",
        "reader@exa\x00mple.com",
        "reader@example.com\u2028",
        "reader@example.com\tx",
        "x" * 250 + "@example.com",
    ],
)
def test_bad_and_injected_addresses_get_a_form_error_and_no_email(browser, terms, mailoutbox, email):
    response = submit(browser, {"email": email, "language": "en"})
    page = response.content.decode()
    assert response.status_code == 200
    assert '<ul class="errorlist" id="id_email_error">' in page
    assert 'aria-invalid="true"' in page
    assert not Subscription.objects.exists()
    assert mailoutbox == []


@pytest.mark.parametrize("email", ["not-an-address", "reader@example.com\r\nBcc: victim@example.com", "a@b.c\u2028"])
def test_the_error_says_what_a_valid_address_looks_like(browser, terms, email):
    page = submit(browser, {"email": email, "language": "en"}).content.decode()
    assert "<li>Enter a valid email address, such as name@example.com.</li>" in page


@pytest.mark.parametrize("language", ["", "fr", "vi\r\nBcc: victim@example.com"])
def test_unknown_languages_are_refused(browser, terms, mailoutbox, language):
    response = submit(browser, {"email": "reader@example.com", "language": language})
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Subscription.objects.exists() and mailoutbox == []


def test_the_subscribe_form_needs_its_csrf_token(browser, terms):
    response = browser.post(SUBSCRIBE, {"email": "reader@example.com", "language": "en"})
    assert response.status_code == 403
    assert not Subscription.objects.exists()


def test_confirming_needs_a_csrf_token_but_one_click_unsubscribe_does_not(browser, terms, mailoutbox):
    submit(browser, {"email": "reader@example.com", "language": "en"})
    assert Client(enforce_csrf_checks=True).post(path_of(confirm_link(mailoutbox[0]))).status_code == 403
    assert not Subscription.objects.get().is_active
    subscription = confirmed(terms.document, email="reader2@example.com")
    unsubscribe = path_of(signed_links.unsubscribe_url(subscription))
    # A mail client's RFC 8058 one-click POST: no cookie, no CSRF token.
    one_click = Client(enforce_csrf_checks=True).post(unsubscribe, {"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at == site_time(2026, 11, 24, 12, 0)


def tamper(token):
    """Change one character of the signature part of the token."""
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


@pytest.mark.parametrize("method", ["get", "post"])
def test_tampered_confirmation_links_are_refused(client, terms, mailoutbox, method):
    submit(client, {"email": "reader@example.com", "language": "en"})
    link = path_of(confirm_link(mailoutbox[0]))
    token = link.rstrip("/").rsplit("/", 1)[1]
    for bad in (tamper(token), token[1:], "garbage", token.replace(":", "x", 1), "x" * 2000):
        response = getattr(client, method)(link.replace(token, bad))
        assert response.status_code == 400, bad
    response = getattr(client, method)(link.replace(token, tamper(token)))
    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()
    assert not Subscription.objects.get().is_active


def test_a_confirmation_link_only_works_for_its_own_document(client, terms, mailoutbox):
    submit(client, {"email": "reader@example.com", "language": "en"})
    link = path_of(confirm_link(mailoutbox[0]))
    assert client.post(link.replace("/terms-of-service/", "/privacy-policy/")).status_code == 400


def test_an_unsubscribe_token_is_not_a_confirmation_token(client, terms):
    subscription = Subscription.objects.create(document=terms.document, email="reader@example.com", language="en")
    token = signed_links.unsubscribe_token(subscription)
    assert client.post(f"/en/terms-of-service/subscribe/confirm/{token}/").status_code == 400
    subscription.refresh_from_db()
    assert not subscription.is_active


def test_a_confirmation_token_is_not_an_unsubscribe_token(client, terms):
    subscription = confirmed(terms.document)
    token = signed_links.confirmation_token(subscription, "en")
    assert client.post(f"/en/unsubscribe/{token}/").status_code == 400
    subscription.refresh_from_db()
    assert subscription.is_active


def test_tampered_unsubscribe_links_are_refused(client, terms):
    subscription = confirmed(terms.document)
    path = path_of(signed_links.unsubscribe_url(subscription))
    token = path.rstrip("/").rsplit("/", 1)[1]
    response = client.post(path.replace(token, tamper(token)))
    assert response.status_code == 400
    subscription.refresh_from_db()
    assert subscription.is_active


def test_a_link_for_a_deleted_and_replaced_subscription_is_refused(client, terms):
    """The token names the address too, so a reused primary key does not inherit the link."""
    old = Subscription.objects.create(document=terms.document, email="old@example.com", language="en")
    token = signed_links.unsubscribe_token(old)
    pk = old.pk
    old.delete()
    new = Subscription.objects.create(pk=pk, document=terms.document, email="new@example.com", language="en",
                                      confirmed_at=site_time(2026, 11, 24))  # fmt: skip
    assert client.post(f"/en/unsubscribe/{token}/").status_code == 400
    new.refresh_from_db()
    assert new.is_active


def test_confirmation_links_expire_after_seven_days(client, terms, mailoutbox, clock):
    submit(client, {"email": "reader@example.com", "language": "en"})
    link = path_of(confirm_link(mailoutbox[0]))
    assert "The link works until 1 December 2026, 12:00 (Vietnam time)." in mailoutbox[0].body
    assert mailoutbox[0].subject == "Confirm your subscription to changes of the Terms of Service"
    clock.move_to(site_time(2026, 12, 1, 12, 0, 1))
    for method in (client.get, client.post):
        response = method(link)
        assert response.status_code == 400
        assert "This link has expired" in response.content.decode()
    assert not Subscription.objects.get().is_active


def test_confirmation_links_work_until_they_expire(client, terms, mailoutbox, clock):
    submit(client, {"email": "reader@example.com", "language": "en"})
    clock.move_to(site_time(2026, 12, 1, 11, 59, 59))
    assert client.post(path_of(confirm_link(mailoutbox[0]))).status_code == 200
    assert Subscription.objects.get().is_active


def test_unsubscribe_links_never_expire(client, terms, clock):
    subscription = confirmed(terms.document)
    path = path_of(signed_links.unsubscribe_url(subscription))
    clock.move_to(site_time(2031, 1, 1))
    assert client.post(path).status_code == 200
    subscription.refresh_from_db()
    assert not subscription.is_active


def test_the_answer_does_not_reveal_whether_an_address_is_subscribed(client, terms):
    confirmed(terms.document, email="known@example.com")
    known = submit(client, {"email": "known@example.com", "language": "en"}).content.decode()
    unknown = submit(client, {"email": "unknown@example.com", "language": "en"}).content.decode()
    assert known.replace("known@", "X@") == unknown.replace("unknown@", "X@")


# Rate limits -----------------------------------------------------------------------------


def test_five_requests_per_hour_per_ip(client, terms, mailoutbox, clock, settings):
    assert settings.SUBSCRIPTION_RATE_LIMIT_PER_IP == 5
    for n in range(5):
        assert submit(client, {"email": f"reader{n}@example.com", "language": "en"}).status_code == 200
    response = submit(client, {"email": "reader5@example.com", "language": "en"})
    assert response.status_code == 429
    assert "Too many subscription requests. Please try again later." in response.content.decode()
    assert len(mailoutbox) == 5
    other_ip = submit(client, {"email": "reader5@example.com", "language": "en"}, REMOTE_ADDR="192.0.2.7")
    assert other_ip.status_code == 200
    clock.move_to(datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(hours=1, seconds=1))
    assert submit(client, {"email": "reader6@example.com", "language": "en"}).status_code == 200


def test_invalid_submissions_count_against_the_ip_too(client, terms, settings):
    settings.SUBSCRIPTION_RATE_LIMIT_PER_IP = 2
    submit(client, {"email": "bad", "language": "en"})
    submit(client, {"email": "bad", "language": "en"})
    assert submit(client, {"email": "reader@example.com", "language": "en"}).status_code == 429
    assert not Subscription.objects.exists()


def test_three_requests_per_hour_per_address_whatever_the_ip(client, terms, mailoutbox):
    for n in range(3):
        response = submit(client, {"email": "reader@example.com", "language": "en"}, REMOTE_ADDR=f"192.0.2.{n}")
        assert response.status_code == 200
    response = submit(client, {"email": "READER@example.com", "language": "en"}, REMOTE_ADDR="192.0.2.9")
    assert response.status_code == 429
    assert len(mailoutbox) == 3


@pytest.mark.parametrize(
    ("email", "mailbox"),
    [
        ("Reader@Example.COM", "reader@example.com"),
        ("reader+news@example.com", "reader@example.com"),
        ("reader+a+b@example.com", "reader@example.com"),
        ('"reader"@example.com', "reader@example.com"),
        ('"Reader+x"@example.com', "reader@example.com"),
        ('"re\\"ader"@example.com', 're"ader@example.com'),
        ("reader@example.com.", "reader@example.com"),
        ("other.reader@example.com", "other.reader@example.com"),
    ],
)
def test_the_canonical_mailbox_of_an_address(email, mailbox):
    assert subscribing.canonical_mailbox(email) == mailbox


def test_plus_tags_case_and_quoting_share_the_limit_of_one_mailbox(client, terms, mailoutbox):
    """+tags, capitals and a quoted local part do not give one mailbox more requests."""
    for n, email in enumerate(["reader+1@example.com", '"reader"@Example.com', '"Reader+x"@example.com']):
        response = submit(client, {"email": email, "language": "en"}, REMOTE_ADDR=f"192.0.2.{n}")
        assert response.status_code == 200, email
    response = submit(client, {"email": "READER+2@example.com", "language": "en"}, REMOTE_ADDR="192.0.2.9")
    assert response.status_code == 429
    assert len(mailoutbox) == 3


# A mail server that is down --------------------------------------------------------------


def test_a_mail_server_that_is_down_gives_a_clear_error(client, terms, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    response = submit(client, {"email": "reader@example.com", "language": "en"})
    assert response.status_code == 503
    assert "We could not send the confirmation email just now." in response.content.decode()
