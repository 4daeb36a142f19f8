"""Per-request cost of the acceptance API in one process: CPU, database CPU and round-trips.

wrk's requests a second depend on whatever else runs on the machine; CPU time does much less.
This calls the WSGI application gunicorn serves (every middleware, the real database and
cache of the settings) `--requests` times per endpoint, and prints per request:

- the CPU time of this process (Python: Django, the view, psycopg, signing, JSON);
- the CPU time of its PostgreSQL backend process (read from /proc, so PostgreSQL must run on
  this machine), the other half of what one request costs the two cores;
- the SQL statements sent and the cache calls made (each one a round-trip to Redis when
  `REDIS_URL` is set).

With `--profile N`, the N functions with the most cumulative time in a cProfile of the same calls.

With `--instructions`, each endpoint's calls run again under valgrind's callgrind, which
counts the instructions this process executes per request: a figure that other work on the
machine does not change, to compare two versions of the code on a loaded machine. The calls
run inside a C call (a ctypes `qsort` callback), and callgrind counts only inside `ffi_call`.

Usage (the database is one `make bench BENCH_ARGS=--acceptances-only --postgres ...` filled;
its PostgreSQL template copy keeps the bench's data):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sigma_perf_prof .venv/bin/python bench/acceptance_cpu.py
"""

import argparse
import cProfile
import ctypes
import io
import itertools
import json
import os
import pstats
import random
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sigma_terms.settings")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("PRODUCT_RATE_LIMIT", "1000000000")

STATUS_PATH = "/api/acceptances/status/"
STATUS_QUERY = "document=terms-of-service&account={account}"
RECORD_PATH = "/api/acceptances/"


def environ(method, path, token, body=b"", query=""):
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "CONTENT_TYPE": "application/json" if body else "",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def inside_ffi_call(function):
    """Run `function` inside ctypes' `ffi_call` (a qsort comparison), the span callgrind counts."""
    results = []

    def compare(_a, _b):
        if not results:
            results.append(function())
        return 0

    pair = (ctypes.c_int * 2)(0, 0)
    comparison = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)(compare)
    ctypes.CDLL(None).qsort(pair, 2, ctypes.sizeof(ctypes.c_int), comparison)
    return results[0]


def instructions_per_request(endpoint, requests):
    """This script's calls of `endpoint`, run under callgrind: instructions per request."""
    command = [
        "valgrind", "--tool=callgrind", "--toggle-collect=ffi_call", "--callgrind-out-file=/dev/null",
        sys.executable, __file__, "--only", endpoint, "--requests", str(requests),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    collected = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode or not collected:
        sys.exit(f"callgrind run failed:\n{result.stderr[-2000:]}")
    return int(collected.group(1)) / requests


def backend_cpu_seconds(pid):
    """utime + stime of a process, in seconds (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--accounts", type=int, default=100_000, help="status asks acct-0 .. acct-(N-1)")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print the N costliest functions")
    parser.add_argument("--only", choices=["status", "record", "jwks"])
    parser.add_argument("--instructions", action="store_true", help="count instructions under callgrind")
    args = parser.parse_args()
    if args.instructions:
        for endpoint in [args.only] if args.only else ["status", "record", "jwks"]:
            count = instructions_per_request(endpoint, args.requests)
            print(
                f"{endpoint}: {count / 1e6:.2f} million instructions per request (callgrind, {args.requests} requests)"
            )
        return

    import django

    django.setup()
    from django.core.cache import cache
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    from legal.models import DocumentVersion
    from legal.product_auth import issue_credential

    application = WSGIHandler()
    _credential, token = issue_credential(name=f"cpu-{time.time_ns()}")
    latest = DocumentVersion.objects.latest_published()
    run = time.time_ns()
    random.seed(17)

    def status_request(n):
        query = STATUS_QUERY.format(account=f"acct-{random.randrange(args.accounts)}")
        return environ("GET", STATUS_PATH, token, query=query)

    def record_request(n):
        body = {
            "document": "terms-of-service", "account": f"cpu-{run}-{n}", "version": latest.number,
            "language": "vi", "sha256": latest.body_sha256_vi, "method": "clickwrap",
        }  # fmt: skip
        body = json.dumps(body).encode()
        return environ("POST", RECORD_PATH, token, body)

    statements, cache_calls = [0], [0]

    def count_statement(execute, sql, params, many, context):
        statements[0] += 1
        return execute(sql, params, many, context)

    for name in ("get", "get_many", "set", "add", "incr", "delete", "set_many"):
        original = getattr(cache, name)

        def counted(*a, _original=original, **k):
            cache_calls[0] += 1
            return _original(*a, **k)

        setattr(cache, name, counted)

    def call(request):
        answers = []
        response = application(request, lambda status, headers: answers.append(status))
        b"".join(response)
        response.close()
        return answers[0]

    def jwks_request(n):
        return environ("GET", "/.well-known/jwks.json", token)

    # The JWKS is the framework's share: every middleware and a view that reads nothing.
    endpoints = [("status", status_request, "200"), ("record", record_request, "201"), ("jwks", jwks_request, "200")]
    print(f"{args.requests} requests per endpoint through the WSGI handler; database {connection.vendor}")
    print()
    print("| endpoint | CPU ms/request (Python) | PostgreSQL backend CPU ms/request | SQL statements | cache calls |")
    print("|---|---:|---:|---:|---:|")
    for name, make, expected in endpoints:
        if args.only and name != args.only:
            continue
        for n in range(20):  # warm: imports, URL resolver, prepared caches, the connection
            status = call(make(-n - 1))
            assert status.startswith(expected), status
        pid = connection.cursor().connection.info.backend_pid if connection.vendor == "postgresql" else None
        requests = [make(n) for n in range(args.requests)]
        statements[0] = cache_calls[0] = 0
        profile = cProfile.Profile(time.process_time) if args.profile else None
        db_before = backend_cpu_seconds(pid) if pid else 0
        started = time.process_time()

        def run_all(requests=requests, profile=profile):
            if profile:
                profile.enable()
            for request in requests:
                answer = call(request)
            if profile:
                profile.disable()
            return answer

        with connection.execute_wrapper(count_statement):
            status = inside_ffi_call(run_all)
        cpu = time.process_time() - started
        db_cpu = backend_cpu_seconds(pid) - db_before if pid else float("nan")
        assert status.startswith(expected), status
        n = args.requests
        print(
            f"| {name} | {cpu * 1000 / n:.3f} | {db_cpu * 1000 / n:.3f} | {statements[0] / n:.1f} | "
            f"{cache_calls[0] / n:.1f} |"
        )
        if profile:
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.profile)
            print("\n".join(itertools.islice(out.getvalue().splitlines(), 0, args.profile + 20)))


if __name__ == "__main__":
    main()
