"""Root URL configuration: language-prefixed reader pages, the admin, machine endpoints."""

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from legal import views

urlpatterns = [
    path("", views.language_redirect, name="root"),
    path("healthz", views.healthz, name="healthz"),
    path(settings.ADMIN_URL, admin.site.urls),
]
urlpatterns += i18n_patterns(path("", include("legal.urls")), prefix_default_language=True)
urlpatterns += [path("<slug:slug>/", views.language_redirect, name="document-redirect")]
