"""Export a story's annotations as a W3C AnnotationCollection (JSON-LD), for backups."""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotations.selectors import claims_visible_to, links_visible_to
from articles.models import Story
from opendata import selectors

from ._common import site, user_named


class Command(BaseCommand):
    help = "Write a story's claims and links as W3C Web Annotations (JSON-LD)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("-o", "--output", help="File to write (default: standard output).")
        parser.add_argument(
            "--user", help="Export what this user sees (default: public annotations only)."
        )
        parser.add_argument(
            "--base-url", help="Site URL for the IRIs (default $PARALLAX_BASE_URL)."
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(
        self,
        *args,
        slug: str,
        output: str | None,
        user: str | None,
        base_url: str | None,
        no_progress: bool,
        **options,
    ) -> None:
        story = Story.objects.filter(slug=slug).first()
        if story is None:
            raise CommandError(f"No story {slug!r}.")
        who = user_named(user)
        total = (
            claims_visible_to(user=who).filter(article__story=story).count()
            + links_visible_to(user=who).filter(claim_a__article__story=story).count()
        )
        with tqdm(total=total, unit="annotation", disable=no_progress, file=sys.stderr) as bar:
            payload = selectors.story_collection(
                story=story, user=who, site=site(base_url), progress=bar.update
            )
        text = json.dumps(payload, ensure_ascii=False, indent=1)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
            self.stderr.write(f"Wrote {payload['total']} annotations to {output}.")
        else:
            self.stdout.write(text)
