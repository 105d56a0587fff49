"""Import a W3C AnnotationCollection (e.g. from export_story) as one user; all or nothing."""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from articles.models import Story
from opendata import services

from ._common import site, user_named


class Command(BaseCommand):
    help = "Import claims and links from a W3C Web Annotation file; nothing is written on error."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="Who the imported annotations belong to.")
        parser.add_argument(
            "--base-url", help="This site's URL, to read its own article IRIs ($PARALLAX_BASE_URL)."
        )
        parser.add_argument(
            "--story",
            help="Import into this story (slug): other tools' pages are matched to its articles "
            "by their quotes, moved words re-anchored, and unfound ones kept as orphans.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would happen; write nothing."
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(
        self,
        *args,
        file: str,
        user: str,
        base_url: str | None,
        no_progress: bool,
        story: str | None = None,
        dry_run: bool = False,
        **options,
    ) -> None:
        try:
            with open(file, encoding="utf-8") as handle:
                data = json.load(handle)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise CommandError(f"{file} is not valid JSON: {error}") from None
        target = None
        if story:
            target = Story.objects.filter(slug=story).first()
            if target is None:
                raise CommandError(f"No story “{story}”.")
        items, _errors, _format = services._document_items(data)
        with tqdm(total=len(items), unit="annotation", disable=no_progress, file=sys.stderr) as bar:
            try:
                report = services.annotations_import(
                    user=user_named(user),
                    data=data,
                    site=site(base_url),
                    story=target,
                    dry_run=dry_run,
                    progress=bar.update,
                )
            except services.ImportRejected as rejected:
                raise CommandError("Nothing imported:\n" + rejected.report.summary()) from None
        for warning in report.warnings:
            self.stderr.write(warning)
        for item in report.items:
            for warning in item.warnings:
                self.stderr.write(f"{item.label()}: {warning}")
        counts = report.counts()
        self.stdout.write(
            ("Would import" if dry_run else "Imported")
            + f" {counts['claims']} claims and {counts['links']} links "
            f"({counts['existing']} already there, {counts['reanchored']} re-anchored, "
            f"{counts['orphaned']} orphaned)."
        )
