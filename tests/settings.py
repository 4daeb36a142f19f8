"""Test settings: the project's settings with test-only speed-ups, nothing else changed."""

import base64
import os
import secrets

# A key for this test process only, unless the environment brings one.
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-" + secrets.token_urlsafe(40))
# The transparency log's signing key, for this test process only (32 random bytes, base64).
os.environ.setdefault("LOG_SIGNING_KEY", base64.b64encode(secrets.token_bytes(32)).decode())
# And a receipt signing key of its own (legal/receipts.py), unless the environment brings one.
if not os.environ.get("RECEIPT_SIGNING_KEY_FILE"):
    from legal.signing_keys import new_private_key_pem  # noqa: E402

    os.environ.setdefault("RECEIPT_SIGNING_KEY", new_private_key_pem())

from sigma_terms.settings import *  # noqa: E402, F403

# Tests and the live server read static files from the source folders, unhashed.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Serve static files from the source folders, as no collectstatic runs before the tests.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
