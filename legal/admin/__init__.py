"""The legal admin, one module per topic; importing this package registers them all.

- `versions`: documents and their versions: edit drafts, preview, review, publish, withdraw.
- `acceptances`: product credentials and acceptance records.
- `notifications`: subscribers and the notification outbox.
- `webhooks`: webhook endpoints and their delivery log.
- `roles`: who may change what (asked by the admin classes; registers nothing).
"""

from . import acceptances, notifications, roles, versions, webhooks  # noqa: F401
