"""Make a personal API token for a user and print it (it is not stored, only its hash)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from opendata import services

from ._common import user_named


class Command(BaseCommand):
    help = "Make a personal API token (Authorization: Bearer …) for a user; prints it once."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="What the token is for.")

    def handle(self, *args, username: str, name: str, **options) -> None:
        try:
            _token, raw = services.token_create(user=user_named(username), name=name)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(raw)
