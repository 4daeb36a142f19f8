"""Root URL configuration: language-prefixed reader pages, the admin, machine endpoints."""

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.views.decorators.http import require_safe

from legal import acceptance_api, api, health, views
from legal.sitemaps import SITEMAPS, robots_txt

urlpatterns = [
    path("", views.language_redirect, name="root"),
    path("healthz", health.healthz, name="healthz"),
    path(settings.ADMIN_URL, admin.site.urls),
]
urlpatterns += i18n_patterns(path("", include("legal.urls")), prefix_default_language=True)
urlpatterns += [
    path("api/documents/<slug:slug>/", api.DocumentAPIView.as_view(), name="api-document"),
    path(
        "api/documents/<slug:slug>/versions/<version:number>/sections/",
        api.VersionSectionsAPIView.as_view(),
        name="api-version-sections",
    ),
    # For Sigma.video's products, with a bearer token (legal/acceptance_api.py).
    path(
        "api/documents/<slug:slug>/acceptances/", acceptance_api.RecordAcceptanceView.as_view(), name="api-acceptances"
    ),
    path(
        "api/documents/<slug:slug>/acceptances/export",
        acceptance_api.ExportAcceptancesView.as_view(),
        name="api-acceptances-export",
    ),
    path(
        "api/documents/<slug:slug>/acceptances/<str:account>/",
        acceptance_api.AcceptanceStatusView.as_view(),
        name="api-acceptance-status",
    ),
    path("sitemap.xml", require_safe(sitemap), {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", require_safe(robots_txt), name="robots"),
    # The catch-all redirect comes last.
    path("<slug:slug>/", views.language_redirect, name="document-redirect"),
]

# Refusals explain themselves in the reader's language, naming the role an admin action needs.
handler403 = "legal.refusals.permission_denied"
