"""The outbox (legal/outbox.py, legal/emails.py): queued in the publish transaction, sent once, retried with backoff, delivered over SMTP."""

import datetime
import email
import email.policy
import io

import pytest

from django.core.management import call_command
from django.db import connection, transaction

from legal import outbox
from legal.models import Notification, Subscription
from legal.outbox import retry_delay, send_due_notifications
from legal.publishing import PublishingError, publish_version, withdraw_version
from legal.translation_sync import confirm_sections
from tests.conftest import START, at_once, make_version, site_time
from tests.smtp import CollectingHandler, SilentHandler, closed_port, smtp_server

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("public_site_url")]

DECEMBER = site_time(2026, 12, 1)


def send():
    out = io.StringIO()
    call_command("send_notifications", stdout=out)
    return out.getvalue().strip()


def smtp_settings(settings, port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_TIMEOUT = 5


# Queueing --------------------------------------------------------------------------------


def test_publishing_queues_one_notice_per_confirmed_subscriber(subscribers, terms):
    version = make_version(terms.document, effective_at=DECEMBER)
    queued = Notification.objects.filter(version=version)
    assert sorted(queued.values_list("subscription__email", flat=True)) == ["doc@example.vn", "reader@example.com"]
    assert set(queued.values_list("status", flat=True)) == {"pending"}
    assert set(queued.values_list("next_attempt_at", flat=True)) == {START}


def test_drafts_queue_nothing(subscribers, terms):
    make_version(terms.document, effective_at=DECEMBER, publish=False)
    assert not Notification.objects.exists()


def test_a_failed_publish_queues_nothing(subscribers, terms):
    draft = make_version(terms.document, effective_at=site_time(2026, 11, 1), publish=False)  # in the past
    with pytest.raises(PublishingError):
        publish_version(draft)
    assert not Notification.objects.exists()


def test_notices_roll_back_with_the_publish(subscribers, terms):
    draft = make_version(terms.document, effective_at=DECEMBER, publish=False)
    with pytest.raises(RuntimeError), transaction.atomic():
        publish_version(draft)
        assert Notification.objects.count() == 2
        raise RuntimeError("the transaction around the publish fails")
    assert not Notification.objects.exists()


def test_queueing_twice_never_creates_a_second_notice(subscribers, terms):
    version = make_version(terms.document, effective_at=DECEMBER)
    outbox.queue_notifications(version)
    assert Notification.objects.count() == 2


def test_subscribers_of_another_document_get_nothing(subscribers, terms):
    from legal.models import Document

    other = Document.objects.create(slug="privacy-policy", title_vi="Chính sách", title_en="Privacy")
    Subscription.objects.create(document=other, email="other@example.com", language="en", confirmed_at=START)
    make_version(terms.document, effective_at=DECEMBER)
    assert not Notification.objects.filter(subscription__email="other@example.com").exists()


# Sending ---------------------------------------------------------------------------------


def test_each_subscriber_gets_one_email_in_their_language(subscribers, terms, mailoutbox):
    version = make_version(terms.document, effective_at=DECEMBER, summary="Section 2 now names the data we keep")
    assert send() == "Sent 2, will retry 0, gave up on 0, cancelled 0."
    by_address = {message.to[0]: message for message in mailoutbox}
    assert sorted(by_address) == ["doc@example.vn", "reader@example.com"]

    english = by_address["reader@example.com"]
    assert english.subject == "Terms of Service: version 2 takes effect on 1 December 2026"
    assert english.from_email == "Sigma.video <no-reply@sigma.video>"
    assert "Sigma.video has published version 2 of the Terms of Service." in english.body
    assert "It takes effect on 1 December 2026, 00:00 (Vietnam time)." in english.body
    assert "Section 2 now names the data we keep (en)" in english.body
    assert "https://terms.sigma.video/en/terms-of-service/versions/2/" in english.body
    assert "Compare it with version 1:\nhttps://terms.sigma.video/en/terms-of-service/compare/1/2/" in english.body
    html = english.alternatives[0]
    assert html.mimetype == "text/html"
    assert '<a href="https://terms.sigma.video/en/terms-of-service/versions/2/">' in html.content

    vietnamese = by_address["doc@example.vn"]
    assert vietnamese.subject == "Điều khoản sử dụng: phiên bản 2 có hiệu lực từ ngày 1 tháng 12 năm 2026"
    assert vietnamese.extra_headers["Content-Language"] == "vi"
    assert "00:00, 1 tháng 12 năm 2026" in vietnamese.body
    assert "Section 2 now names the data we keep (vi)" in vietnamese.body
    assert "https://terms.sigma.video/vi/terms-of-service/versions/2/" in vietnamese.body
    assert "https://terms.sigma.video/vi/terms-of-service/compare/1/2/" in vietnamese.body

    for message in mailoutbox:
        unsubscribe = message.extra_headers["List-Unsubscribe"]
        language = message.extra_headers["Content-Language"]
        assert unsubscribe.startswith(f"<https://terms.sigma.video/{language}/unsubscribe/")
        assert unsubscribe.strip("<>") in message.body
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert set(Notification.objects.values_list("status", "attempts", "sent_at")) == {("sent", 1, START)}
    assert version.notifications.exclude(message_id="").count() == 2


def test_running_the_command_twice_sends_nothing_more(subscribers, terms, mailoutbox):
    make_version(terms.document, effective_at=DECEMBER)
    send()
    assert len(mailoutbox) == 2
    assert send() == "Sent 0, will retry 0, gave up on 0, cancelled 0."
    assert len(mailoutbox) == 2


def test_notices_go_out_in_batches(terms, mailoutbox):
    for n in range(7):
        Subscription.objects.create(document=terms.document, email=f"r{n}@example.com", language="en",
                                    confirmed_at=START)  # fmt: skip
    make_version(terms.document, effective_at=DECEMBER)
    report = send_due_notifications(batch_size=3)
    assert report.sent == 7 and len(mailoutbox) == 7
    assert len({message.to[0] for message in mailoutbox}) == 7


def test_a_second_sender_cannot_claim_what_the_first_holds(subscribers, terms, clock):
    make_version(terms.document, effective_at=DECEMBER)
    first_token, first = outbox.NOTICES.claim(10)
    second_token, second = outbox.NOTICES.claim(10)
    assert len(first) == 2 and second == []
    # A sender that died keeps nothing for ever: its lease runs out.
    clock.move_to(START + datetime.timedelta(seconds=301))
    third_token, third = outbox.NOTICES.claim(10)
    assert {n.pk for n in third} == {n.pk for n in first}
    # The dead sender, should it wake up, can no longer record anything on those rows.
    outbox.NOTICES.record_done(first[0], first_token, status=Notification.Status.SENT)
    assert Notification.objects.get(pk=first[0].pk).status == "pending"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="real row locks need PostgreSQL (DATABASE_URL)")
def test_senders_running_at_once_send_each_notice_exactly_once(mailoutbox):
    from legal.importing import load_bundled_terms

    terms = load_bundled_terms()
    for n in range(20):
        Subscription.objects.create(document=terms.document, email=f"r{n}@example.com", language="en",
                                    confirmed_at=START)  # fmt: skip
    make_version(terms.document, effective_at=DECEMBER)
    reports = at_once(lambda _n: send_due_notifications(batch_size=3), range(4))
    assert sum(report.sent for report in reports) == 20
    assert sorted(message.to[0] for message in mailoutbox) == sorted(f"r{n}@example.com" for n in range(20))
    assert set(Notification.objects.values_list("status", "attempts")) == {("sent", 1)}


def test_a_notice_to_someone_who_unsubscribed_meanwhile_is_cancelled(subscribers, terms, mailoutbox):
    make_version(terms.document, effective_at=DECEMBER)
    Subscription.objects.filter(pk=subscribers["en"].pk).update(unsubscribed_at=START)
    report = send_due_notifications()
    assert (report.sent, report.cancelled) == (1, 1)
    assert [message.to for message in mailoutbox] == [["doc@example.vn"]]
    assert Notification.objects.get(subscription=subscribers["en"]).status == "cancelled"


def test_notices_of_a_withdrawn_version_are_cancelled(subscribers, terms, mailoutbox):
    version = make_version(terms.document, effective_at=DECEMBER)
    withdraw_version(version, reason="Published by mistake.")
    assert send_due_notifications().cancelled == 2
    assert mailoutbox == []


def test_the_first_version_has_no_comparison_link(terms, mailoutbox):
    from legal.models import Document, DocumentVersion

    document = Document.objects.create(slug="privacy-policy", title_vi="Chính sách", title_en="Privacy Policy")
    Subscription.objects.create(document=document, email="reader@example.com", language="en", confirmed_at=START)
    draft = DocumentVersion(document=document, effective_at=DECEMBER, title_vi="Chính sách", title_en="Privacy Policy",
                            body_vi="Nội dung.", body_en="Text.")  # fmt: skip
    draft.save()
    confirm_sections(draft)
    publish_version(draft)
    send_due_notifications()
    [message] = mailoutbox
    assert "/compare/" not in message.body
    assert "https://terms.sigma.video/en/privacy-policy/versions/1/" in message.body


# Failures and retries --------------------------------------------------------------------


def test_backoff_doubles_and_is_capped_at_a_day(settings):
    assert settings.NOTIFICATION_RETRY_BASE_SECONDS == 60
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert retry_delay(30) == datetime.timedelta(days=1)


def test_failures_are_retried_with_backoff_until_the_server_is_back(subscribers, terms, settings, clock):
    make_version(terms.document, effective_at=DECEMBER)
    smtp_settings(settings, closed_port())  # nobody listens there: connections are refused

    assert send() == "Sent 0, will retry 2, gave up on 0, cancelled 0."
    notice = Notification.objects.get(subscription=subscribers["en"])
    assert (notice.status, notice.attempts, notice.sent_at) == ("pending", 1, None)
    assert notice.next_attempt_at == START + datetime.timedelta(seconds=60)
    assert notice.last_error.startswith("ConnectionRefusedError")
    assert (notice.claimed_until, notice.claim_token) == (None, "")

    # Not due yet: nothing is attempted.
    assert send() == "Sent 0, will retry 0, gave up on 0, cancelled 0."
    clock.move_to(START + datetime.timedelta(seconds=61))
    assert send() == "Sent 0, will retry 2, gave up on 0, cancelled 0."
    notice.refresh_from_db()
    assert notice.attempts == 2
    assert notice.next_attempt_at == START + datetime.timedelta(seconds=61 + 120)

    # The mail server is back.
    clock.move_to(START + datetime.timedelta(seconds=61 + 120))
    with smtp_server() as server:
        smtp_settings(settings, server.port)
        assert send() == "Sent 2, will retry 0, gave up on 0, cancelled 0."
        assert send() == "Sent 0, will retry 0, gave up on 0, cancelled 0."
    notice.refresh_from_db()
    assert (notice.status, notice.attempts, notice.last_error) == ("sent", 3, "")
    assert len(server.handler.envelopes) == 2


def test_after_the_last_attempt_the_notice_is_given_up(subscribers, terms, settings, clock):
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    make_version(terms.document, effective_at=DECEMBER)
    smtp_settings(settings, closed_port())
    send()
    clock.move_to(START + datetime.timedelta(hours=1))
    assert send() == "Sent 0, will retry 0, gave up on 2, cancelled 0."
    assert set(Notification.objects.values_list("status", "attempts")) == {("failed", 2)}
    clock.move_to(START + datetime.timedelta(days=3))
    assert send() == "Sent 0, will retry 0, gave up on 0, cancelled 0."


class RefusingHandler(CollectingHandler):
    """A server that has no mailbox for reader@example.com."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == "reader@example.com":
            return "550 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_one_refused_recipient_does_not_stop_the_batch(subscribers, terms, settings):
    make_version(terms.document, effective_at=DECEMBER)
    with smtp_server(RefusingHandler()) as server:
        smtp_settings(settings, server.port)
        report = send_due_notifications()
    assert (report.sent, report.retrying) == (1, 1)
    refused = Notification.objects.get(subscription=subscribers["en"])
    assert refused.last_error.startswith("SMTPRecipientsRefused")
    assert [envelope.rcpt_tos for envelope in server.handler.envelopes] == [["doc@example.vn"]]


def test_a_notice_sent_again_after_a_silent_server_keeps_its_message_id(subscribers, terms, settings, clock):
    """A server that stores the message but never answers: the retry carries the same Message-ID."""
    make_version(terms.document, effective_at=DECEMBER)
    with smtp_server(SilentHandler()) as silent:
        smtp_settings(settings, silent.port)
        settings.EMAIL_TIMEOUT = 1
        assert send() == "Sent 0, will retry 2, gave up on 0, cancelled 0."
    clock.move_to(START + datetime.timedelta(minutes=2))
    with smtp_server() as server:
        smtp_settings(settings, server.port)
        assert send() == "Sent 2, will retry 0, gave up on 0, cancelled 0."

    def message_ids(handler):
        return {
            envelope.rcpt_tos[0]: email.message_from_bytes(envelope.content, policy=email.policy.default)["Message-ID"]
            for envelope in handler.envelopes
        }

    first, second = message_ids(silent.handler), message_ids(server.handler)
    assert sorted(first) == sorted(second) == ["doc@example.vn", "reader@example.com"]
    assert first == second
    assert first["doc@example.vn"] != first["reader@example.com"]
    assert first["reader@example.com"] == Notification.objects.get(subscription=subscribers["en"]).message_id
    assert first["reader@example.com"].endswith("@terms.sigma.video>")


# A real SMTP server --------------------------------------------------------------------


def test_delivery_through_a_real_smtp_server_on_loopback(subscribers, terms, settings):
    make_version(terms.document, effective_at=DECEMBER, summary="Điều 2 nêu rõ dữ liệu được lưu")
    with smtp_server() as server:
        smtp_settings(settings, server.port)
        assert send() == "Sent 2, will retry 0, gave up on 0, cancelled 0."

    received = {}
    for envelope in server.handler.envelopes:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        received[envelope.rcpt_tos[0]] = (envelope, message)
    assert sorted(received) == ["doc@example.vn", "reader@example.com"]

    envelope, message = received["doc@example.vn"]
    assert envelope.mail_from == "no-reply@sigma.video"
    assert message["To"] == "doc@example.vn"
    assert message["Content-Language"] == "vi"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = message["List-Unsubscribe"].strip()  # folded onto its own line: it is longer than 78
    assert unsubscribe.startswith("<https://terms.sigma.video/vi/unsubscribe/") and unsubscribe.endswith("/>")
    assert message["Message-ID"].endswith("@terms.sigma.video>")
    assert message["Message-ID"] == Notification.objects.get(subscription=subscribers["vi"]).message_id
    assert "Điều khoản sử dụng" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Điều 2 nêu rõ dữ liệu được lưu (vi)" in text
    assert "00:00, 1 tháng 12 năm 2026" in text
    assert "https://terms.sigma.video/vi/terms-of-service/versions/2/" in text
    assert "https://terms.sigma.video/vi/terms-of-service/compare/1/2/" in text
    assert unsubscribe.strip("<>") in text and unsubscribe.strip("<>") in html

    _envelope, english = received["reader@example.com"]
    assert english["Subject"] == "Terms of Service: version 2 takes effect on 1 December 2026"
    assert "https://terms.sigma.video/en/terms-of-service/compare/1/2/" in english.get_body(("plain",)).get_content()
