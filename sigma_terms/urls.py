"""Root URL configuration: language-prefixed reader pages, the admin, machine endpoints."""

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.views.decorators.http import require_safe

from legal import acceptance_api, api, health, log_api, openapi, views
from legal.sitemaps import SITEMAPS, robots_txt

urlpatterns = [
    path("", views.language_redirect, name="root"),
    path("healthz", health.healthz, name="healthz"),
    path(settings.ADMIN_URL, admin.site.urls),
]
urlpatterns += i18n_patterns(path("", include("legal.urls")), prefix_default_language=True)
urlpatterns += [
    path("api/openapi.json", openapi.openapi_view, name="api-openapi"),
    path("api/documents/<slug:slug>/", api.DocumentAPIView.as_view(), name="api-document"),
    path(
        "api/documents/<slug:slug>/versions/<version:number>/sections/",
        api.VersionSectionsAPIView.as_view(),
        name="api-version-sections",
    ),
    # For Sigma.video's products, with a bearer token (legal/acceptance_api.py).
    path("api/acceptances/", acceptance_api.urlpatterns()),
    # The transparency log, for anyone's verifier (legal/log_api.py).
    path("log/tree-head", log_api.tree_head, name="log-tree-head"),
    path("log/tree-head/<int:tree_size>/<int:pk>.tsr", log_api.tree_head_timestamp, name="log-tree-head-timestamp"),
    path("log/public-key", log_api.public_key, name="log-public-key"),
    path("log/entries/<int:index>", log_api.entry, name="log-entry"),
    path("log/proof/inclusion", log_api.inclusion_proof, name="log-inclusion-proof"),
    path("log/proof/consistency", log_api.consistency_proof, name="log-consistency-proof"),
    path(".well-known/jwks.json", acceptance_api.jwks, name="jwks"),
    path("sitemap.xml", require_safe(sitemap), {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", require_safe(robots_txt), name="robots"),
    # The catch-all redirect comes last.
    path("<slug:slug>/", views.language_redirect, name="document-redirect"),
]

# Refusals explain themselves in the reader's language, naming the role an admin action needs.
handler403 = "legal.refusals.permission_denied"
