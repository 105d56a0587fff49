"""Load the demo story (five Vietnamese articles on DeepSeek R1's cost), the demo users and, unless
``--empty``, the annotated reading stored next to the corpus (``newsroom.demo_reading``)."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from articles.models import Story
from articles.services import story_set_desk
from newsroom.demo_reading import READING_FILE, demo_reading_load

from .import_articles import import_paths

DEMO_DIR = Path(__file__).resolve().parents[3] / "articles" / "demo" / "deepseek-r1"
DEMO_SLUG = "deepseek-r1"
#: (username, is_staff, description) of each demo account.
DEMO_USERS = [
    ("lan", False, "annotator"),
    ("minh", False, "annotator"),
    ("curator", True, "curator and admin (can open /admin/)"),
]
LOCAL_DEMO_PASSWORD = "parallax-demo"
#: The demo team: curator is its admin, the others annotate, so team sessions work at once.
DEMO_TEAM = "Demo desk"
DEMO_TEAM_ROLES = {"lan": "annotator", "minh": "annotator"}


def demo_password() -> str:
    password = os.environ.get("DEMO_PASSWORD", "")
    if password:
        return password
    if not settings.DEBUG:
        raise CommandError("Set DEMO_PASSWORD: the local default is refused when DEBUG is off.")
    return LOCAL_DEMO_PASSWORD


class Command(BaseCommand):
    help = "Load the demo story and create the demo users (password from DEMO_PASSWORD)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument(
            "--empty",
            action="store_true",
            help="Load the bare story: articles and users, without the demo reading.",
        )

    def handle(self, *args, **options) -> None:
        password = demo_password()
        results, errors = import_paths(
            paths=[DEMO_DIR],
            story_slug=DEMO_SLUG,
            metadata=None,
            stdout=self.stdout,
            stderr=self.stderr._out,
            progress=not options["no_progress"],
        )
        if errors:
            raise CommandError("The demo corpus did not load:\n  " + "\n  ".join(errors))
        User = get_user_model()
        with transaction.atomic():
            for username, staff, _ in DEMO_USERS:
                user, _ = User.objects.get_or_create(username=username)
                user.is_staff = user.is_superuser = staff
                user.set_password(password)
                user.save()
        team = demo_team()
        story = Story.objects.get(slug=DEMO_SLUG)
        if story.desk_id is None:  # the demo desk owns the demo story (unless given away since)
            story_set_desk(story=story, desk=team)
        self.stdout.write(self.style.SUCCESS(f"Demo story '{DEMO_SLUG}': {len(results)} articles."))
        if not options["empty"]:
            self.stdout.write(self._load_reading(story))
        self.stdout.write(
            f"Demo desk '{team.name}' owns the story: curator (admin), lan and minh (annotators)."
        )
        self.stdout.write("Demo logins (username / password):")
        for username, _, role in DEMO_USERS:
            self.stdout.write(f"  {username} / {password}  ({role})")


    def _load_reading(self, story: Story) -> str:
        try:
            loaded = demo_reading_load(story=story)
        except ValidationError as error:
            raise CommandError(
                f"The demo reading ({READING_FILE}) did not load:\n  " + "\n  ".join(error.messages)
            ) from None
        return (
            f"Demo reading: {len(loaded.claims)} claims, {len(loaded.links)} links, "
            f"{len(loaded.canonicals)} canonical claims, {len(loaded.verdicts)} verdicts "
            "(--empty loads the bare story)."
        )


def demo_team():
    """The demo team, created once through the teams services; re-running changes nothing."""
    from teams import services as team_services
    from teams.models import Team

    User = get_user_model()
    admin = User.objects.get(username="curator")
    with transaction.atomic():
        team = Team.objects.filter(name=DEMO_TEAM).first() or team_services.team_create(
            creator=admin, name=DEMO_TEAM, description="The demo newsroom: try team layers here."
        )
        members = set(team.memberships.values_list("user__username", flat=True))
        for username, role in DEMO_TEAM_ROLES.items():
            if username not in members:  # keep roles changed since
                team_services.membership_add(actor=admin, team=team, username=username, role=role)
    return team
