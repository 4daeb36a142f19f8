"""`/healthz` for load balancers: whether this server can serve, and the state of each dependency.

The answer is 503 only when the database does not answer, as no page can be served then.
A cache that does not answer is reported but leaves the status at 200: the site fails open
and serves from the database (sigma_terms/cache.py). Asking the cache costs at most its
socket timeout (REDIS_TIMEOUT), and nothing while its circuit is open.
"""

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


def database_state():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return "unreachable"
    return "ok"


def cache_state():
    # Only a shared cache can be down; a per-process cache always answers.
    ping = getattr(cache, "ping", None)
    if ping is None or ping():
        return "ok"
    return "unreachable"


@require_safe
@never_cache
def healthz(request):
    """200 when the site can serve (the database answers), 503 when it cannot; each dependency's state."""
    states = {"database": database_state(), "cache": cache_state()}
    if states["database"] != "ok":
        return JsonResponse({"status": "unavailable", **states}, status=503)
    return JsonResponse({"status": "ok" if states["cache"] == "ok" else "degraded", **states})
