"""Test settings: the project's settings with test-only speed-ups, nothing else changed."""

from sigma_terms.settings import *  # noqa: F403

# Tests and the live server read static files from the source folders, unhashed.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Serve static files from the source folders, as no collectstatic runs before the tests.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
