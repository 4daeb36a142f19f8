"""Every page of the legal admin (the whole legal/admin/ package) works for every role and every version's state.

Signs in as editor, publisher and superuser and requests each page for versions in every
state; none may answer 5xx, and each answers exactly what the role allows. The Vietnamese
pages must show none of our own strings in English.
"""

import io
import re
from datetime import timedelta

import pytest
from babel.messages.pofile import read_po

from django.conf import settings

from legal.models import DocumentVersion, Notification, Subscription, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from legal.publishing import new_draft_from
from tests.conftest import START, role_user

pytestmark = pytest.mark.django_db

ADMIN = "/admin/legal/"
ROLES = ("editor", "publisher", "superuser")
DRAFT_STATES = ("undated", "no_english", "empty_body", "own_draft")
STATES = (*DRAFT_STATES, "in_effect", "scheduled", "withdrawn")
VERSION_PAGES = (
    "change", "history", "delete", "preview_vi", "preview_en", "publish", "withdraw", "new_draft", "reissue", "rebase",
    "translation",
    "submit", "send_back", "side_by_side", "section_preview",
)  # fmt: skip


@pytest.fixture
def subscriber(terms):
    """One confirmed subscriber, there before versions 2 and 3 are published: each queues a notice."""
    return Subscription.objects.create(
        email="reader@example.com", document=terms.document, language="vi", confirmed_at=START
    )


@pytest.fixture
def site(terms, subscriber, scheduled, withdrawn):
    """One version in each state, a subscriber and a notice, and a user per role."""
    users = {role: role_user(role) for role in ROLES}
    undated = new_draft_from(terms, user=users["publisher"])
    no_english = new_draft_from(terms, user=users["publisher"])
    no_english.title_en = no_english.body_en = no_english.summary_en = ""
    no_english.effective_at = START + timedelta(days=40)
    no_english.save()
    empty_body = new_draft_from(terms, user=users["publisher"])
    empty_body.body_vi = empty_body.body_en = ""
    empty_body.save()
    own_draft = new_draft_from(terms, user=users["editor"])  # the editor's own
    versions = {
        "undated": undated, "no_english": no_english, "empty_body": empty_body, "own_draft": own_draft,
        "in_effect": terms, "scheduled": scheduled, "withdrawn": withdrawn,
    }  # fmt: skip
    assert undated.effective_at is None and Notification.objects.count() == 2
    return users, versions


def version_url(version, page):
    base = f"{ADMIN}documentversion/{version.pk}/"
    if page.startswith("preview_"):
        return f"{base}preview/{page[-2:]}/"
    special = {"new_draft": "new-draft/", "send_back": "send-back/", "side_by_side": "side-by-side/"}
    return base + special.get(page, f"{page.replace('_', '-')}/")


def expected_version_status(role, state, page):
    """What each role may open for a version in each state (GET)."""
    is_draft = state in DRAFT_STATES
    if page in ("reissue", "rebase", "submit", "section_preview"):
        return 405  # re-issuing, rebasing, submitting or previewing a section is a POST
    if page == "side_by_side":
        return 200 if is_draft else 403  # a published version is never edited
    if page == "new_draft":
        return 200  # asks for confirmation; the POST creates it
    if page in ("publish", "withdraw", "send_back"):
        return 403 if role == "editor" else 200
    if page == "delete":
        if not is_draft:
            return 403  # the legal record is never deleted
        if role == "editor":
            return 200 if state == "own_draft" else 403
        return 200
    return 200  # change (read-only when published), history, previews, the translation ledger


def other_pages(site):
    """(url, {role: status}) for the pages that do not belong to one version."""
    _users, versions = site
    document = versions["in_effect"].document
    subscription = Subscription.objects.get()
    notification = Notification.objects.first()
    all_ok = dict.fromkeys(ROLES, 200)
    subscribers = {"editor": 403, "publisher": 200, "superuser": 200}
    return [
        (ADMIN, all_ok),
        (f"{ADMIN}documentversion/", all_ok),
        (f"{ADMIN}documentversion/?state=draft", all_ok),
        (f"{ADMIN}documentversion/?state=withdrawn", all_ok),
        (f"{ADMIN}documentversion/add/", all_ok),
        (f"{ADMIN}document/", all_ok),
        (f"{ADMIN}document/add/", all_ok),
        (f"{ADMIN}document/{document.pk}/change/", all_ok),
        (f"{ADMIN}document/{document.pk}/history/", all_ok),
        (f"{ADMIN}document/{document.pk}/delete/", dict.fromkeys(ROLES, 403)),  # it has versions
        (f"{ADMIN}subscription/", subscribers),
        (f"{ADMIN}subscription/{subscription.pk}/change/", subscribers),
        (f"{ADMIN}subscription/add/", dict.fromkeys(ROLES, 403)),
        (f"{ADMIN}notification/", subscribers),
        (f"{ADMIN}notification/{notification.pk}/change/", subscribers),
        (f"{ADMIN}notification/add/", dict.fromkeys(ROLES, 403)),
        *webhook_pages(versions["scheduled"], subscribers),
    ]


def webhook_pages(version, publishers):
    """An endpoint, a delivery and a failed attempt: their pages are for publishers and superusers."""
    endpoint, _created = WebhookEndpoint.objects.get_or_create(url="https://hooks.example.com/sigma")
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint).first()
    if delivery is None:
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, version=version, event_type="version.published", payload={"type": "version.published"}
        )
        WebhookAttempt.objects.create(delivery=delivery, status_code=500, error="HTTP 500")
    return [
        (f"{ADMIN}webhookendpoint/", publishers),
        (f"{ADMIN}webhookendpoint/add/", publishers),
        (f"{ADMIN}webhookendpoint/{endpoint.pk}/change/", publishers),
        (f"{ADMIN}webhookendpoint/{endpoint.pk}/delete/", publishers),  # shows the protected log, deletes nothing
        (f"{ADMIN}webhookdelivery/", publishers),
        (f"{ADMIN}webhookdelivery/{delivery.pk}/change/", publishers),
        (f"{ADMIN}webhookdelivery/add/", dict.fromkeys(ROLES, 403)),
    ]


def english_strings():
    """Our English strings whose Vietnamese differs or is missing (long enough to be unambiguous)."""
    catalogues = {}
    for code in ("vi", "en"):
        path = settings.BASE_DIR / "locale" / code / "LC_MESSAGES" / "django.po"
        catalogues[code] = read_po(io.StringIO(path.read_text(encoding="utf-8")))
    strings = set()
    for message in catalogues["en"]:
        if not message.id or message.pluralizable or "%(" in message.id or len(message.id) < 12:
            continue
        vi = catalogues["vi"].get(message.id)
        if vi is None or vi.string != message.string:  # untranslated in Vietnamese, or translated differently
            strings.add(message.string.lower())
    return strings


def chrome_text(html):
    """The page's own words: without form values, read-only texts, English document text, scripts and tags."""
    html = re.sub(r"<(textarea|script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r'<div class="readonly">.*?</div>', " ", html, flags=re.S)
    html = re.sub(r'<p class="redline-block.*?</p>', " ", html, flags=re.S)  # the document's text in a redline
    html = re.sub(r'<p class="document-text.*?</p>', " ", html, flags=re.S)  # beside it in the translation ledger
    # The email to English subscribers, as it will be sent, on the publish page.
    html = re.sub(r'<section class="publish-email" lang="en">.*?</section>', " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html)


def test_every_admin_page_answers_each_role_exactly_and_never_5xx(client, site):
    """Editor, publisher and superuser open every legal admin page for every version state."""
    users, versions = site
    english = english_strings()
    assert len(english) > 50
    wrong, leaks = [], []
    for role in ROLES:
        client.force_login(users[role])
        pages = [
            (version_url(versions[s], p), expected_version_status(role, s, p)) for s in STATES for p in VERSION_PAGES
        ]
        pages += [(url, statuses[role]) for url, statuses in other_pages(site)]
        for url, expected in pages:
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="vi")
            if response.status_code != expected:
                wrong.append(f"{role} GET {url}: {response.status_code}, expected {expected}")
            if response["Content-Type"].startswith("text/html") and "/preview/en/" not in url:
                text = chrome_text(response.content.decode()).lower()  # the admin capitalises labels
                leaks += [f"{role} {url}: {s!r}" for s in english if s in text]
    assert not wrong, "\n".join(wrong)
    assert not leaks, "\n".join(sorted(set(leaks)))
    assert DocumentVersion.objects.count() == 7  # nothing was changed by a GET
