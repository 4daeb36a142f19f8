"""Webhooks: signed events from the outbox to a real receiver on loopback, retries, order, refused addresses."""

import datetime
import io
import json
import time

import pytest
import time_machine
from standardwebhooks.webhooks import Webhook

from django.core.management import CommandError, call_command
from django.db import connection

from legal.models import WebhookDelivery, WebhookEndpoint
from legal.publishing import PublishingError, withdraw_version
from legal.webhook_delivery import send_due_webhooks
from legal.webhooks import url_problem
from tests.conftest import at_once, make_version, run_django, site_time, staff
from tests.smtp import closed_port
from tests.webhook_receiver import running_receiver

pytestmark = pytest.mark.django_db

SWITCH = site_time(2026, 12, 1, 0, 0)


@pytest.fixture
def loopback(settings):
    """Tests deliver to loopback: the address policy allows it only with this setting."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.SITE_URL = "https://terms.sigma.video"
    settings.WEBHOOK_TIMEOUT_SECONDS = 2


@pytest.fixture
def receiver(loopback):
    with running_receiver() as running:
        yield running


def endpoint_for(receiver, path="/ok"):
    return WebhookEndpoint.objects.create(url=receiver.url(path), description="test")


def verified(endpoint, request):
    """The payload, after the `standardwebhooks` library checked the signature and timestamp.

    Checked as the receiver would on arrival: at the (frozen) instant the request came in.
    """
    with time_machine.travel(request.received_at, tick=False):
        return Webhook(endpoint.secret).verify(request.body, request.headers)


def events(endpoint, receiver):
    return [(p["type"], p["data"]["number"]) for p in (verified(endpoint, r) for r in receiver.requests)]


def send():
    out = io.StringIO()
    call_command("send_webhooks", stdout=out)
    return out.getvalue().strip()


def test_publish_and_effective_events_are_signed_and_sent_in_time(terms, receiver, clock):
    endpoint = endpoint_for(receiver)
    version = make_version(terms.document, effective_at=SWITCH)
    assert send() == "Delivered 1, will retry 0, gave up on 0, cancelled 0."
    (request,) = receiver.requests
    payload = verified(endpoint, request)
    assert payload == {
        "type": "version.published",
        "timestamp": "2026-11-24T12:00:00+07:00",
        "data": {
            "document": "terms-of-service",
            "number": 2,
            "effective_at": "2026-12-01T00:00:00+07:00",
            "published_at": "2026-11-24T12:00:00+07:00",
            "change_kind": "editorial",
            "url": {
                "vi": "https://terms.sigma.video/vi/terms-of-service/versions/2/",
                "en": "https://terms.sigma.video/en/terms-of-service/versions/2/",
            },
            "sha256": {"vi": version.body_sha256_vi, "en": version.body_sha256_en},
            "api": "https://terms.sigma.video/api/documents/terms-of-service/",
        },
    }
    assert request.headers["webhook-id"].startswith("msg_")
    assert request.headers["webhook-timestamp"] == str(int(time.time()))
    # Not before its instant: a minute early nothing goes, at the instant it does.
    clock.move_to(SWITCH - datetime.timedelta(minutes=1))
    assert send().startswith("Delivered 0,")
    clock.move_to(SWITCH)
    assert send().startswith("Delivered 1,")
    assert events(endpoint, receiver) == [("version.published", 2), ("version.effective", 2)]
    # Sent once: another run sends nothing.
    assert send().startswith("Delivered 0,") and len(receiver.requests) == 2


def test_a_wrong_secret_does_not_verify(terms, receiver):
    endpoint = endpoint_for(receiver)
    make_version(terms.document, effective_at=SWITCH)
    send()
    other = WebhookEndpoint(url=endpoint.url)  # a freshly generated secret
    with pytest.raises(Exception, match="No matching signature"):
        verified(other, receiver.requests[0])


def test_withdrawal_is_sent_and_the_effective_event_cancelled(terms, receiver, clock):
    endpoint = endpoint_for(receiver)
    version = make_version(terms.document, effective_at=SWITCH)
    withdraw_version(version, reason="Sent too early.")
    send()
    clock.move_to(SWITCH + datetime.timedelta(minutes=1))
    assert send() == "Delivered 0, will retry 0, gave up on 0, cancelled 1."
    assert events(endpoint, receiver) == [("version.published", 2), ("version.withdrawn", 2)]
    withdrawn = verified(endpoint, receiver.requests[1])["data"]
    assert withdrawn["reason"] == "Sent too early." and withdrawn["withdrawn_at"] == "2026-11-24T12:00:00+07:00"


def test_a_500_is_retried_with_backoff_under_the_same_id(terms, receiver, clock):
    endpoint = endpoint_for(receiver, "/flaky")
    make_version(terms.document, effective_at=SWITCH)
    assert send() == "Delivered 0, will retry 1, gave up on 0, cancelled 0."
    delivery = WebhookDelivery.objects.get(event_type="version.published")
    assert delivery.next_attempt_at == clock_now(clock) + datetime.timedelta(seconds=60)
    assert [(a.status_code, a.error) for a in delivery.attempt_log.all()] == [(500, "HTTP 500")]
    clock.move_to(clock_now(clock) + datetime.timedelta(seconds=59))
    assert send().startswith("Delivered 0, will retry 0")  # not yet
    receiver.recover()
    clock.move_to(clock_now(clock) + datetime.timedelta(seconds=1))
    assert send().startswith("Delivered 1,")
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert int(second.headers["webhook-timestamp"]) == int(first.headers["webhook-timestamp"]) + 60
    assert verified(endpoint, second)["type"] == "version.published"  # signed afresh for the new timestamp
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, 200]


def clock_now(clock):
    return datetime.datetime.now(datetime.UTC)


def test_gives_up_after_the_last_attempt(terms, receiver, clock, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    endpoint_for(receiver, "/fail")
    make_version(terms.document, effective_at=SWITCH)
    reports = []
    for minutes in (0, 1, 3):  # backoff 60 s, then 120 s
        clock.move_to(site_time(2026, 11, 24, 12, minutes))
        reports.append(send())
    assert reports[-1] == "Delivered 0, will retry 0, gave up on 1, cancelled 0."
    delivery = WebhookDelivery.objects.get(event_type="version.published")
    assert (delivery.status, delivery.attempts, delivery.attempt_log.count()) == ("failed", 3, 3)


def test_events_reach_each_endpoint_in_order_even_across_retries(terms, receiver, clock):
    """A later event waits while an earlier one for the same endpoint is being retried."""
    endpoint = endpoint_for(receiver, "/flaky")
    healthy = endpoint_for(receiver, "/ok")
    make_version(terms.document, effective_at=SWITCH)
    send()  # version 2 published: fails at /flaky, delivered at /ok
    clock.move_to(site_time(2026, 11, 24, 12, 0, 30))
    make_version(terms.document, effective_at=SWITCH + datetime.timedelta(days=1))
    send()  # version 3 published: /flaky is still waiting to retry version 2, so it gets nothing
    flaky = [r for r in receiver.requests if r.path == "/flaky"]
    assert len(flaky) == 1
    receiver.recover()
    clock.move_to(site_time(2026, 11, 24, 12, 1, 0))
    send()
    clock.move_to(SWITCH + datetime.timedelta(days=2))
    send()
    by_path = {"/flaky": [], "/ok": []}
    for request in receiver.requests:
        owner = endpoint if request.path == "/flaky" else healthy
        payload = verified(owner, request)
        by_path[request.path].append((payload["type"], payload["data"]["number"]))
    expected = [
        ("version.published", 2),
        ("version.published", 3),
        ("version.effective", 2),
        ("version.effective", 3),
    ]
    assert by_path["/ok"] == expected
    assert by_path["/flaky"] == [("version.published", 2)] + expected  # the failed attempt, then in order


def test_a_receiver_that_is_down_is_retried(terms, loopback):
    WebhookEndpoint.objects.create(url=f"http://127.0.0.1:{closed_port()}/hook")
    make_version(terms.document, effective_at=SWITCH)
    assert send() == "Delivered 0, will retry 1, gave up on 0, cancelled 0."
    (attempt,) = WebhookDelivery.objects.get(event_type="version.published").attempt_log.all()
    assert attempt.status_code is None and "ConnectionRefusedError" in attempt.error


@pytest.mark.parametrize("path", ["/slow", "/trickle"])
def test_a_slow_receiver_is_cut_off_at_the_timeout(terms, receiver, settings, path):
    """A receiver that never answers, or trickles bytes faster than any socket timeout, is cut off."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    endpoint_for(receiver, path)
    make_version(terms.document, effective_at=SWITCH)
    started = time.monotonic()
    assert send() == "Delivered 0, will retry 1, gave up on 0, cancelled 0."
    assert time.monotonic() - started < 10  # bounded; the receiver would go on for 30 s
    (attempt,) = WebhookDelivery.objects.get(event_type="version.published").attempt_log.all()
    assert attempt.error == "timed out after 1 s"


def test_redirects_are_never_followed(terms, receiver):
    endpoint_for(receiver, "/redirect")
    receiver.redirect_to = receiver.url("/elsewhere")
    make_version(terms.document, effective_at=SWITCH)
    assert send() == "Delivered 0, will retry 1, gave up on 0, cancelled 0."
    assert [r.path for r in receiver.requests] == ["/redirect"]  # nothing went to /elsewhere
    (attempt,) = WebhookDelivery.objects.get(event_type="version.published").attempt_log.all()
    assert attempt.status_code == 302 and "not followed" in attempt.error and "/elsewhere" in attempt.error


REFUSED = [
    "http://hooks.example.com/sigma",
    "https://127.0.0.1/hook",
    "https://127.8.9.10/hook",
    "https://localhost/hook",
    "https://api.localhost/hook",
    "https://printer.local/hook",
    "https://metadata.google.internal/hook",
    "https://10.1.2.3/hook",
    "https://172.16.0.1/hook",
    "https://192.168.1.1/hook",
    "https://100.64.0.1/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://0.0.0.0/hook",
    "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[fd00::1]/hook",
    "https://[fe80::1]/hook",
    "https://224.0.0.1/hook",
    "https://user:secret@hooks.example.com/hook",
    "ftp://hooks.example.com/",
    "https://hooks.example.com:99999/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_private_and_plain_http_addresses_are_refused(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    assert url_problem(url)


@pytest.mark.parametrize("url", ["https://hooks.example.com/sigma", "https://93.184.215.14:8443/hook"])
def test_public_https_addresses_are_accepted(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    assert url_problem(url) is None


def test_the_sender_refuses_a_private_address_without_connecting(terms, receiver, settings):
    """An endpoint stored before the policy (or by hand) still gets nothing when it resolves privately."""
    endpoint_for(receiver, "/ok")
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    make_version(terms.document, effective_at=SWITCH)
    assert send() == "Delivered 0, will retry 1, gave up on 0, cancelled 0."
    assert receiver.requests == []
    (attempt,) = WebhookDelivery.objects.get(event_type="version.published").attempt_log.all()
    assert attempt.error.startswith("refused: 127.0.0.1 resolves to a private or reserved address")


def test_deactivated_endpoints_get_nothing(terms, receiver):
    endpoint = endpoint_for(receiver)
    make_version(terms.document, effective_at=SWITCH)
    endpoint.is_active = False
    endpoint.save()
    assert send() == "Delivered 0, will retry 0, gave up on 0, cancelled 1."
    assert receiver.requests == []


def test_nothing_is_queued_for_a_publish_that_rolled_back(terms, receiver):
    endpoint_for(receiver)
    with pytest.raises(PublishingError):
        make_version(terms.document, effective_at=START_MINUS)
    assert WebhookDelivery.objects.count() == 0


START_MINUS = site_time(2026, 11, 1, 0, 0)  # in the past: publishing refuses it


def test_send_webhooks_with_a_bad_batch_size_is_one_line(db):
    with pytest.raises(CommandError, match="invalid positive value"):
        call_command("send_webhooks", "--batch-size", "0")


# Admin ---------------------------------------------------------------------------------

ENDPOINTS = "/admin/legal/webhookendpoint/"


@pytest.mark.parametrize("role", ["editor", "publisher"])
def test_only_publishers_see_and_register_endpoints(client, db, settings, role):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    group = "Legal editors" if role == "editor" else "Legal publishers"
    client.force_login(staff(role, group))
    listing = client.get(ENDPOINTS)
    added = client.post(ENDPOINTS + "add/", {"url": "https://hooks.example.com/sigma", "is_active": "on"})
    if role == "editor":
        assert listing.status_code == 403 and added.status_code == 403
        assert not WebhookEndpoint.objects.exists()
        return
    assert listing.status_code == 200 and added.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret.startswith("whsec_") and endpoint.created_by.username == role
    page = client.get(f"{ENDPOINTS}{endpoint.pk}/change/").content.decode()
    assert endpoint.secret in page


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_admin_refuses_a_private_address_in_the_readers_language(client, db, settings, language):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    client.force_login(staff("publisher", "Legal publishers"))
    client.cookies["django_language"] = language
    response = client.post(
        ENDPOINTS + "add/", {"url": "https://169.254.169.254/", "is_active": "on"}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200
    errors = json.dumps(response.context["adminform"].form.errors, ensure_ascii=False)
    expected = {"en": "private network", "vi": "mạng nội bộ"}[language]
    assert expected in errors
    assert not WebhookEndpoint.objects.exists()


def test_the_delivery_log_is_read_only(client, terms, receiver):
    endpoint_for(receiver)
    make_version(terms.document, effective_at=SWITCH)
    send()
    client.force_login(staff("publisher", "Legal publishers"))
    delivery = WebhookDelivery.objects.get(event_type="version.published")
    page = client.get(f"/admin/legal/webhookdelivery/{delivery.pk}/change/")
    assert page.status_code == 200 and delivery.message_id in page.content.decode()
    assert client.post(f"/admin/legal/webhookdelivery/{delivery.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/legal/webhookdelivery/add/").status_code == 403


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="real row locks need PostgreSQL (DATABASE_URL)")
def test_senders_running_at_once_deliver_each_event_exactly_once(loopback):
    """Four senders at once over 12 endpoints: every event arrives once, in order per endpoint."""
    from legal.importing import load_bundled_terms

    terms = load_bundled_terms()
    with running_receiver() as receiver:
        endpoints = [WebhookEndpoint.objects.create(url=receiver.url(f"/ok?n={n}")) for n in range(12)]
        make_version(terms.document, effective_at=SWITCH)
        make_version(terms.document, effective_at=SWITCH + datetime.timedelta(days=1))
        reports = at_once(lambda _n: send_due_webhooks(batch_size=3), range(4))
        assert sum(report.delivered for report in reports) == 24
        ids = [request.headers["webhook-id"] for request in receiver.requests]
        assert len(ids) == len(set(ids)) == 24
        for endpoint in endpoints:
            path = endpoint.url.removeprefix(receiver.url(""))
            mine = [r for r in receiver.requests if r.path == path]
            assert [(p["type"], p["data"]["number"]) for p in (verified(endpoint, r) for r in mine)] == [
                ("version.published", 2),
                ("version.published", 3),
            ]


def test_send_webhooks_without_a_database_is_one_line_and_a_failure(db):
    result = run_django(
        ["manage.py", "send_webhooks"], DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed_port()}/sigma_gone"
    )
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("CommandError: could not read the webhook outbox: OperationalError")


def test_an_unresolvable_host_is_a_logged_failure(terms, loopback):
    WebhookEndpoint.objects.create(url="https://no-such-host.invalid/hook")
    make_version(terms.document, effective_at=SWITCH)
    assert send() == "Delivered 0, will retry 1, gave up on 0, cancelled 0."
    (attempt,) = WebhookDelivery.objects.get(event_type="version.published").attempt_log.all()
    assert attempt.error.startswith("cannot resolve no-such-host.invalid")


def test_an_endpoint_that_was_sent_events_keeps_its_log(client, terms, receiver):
    """Deleting it is refused with the admin's own explanation; deactivating is the way."""
    endpoint = endpoint_for(receiver)
    make_version(terms.document, effective_at=SWITCH)
    send()
    client.force_login(staff("publisher", "Legal publishers"))
    response = client.post(f"{ENDPOINTS}{endpoint.pk}/delete/", {"post": "yes"})
    assert response.status_code == 200  # the admin lists the protected deliveries instead
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 2
