"""`make bench`: serve the site as production does and measure it with wrk.

Builds a throw-away SQLite database holding the bundled Terms plus generated versions,
starts gunicorn with the repo's gunicorn.conf.py and DJANGO_DEBUG=0, and measures each
page against a static file of the same size served by WhiteNoise from the same gunicorn
(the baseline, measured in the same run). Then a load run: 64 connections on the current
page while a new version is published and takes effect. Prints a Markdown table.

First, in-process, the slowest render and redline over hostile and very long texts, each
against a 100 ms target (`--hostile-only` stops there; it needs no wrk).

Usage: python bench/run.py [--versions 1000] [--duration 10] [--load-duration 60] [--hostile-only]
"""

import argparse
import json
import os
import re
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
    )
    env.pop("REDIS_URL", None)
    return env


GENERATE = r"""
import datetime, sys, time_machine, django
django.setup()
from legal.importing import load_bundled_terms
from legal.models import DocumentVersion
from legal.publishing import publish_version

count = int(sys.argv[1])
v1 = load_bundled_terms()
start = v1.effective_at
step = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5) - start) / (count + 1)
previous = v1
for i in range(1, count + 1):
    at = start + step * i
    with time_machine.travel(at, tick=False):
        draft = DocumentVersion(document=v1.document, effective_at=at, change_kind="editorial")
        for code in ("vi", "en"):
            setattr(draft, f"title_{code}", getattr(previous, f"title_{code}"))
            setattr(draft, f"summary_{code}", f"Generated change {i}")
            setattr(draft, f"body_{code}", getattr(v1, f"body_{code}") + f"\nGenerated clause {i}.\n")
        draft.save()
        previous = publish_version(draft)
print(previous.number)
"""

PUBLISH = r"""
import datetime, django
django.setup()
from legal.models import Document, DocumentVersion
from legal.publishing import publish_version
document = Document.objects.get(slug="terms-of-service")
latest = document.versions.published().order_by("-number").first()
draft = DocumentVersion(document=document, change_kind="editorial",
                        effective_at=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=10))
for code in ("vi", "en"):
    setattr(draft, f"title_{code}", getattr(latest, f"title_{code}"))
    setattr(draft, f"summary_{code}", "Published during the load run")
    setattr(draft, f"body_{code}", getattr(latest, f"body_{code}") + "\nPublished under load.\n")
draft.save()
print(publish_version(draft).number)
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
import json, random, time, django
django.setup()
from legal.diffing import compare_html
from legal.importing import BUNDLED_DIR
from legal.rendering import RenderLimitError, render_markdown, split_front_matter

words = "khách hàng sigma video dịch vụ tài khoản điều khoản bảo mật dữ liệu quyền nghĩa vụ".split()
paragraph = [f"{words[i % len(words)]}{i % 97}" for i in range(3000)]
every_7th = [f"{w}x" if i % 7 == 0 else w for i, w in enumerate(paragraph)]
terms = split_front_matter((BUNDLED_DIR / "terms-of-service.vi.md").read_text(encoding="utf-8"))[1]
random.seed(7)
edited = " ".join(w if random.random() > 0.2 else w.upper() + "x" for w in terms.split(" "))
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
    "3,000-word paragraph reversed (budget reached)": (" ".join(paragraph), " ".join(reversed(paragraph))),
    "two unrelated 3,000-word paragraphs": (" ".join(paragraph), " ".join(w[::-1] for w in paragraph)),
    "bundled Terms vs a copy with 20% of words changed": (terms, edited),
    "bundled Terms vs itself": (terms, terms),
    "long body vs every 7th word changed": (long_body, long_body.replace("a1", "zz").replace("3 ", "33 ")),
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


class Server:
    def __init__(self, env, port):
        self.env = {**env, "PORT": str(port)}
        self.port = port
        self.process = None

    def __enter__(self):
        self.process = subprocess.Popen(
            [str(Path(PYTHON).parent / "gunicorn"), "--config", "gunicorn.conf.py"],
            cwd=ROOT, env=self.env, start_new_session=True,
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


def wrk(url, *, connections, duration):
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url],
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per page")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--load-duration", type=int, default=60)
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--hostile-only", action="store_true", help="only the render and redline worst cases")
    args = parser.parse_args()
    # Turn SIGTERM into an exit, so the servers started below are stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    workdir = Path(tempfile.mkdtemp(prefix="sigma-bench-"))
    env = django_env(workdir / "bench.sqlite3")
    hostile = hostile_inputs(env)
    if args.hostile_only:
        return
    if not shutil.which("wrk"):
        sys.exit("bench: wrk is missing; install it with `apt-get install wrk` (Debian package wrk)")

    print(f"bench: database with the bundled Terms and {args.versions} generated versions ...", flush=True)
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    latest = int(run_python(GENERATE, env, str(args.versions)))
    diff_median, diff_max = map(float, run_python(DIFF, env).split())

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with Server(env, port) as server:
        page = urllib.request.urlopen(f"{base}/vi/terms-of-service/").read()
        baseline = ROOT / "staticfiles" / "bench" / "baseline.html"
        baseline.parent.mkdir(parents=True, exist_ok=True)
        baseline.write_bytes(b"x" * len(page))
    # Restart so WhiteNoise, which indexes files at start-up, serves the baseline.
    targets = [
        ("static file, same size (baseline)", "/static/bench/baseline.html"),
        ("current page (vi)", "/vi/terms-of-service/"),
        ("current page (en)", "/en/terms-of-service/"),
        ("old version page", "/vi/terms-of-service/versions/1/"),
        ("history", "/vi/terms-of-service/versions/"),
        ("comparison", f"/en/terms-of-service/compare/{latest - 1}/{latest}/"),
        ("API", "/api/documents/terms-of-service/"),
    ]
    results = []
    with Server(env, port) as server:
        for label, path in targets:
            try:
                urllib.request.urlopen(base + path)  # warm the cache, check it answers
            except urllib.error.HTTPError as exc:
                sys.exit(f"bench: {path} answered {exc.code}")
            results.append((label, path, wrk(base + path, connections=args.connections, duration=args.duration)))

        print(f"bench: load run, 64 connections for {args.load_duration}s with a publish half-way ...", flush=True)
        sampler = MemorySampler(server)
        sampler.start()
        published = {}

        def publish_later():
            time.sleep(args.load_duration / 2)
            published["number"] = int(run_python(PUBLISH, env))

        publisher = threading.Thread(target=publish_later)
        publisher.start()
        load = wrk(base + "/vi/terms-of-service/", connections=64, duration=args.load_duration)
        publisher.join()
        sampler.stop()
        switched = (
            f"Phiên bản {published['number']}" in urllib.request.urlopen(base + "/vi/terms-of-service/").read().decode()
        )

    samples = [kib for _t, kib in sampler.samples]
    quarter = max(1, len(samples) // 4)
    memory = {
        "peak_mib": max(samples) / 1024,
        "first_quarter_mib": statistics.median(samples[:quarter]) / 1024,
        "last_quarter_mib": statistics.median(samples[-quarter:]) / 1024,
    }
    base_rps = results[0][2]["rps"]
    print()
    print(
        f"{os.cpu_count()} cores; {args.connections} connections, {args.duration}s per page; {args.versions} generated versions"
    )
    print()
    print("| page | requests/s | p50 ms | p99 ms | × baseline | non-2xx |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, _path, r in results:
        print(
            f"| {label} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['rps'] / base_rps:.2f} | {r['non_2xx']} |"
        )
    print()
    print(
        f"Load run: {load['requests']} requests in {args.load_duration}s at 64 connections "
        f"({load['rps']:.0f}/s, p99 {load['p99']:.2f} ms), non-2xx {load['non_2xx']}, socket errors {load['errors']} {load['error_kinds'] or ''}; "
        f"version {published.get('number')} published half-way {'and in effect at the end' if switched else 'NOT SEEN'}."
    )
    print(
        f"Worker memory (all workers): peak {memory['peak_mib']:.1f} MiB; "
        f"median {memory['first_quarter_mib']:.1f} MiB in the first quarter, {memory['last_quarter_mib']:.1f} MiB in the last."
    )
    print(
        f"Redline of version 1 against version {latest} (one language, in-process): "
        f"median {diff_median:.2f} ms, slowest of 400 {diff_max:.2f} ms."
    )
    if args.json:
        summary = {
            "pages": results, "load": load, "memory": memory, "diff_ms": [diff_median, diff_max], "hostile": hostile,
        }  # fmt: skip
        Path(args.json).write_text(json.dumps(summary, indent=2))
    shutil.rmtree(workdir, ignore_errors=True)
    failed = load["non_2xx"] or load["errors"] or not switched
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
