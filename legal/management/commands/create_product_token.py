"""`manage.py create_product_token NAME`: a bearer token for one of Sigma.video's products."""

from django.core.management.base import BaseCommand, CommandError

from legal.models import ProductCredential, Scope
from legal.product_auth import issue_credential

MAX_NAME_LENGTH = ProductCredential._meta.get_field("name").max_length


class Command(BaseCommand):
    help = "Create a credential for a product and print its token (alone on the last line; shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the product, e.g. 'Media VOD'")
        parser.add_argument(
            "--scopes", nargs="+", choices=Scope.values, default=Scope.values, metavar="SCOPE",
            help=f"what the token may do (default: all of {', '.join(Scope.values)})",
        )  # fmt: skip

    def handle(self, *args, name, scopes, **options):
        name = name.strip()
        if not name or len(name) > MAX_NAME_LENGTH or not name.isprintable():
            raise CommandError(f"the name must be 1 to {MAX_NAME_LENGTH} printable characters")
        if ProductCredential.objects.filter(name=name).exists():
            raise CommandError(f"a credential named {name!r} exists; revoke it in the admin and choose another name")
        credential, secret = issue_credential(name=name, scopes=[scope for scope in Scope.values if scope in scopes])
        self.stdout.write(f"Created the credential {credential.name!r} with {', '.join(credential.scopes)}. Its token:")
        self.stdout.write(secret)
