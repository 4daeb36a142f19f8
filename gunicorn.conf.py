"""gunicorn configuration, read from the environment with defaults for one small server.

`make run` and `make bench` both use this file, so what is measured is what is served.
"""

import ctypes
import ctypes.util
import multiprocessing
import os
import platform

bind = os.environ.get("GUNICORN_BIND") or f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# Cached pages make the work CPU-bound, so one worker per core plus one: on 2 cores, 3
# workers gave a lower p99 than the usual 2 x cores + 1 (`make bench`, README "Performance").
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then so that a slow leak can never grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "0"))
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
wsgi_app = "sigma_terms.wsgi:application"
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# glibc serves blocks above its mmap threshold with mmap and gives them back when freed, but
# it raises the threshold to the size of each such block freed: after that, the bodies of
# large pages (254 KB for the largest Terms) come from the heap, which keeps its high-water
# mark, and workers grew after every publish (README, "Worker memory"). A fixed threshold
# keeps them returning. 0 leaves glibc's default behaviour.
mmap_threshold = int(os.environ.get("GUNICORN_MMAP_THRESHOLD", str(128 * 1024)))
M_MMAP_THRESHOLD = -3  # glibc's <malloc.h>


def fix_mmap_threshold(size):
    """Pin glibc's mmap threshold at `size` bytes in this process; False where that is not possible."""
    if size <= 0 or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    return libc.mallopt(M_MMAP_THRESHOLD, size) == 1


def post_fork(server, worker):
    fix_mmap_threshold(mmap_threshold)


def on_starting(server):
    """Read the Django settings in the master first: a refusal to start (no DJANGO_SECRET_KEY)
    then stops gunicorn with its one line, instead of every worker failing to boot in turn."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sigma_terms.settings")
    from django.conf import settings

    settings.SECRET_KEY  # noqa: B018 (loading the settings is the point)
