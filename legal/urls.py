"""Reader URLs, mounted under the language prefix by `sigma_terms.urls`."""

from django.urls import path, register_converter
from django.views.decorators.http import require_safe

from . import clock, feeds, memento, openapi_acceptances, subscription_views, views


class VersionNumberConverter:
    """A version number: 1 to 999,999,999, so no overflow ever reaches the database."""

    regex = "[1-9][0-9]{0,8}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


class IsoDateConverter:
    """A calendar date written YYYY-MM-DD; whether it exists is the view's question."""

    regex = clock.DATE_ONLY.pattern

    def to_python(self, value):
        return value

    def to_url(self, value):
        return str(value)


register_converter(VersionNumberConverter, "version")
register_converter(IsoDateConverter, "isodate")

app_name = "legal"

urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("api/acceptances/", openapi_acceptances.DocsView.as_view(), name="api-docs"),
    path("unsubscribe/<str:token>/", subscription_views.UnsubscribeView.as_view(), name="unsubscribe"),
    path("<slug:slug>/", views.DocumentView.as_view(), name="document"),
    path("<slug:slug>/versions/", views.HistoryView.as_view(), name="history"),
    path("<slug:slug>/timemap/", memento.TimeMapView.as_view(), name="timemap"),
    path("<slug:slug>/feed/", require_safe(feeds.DocumentVersionsFeed()), name="feed"),
    path("<slug:slug>/subscribe/", subscription_views.SubscribeView.as_view(), name="subscribe"),
    path(
        "<slug:slug>/subscribe/confirm/<str:token>/",
        subscription_views.ConfirmSubscriptionView.as_view(),
        name="subscribe-confirm",
    ),
    path("<slug:slug>/versions/<version:number>/", views.VersionView.as_view(), name="version"),
    path("<slug:slug>/versions/<version:number>/<str:language>.md", views.version_text, name="version-text"),
    path("<slug:slug>/versions/<version:number>/bilingual/", views.BilingualView.as_view(), name="bilingual"),
    path("<slug:slug>/versions/<version:number>/<str:language>.pdf", views.version_pdf, name="version-pdf"),
    path(
        "<slug:slug>/versions/<version:number>/<str:language>.md.tsr",
        views.version_timestamp,
        name="version-timestamp",
    ),
    path("<slug:slug>/compare/<version:a>/<version:b>/", views.CompareView.as_view(), name="compare"),
    path(
        "<slug:slug>/compare/<version:a>/<version:b>/bilingual/",
        views.CompareBilingualView.as_view(),
        name="compare-bilingual",
    ),
    path("<slug:slug>/versions/<version:number>/changes/", views.changes_in, name="changes"),
    path("<slug:slug>/compare/", views.compare_form, name="compare-form"),
    path("<slug:slug>/on/", views.point_in_time_form, name="on-date-form"),
    path("<slug:slug>/on/<isodate:day>/", views.point_in_time, name="on-date"),
]
