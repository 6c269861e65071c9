from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from rest_framework.authtoken.models import Token

from core.audit import record


class Command(BaseCommand):
    help = (
        "Print a new API token for USERNAME, replacing any previous one (which stops working at once). "
        "With --revoke, delete the user's token and print nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--revoke", action="store_true", help="Delete the user's token instead of creating one.")

    def handle(self, *args: Any, username: str, revoke: bool, **options: Any) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f'No user named "{username}".')
        with transaction.atomic():
            revoked, _ = Token.objects.filter(user=user).delete()
            if revoke:
                if not revoked:
                    raise CommandError(f'User "{username}" has no token to revoke.')
                record(None, "revoke_token", user)
                self.stderr.write(f'Revoked the API token of "{username}".')
                return
            token = Token.objects.create(user=user)
            record(None, "create_token", user)
        self.stdout.write(token.key)
