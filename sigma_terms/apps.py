"""App configuration overrides for the project."""

from django.contrib.staticfiles.apps import StaticFilesConfig


class ProjectStaticFilesConfig(StaticFilesConfig):
    # XStatic-jQuery-UI ships theme stylesheets that point at images it does not ship,
    # which the manifest storage refuses; the admin tabs need only the script.
    ignore_patterns = [*StaticFilesConfig.ignore_patterns, "jquery-ui*.css", "themes", "images"]
