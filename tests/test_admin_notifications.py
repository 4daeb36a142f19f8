"""What staff see of subscribers and the notification outbox in the admin (legal/admin/notifications.py)."""

import pytest

from legal.models import Notification
from legal.outbox import send_due_notifications
from tests.conftest import make_version, site_time

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("public_site_url")]

DECEMBER = site_time(2026, 12, 1)


def test_publishers_see_subscribers_and_delivery_states_read_only(client, subscribers, terms, publisher_user, settings,
                                                                  mailoutbox):  # fmt: skip
    make_version(terms.document, effective_at=DECEMBER)
    send_due_notifications()
    client.force_login(publisher_user)
    admin = f"/{settings.ADMIN_URL}legal/"

    subscribers = client.get(f"{admin}subscription/")
    assert subscribers.status_code == 200
    page = subscribers.content.decode()
    for address in ("doc@example.vn", "reader@example.com", "pending@example.com", "left@example.com"):
        assert address in page
    assert "Đang chờ xác nhận" in page and "Đã huỷ đăng ký" in page
    active = client.get(f"{admin}subscription/", {"state": "active"}).content.decode()
    assert "reader@example.com" in active and "pending@example.com" not in active

    outbox = client.get(f"{admin}notification/", {"status__exact": "sent"})
    assert outbox.status_code == 200
    assert outbox.content.decode().count("reader@example.com") == 1

    notice = Notification.objects.first()
    change = client.get(f"{admin}notification/{notice.pk}/change/")
    assert change.status_code == 200
    assert 'type="submit" value="Save"' not in change.content.decode()
    assert client.post(f"{admin}notification/{notice.pk}/change/", {"status": "pending"}).status_code == 403
    assert client.get(f"{admin}subscription/add/").status_code == 403
    assert client.get(f"{admin}notification/{notice.pk}/delete/").status_code == 403


def test_editors_do_not_see_subscribers(client, subscribers, editor_user, settings):
    client.force_login(editor_user)
    assert client.get(f"/{settings.ADMIN_URL}legal/subscription/").status_code == 403
