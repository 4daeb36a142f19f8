"""Acceptance records: which customer account of which Sigma.video product accepted which text.

The models only. Products authenticate with a `ProductCredential` (`legal.product_auth`);
recording and the re-acceptance rule live in `legal.acceptance_records`; the database
triggers that keep `Acceptance` append-only in `legal.acceptance_triggers`. Foreign keys
name their targets as strings so this module needs no other model module.
"""

import functools

from django.conf import settings
from django.db import connection, models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .. import clock
from ..rows import Lookup

# An `Idempotency-Key` header longer than this is refused (422): a UUID is 36 characters.
MAX_IDEMPOTENCY_KEY_LENGTH = 255


class Scope(models.TextChoices):
    WRITE = "acceptances:write", _("Record acceptances")
    READ = "acceptances:read", _("Read acceptances and who must accept again")
    EXPORT = "acceptances:export", _("Export acceptances")


class ProductCredentialQuerySet(models.QuerySet):
    def usable(self):
        """Credentials that still authenticate: not revoked."""
        return self.filter(revoked_at__isnull=True)


class ProductCredentialManager(models.Manager.from_queryset(ProductCredentialQuerySet)):
    def by_digest(self, digest: str) -> "ProductCredential | None":
        """The credential whose secret has the SHA-256 `digest`, or None: every API call asks this.

        `filter(token_sha256=digest).first()` gives the same row; this one-row lookup on the
        unique index costs a quarter of its Python time (legal/rows.py), with the fields that
        authentication reads loaded.
        """
        return _credential_by_digest().first([digest])


@functools.cache
def _credential_by_digest():
    fields = ["id", "name", "scopes", "token_sha256", "last_used_at", "revoked_at"]
    column = connection.ops.quote_name(ProductCredential._meta.get_field("token_sha256").column)
    return Lookup(ProductCredential, fields, where=f"{column} = %s")


class ProductCredential(models.Model):
    """A bearer token of one product. Only the SHA-256 of the secret is kept."""

    name = models.CharField(
        _("product"), max_length=100, unique=True, help_text=_("The product that uses it, e.g. Media VOD.")
    )
    scopes = models.JSONField(_("scopes"), default=list)
    token_sha256 = models.CharField(_("SHA-256 of the secret"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=clock.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, editable=False,
        related_name="+", verbose_name=_("created by"),
    )  # fmt: skip
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    objects = ProductCredentialManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("product credential")
        verbose_name_plural = _("product credentials")

    def __str__(self):
        return self.name

    @property
    def is_revoked(self):
        return self.revoked_at is not None

    def allows(self, scope):
        return scope in self.scopes


class AcceptanceQuerySet(models.QuerySet):
    def of_account(self, document, account):
        return self.filter(document=document, account=account)

    def of_accounts(self, document, accounts):
        return self.filter(document=document, account__in=accounts)

    def by_idempotency_key(self, credential, key):
        return self.filter(credential=credential, idempotency_key=key)

    def recorded_since(self, since):
        return self.filter(recorded_at__gte=since) if since is not None else self


class Acceptance(models.Model):
    """One account's acceptance of one published version: append-only (database triggers)."""

    class Method(models.TextChoices):
        CLICKWRAP = "clickwrap", _("Clicked to accept")
        BROWSEWRAP = "browsewrap", _("Shown while browsing")
        CONTINUED_USE = "continued-use", _("Continued use after notice")

    # No index of their own: the indexes below start with the document, and the unique
    # constraint with the version, so each would only cost every insert another index write.
    document = models.ForeignKey(
        "legal.Document", on_delete=models.PROTECT, related_name="acceptances", verbose_name=_("document"),
        db_index=False,
    )  # fmt: skip
    version = models.ForeignKey(
        "legal.DocumentVersion", on_delete=models.PROTECT, related_name="acceptances", verbose_name=_("version"),
        db_index=False,
    )  # fmt: skip
    version_number = models.PositiveIntegerField(_("version number"))
    account = models.CharField(_("account"), max_length=128)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    text_sha256 = models.CharField(_("SHA-256 of the text accepted"), max_length=64)
    method = models.CharField(_("how it was accepted"), max_length=16, choices=Method.choices)
    accepted_at = models.DateTimeField(_("accepted at"))
    recorded_at = models.DateTimeField(_("recorded at"), default=clock.now)
    credential = models.ForeignKey(
        ProductCredential, on_delete=models.PROTECT, related_name="acceptances", verbose_name=_("recorded by")
    )
    product = models.CharField(_("product"), max_length=100)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    # The request's `Idempotency-Key` and the SHA-256 of its body (RFC 8785 JSON): a retry with
    # the same key and body finds this record, the same key with another body is refused.
    # NULL, not "", when there is none: a key is unique per credential only where there is one.
    idempotency_key = models.CharField(  # noqa: DJ001
        _("idempotency key"), max_length=MAX_IDEMPOTENCY_KEY_LENGTH, null=True, blank=True, editable=False
    )
    request_sha256 = models.CharField(  # noqa: DJ001
        _("SHA-256 of the request"), max_length=64, null=True, blank=True, editable=False
    )

    objects = AcceptanceQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("acceptance")
        verbose_name_plural = _("acceptances")
        constraints = [
            # An account accepts a version once: a repeated submission finds the first record.
            models.UniqueConstraint(fields=["version", "account"], name="acceptance_once_per_version"),
            models.CheckConstraint(condition=~Q(account=""), name="acceptance_has_account"),
            # A product's key names one record, so concurrent retries make one. Conditional, so
            # that SQLite adds it as an index instead of rebuilding the table.
            models.UniqueConstraint(
                fields=["credential", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="acceptance_idempotency_key",
            ),
        ]
        indexes = [
            models.Index(fields=["document", "account", "version_number"], name="acceptance_by_account"),
            models.Index(fields=["document", "recorded_at", "id"], name="acceptance_export"),
        ]

    def __str__(self):
        return _("%(account)s accepted %(version)s") % {"account": self.account, "version": self.version}
