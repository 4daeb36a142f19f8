"""`make bench`: serve the site as production does and measure it with wrk.

Builds a throw-away SQLite database holding the bundled Terms plus generated versions,
starts gunicorn with the repo's gunicorn.conf.py and DJANGO_DEBUG=0, and measures each
page against a static file of the same size served by WhiteNoise from the same gunicorn
(the baseline, measured in the same run). Then a load run: 64 connections on the current
page while a new version is published and takes effect. Prints a Markdown table.

First, in-process, the slowest render and redline over hostile and very long texts, each
against a 100 ms target (`--hostile-only` stops there; it needs no wrk).

Last, the Redis-kill run: the same gunicorn with a throwaway redis-server as its cache,
a bounded Python load on loopback while Redis is killed for some seconds (a version is
published meanwhile), restarted with its old entries, then hung (SIGSTOP) for as long;
it prints the requests and the non-2xx answers (target 0) and checks the switch.

With `--scale`, the same pages again on a second database (bench/scale.py): the Terms at
the renderer's size limit (200 sections) and 10,000 versions, each page's ratio to a static
file of its own size set against the small case's ratio (target: at least 0.9 of it); cold
answers in-process (no page cache) of both databases, the comparison of the two largest
versions and the admin's version list under 200 ms; a load run on the large site with the
workers' memory.

`--acceptances-only` measures the acceptance API instead (issue 17): a table of `--records`
acceptances of `--accounts` accounts (SQLite, or a throw-away PostgreSQL database given by
`--postgres`), then recording (a new account each request), one account's status, a batch
status and the JWKS, each `--rounds` times against a static file of the size of a status
answer measured in the same round; medians are printed.

Usage: python bench/run.py [--versions 1000] [--duration 10] [--load-duration 60] [--redis-outage 5] [--hostile-only] [--redis-only] [--scale]
       python bench/run.py --acceptances-only [--postgres URL] [--records 1000000] [--accounts 100000] [--rounds 2]
"""

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TARGET_MS = 100  # the slowest render or redline of any allowed input


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def django_env(database):
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="sigma_terms.settings",
        DJANGO_DEBUG="0",
        DATABASE_URL=f"sqlite:///{database}",
        GUNICORN_ACCESS_LOG="",
        GUNICORN_LOG_LEVEL="warning",
        # The load run publishes a version that takes effect 10 s later.
        PUBLISH_LEAD_SECONDS="5",
    )
    env.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    env.pop("REDIS_URL", None)
    return env


GENERATE = r"""
import datetime, sys, time_machine, django
django.setup()
from django.conf import settings
from legal.importing import load_bundled_terms
from legal.models import DocumentVersion
from legal.publishing import publish_version
from legal.translation_sync import confirm_sections, inherit_ledger

count = int(sys.argv[1])
v1 = load_bundled_terms()
start = v1.effective_at
step = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5) - start) / (count + 1)
previous = v1
for i in range(1, count + 1):
    at = start + step * i
    # Published the lead time before it takes effect, as the rules require.
    with time_machine.travel(at - datetime.timedelta(seconds=settings.PUBLISH_LEAD_SECONDS), tick=False):
        draft = DocumentVersion(document=v1.document, effective_at=at, change_kind="editorial")
        for code in ("vi", "en"):
            setattr(draft, f"title_{code}", getattr(previous, f"title_{code}"))
            setattr(draft, f"summary_{code}", f"Generated change {i}")
            setattr(draft, f"body_{code}", getattr(v1, f"body_{code}") + f"\nGenerated clause {i}.\n")
        draft.save()
        inherit_ledger(draft, previous)  # the translator confirms the sections that changed
        confirm_sections(draft, only_out_of_step=True)
        previous = publish_version(draft, editorial_confirmed=True)
print(previous.number)
"""

PUBLISH = r"""
import datetime, django
django.setup()
from legal.models import Document, DocumentVersion
from legal.publishing import publish_version
from legal.translation_sync import confirm_sections, inherit_ledger
document = Document.objects.get(slug="terms-of-service")
latest = document.versions.published().order_by("-number").first()
draft = DocumentVersion(document=document, change_kind="editorial",
                        effective_at=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=10))
for code in ("vi", "en"):
    setattr(draft, f"title_{code}", getattr(latest, f"title_{code}"))
    setattr(draft, f"summary_{code}", "Published during the load run")
    setattr(draft, f"body_{code}", getattr(latest, f"body_{code}") + "\nPublished under load.\n")
draft.save()
inherit_ledger(draft, latest)
confirm_sections(draft, only_out_of_step=True)
print(publish_version(draft, editorial_confirmed=True).number)
"""


DIFF = r"""
import statistics, time, django
django.setup()
from legal.diffing import compare_versions
from legal.models import DocumentVersion
versions = DocumentVersion.objects.published().order_by("number")
old, new = versions.first(), versions.last()
timings = []
for _ in range(200):
    for code in ("vi", "en"):
        start = time.perf_counter()
        compare_versions(old, new, code)
        timings.append((time.perf_counter() - start) * 1000)
print(f"{statistics.median(timings):.2f} {max(timings):.2f}")
"""


HOSTILE = r"""
import itertools, json, random, time, django
django.setup()
from legal.comparison import compare_html  # the diff, its regrouping and moves: what a comparison page runs
from legal.importing import BUNDLED_DIR
from legal.rendering import RenderLimitError, render_markdown, split_front_matter

words = "khách hàng sigma video dịch vụ tài khoản điều khoản bảo mật dữ liệu quyền nghĩa vụ".split()
paragraph = [f"{words[i % len(words)]}{i % 97}" for i in range(3000)]
every_7th = [f"{w}x" if i % 7 == 0 else w for i, w in enumerate(paragraph)]
terms = split_front_matter((BUNDLED_DIR / "terms-of-service.vi.md").read_text(encoding="utf-8"))[1]
random.seed(7)
edited = " ".join(w if random.random() > 0.2 else w.upper() + "x" for w in terms.split(" "))
line_a = " ".join(f"{w}{i}" for i, w in zip(range(30_000), itertools.cycle(words)))[:30_000]
line_b = " ".join(f"{w}q{i}" for i, w in zip(range(30_000), itertools.cycle(words)))[:30_000]
shuffled = " ".join(random.Random(3).sample(line_a.split(), len(line_a.split())))
long_body = ("## Điều\n\n" + " ".join(paragraph[:150]) + "\n\n- [liên kết](https://sigma.video) a\n- b\n\n") * 120
renders = {
    "bundled Terms (vi)": terms,
    "one 3,000-word paragraph": " ".join(paragraph),
    "100,000 [": "[" * 100_000,
    "50,000 [ on separate lines": "[\n" * 50_000,
    "10,000 headings": "".join(f"## H {i}\n\n" for i in range(10_000)),
    "500 headings (the limit)": "".join(f"## H {i}\n\n" for i in range(500)),
    "list nested 500 deep": "".join("  " * i + "- x\n" for i in range(500)),
    "list nested 100 deep (the limit)": "".join("  " * i + "- x\n" for i in range(100)),
    "quotes nested 100 deep (the limit)": ">" * 100 + " x\n",
    "30,000-character line": "word " * 6000,
    "600 unclosed HTML tags (the limit)": "<a " * 600,
    "3,000 * and _ (the limit)": "*_" * 1500,
    f"{len(long_body):,} characters, 120 sections": long_body,
}
redlines = {
    "3,000-word paragraph, every 7th word changed": (" ".join(paragraph), " ".join(every_7th)),
    "3,000-word paragraph reversed": (" ".join(paragraph), " ".join(reversed(paragraph))),
    "two unrelated 30,000-character lines (the limit)": (line_a, line_b),
    "150,000 characters (the limit): 5 unrelated 30,000-character lines": (
        "\n\n".join([line_a[:29_000]] * 5), "\n\n".join([line_b[:29_000]] * 5)),
    "150,000 characters (the limit): 5 lines, words shuffled": (
        "\n\n".join([line_a[:29_000]] * 5), "\n\n".join([shuffled[:29_000]] * 5)),
    "two unrelated 3,000-word paragraphs": (" ".join(paragraph), " ".join(w[::-1] for w in paragraph)),
    "bundled Terms vs a copy with 20% of words changed": (terms, edited),
    "bundled Terms vs itself": (terms, terms),
    "long body vs every 7th word changed": (long_body, long_body.replace("a1", "zz").replace("3 ", "33 ")),
    "10,000 tiny paragraphs reversed": (
        "\n\n".join(f"M {i} a b" for i in range(10_000)),
        "\n\n".join(f"M {i} a b" for i in reversed(range(10_000))),
    ),
    "3,000-word paragraph moved to the end, every 7th word changed": (
        " ".join(paragraph) + "\n\n" + long_body[:20_000],
        long_body[:20_000] + "\n\n" + " ".join(every_7th),
    ),
    "120 sections in reverse order": (
        long_body, "".join(f"## Điều {i}\n\n{s}" for i, s in enumerate(reversed(long_body.split("## Điều\n\n")[1:])))
    ),
}
result = {"render": [], "redline": []}
for label, text in renders.items():
    start = time.perf_counter()
    try:
        render_markdown(text, permalink_label="x")
        outcome = "rendered"
    except RenderLimitError as exc:
        outcome = f"refused: {exc}"
    result["render"].append([label, (time.perf_counter() - start) * 1000, outcome])
for label, (old, new) in redlines.items():
    old_html, new_html = (render_markdown(t).html for t in (old, new))
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        compare_html(old_html, new_html)
        timings.append((time.perf_counter() - start) * 1000)
    result["redline"].append([label, max(timings), ""])
print(json.dumps(result))
"""


LOGIN = r"""
import statistics, time, django
django.setup()
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.test import Client
call_command("migrate", verbosity=0)
User = get_user_model()
password = "correct horse battery staple"

client = Client()  # one handler, as in a running worker (a new Client builds the middleware again)
client.get("/admin/login/")

def login(username):
    client.cookies.clear()  # signed out: each login starts a new session
    start = time.perf_counter()
    response = client.post("/admin/login/?next=/admin/", {"username": username, "password": password})
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 302 and response["Location"] == "/admin/", (response.status_code, username)
    return elapsed

User.objects.filter(username__startswith="bench-login").delete()
User.objects.create_user("bench-login", password=password, is_staff=True)  # the first hasher in PASSWORD_HASHERS
times = [login("bench-login") for _ in range(7)]
# A user whose hash is the old PBKDF2 one: the first login checks it and stores it again.
User.objects.create_user("bench-login-old", is_staff=True)
User.objects.filter(username="bench-login-old").update(password=make_password(password, hasher="pbkdf2_sha256"))
upgrade = login("bench-login-old")
upgraded = User.objects.get(username="bench-login-old").password.split("$")[0]
print(User.objects.get(username="bench-login").password.split("$")[0], statistics.median(times), max(times), upgrade, upgraded)
"""


COLD = r"""
import json, statistics, sys, time, django
django.setup()
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.db.models.functions import Length
from django.test import Client
from django.test.utils import CaptureQueriesContext
from legal.models import DocumentVersion
from legal.models import StoredRedline

latest = DocumentVersion.objects.latest_published().number
largest = DocumentVersion.objects.published().annotate(size=Length("body_vi")).order_by("-size", "-number")
a, b = sorted(largest.values_list("number", flat=True)[:2])
User = get_user_model()
admin = User.objects.filter(username="bench-admin").first() or User.objects.create_superuser("bench-admin", "", None)
client = Client()
client.force_login(admin)
paths = [
    ("current page (vi)", "/vi/terms-of-service/"),
    ("version page", f"/vi/terms-of-service/versions/{latest - 1}/"),
    ("history page 1", "/vi/terms-of-service/versions/"),
    ("API", "/api/documents/terms-of-service/"),
    (f"comparison of the two largest ({a}, {b}), nothing stored", f"/vi/terms-of-service/compare/{a}/{b}/"),
    ("admin version list", "/admin/legal/documentversion/"),
]
result = []
for label, path in paths:
    timings = []
    for _ in range(int(sys.argv[1])):
        cache.clear()  # no page cache: every answer is computed
        StoredRedline.objects.filter(old__number=a, new__number=b).delete()
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            sys.exit(f"{path} answered {response.status_code}")
    result.append([label, statistics.median(timings), max(timings), len(queries), len(response.content)])
print(json.dumps({"versions": DocumentVersion.objects.listed().count(), "pages": result}))
"""


def cold_answers(env, repeat=5):
    """Each page computed in-process with the page cache cleared: (median, slowest) ms and queries."""
    return json.loads(run_python(COLD, env, str(repeat)))


def login_cost(env):
    """A whole staff login through the admin's form with the production hasher (ms), in-process."""
    algorithm, median, slowest, upgrade, upgraded = run_python(LOGIN, env).split()
    print()
    print(
        f"Staff login through /admin/login/ ({algorithm}, Django's defaults): median {float(median):.0f} ms, "
        f"slowest of 7 {float(slowest):.0f} ms (target: under 300 ms); the one login that upgrades a PBKDF2 "
        f"hash {float(upgrade):.0f} ms, after which the hash is {upgraded}."
    )
    return float(median)


def hostile_inputs(env):
    """Slowest render and redline over hostile and very long texts, in-process (ms)."""
    result = json.loads(run_python(HOSTILE, env))
    print()
    print(f"Hostile and very long inputs (target: {TARGET_MS} ms each; slowest of 3 runs for redlines):")
    print()
    print("| input | ms | × target | outcome |")
    print("|---|---:|---:|---|")
    for kind in ("render", "redline"):
        for label, ms, outcome in result[kind]:
            print(f"| {kind}: {label} | {ms:.1f} | {ms / TARGET_MS:.2f} | {outcome} |")
    for kind in ("render", "redline"):
        label, ms, _outcome = max(result[kind], key=lambda row: row[1])
        print(f"Slowest {kind}: {ms:.1f} ms ({ms / TARGET_MS:.2f} × the {TARGET_MS} ms target): {label}")
    return result


def run_python(code, env, *args):
    result = subprocess.run([PYTHON, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"bench: setup failed:\n{result.stderr[-3000:]}")
    return result.stdout.strip()


class NginxFront:
    """Debian's nginx running deploy/nginx.conf (placeholders filled in) in front of `upstream`."""

    def __init__(self, workdir, *, upstream, name="nginx"):
        self.dir = Path(workdir) / name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.upstream = upstream
        self.process = None

    def __enter__(self):
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            sys.exit("bench: nginx is missing; install it with `apt-get install nginx-light`")
        (self.dir / "logs").mkdir(parents=True, exist_ok=True)
        conf = (ROOT / "deploy" / "nginx.conf").read_text()
        for name, value in {
            "__CACHE_DIR__": str(self.dir / "cache"),
            "__UPSTREAM__": self.upstream,
            "__LISTEN__": f"127.0.0.1:{self.port}",
            "__STATIC_ROOT__": str(ROOT / "staticfiles"),
        }.items():
            conf = conf.replace(name, value)
        temp = " ".join(f"{kind}_temp_path {self.dir}/{kind};" for kind in ("proxy", "fastcgi", "uwsgi", "scgi"))
        (self.dir / "nginx.conf").write_text(
            f"worker_processes {os.cpu_count()}; daemon off; user root; pid {self.dir}/nginx.pid;\n"
            f"error_log {self.dir}/logs/error.log warn;\nevents {{ worker_connections 1024; }}\n"
            f"http {{ access_log off; client_body_temp_path {self.dir}/body; {temp}\n{conf}\n}}\n"
        )
        self.process = subprocess.Popen([nginx, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf")])
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.base + "/static/bench/baseline.html", timeout=1)
                return self
            except OSError:
                time.sleep(0.1)
        sys.exit("bench: nginx did not start; see " + str(self.dir / "logs" / "error.log"))

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=10)


class Server:
    def __init__(self, env, port, *, log=None):
        self.env = {**env, "PORT": str(port)}
        self.port = port
        self.process = None
        self.log = log  # a file for the server's output, or None for the terminal

    def __enter__(self):
        output = open(self.log, "ab") if self.log else None  # noqa: SIM115 (the server keeps it open)
        self.process = subprocess.Popen(
            [str(Path(PYTHON).parent / "gunicorn"), "--config", "gunicorn.conf.py"],
            cwd=ROOT, env=self.env, start_new_session=True, stdout=output, stderr=output,
        )  # fmt: skip
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1)
                return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        sys.exit("bench: gunicorn did not start")

    def __exit__(self, *exc):
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)

    def worker_rss_kib(self):
        """Resident memory of each worker (children of the gunicorn master), in KiB."""
        sizes = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
            except OSError:
                continue
            ppid = re.search(r"^PPid:\s+(\d+)", text, re.M)
            rss = re.search(r"^VmRSS:\s+(\d+)", text, re.M)
            if ppid and rss and int(ppid.group(1)) == self.process.pid:
                sizes.append(int(rss.group(1)))
        return sizes


class MemorySampler(threading.Thread):
    def __init__(self, server):
        super().__init__(daemon=True)
        self.server, self.samples, self.running = server, [], True

    def run(self):
        while self.running:
            self.samples.append((time.time(), sum(self.server.worker_rss_kib())))
            time.sleep(0.5)

    def stop(self):
        self.running = False
        self.join()


def wrk(url, *, connections, duration, script=None):
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", *(["-s", str(script)] if script else []), url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip

    def latency_ms(label):
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    error_kinds = (
        dict(zip(("connect", "read", "write", "timeout"), map(int, errors.groups()), strict=True)) if errors else {}
    )
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": latency_ms("50"),
        "p99": latency_ms("99"),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "errors": sum(error_kinds.values()),
        "error_kinds": error_kinds,
    }


class ThrowawayRedis:
    """redis-server on a free port with an append-only file, so a restart brings its old entries back.

    With `durable=False`, no file: a cache as production runs it, for measuring.
    """

    def __init__(self, folder, *, durable=True):
        self.folder, self.port, self.process, self.durable = folder, free_port(), None, durable

    def start(self):
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if self.durable else ["--appendonly", "no"]
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             *persistence, "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        sys.exit("bench: redis-server did not start")

    def signal(self, number):
        os.kill(self.process.pid, number)

    def kill(self):
        self.signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process.poll() is None:
            self.signal(signal.SIGCONT)
            self.kill()


def redis_kill_run(env, workdir, *, outage, max_requests, clients=8):
    """Load the site from `clients` threads while Redis is killed, brought back stale, then hung."""
    lead = 2 * outage
    redis = ThrowawayRedis(workdir).start()
    env = {**env, "REDIS_URL": f"redis://127.0.0.1:{redis.port}/0", "PUBLISH_LEAD_SECONDS": str(lead)}
    paths = [
        "/vi/terms-of-service/", "/en/terms-of-service/", "/vi/terms-of-service/versions/",
        "/en/terms-of-service/versions/1/", "/api/documents/terms-of-service/", "/en/terms-of-service/subscribe/",
        "/vi/", "/healthz",
    ]  # fmt: skip
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    phase = {"name": "redis up"}
    stats = {}  # phase -> [requests, non-2xx, errors, slowest seconds]
    lock = threading.Lock()
    done = threading.Event()
    counter = iter(range(max_requests))

    def client(offset):
        for n in counter:
            if done.is_set():
                return
            path = paths[(n + offset) % len(paths)]
            started = time.monotonic()
            try:
                with urllib.request.urlopen(base + path, timeout=10) as response:
                    response.read()
                    status, error = response.status, 0
            except urllib.error.HTTPError as exc:
                status, error = exc.code, 0
            except OSError:
                status, error = 0, 1
            seconds = time.monotonic() - started
            with lock:
                row = stats.setdefault(phase["name"], [0, 0, 0, 0.0])
                row[0] += 1
                row[1] += 0 < status and not 200 <= status < 300
                row[2] += error
                row[3] = max(row[3], seconds)

    with Server(env, port):
        for path in paths:
            urllib.request.urlopen(base + path).read()  # warm Redis with the pages in effect now
        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        for thread in threads:
            thread.start()
        time.sleep(outage)
        phase["name"] = "redis killed"
        redis.kill()
        number = int(run_python(PUBLISH.replace("seconds=10", f"seconds={lead + 1}"), env))
        published_at = time.time()
        time.sleep(outage)
        phase["name"] = "redis back, stale"
        redis.start()
        time.sleep(outage)
        phase["name"] = "redis hung"
        redis.signal(signal.SIGSTOP)
        time.sleep(outage)
        redis.signal(signal.SIGCONT)
        phase["name"] = "redis up again"
        time.sleep(max(0.0, published_at + lead + 2 - time.time()))
        done.set()
        for thread in threads:
            thread.join()
        page = urllib.request.urlopen(base + "/vi/terms-of-service/").read().decode()
        api = json.loads(urllib.request.urlopen(base + "/api/documents/terms-of-service/").read())
    redis.stop()
    switched = f"Phiên bản {number}" in page and api["current"]["number"] == number
    return stats, number, switched


def report_redis_kill_run(env, workdir, args):
    """Run and print the Redis-kill run; True when it failed (a non-2xx, an error, no switch)."""
    print()
    if not shutil.which("redis-server"):
        print("bench: redis-server is missing (apt-get install redis-server); skipped the Redis-kill run")
        return False
    print(f"bench: Redis-kill run, {args.redis_outage}s killed, then {args.redis_outage}s hung ...", flush=True)
    stats, number, switched = redis_kill_run(env, workdir, outage=args.redis_outage, max_requests=args.redis_requests)
    total = [sum(row[i] for row in stats.values()) for i in range(3)]
    print(
        f"Redis-kill run: {total[0]} requests, non-2xx {total[1]}, errors {total[2]}; version {number}, "
        f"published while Redis was down, {'was in effect on time' if switched else 'was NOT SEEN'}."
    )
    print()
    print("| phase | requests | non-2xx | errors | slowest s |")
    print("|---|---:|---:|---:|---:|")
    for name, (requests, non_2xx, errors, slowest) in stats.items():
        print(f"| {name} | {requests} | {non_2xx} | {errors} | {slowest:.2f} |")
    return bool(total[1] or total[2] or not switched)


ACCEPTANCE_DATA = r"""
import json, sys, django
django.setup()
from django.db import connection
from legal.models import Document
from legal.product_auth import issue_credential

records, accounts = int(sys.argv[1]), int(sys.argv[2])
document = Document.objects.get(slug="terms-of-service")
published = list(document.versions.published().order_by("number").values_list("id", flat=True))
per_account = max(1, records // accounts)
if per_account > len(published):
    sys.exit(f"{records} records over {accounts} accounts need {per_account} versions; --versions is too low")
# Each account accepted `per_account` versions spread over the history, the last one the latest.
step = len(published) / per_account
chosen = [published[len(published) - 1 - int(i * step)] for i in range(per_account)]
credential, secret = issue_credential(name="Bench")
ids = ",".join(str(pk) for pk in chosen)
columns = ("document_id, version_id, version_number, account, language, text_sha256, method, accepted_at, "
           "recorded_at, credential_id, product, metadata")
select = (f"SELECT {document.pk}, v.id, v.number, 'acct-' || n.a, 'vi', v.body_sha256_vi, 'clickwrap', "
          f"v.effective_at, v.effective_at, {credential.pk}, 'Bench', {{metadata}} "
          f"FROM n CROSS JOIN legal_documentversion v WHERE v.id IN ({ids})")
with connection.cursor() as cursor:
    if connection.vendor == "postgresql":
        cursor.execute(f"WITH n(a) AS (SELECT generate_series(0, {accounts - 1})) "
                       f"INSERT INTO legal_acceptance ({columns}) " + select.format(metadata="'{}'::jsonb"))
        cursor.execute("ANALYZE legal_acceptance")
    else:
        cursor.execute(f"WITH RECURSIVE n(a) AS (SELECT 0 UNION ALL SELECT a + 1 FROM n WHERE a + 1 < {accounts}) "
                       f"INSERT INTO legal_acceptance ({columns}) " + select.format(metadata="'{}'"))
    cursor.execute("SELECT count(*), count(DISTINCT account) FROM legal_acceptance")
    count, distinct = cursor.fetchone()
latest = document.versions.published().order_by("-number").first()
print(json.dumps({"secret": secret, "records": count, "accounts": distinct, "latest": latest.number,
                  "sha256": latest.body_sha256_vi}))
"""

# wrk scripts: the token and the values are filled in by `acceptance_script`.
STATUS_LUA = """
wrk.headers["Authorization"] = "Bearer __TOKEN__"
request = function()
  local path = string.format("/api/acceptances/status/?document=terms-of-service&account=acct-%d",
                             math.random(0, __ACCOUNTS__ - 1))
  return wrk.format("GET", path)
end
"""
BATCH_LUA = """
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer __TOKEN__"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local ids = {}
  for i = 1, __BATCH__ do ids[i] = string.format('"acct-%d"', math.random(0, __ACCOUNTS__ - 1)) end
  return wrk.format(nil, nil, nil, '{"document":"terms-of-service","accounts":[' .. table.concat(ids, ",") .. ']}')
end
"""
# Each request records a new account (201), never a repeat (200): the cost of a real write.
RECORD_LUA = """
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer __TOKEN__"
wrk.headers["Content-Type"] = "application/json"
local started = 0
function setup(thread)
  started = started + 1
  thread:set("tid", started)
end
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"document":"terms-of-service","account":"new-__RUN__-%d-%d","version":__VERSION__,'
    .. '"language":"vi","sha256":"__SHA256__","method":"clickwrap"}', tid, counter)
  return wrk.format(nil, nil, nil, body)
end
"""


def acceptance_script(workdir, name, template, **values):
    for key, value in values.items():
        template = template.replace(f"__{key.upper()}__", str(value))
    path = Path(workdir) / f"{name}.lua"
    path.write_text(template)
    return path


def fresh_postgres(url):
    """Drop and create the database of `url` (its name must say bench) and return `url`."""
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[-1].split("?")[0]
    if "bench" not in name:
        sys.exit(f"bench: --postgres drops and creates its database; name it ..._bench, not {name!r}")
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return url


def acceptance_run(env, workdir, args):
    """Record, status, batch status and JWKS with wrk, each round against a static baseline; medians printed.

    The cache is a throwaway redis-server, as in production, where every worker counts a
    product's requests in one place (without redis-server, each worker's own memory).
    """
    redis = ThrowawayRedis(workdir, durable=False).start() if shutil.which("redis-server") else None
    try:
        return _acceptance_run(env, workdir, args, redis)
    finally:
        if redis:
            redis.stop()


def _acceptance_run(env, workdir, args, redis):
    # One credential makes every request: the limit stays on (its counting is measured) but out of reach.
    env = {**env, "PRODUCT_RATE_LIMIT": "1000000000"}
    if redis:
        env["REDIS_URL"] = f"redis://127.0.0.1:{redis.port}/0"
    if args.postgres:
        env = {**env, "DATABASE_URL": fresh_postgres(args.postgres)}
    database = "PostgreSQL" if args.postgres else "SQLite"
    print(f"bench: {database} database, {args.versions} versions, {args.records:,} acceptances ...", flush=True)
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    run_python(GENERATE, env, str(args.versions))
    data = json.loads(run_python(ACCEPTANCE_DATA, env, str(args.records), str(args.accounts)))
    token, accounts = data["secret"], data["accounts"]
    scripts = {
        "status": acceptance_script(workdir, "status", STATUS_LUA, token=token, accounts=accounts),
        "batch": acceptance_script(workdir, "batch", BATCH_LUA, token=token, accounts=accounts, batch=args.batch),
    }
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    status_path = "/api/acceptances/status/?document=terms-of-service&account=acct-0"
    log = workdir / "acceptance-server.log"  # every product request is logged at INFO, as in production
    with Server(env, port, log=log):
        request = urllib.request.Request(base + status_path, headers={"Authorization": f"Bearer {token}"})
        answer = urllib.request.urlopen(request).read()
    baseline = ROOT / "staticfiles" / "bench" / "acceptance-baseline.json"
    baseline.parent.mkdir(parents=True, exist_ok=True)
    baseline.write_bytes(b"x" * len(answer))
    targets = [
        ("static file, size of a status answer (baseline)", "/static/bench/acceptance-baseline.json", None),
        ("status of one account (GET)", status_path, "status"),
        (f"batch status of {args.batch} accounts (POST)", "/api/acceptances/status/", "batch"),
        ("record a new acceptance (POST, 201)", "/api/acceptances/", "record"),
        ("JWKS (public)", "/.well-known/jwks.json", None),
    ]
    rounds = {label: [] for label, _path, _script in targets}
    load_before = os.getloadavg()[0]
    with Server(env, port, log=log):  # restarted, so WhiteNoise serves the baseline written above
        for number in range(args.rounds):
            for label, path, kind in targets:
                script = scripts.get(kind)
                if kind == "record":  # new accounts every round
                    script = acceptance_script(
                        workdir,
                        "record",
                        RECORD_LUA,
                        token=token,
                        version=data["latest"],
                        sha256=data["sha256"],
                        run=f"{number}{secrets.token_hex(4)}",
                    )
                rounds[label].append(
                    wrk(base + path, connections=args.connections, duration=args.duration, script=script)
                )
        request = urllib.request.Request(base + status_path, headers={"Authorization": f"Bearer {token}"})
        urllib.request.urlopen(request).read()
    records_after = json.loads(
        run_python(
            "import django;django.setup();from legal.models import Acceptance;print(Acceptance.objects.count())",
            env,
        )
    )

    def median(label, key):
        return statistics.median(r[key] for r in rounds[label])

    base_rps = median(targets[0][0], "rps")
    print()
    workers = env.get("GUNICORN_WORKERS") or str(os.cpu_count() + 1)
    worker_class = env.get("GUNICORN_WORKER_CLASS", "sync")
    threads = f" x {env['GUNICORN_THREADS']} threads" if env.get("GUNICORN_THREADS") else ""
    print(
        f"Acceptance API on {database}: {os.cpu_count()} cores, {args.connections} connections, {args.duration}s per "
        f"endpoint, median of {args.rounds} rounds; {data['records']:,} records of {accounts:,} accounts and "
        f"{args.versions + 1} versions at the start, {records_after:,} at the end; gunicorn {workers} {worker_class} "
        f"workers{threads}; cache {'Redis' if redis else 'per process (no redis-server)'}; load average "
        f"{load_before:.1f} before the rounds, {os.getloadavg()[0]:.1f} after (1 min)."
    )
    print()
    print("| endpoint | requests/s | p50 ms | p99 ms | × baseline | non-2xx | socket errors | rounds (requests/s) |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for label, _path, _kind in targets:
        rps = median(label, "rps")
        non_2xx = sum(r["non_2xx"] for r in rounds[label])
        errors = sum(r["errors"] for r in rounds[label])
        each = ", ".join(f"{r['rps']:.0f}" for r in rounds[label])
        print(
            f"| {label} | {rps:.0f} | {median(label, 'p50'):.2f} | {median(label, 'p99'):.2f} | "
            f"{rps / base_rps:.2f} | {non_2xx} | {errors} | {each} |"
        )
    failures = re.findall(r"^.*(?:ERROR|Traceback| 5\d\d ).*$", log.read_text(errors="replace"), re.M)
    print(f"Server log: {len(failures)} error lines" + (f"; first: {failures[0][:200]}" if failures else "."))
    print()
    print("Targets (issue 17, PostgreSQL): status ≥ 1,000/s, recording ≥ 300/s, p99 under 50 ms.")
    return any(r["non_2xx"] or r["errors"] for label in rounds for r in rounds[label])


class measured_site:
    """gunicorn on `port` with a static file (`baseline`) of the size of its current page."""

    def __init__(self, env, port, baseline):
        self.env, self.port, self.baseline = env, port, baseline

    def __enter__(self):
        with Server(self.env, self.port):
            page = urllib.request.urlopen(f"http://127.0.0.1:{self.port}/vi/terms-of-service/").read()
        path = ROOT / "staticfiles" / "bench" / self.baseline
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * len(page))
        # Started again, so WhiteNoise, which indexes files at start-up, serves the baseline.
        self.server = Server(self.env, self.port).__enter__()
        return self.server

    def __exit__(self, *exc):
        self.server.__exit__(*exc)


def fill_as_wrk(url):
    """GET `url` with the headers wrk sends (Host only), to fill a cache in front for wrk's requests.

    urllib would add `Accept-Encoding: identity`. The site answers `Vary: Accept-Encoding`, so
    nginx would store that answer as another variant than wrk's (which sends no Accept-Encoding):
    wrk's first requests would then all miss at once, wait out proxy_cache_lock's 500 ms step,
    and every later hit would read the other variant's file first.
    """
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.putrequest("GET", parts.path, skip_accept_encoding=True)
    connection.endheaders()
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 200:
        sys.exit(f"bench: {url} answered {response.status}")
    return response


def measure_pages(base, targets, args):
    results = []
    for label, path in targets:
        try:
            urllib.request.urlopen(base + path)  # warm the cache, check it answers
        except urllib.error.HTTPError as exc:
            sys.exit(f"bench: {path} answered {exc.code}")
        results.append((label, path, wrk(base + path, connections=args.connections, duration=args.duration)))
    return results


def load_run(server, env, args):
    """64 connections on the current page for --load-duration, a version published half-way."""
    base = f"http://127.0.0.1:{server.port}"
    print(f"bench: load run, 64 connections for {args.load_duration}s with a publish half-way ...", flush=True)
    sampler = MemorySampler(server)
    sampler.start()
    published = {}

    def publish_later():
        time.sleep(args.load_duration / 2)
        published["number"] = int(run_python(PUBLISH, env))
        published["switch"] = time.time() + 10  # PUBLISH: ten seconds after it starts, at the latest

    publisher = threading.Thread(target=publish_later)
    publisher.start()
    load = wrk(base + "/vi/terms-of-service/", connections=64, duration=args.load_duration)
    publisher.join()
    sampler.stop()
    time.sleep(max(0.0, 11 - args.load_duration / 2))  # the version takes effect 10 s after its publish
    page = urllib.request.urlopen(base + "/vi/terms-of-service/").read().decode()
    switched = f"Phiên bản {published['number']}" in page
    samples = [kib for _t, kib in sampler.samples]
    quarter = max(1, len(samples) // 4)
    memory = {
        "peak_mib": max(samples) / 1024,
        "first_quarter_mib": statistics.median(samples[:quarter]) / 1024,
        # After the switch (half-way plus 10 s): a step there is the new page, not growth.
        "third_quarter_mib": statistics.median(samples[2 * quarter : 3 * quarter] or samples) / 1024,
        "last_quarter_mib": statistics.median(samples[-quarter:]) / 1024,
        **memory_after_switch(sampler.samples, published.get("switch")),
    }
    return load, memory, published.get("number"), switched


MEMORY_WARM_UP = 20  # seconds after the switch in which every worker renders the new version's page
# The most the second window's median may exceed the first's for memory to count as flat: all
# workers' medians moved by up to 4 MiB between windows of a 240 s run without a publish.
MEMORY_GROWTH_MIB = 5


def memory_after_switch(samples, switch):
    """Growth of the workers' memory once the new version is served, not the step of serving it.

    Each worker renders the new current page once the switch has passed (within
    PAGE_CACHE_LOCAL_SECONDS), which raises its memory once. What follows the warm-up is split
    into two windows of equal length: memory is flat when the second's median is at most
    MEMORY_GROWTH_MIB above the first's. The step is the first window against the 30 s before the publish.
    """
    if switch is None:
        return {"verdict": "not measured (no publish)"}
    publish = switch - 10
    before = [kib for t, kib in samples if publish - 30 <= t < publish]
    after = [(t, kib) for t, kib in samples if t >= switch + MEMORY_WARM_UP]
    if len(after) < 20 or not before:
        return {"verdict": "not measured (the run ends too soon after the switch)"}
    middle = after[0][0] + (after[-1][0] - after[0][0]) / 2
    first = statistics.median(kib for t, kib in after if t < middle) / 1024
    second = statistics.median(kib for t, kib in after if t >= middle) / 1024
    return {
        "before_publish_mib": statistics.median(before) / 1024,
        "after_switch_first_mib": first,
        "after_switch_second_mib": second,
        "window_s": round(middle - after[0][0]),
        "verdict": "flat" if second <= first + MEMORY_GROWTH_MIB else "GROWING",
    }


# The version line of a Vietnamese page (templates/legal/document.html).
CURRENT_VERSION = re.compile(r'<p class="version-line">\s*<span>Phiên bản (\d+)</span>')


def switch_through(front, env, *, pollers=4, after=4.0):
    """Publish a version taking effect 10 s later and poll the current page through `front`.

    Each poller asks again as soon as it has an answer. An answer to a request sent after the
    effective instant that still shows the old version is a violation; the delay is from the
    effective instant to the first answer showing the new one.
    """
    url = front.base + "/vi/terms-of-service/"
    before = urllib.request.urlopen(url).read().decode()
    old = int(CURRENT_VERSION.search(before).group(1))
    published = time.time()
    number = int(run_python(PUBLISH, env))
    effective = published + 10  # PUBLISH: ten seconds after it starts, less the time it took
    answers, stop = [], time.time() + max(1.0, effective - time.time()) + after

    def poll():
        while time.time() < stop:
            sent = time.time()
            page = urllib.request.urlopen(url, timeout=10).read().decode()
            shown = int(CURRENT_VERSION.search(page).group(1))
            answers.append((sent, time.time(), shown))

    threads = [threading.Thread(target=poll) for _ in range(pollers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # The instant PUBLISH wrote is not known to the second here, so it is read back.
    effective = float(
        run_python(
            "import django; django.setup()\n"
            "from legal.models import DocumentVersion\n"
            f"print(DocumentVersion.objects.get(document__slug='terms-of-service', number={number}).effective_at.timestamp())",
            env,
        )
    )
    late = [a for a in answers if a[0] >= effective and a[2] == old]
    new = [a[1] for a in answers if a[2] == number]
    return {
        "polls": len(answers),
        "old": old,
        "new": number,
        "stale_after_switch": len(late),
        "first_new_after_s": (min(new) - effective) if new else None,
        "new_before_switch": sum(1 for a in answers if a[2] == number and a[1] < effective),
    }


def print_switch(check):
    delay = check["first_new_after_s"]
    print(
        f"Switch through nginx: {check['polls']} polls of the current page by 4 clients; version {check['new']} took "
        f"effect after version {check['old']}; answers to requests sent after the switch that showed the old version: "
        f"{check['stale_after_switch']} (target 0); the new version was first seen "
        + (f"{delay:.3f} s after the switch (target under 1 s)" if delay is not None else "NEVER")
        + f"; shown before its instant: {check['new_before_switch']} (target 0)."
    )


def print_pages(results, header="× baseline"):
    base_rps = results[0][2]["rps"]
    print(f"| page | requests/s | p50 ms | p99 ms | {header} | non-2xx |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, _path, r in results:
        print(
            f"| {label} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['rps'] / base_rps:.2f} | {r['non_2xx']} |"
        )


def print_load(load, memory, number, switched, duration):
    print(
        f"Load run: {load['requests']} requests in {duration}s at 64 connections "
        f"({load['rps']:.0f}/s, p99 {load['p99']:.2f} ms), non-2xx {load['non_2xx']}, socket errors {load['errors']} {load['error_kinds'] or ''}; "
        f"version {number} published half-way {'and in effect at the end' if switched else 'NOT SEEN'}."
    )
    print(
        f"Worker memory (all workers): peak {memory['peak_mib']:.1f} MiB; "
        f"median {memory['first_quarter_mib']:.1f} MiB in the first quarter, {memory['third_quarter_mib']:.1f} MiB "
        f"in the third (after the switch), {memory['last_quarter_mib']:.1f} MiB in the last."
    )
    if "after_switch_first_mib" in memory:
        print(
            f"Worker memory across the publish: {memory['before_publish_mib']:.1f} MiB (median of the 30 s before "
            f"it), then {memory['after_switch_first_mib']:.1f} and {memory['after_switch_second_mib']:.1f} MiB in two "
            f"{memory['window_s']} s windows from {MEMORY_WARM_UP} s after the switch: **{memory['verdict']}** "
            f"(target: the second at most {MEMORY_GROWTH_MIB} MiB above the first)."
        )
    else:
        print(f"Worker memory across the publish: {memory['verdict']}.")


SCALE_TARGET_MS = 200  # a cold comparison of the two largest versions, the admin's version list
SCALE_RATIO = 0.9  # each page's ratio to its static file, against the small case's ratio


def scale_run(env, workdir, args, small_results):
    """The pages, cold answers and a load run on the large database; True when a target is missed."""
    print(
        f"bench: scale database, {args.scale_versions} versions, the last {args.scale_large} at the size limit ...",
        flush=True,
    )
    started = time.monotonic()
    scale_env = {**env, "DATABASE_URL": f"sqlite:///{workdir / 'scale.sqlite3'}"}
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=scale_env, check=True)
    latest = int(
        subprocess.run(
            [PYTHON, "bench/scale.py", str(args.scale_versions), str(args.scale_large)],
            cwd=ROOT, env=scale_env, capture_output=True, text=True, check=True,
        ).stdout.strip()
    )  # fmt: skip
    print(f"bench: filled in {time.monotonic() - started:.0f}s", flush=True)
    cold = {"small": cold_answers(env), "scale": cold_answers(scale_env)}
    targets = [
        ("static file, same size (baseline)", "/static/bench/baseline-scale.html"),
        ("current page (vi)", "/vi/terms-of-service/"),
        ("current page (en)", "/en/terms-of-service/"),
        ("old version page", f"/vi/terms-of-service/versions/{latest - 1}/"),
        ("history", "/vi/terms-of-service/versions/"),
        ("comparison", f"/en/terms-of-service/compare/{latest - 1}/{latest}/"),
        ("API", "/api/documents/terms-of-service/"),
    ]
    port = free_port()
    with measured_site(scale_env, port, "baseline-scale.html") as server:
        page_size = len(urllib.request.urlopen(f"http://127.0.0.1:{port}/vi/terms-of-service/").read())
        results = measure_pages(f"http://127.0.0.1:{port}", targets, args)
        load = load_run(server, scale_env, args)

    print()
    print(
        f"Scale case: {cold['scale']['versions']:,} versions; the last {args.scale_large} carry the Terms at the "
        f"size limit, {args.scale_large and page_size:,}-byte current page (vi). Each page against a static file of its own size:"
    )
    print()
    print_pages(results)
    print()
    print(f"Scale ratio against the small case (target: at least {SCALE_RATIO}):")
    print()
    print("| page | small × static | scale × static | scale / small |")
    print("|---|---:|---:|---:|")
    missed = False
    small_base, scale_base = small_results[0][2]["rps"], results[0][2]["rps"]
    for (label, _p, small), (_l, _q, large) in zip(small_results[1:], results[1:], strict=True):
        small_ratio, scale_ratio = small["rps"] / small_base, large["rps"] / scale_base
        kept = scale_ratio / small_ratio
        if label != "comparison":
            missed |= kept < SCALE_RATIO
        print(f"| {label} | {small_ratio:.2f} | {scale_ratio:.2f} | {kept:.2f} |")
    print()
    print(
        f"Cold answers, in-process, page cache cleared (median and slowest of 5; target {SCALE_TARGET_MS} ms where marked):"
    )
    print()
    print("| answer | small ms | scale ms | scale queries | scale bytes |")
    print("|---|---:|---:|---:|---:|")
    for small, large in zip(cold["small"]["pages"], cold["scale"]["pages"], strict=True):
        label = large[0]
        marked = label.startswith(("comparison", "admin"))
        if marked:
            missed |= large[1] > SCALE_TARGET_MS
        print(
            f"| {label}{' (target)' if marked else ''} | {small[1]:.0f} ({small[2]:.0f}) | "
            f"{large[1]:.0f} ({large[2]:.0f}) | {large[3]} | {large[4]:,} |"
        )
    print()
    print_load(*load, args.load_duration)
    load_result, memory, _number, switched = load
    missed |= memory["verdict"] == "GROWING"
    return missed or bool(load_result["non_2xx"] or load_result["errors"] or not switched), {
        "pages": results, "cold": cold, "load": load,
    }  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per page")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--load-duration", type=int, default=60)
    parser.add_argument("--redis-outage", type=int, default=5, help="seconds Redis stays killed, then hung")
    parser.add_argument("--redis-requests", type=int, default=100000, help="at most this many requests")
    parser.add_argument("--redis-only", action="store_true", help="only the Redis-kill run (no wrk needed)")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--hostile-only", action="store_true", help="only the render and redline worst cases")
    parser.add_argument("--proxy", choices=["nginx"], help="also measure the pages through deploy/nginx.conf")
    parser.add_argument(
        "--proxy-lead", type=int, default=300, help="PUBLISH_LEAD_SECONDS of the site behind nginx for its page rows"
    )
    parser.add_argument(
        "--acceptances-only", action="store_true", help="only the acceptance API: record, status, batch, JWKS"
    )
    parser.add_argument("--records", type=int, default=1_000_000, help="acceptances in the table (--acceptances-only)")
    parser.add_argument("--accounts", type=int, default=100_000, help="accounts they belong to (--acceptances-only)")
    parser.add_argument("--batch", type=int, default=100, help="accounts per batch status request")
    parser.add_argument("--rounds", type=int, default=2, help="measurements of each endpoint; medians are printed")
    parser.add_argument(
        "--postgres", metavar="URL", help="a PostgreSQL database to drop, create and use (its name must say bench)"
    )
    parser.add_argument("--scale", action="store_true", help="also the scale case: 10,000 versions at the size limit")
    parser.add_argument("--scale-versions", type=int, default=10_000)
    parser.add_argument("--scale-large", type=int, default=10, help="versions at the size limit (the newest)")
    args = parser.parse_args()
    # Turn SIGTERM into an exit, so the servers started below are stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    workdir = Path(tempfile.mkdtemp(prefix="sigma-bench-"))
    env = django_env(workdir / "bench.sqlite3")
    if args.acceptances_only:
        if not shutil.which("wrk"):
            sys.exit("bench: wrk is missing; install it with `apt-get install wrk` (Debian package wrk)")
        failed = acceptance_run(env, workdir, args)
        shutil.rmtree(workdir, ignore_errors=True)
        sys.exit(1 if failed else 0)
    hostile = hostile_inputs(env)
    login_cost(env)
    if args.hostile_only:
        return
    if not shutil.which("wrk") and not args.redis_only:
        sys.exit("bench: wrk is missing; install it with `apt-get install wrk` (Debian package wrk)")

    print(f"bench: database with the bundled Terms and {args.versions} generated versions ...", flush=True)
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    latest = int(run_python(GENERATE, env, str(args.versions)))
    if args.redis_only:
        failed = report_redis_kill_run(env, workdir, args)
        shutil.rmtree(workdir, ignore_errors=True)
        sys.exit(1 if failed else 0)
    diff_median, diff_max = map(float, run_python(DIFF, env).split())

    targets = [
        ("static file, same size (baseline)", "/static/bench/baseline.html"),
        ("current page (vi)", "/vi/terms-of-service/"),
        ("current page (en)", "/en/terms-of-service/"),
        ("old version page", "/vi/terms-of-service/versions/1/"),
        ("history", "/vi/terms-of-service/versions/"),
        ("comparison", f"/en/terms-of-service/compare/{latest - 1}/{latest}/"),
        ("API", "/api/documents/terms-of-service/"),
    ]
    port = free_port()
    proxied, switch = [], None
    with measured_site(env, port, "baseline.html") as server:
        results = measure_pages(f"http://127.0.0.1:{port}", targets, args)
        if args.proxy == "nginx":
            # The pages through nginx with the headers production sends: the default publish lead
            # (300 s), so max-age is not cut to the 5 s this bench's publishes need.
            production = {**env, "PUBLISH_LEAD_SECONDS": str(args.proxy_lead)}
            with measured_site(production, free_port(), "baseline.html") as upstream:
                with NginxFront(workdir, upstream=f"127.0.0.1:{upstream.port}", name="nginx-pages") as front:
                    for label, path in targets:
                        fill_as_wrk(front.base + path)
                        measured = wrk(front.base + path, connections=args.connections, duration=args.duration)
                        proxied.append((f"nginx: {label}", path, measured))
            # The switch through nginx in front of the bench's site (5 s lead, a version 10 s later).
            with NginxFront(workdir, upstream=f"127.0.0.1:{port}") as front:
                switch = switch_through(front, env)
        load, memory, published, switched = load_run(server, env, args)

    print()
    print(
        f"{os.cpu_count()} cores; {args.connections} connections, {args.duration}s per page; {args.versions} generated versions"
    )
    print()
    print_pages(results)
    if proxied:
        print()
        print(
            f"Through nginx (deploy/nginx.conf) in front of the site with PUBLISH_LEAD_SECONDS={args.proxy_lead}, "
            "against a static file of the same size from the same nginx:"
        )
        print()
        print_pages(proxied, header="× nginx static")
        print()
        print_switch(switch)
    print()
    print_load(load, memory, published, switched, args.load_duration)
    print(
        f"Redline of version 1 against version {latest} (one language, in-process): "
        f"median {diff_median:.2f} ms, slowest of 400 {diff_max:.2f} ms."
    )
    scale_failed, scale = scale_run(env, workdir, args, results) if args.scale else (False, None)
    if args.json:
        summary = {
            "pages": results, "load": load, "memory": memory, "diff_ms": [diff_median, diff_max], "hostile": hostile,
            "scale": scale, "switch_through_nginx": switch,
        }  # fmt: skip
        Path(args.json).write_text(json.dumps(summary, indent=2))
    redis_failed = report_redis_kill_run(env, workdir, args)
    shutil.rmtree(workdir, ignore_errors=True)
    failed = load["non_2xx"] or load["errors"] or not switched or redis_failed or scale_failed
    if switch is not None:
        delay = switch["first_new_after_s"]
        failed = failed or switch["stale_after_switch"] or switch["new_before_switch"] or delay is None or delay >= 1
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
