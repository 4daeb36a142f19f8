"""The review hand-off (legal/reviewing.py, legal/reviews.py): an editor submits a draft, every publisher is emailed, a publisher sends it back.

Emails go through a real SMTP server on loopback (tests/smtp.py); each step is in the version's history.
"""

import email
import email.policy
from datetime import timedelta

import pytest

from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User

from legal.models import DocumentVersion, ReviewState, StaffLanguage
from legal.publishing import new_draft_from, rebase_draft
from legal.reviewing import ReviewError, send_back, submit_for_review
from legal.reviews import review_state
from tests.conftest import ADMIN, START, form_data, make_version, staff, text_of
from tests.smtp import SilentHandler, closed_port, smtp_server

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(db):
    """An editor who reads English, two publishers (Vietnamese, English), one without an address, a superuser."""
    editor = staff("editor", "Legal editors", email="editor@sigma.video")
    publishers = {
        "vi": staff("lan", "Legal publishers", email="lan@sigma.video", first_name="Lan"),
        "en": staff("mai", "Legal publishers", email="mai@sigma.video"),
    }
    staff("noaddress", "Legal publishers")
    User.objects.create_superuser("root", email="root@sigma.video", password="pw")
    StaffLanguage.objects.create(user=editor, language="en")
    StaffLanguage.objects.create(user=publishers["en"], language="en")
    return editor, publishers


@pytest.fixture
def draft(terms, team):
    """The editor's draft (in place of the shared one): only the English of clause 2 changed, not yet confirmed."""
    draft = new_draft_from(terms, user=team[0])
    draft.effective_at = START + timedelta(days=31)
    draft.summary_vi, draft.summary_en = "Điều 2: phải tạo tài khoản", "Clause 2: must create an account"
    draft.body_en = terms.body_en.replace("the Customer shall create", "the Customer must create")
    draft.save()
    return draft


def received(server):
    """{address: parsed message} of everything the server got."""
    messages = {}
    for envelope in server.handler.envelopes:
        for address in envelope.rcpt_tos:
            messages[address] = email.message_from_bytes(envelope.content, policy=email.policy.default)
    return messages


def body(message):
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def history(version):
    return [entry.change_message for entry in LogEntry.objects.filter(object_id=str(version.pk)).order_by("pk")]


def test_submitting_emails_every_publisher_in_their_language(client, team, draft, mail):
    """Each publisher with an address gets the summary, the preview links and the publish link in their language."""
    editor, publishers = team
    client.force_login(editor)
    response = client.post(f"{ADMIN}{draft.pk}/submit/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and response["Location"] == f"{ADMIN}{draft.pk}/change/"
    got = received(mail)
    assert sorted(got) == ["lan@sigma.video", "mai@sigma.video"]  # not the superuser, not the editor

    vietnamese = got["lan@sigma.video"]
    assert vietnamese["Content-Language"] == "vi"
    assert vietnamese["Subject"].strip() == f"Yêu cầu duyệt: Điều khoản sử dụng, bản nháp #{draft.pk}"
    text = body(vietnamese)
    assert f"editor đã gửi Điều khoản sử dụng, bản nháp #{draft.pk} để duyệt." in text
    assert "Có hiệu lực: 12:00, 25 tháng 12 năm 2026 (còn 31 ngày nữa)" in text
    assert "VI: Điều 2: phải tạo tài khoản" in text and "EN: Clause 2: must create an account" in text
    for code in ("vi", "en"):
        assert f"{code.upper()}: https://terms.sigma.video{ADMIN}{draft.pk}/preview/{code}/" in text
    assert f"https://terms.sigma.video{ADMIN}{draft.pk}/publish/" in text

    english = got["mai@sigma.video"]
    assert english["Content-Language"] == "en"
    assert english["Subject"] == f"Review requested: Terms of Service, draft #{draft.pk}"
    assert "Takes effect: 25 December 2026, 12:00 (in 31 days)" in body(english)

    assert review_state(DocumentVersion.objects.get(pk=draft.pk)) == ReviewState.SUBMITTED
    assert history(draft) == ["Submitted for review; emailed to: lan@sigma.video, mai@sigma.video."]
    page = text_of(client.get(f"{ADMIN}{draft.pk}/change/", HTTP_ACCEPT_LANGUAGE="en", follow=True))
    assert "Emailed to: lan@sigma.video, mai@sigma.video." in page


def test_the_review_state_is_in_the_change_list(client, team, draft, terms):
    """In progress, submitted (by whom, when), sent back (with the comment); published versions show none."""
    editor, publishers = team
    client.force_login(publishers["en"])

    def column():
        changelist = client.get(ADMIN, HTTP_ACCEPT_LANGUAGE="en").context["cl"]
        admin = changelist.model_admin
        return {version.pk: str(admin.review_status(version)) for version in changelist.result_list}

    assert column() == {draft.pk: "In progress", terms.pk: "—"}
    submit_for_review(draft, user=editor)
    assert column()[draft.pk] == "Submitted for review by editor, 24 November 2026, 12:00"
    send_back(draft, user=publishers["en"], comment="Clause 2 needs the Vietnamese change too.")
    assert column()[draft.pk] == "Sent back by mai: Clause 2 needs the Vietnamese change too."
    page = client.get(ADMIN, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "Trả lại bởi mai: Clause 2 needs the Vietnamese change too." in page


def test_a_publisher_sends_it_back_and_the_editor_gets_the_comment(client, team, draft, mail):
    """The comment reaches the editor by email, in the editor's language, and stays in the history."""
    editor, publishers = team
    submit_for_review(draft, user=editor)
    mail.handler.envelopes.clear()
    client.force_login(publishers["vi"])
    page = client.get(f"{ADMIN}{draft.pk}/change/").content.decode()
    assert f'href="{ADMIN}{draft.pk}/send-back/"' in page
    assert client.post(f"{ADMIN}{draft.pk}/send-back/", {"comment": "  "}).status_code == 200  # a comment is required
    response = client.post(f"{ADMIN}{draft.pk}/send-back/", {"comment": "Điều 2 cần sửa cả bản tiếng Việt.\r\nCảm ơn."})
    assert response.status_code == 302
    got = received(mail)
    assert list(got) == ["editor@sigma.video"]
    message = got["editor@sigma.video"]
    assert message["Subject"] == f"Sent back for changes: Terms of Service, draft #{draft.pk}"
    text = body(message)
    assert f"Lan sent Terms of Service, draft #{draft.pk} back for changes." in text
    assert "Điều 2 cần sửa cả bản tiếng Việt.\nCảm ơn." in text
    assert f"https://terms.sigma.video{ADMIN}{draft.pk}/change/" in text
    assert review_state(DocumentVersion.objects.get(pk=draft.pk)) == ReviewState.RETURNED
    assert history(draft)[-1] == "Trả lại để sửa: Điều 2 cần sửa cả bản tiếng Việt.\nCảm ơn."


def test_a_draft_changed_after_submission_is_in_progress_again(client, team, draft):
    """Saving a change in the admin puts it back in progress, in its history; an unchanged save does not."""
    editor, _publishers = team
    submit_for_review(draft, user=editor)
    client.force_login(editor)
    change = f"{ADMIN}{draft.pk}/change/"
    same = form_data(draft, effective_at_0="2026-12-25", effective_at_1="12:00:00")
    assert client.post(change, same).status_code == 302
    assert review_state(DocumentVersion.objects.get(pk=draft.pk)) == ReviewState.SUBMITTED
    changed = {**same, "summary_en": "Clause 2: an account must be created"}
    response = client.post(change, changed, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "The draft changed after it was submitted for review, so it is in progress again." in text_of(response)
    assert review_state(DocumentVersion.objects.get(pk=draft.pk)) == ReviewState.IN_PROGRESS
    assert "Changed after it was submitted for review: back in progress." in history(draft)


def test_a_change_by_any_path_takes_the_draft_back_in_progress(team, draft, terms):
    """A rebase (or any save outside the admin) changes what was reviewed: no longer "submitted"."""
    editor, publishers = team
    submit_for_review(draft, user=editor)
    make_version(terms.document, body_vi=terms.body_vi + "\nMới.\n", effective_at=START + timedelta(days=1))
    rebase_draft(DocumentVersion.objects.get(pk=draft.pk))
    assert review_state(DocumentVersion.objects.get(pk=draft.pk)) == ReviewState.IN_PROGRESS
    with pytest.raises(ReviewError):
        send_back(draft, user=publishers["vi"], comment="Too late.")


def test_the_steps_are_refused_when_they_make_no_sense(client, team, draft, terms):
    """Submitting twice, sending back an unsubmitted draft, an editor sending back, a published version."""
    editor, publishers = team
    client.force_login(editor)
    assert client.get(f"{ADMIN}{draft.pk}/submit/").status_code == 405
    assert client.get(f"{ADMIN}{draft.pk}/send-back/").status_code == 403
    assert client.post(f"{ADMIN}{draft.pk}/send-back/", {"comment": "x"}).status_code == 403
    client.post(f"{ADMIN}{draft.pk}/submit/")
    again = client.post(f"{ADMIN}{draft.pk}/submit/", HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "This draft is already submitted for review and has not changed since." in text_of(again)
    assert len(history(draft)) == 1
    with pytest.raises(ReviewError):
        submit_for_review(terms, user=editor)
    assert client.post(f"{ADMIN}{terms.pk}/submit/").status_code == 403  # not a draft: not changeable
    client.force_login(publishers["vi"])
    fresh = new_draft_from(terms, user=editor)
    page = client.get(f"{ADMIN}{fresh.pk}/send-back/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Only a draft submitted for review, unchanged since, can be sent back." in page
    assert 'name="comment"' not in page


def test_a_mail_server_that_is_gone_or_silent_never_loses_the_step(client, team, draft, settings):
    """The submission is recorded and the page says who was not emailed; a silent server costs a bounded wait."""
    editor, _publishers = team
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 5
    client.force_login(editor)
    response = client.post(f"{ADMIN}{draft.pk}/submit/", HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.status_code == 200
    assert "The email to lan@sigma.video, mai@sigma.video could not be sent: tell them yourself." in text_of(response)
    assert review_state(DocumentVersion.objects.get(pk=draft.pk)) == ReviewState.SUBMITTED

    fresh = new_draft_from(draft, user=editor)
    with smtp_server(SilentHandler()) as silent:
        settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = silent.port, 1
        response = client.post(f"{ADMIN}{fresh.pk}/submit/", HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.status_code == 200
    assert "The email to lan@sigma.video, mai@sigma.video could not be sent" in text_of(response)
    assert len(silent.handler.envelopes) == 1  # the rest were not tried once the server failed
    assert review_state(DocumentVersion.objects.get(pk=fresh.pk)) == ReviewState.SUBMITTED


def test_signing_in_records_the_language_of_a_staff_members_emails(client, db):
    """The admin language at sign-in (here from Accept-Language) is the language review emails use."""
    user = staff("hoa", "Legal publishers", email="hoa@sigma.video")
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "hoa", "password": "pw"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 302
    assert StaffLanguage.objects.get(user=user).language == "en"
    client.logout()
    client.post("/admin/login/?next=/admin/", {"username": "hoa", "password": "pw"}, HTTP_ACCEPT_LANGUAGE="vi")
    assert StaffLanguage.objects.get(user=user).language == "vi"


def test_a_rebase_in_the_admin_records_that_the_draft_is_in_progress_again(client, team, draft, terms):
    """The rebase button changes the text that was reviewed: the history says so and the page warns."""
    editor, _publishers = team
    submit_for_review(draft, user=editor)
    make_version(terms.document, body_vi=terms.body_vi + "\nMới.\n", effective_at=START + timedelta(days=1))
    client.force_login(editor)
    response = client.post(f"{ADMIN}{draft.pk}/rebase/", HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "The draft changed after it was submitted for review, so it is in progress again." in text_of(response)
    assert history(draft)[-1] == "Changed after it was submitted for review: back in progress."
