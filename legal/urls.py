"""Reader URLs, mounted under the language prefix by `sigma_terms.urls`."""

from django.urls import path, register_converter

from . import views


class VersionNumberConverter:
    """A version number: 1 to 999,999,999, so no overflow ever reaches the database."""

    regex = "[1-9][0-9]{0,8}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(VersionNumberConverter, "version")

app_name = "legal"

urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("<slug:slug>/", views.DocumentView.as_view(), name="document"),
    path("<slug:slug>/versions/", views.HistoryView.as_view(), name="history"),
    path("<slug:slug>/versions/<version:number>/", views.VersionView.as_view(), name="version"),
]
