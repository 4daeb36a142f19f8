"""The legal app: documents, their versions, and the pages that publish them."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LegalConfig(AppConfig):
    name = "legal"
    verbose_name = _("Legal documents")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import acceptance_triggers, log_triggers
        from .caching import bump_generation
        from .db_triggers import reinstall_after_migrate
        from .signals import versions_changed

        versions_changed.connect(bump_generation, dispatch_uid="legal.caching.bump_generation")
        # SQLite drops triggers when a migration rebuilds the table: put them back every time.
        post_migrate.connect(reinstall_after_migrate, sender=self, dispatch_uid="legal.db_triggers.reinstall")
        post_migrate.connect(
            acceptance_triggers.reinstall_after_migrate, sender=self, dispatch_uid="legal.acceptance_triggers.reinstall"
        )
        post_migrate.connect(
            log_triggers.reinstall_after_migrate, sender=self, dispatch_uid="legal.log_triggers.reinstall"
        )

        from django.contrib.auth.signals import user_logged_in

        from .reviewing import remember_language

        # Review emails are written in the language each member of staff signs in with.
        user_logged_in.connect(remember_language, dispatch_uid="legal.reviewing.remember_language")

        from django.contrib import admin

        # The admin is the legal team's tool: branded and localised, not "Django administration".
        admin.site.site_header = admin.site.site_title = _("Sigma.video · Legal")
        admin.site.index_title = _("Legal documents")
