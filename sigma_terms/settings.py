"""Settings for Sigma Terms, read from the environment with safe local defaults.

Every setting that differs between a laptop and production comes from an environment
variable (README, "Settings"). Production adds security and infrastructure, never
behaviour: the same code paths run under `make run` and behind a load balancer.
"""

import os
import secrets
import sys
from pathlib import Path

import dj_database_url
import dj_email_url
import xstatic.pkg.jquery_ui

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1/0, true/false, yes/no or on/off, not {value!r}")


def env_list(name, default):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", default=False)

# HTTPS-only behaviour (SSL redirect, HSTS, Secure cookies) switches on as one block, so
# `make run` works over plain http on 127.0.0.1 and production turns it all on at once.
HTTPS = env_bool("DJANGO_HTTPS", default=False)

# The key that signs sessions, CSRF tokens and the confirm and unsubscribe links never lives
# in the repository. Production sets DJANGO_SECRET_KEY; `make run` generates one per checkout
# into .secret_key (ignored by git) and passes it in. Without one the site refuses to start,
# with one line rather than a traceback; only DJANGO_DEBUG=1 makes do with a key of its own
# for this process (signed links then stop working when it restarts).
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        sys.exit(
            "sigma-terms: DJANGO_SECRET_KEY is not set; refusing to start "
            "(set it, or use `make run`, which keeps a key for this checkout in .secret_key)."
        )
    SECRET_KEY = secrets.token_urlsafe(50)

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# Where the admin lives; a non-default path keeps the login form away from drive-by scanners.
ADMIN_URL = os.environ.get("DJANGO_ADMIN_URL", "admin/").strip("/") + "/"

INSTALLED_APPS = [
    # modeltranslation must come before the admin so its patches apply.
    "modeltranslation",
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "sigma_terms.apps.ProjectStaticFilesConfig",
    "django.contrib.sitemaps",
    "axes",
    "legal",
]

MIDDLEWARE = [
    "sigma_terms.security.RequestIdMiddleware",
    # Every middleware that sets a security or language header comes before the page cache,
    # so cached and freshly rendered answers carry the same headers from the same code.
    "django.middleware.security.SecurityMiddleware",
    "sigma_terms.security.SecurityHeadersMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "sigma_terms.security.SiteCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside compression: Repr-Digest (RFC 9530) is that of the bytes as sent, gzipped or not.
    "legal.digests.ReprDigestMiddleware",
    # Compression outside conditional GET: ETags are computed on the uncompressed body.
    "django.middleware.gzip.GZipMiddleware",
    # Django's conditional GET; the 304 also keeps the API's CORS headers.
    "legal.caching.ConditionalGetMiddleware",
    # Activates the language of the URL and sets Content-Language (it uses no session).
    "django.middleware.locale.LocaleMiddleware",
    # Warm public pages are answered here, before sessions and routing.
    "legal.caching.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Last, as django-axes requires: it refuses logins for locked-out username+address pairs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sigma_terms.urls"
WSGI_APPLICATION = "sigma_terms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite in the repository root unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=600,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions make concurrent writers queue instead of failing with
    # "database is locked"; persistent connections gain nothing on a file database.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
# PostgreSQL: the site connects as a role without DDL or TRUNCATE (`grant_site_role`); the
# owner of the tables, given here, is used by `migrate` alone (legal/management/commands/migrate.py).
if os.environ.get("DATABASE_OWNER_URL"):
    DATABASES["owner"] = {
        **dj_database_url.parse(os.environ["DATABASE_OWNER_URL"]),
        "TEST": {"MIRROR": "default"},
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # django-axes first, so a locked-out pair is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Argon2 with its defaults, as Django recommends: a staff login costs tens of milliseconds on
# two cores instead of PBKDF2's second. Older PBKDF2 hashes still verify and are upgraded to
# Argon2 at the next successful login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Languages: Vietnamese is the default and the authoritative language of the Terms.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["sigma_terms.formats"]
USE_I18N = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_TZ = True

# Legal text never falls back silently to another language: the page says so instead.
# The languages are LANGUAGES: code reads them through legal.models.language_codes().
MODELTRANSLATION_DEFAULT_LANGUAGE = LANGUAGE_CODE
MODELTRANSLATION_LANGUAGES = tuple(code for code, _name in LANGUAGES)
MODELTRANSLATION_FALLBACK_LANGUAGES = {"default": ()}

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static", ("xstatic/jquery-ui", xstatic.pkg.jquery_ui.BASE_DIR)]
# modeltranslation's tabbed admin would load jQuery UI from a public CDN; serve the copy
# from the XStatic-jQuery-UI package instead (same origin, works offline, passes the CSP).
JQUERY_UI_URL = "xstatic/jquery-ui/jquery-ui.min.js"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Cache: local memory by default, Redis shared by every app server when REDIS_URL is set.
# The cache fails open (sigma_terms/cache.py): a Redis that does not answer within
# REDIS_TIMEOUT seconds counts as a miss, and is left alone for CACHE_CIRCUIT_SECONDS.
REDIS_URL = os.environ.get("REDIS_URL", "")
REDIS_TIMEOUT = float(os.environ.get("REDIS_TIMEOUT", "0.25"))
CACHE_CIRCUIT_SECONDS = int(os.environ.get("CACHE_CIRCUIT_SECONDS", "10"))


def redis_cache(location, *, key_prefix="sigma-terms"):
    """The cache settings for a Redis at `location` (also used by the fault tests)."""
    return {
        "BACKEND": "sigma_terms.cache.FailOpenRedisCache",
        "LOCATION": location,
        "KEY_PREFIX": key_prefix,
        "OPTIONS": {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT},
    }


if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL, key_prefix=os.environ.get("CACHE_KEY_PREFIX", "sigma-terms"))}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Cache lifetimes: every one is here (README, "Cache lifetimes").
# Whole-page cache (legal/caching.py): a stored page lives until its document's next
# scheduled switch, at most PAGE_CACHE_SECONDS; a per-process cache, which a publish in
# another process cannot reach, keeps pages at most PAGE_CACHE_LOCAL_SECONDS.
# A version takes effect no sooner than this many seconds after it is published. Every cache
# lifetime and max-age is at most this long, so which version is in effect never depends on a
# cache being invalidated: a page cached just before a publish expires before the switch.
PUBLISH_LEAD_SECONDS = int(os.environ.get("PUBLISH_LEAD_SECONDS", "300"))
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "300"))
PAGE_CACHE_LOCAL_SECONDS = 5  # also bounds the acceptance API's per-process copies (legal/histories.py)
# Each process keeps the pages it last read from the cache, unpickled, for at most
# PAGE_CACHE_LOCAL_SECONDS and only while the cache's generation is theirs: up to this many
# bytes of bodies per process (legal/caching.py, LocalPages).
PAGE_CACHE_LOCAL_BYTES = int(os.environ.get("PAGE_CACHE_LOCAL_BYTES", str(16 * 1024 * 1024)))
# Ceiling of Cache-Control max-age on public responses (also capped by the next switch).
HTTP_MAX_AGE = int(os.environ.get("HTTP_MAX_AGE", "300"))
# The JSON API's max-age ceiling (also capped by the next switch and the lead), the life of a
# CORS preflight answer, and the sitemap's max-age.
API_MAX_AGE = 60
API_PREFLIGHT_MAX_AGE = 24 * 3600
SITEMAP_MAX_AGE = 3600
# max-age of the OpenAPI description (also cut to the lead) and of the transparency log's
# JSON answers (proofs and heads change only when the log grows).
OPENAPI_MAX_AGE = 3600
LOG_API_MAX_AGE = 60
# max-age of /.well-known/jwks.json; verifiers fetch it again when a receipt names a `kid`
# they have not seen (a rotation).
JWKS_MAX_AGE = 300

# Email: console by default; EMAIL_URL (smtp://user:pass@host:587/?tls=True) or the usual
# EMAIL_* variables configure real delivery.
if os.environ.get("EMAIL_URL"):
    vars().update(dj_email_url.parse(os.environ["EMAIL_URL"]))
else:
    EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
    EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Sigma.video <no-reply@sigma.video>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# The public address of the site, used in emails and feeds where no request is at hand.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Requests a minute each product credential may make to the acceptance API (legal/product_auth.py),
# counted in the shared cache (per process without Redis); 0 turns the limit off.
PRODUCT_RATE_LIMIT = int(os.environ.get("PRODUCT_RATE_LIMIT", "60000"))

# Acceptance receipts are signed with an Ed25519 key that never lives in the repository
# (legal/receipts.py): RECEIPT_SIGNING_KEY holds its PEM, or RECEIPT_SIGNING_KEY_FILE names a
# file holding it (`make run` generates one per checkout into .receipt_key). To rotate, sign
# with a new key and list the old key's file in RECEIPT_RETIRED_KEY_FILES (comma-separated):
# /.well-known/jwks.json keeps publishing it, so the receipts it signed still verify.
RECEIPT_SIGNING_KEY = os.environ.get("RECEIPT_SIGNING_KEY", "")
RECEIPT_SIGNING_KEY_FILE = os.environ.get("RECEIPT_SIGNING_KEY_FILE", "")
RECEIPT_RETIRED_KEY_FILES = env_list("RECEIPT_RETIRED_KEY_FILES", [])

# A dead mail server must not hang `send_notifications` (or a subscribe request) forever.
EMAIL_TIMEOUT = vars().get("EMAIL_TIMEOUT") or int(os.environ.get("EMAIL_TIMEOUT", "30"))

# Email subscriptions (legal/subscribing.py, legal/signed_links.py, legal/rate_limits.py,
# legal/outbox.py): confirmation link lifetime, form rate limits per IP and per address
# within the window, and the outbox's batches, leases and retries.
SUBSCRIPTION_CONFIRM_MAX_AGE = int(os.environ.get("SUBSCRIPTION_CONFIRM_MAX_AGE", str(7 * 24 * 3600)))
SUBSCRIPTION_RATE_LIMIT_PER_IP = int(os.environ.get("SUBSCRIPTION_RATE_LIMIT_PER_IP", "5"))
SUBSCRIPTION_RATE_LIMIT_PER_ADDRESS = int(os.environ.get("SUBSCRIPTION_RATE_LIMIT_PER_ADDRESS", "3"))
SUBSCRIPTION_RATE_LIMIT_WINDOW = 3600
# django-ratelimit counts in the default cache; while that is down, nothing is counted.
RATELIMIT_FAIL_OPEN = True
NOTIFICATION_BATCH_SIZE = 50
NOTIFICATION_LEASE_SECONDS = 300
NOTIFICATION_MAX_ATTEMPTS = 8
NOTIFICATION_RETRY_BASE_SECONDS = 60  # doubled after each failure, capped at a day

# Webhooks (legal/webhooks.py, legal/webhook_delivery.py): the bound of one delivery (the
# whole exchange), retries, batches and leases. Loopback, private and plain-http endpoints
# are refused unless WEBHOOK_ALLOW_PRIVATE_TARGETS is set (default: only with DEBUG).
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=DEBUG)
WEBHOOK_TIMEOUT_SECONDS = min(max(int(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10")), 1), 60)
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "8"))
WEBHOOK_RETRY_BASE_SECONDS = 60  # doubled after each failure, capped at a day
WEBHOOK_BATCH_SIZE = 50
WEBHOOK_LEASE_SECONDS = 300
# Evidence (legal/transparency.py, legal/timestamping.py). The log signs its tree heads with
# this Ed25519 key (base64 of 32 bytes, or a PEM private key; read by legal/signing_keys.py,
# like the receipts' keys); `make run` generates one per
# checkout into .log_signing_key. Without it the log still records, unsigned until a key is set.
LOG_SIGNING_KEY = os.environ.get("LOG_SIGNING_KEY", "")
# RFC 3161 time-stamping authorities (comma-separated URLs); none by default, so nothing
# leaves the machine unless configured. `fetch_timestamps` asks each one, with retries.
TSA_URLS = env_list("TSA_URLS", [])
TSA_TIMEOUT = float(os.environ.get("TSA_TIMEOUT", "10"))
TSA_MAX_ATTEMPTS = int(os.environ.get("TSA_MAX_ATTEMPTS", "12"))
TSA_RETRY_BASE_SECONDS = 60  # doubled after each failure, capped at a day
TSA_BATCH_SIZE = 20

# Security ------------------------------------------------------------------------------
# Headers on every response: a strict CSP (no inline scripts or styles; the admin alone
# may use inline style attributes, see sigma_terms.security.SiteCSPMiddleware), nosniff,
# a referrer policy, COOP and CORP (SecurityHeadersMiddleware), X-Frame-Options DENY.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# No page uses a powerful browser feature; deny them all to the site and anything it embeds.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = LANGUAGE_COOKIE_SAMESITE = "Lax"
# The HTTPS-only block: on together with DJANGO_HTTPS=1, off for `make run` on plain http.
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 2 * 365 * 24 * 3600 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# "preload" only has an effect once the domain owner submits the domain to the preload list.
SECURE_HSTS_PRELOAD = HTTPS
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = HTTPS
if HTTPS:
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# The client address behind a proxy: the header the proxy appends to (as a META key, e.g.
# HTTP_X_FORWARDED_FOR), how many proxies in front of the app append to it, and the addresses
# (or networks) the nearest proxy connects from; from anywhere else the header is ignored.
CLIENT_IP_HEADER = os.environ.get("DJANGO_CLIENT_IP_HEADER", "")
TRUSTED_PROXY_COUNT = int(os.environ.get("DJANGO_TRUSTED_PROXY_COUNT", "1"))
TRUSTED_PROXIES = env_list("DJANGO_TRUSTED_PROXIES", ["127.0.0.1", "::1"])

# Brute-force protection of the admin login (django-axes): after 5 failures for one
# username from one address, that pair is refused for an hour, even with the right password.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "sigma_terms.security.axes_client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "lockout.html"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "sigma_terms.security.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [request %(request_id)s %(path)s] %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # django-axes logs lock-outs at WARNING; its start-up banner is noise in commands.
        "axes": {"level": "WARNING"},
        # fpdf2 subsets the PDF font with fontTools, which reports every table at INFO.
        "fontTools": {"level": "WARNING"},
    },
}
