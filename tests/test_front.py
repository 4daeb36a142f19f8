"""deploy/nginx.conf in front of a live server: what it caches, and the switch through it.

Cross-cutting: the deployment front; it mainly covers legal/caching.py's headers as nginx obeys them.

Runs Debian's nginx (installed by .ci/run) with the repository's configuration file, its
placeholders filled in, on a free loopback port. Skipped when nginx is missing.
"""

import datetime
import http.client
import re
import shutil
import socket
import subprocess
import threading
import time

import pytest

from django.conf import settings

from legal.models import DocumentVersion
from legal.publishing import new_draft_from, publish_version

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = [
    pytest.mark.skipif(not shutil.which(NGINX), reason="the front tests need nginx (apt-get install nginx-light)"),
    pytest.mark.real_clock,
]
LEAD_SECONDS = 5  # max-age 2: the lead less CACHE_CLOCK_MARGIN, less the part second since the read
VERSION = re.compile(rb'<p class="version-line">\s*<span>Version (\d+)</span>')


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def front(live_server, tmp_path):
    """(get, port): nginx with deploy/nginx.conf in front of the live server."""
    port = free_port()
    upstream = live_server.url.removeprefix("http://")
    conf = (settings.BASE_DIR / "deploy" / "nginx.conf").read_text()
    for name, value in {
        "__CACHE_DIR__": str(tmp_path / "cache"),
        "__UPSTREAM__": upstream,
        "__LISTEN__": f"127.0.0.1:{port}",
        "__STATIC_ROOT__": str(settings.BASE_DIR / "static"),
    }.items():
        conf = conf.replace(name, value)
    (tmp_path / "logs").mkdir()
    main = (
        f"master_process off; daemon off; pid {tmp_path}/nginx.pid; error_log {tmp_path}/logs/error.log warn;\n"
        "events { worker_connections 256; }\n"
        f"http {{ access_log off; client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;\n"
        f"fastcgi_temp_path {tmp_path}/fcgi; uwsgi_temp_path {tmp_path}/uwsgi; scgi_temp_path {tmp_path}/scgi;\n"
        f"{conf}\n}}\n"
    )
    (tmp_path / "nginx.conf").write_text(main)
    process = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)

    def get(path, **headers):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", path, headers={"Host": "localhost", **headers})
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response, body

    yield get
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def terms(settings, request):
    """The shared `committed_terms` (nginx's worker reads them through the live server), under the front's settings."""
    settings.PUBLISH_LEAD_SECONDS = LEAD_SECONDS
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
    return request.getfixturevalue("committed_terms")


def shown(body):
    match = VERSION.search(body)
    return int(match.group(1)) if match else None


def test_public_pages_are_cached_and_private_answers_are_not(front, terms):
    """The canonical page is served from nginx's cache; staff pages and per-request answers never are."""
    first, body = front("/en/terms-of-service/")
    assert (first.status, shown(body)) == (200, 1)
    second, _body = front("/en/terms-of-service/")
    assert second.getheader("X-Cache-Status") == "HIT"
    bypassed, _body = front("/en/terms-of-service/", **{"Accept-Datetime": "Tue, 24 Nov 2026 12:00:00 GMT"})
    assert bypassed.getheader("X-Cache-Status") == "BYPASS"
    with_token, _body = front("/en/terms-of-service/", Authorization="Bearer x")
    assert with_token.getheader("X-Cache-Status") == "BYPASS"
    for path in ("/admin/login/", "/en/terms-of-service/subscribe/", "/api/acceptances/status/?document=x&account=y"):
        front(path)
        again, _body = front(path)
        assert again.getheader("X-Cache-Status") is None, path


def test_each_accept_encoding_gets_its_own_answer_from_the_cache(front, terms):
    """nginx honours the site's Vary: a gzipped answer is never served to a client that did not ask for it."""
    front("/en/terms-of-service/", **{"Accept-Encoding": "gzip"})
    gzipped, body = front("/en/terms-of-service/", **{"Accept-Encoding": "gzip"})
    assert (gzipped.getheader("X-Cache-Status"), gzipped.getheader("Content-Encoding")) == ("HIT", "gzip")
    assert body.startswith(b"\x1f\x8b")
    for accept in ({}, {"Accept-Encoding": "identity"}):
        front("/en/terms-of-service/", **accept)
        plain, body = front("/en/terms-of-service/", **accept)
        assert (plain.getheader("X-Cache-Status"), plain.getheader("Content-Encoding")) == ("HIT", None), accept
        assert shown(body) == 1


def test_no_request_after_the_switch_sees_the_old_version(front, terms):
    """Publish with the shortest lead; poll through nginx: old until the switch, new within a second.

    The switch falls half-way through a second, as a date typed to the second does not when
    "as soon as allowed" or an API client picks it: caches count whole seconds, and nginx
    keeps an answer to the end of the second its max-age runs out in. Three clients poll
    without pause, so nginx's cache is filled and expires many times around the switch.
    """
    for _ in range(3):  # warm nginx's cache and the site's own with version 1
        assert shown(front("/en/terms-of-service/")[1]) == 1
    draft = new_draft_from(terms)
    draft.body_en = draft.body_en.replace("contact@gviet.vn", "legal@sigma.video")
    draft.summary_vi = draft.summary_en = "New address"
    draft.change_kind = DocumentVersion.ChangeKind.EDITORIAL
    draft.effective_at = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=LEAD_SECONDS + 1)).replace(
        microsecond=500_000
    )
    draft.save()
    switch = publish_version(draft, editorial_confirmed=True).effective_at.timestamp()
    seen = []

    def poll():
        while time.time() < switch + 2:
            sent = time.time()
            response, body = front("/en/terms-of-service/")
            seen.append((sent, time.time(), shown(body), response.getheader("X-Cache-Status")))

    pollers = [threading.Thread(target=poll) for _ in range(3)]
    for poller in pollers:
        poller.start()
    for poller in pollers:
        poller.join()
    answered_before = [number for _sent, received, number, _status in seen if received < switch]
    sent_after = [
        (round(sent - switch, 3), number, status) for sent, _received, number, status in seen if sent >= switch
    ]
    assert answered_before and set(answered_before) == {1}
    assert sent_after and [a for a in sent_after if a[1] != 2] == []
    first_new = min(received for _sent, received, number, _status in seen if number == 2)
    assert first_new - switch < 1
    # Served from nginx's cache, which expired and was filled again around the switch.
    assert {"HIT", "EXPIRED"} <= {status for *_rest, status in seen}
