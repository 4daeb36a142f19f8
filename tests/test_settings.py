"""The settings (sigma_terms/settings.py) read from the environment, checked in a fresh process each:
the deploy check, the secret key, the HTTPS block, the admin URL."""

import platform

import pytest

from tests.conftest import run_django
from tests.smtp import closed_port

pytestmark = pytest.mark.django_db


def run_check_deploy(extra_env):
    return run_django(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        **{"DJANGO_SETTINGS_MODULE": "sigma_terms.settings", **extra_env},
    )


def test_check_deploy_passes_with_production_settings():
    result = run_check_deploy(
        {
            "DJANGO_DEBUG": "0",
            "DJANGO_HTTPS": "1",
            "DJANGO_SECRET_KEY": "a-production-secret-" + "x" * 50,
            "DJANGO_ALLOWED_HOSTS": "terms.sigma.video",
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("https", ["1", "0"])
def test_production_refuses_to_start_without_a_secret_key(https):
    """With DJANGO_DEBUG=0 and no key, commands stop with one line: there is no key in the repository."""
    result = run_check_deploy({"DJANGO_DEBUG": "0", "DJANGO_HTTPS": https, "DJANGO_SECRET_KEY": ""})
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "sigma-terms: DJANGO_SECRET_KEY is not set; refusing to start "
        "(set it, or use `make run`, which keeps a key for this checkout in .secret_key)."
    ]


def test_gunicorn_refuses_to_start_without_a_secret_key():
    """The server stops at once with the same line instead of starting workers that cannot boot."""
    result = run_django(
        ["-m", "gunicorn", "--config", "gunicorn.conf.py"],
        DJANGO_SETTINGS_MODULE="sigma_terms.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="",
        PORT=str(closed_port()),
    )
    assert result.returncode != 0
    assert "sigma-terms: DJANGO_SECRET_KEY is not set; refusing to start" in result.stderr


def test_debug_runs_without_a_key_of_its_own():
    script = "import django;django.setup();from django.conf import settings as s;print(len(s.SECRET_KEY) >= 50)"
    result = run_django(
        ["-c", script], DJANGO_SETTINGS_MODULE="sigma_terms.settings", DJANGO_DEBUG="1", DJANGO_SECRET_KEY=""
    )
    assert result.stdout.strip() == "True", result.stderr


def test_https_block_switches_on_together():
    script = (
        "import django;django.setup();from django.conf import settings as s;"
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
        " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    )
    out = run_django(
        ["-c", script], DJANGO_SETTINGS_MODULE="sigma_terms.settings", DJANGO_HTTPS="1", DJANGO_SECRET_KEY="k" * 60
    ).stdout
    assert out.split() == ["True", "63072000", "True", "True", "True"]


def test_admin_url_comes_from_the_environment():
    script = "import django;django.setup();from django.urls import reverse;print(reverse('admin:index'))"
    out = run_django(
        ["-c", script],
        DJANGO_SETTINGS_MODULE="sigma_terms.settings",
        DJANGO_ADMIN_URL="back-office/",
    ).stdout
    assert out.strip() == "/back-office/"


def test_gunicorn_workers_keep_returning_large_blocks_to_the_system():
    """After a large block is freed, the next one still comes from mmap (returned when freed), not the heap."""
    script = """
import ctypes, ctypes.util, runpy, sys
conf = runpy.run_path("gunicorn.conf.py")
if sys.argv[1] == "fixed":
    assert conf["fix_mmap_threshold"](conf["mmap_threshold"])
libc = ctypes.CDLL(ctypes.util.find_library("c"))
class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
libc.mallinfo2.restype = Info
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
libc.free(libc.malloc(1024 * 1024))  # a large block freed: glibc raises its threshold to 1 MiB
before = libc.mallinfo2().hblks
block = libc.malloc(254 * 1024)  # a body of the largest Terms page
print(libc.mallinfo2().hblks - before)  # 1: it was mmapped
"""
    if platform.libc_ver()[0] != "glibc":
        pytest.skip("mallopt is glibc's")
    fixed = run_django(["-c", script, "fixed"])
    default = run_django(["-c", script, "default"])
    assert (fixed.stdout.strip(), default.stdout.strip()) == ("1", "0"), (fixed.stderr, default.stderr)
