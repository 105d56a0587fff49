"""``manage.py suggest <story-slug> [--json] [--limit N] [--store]``: suggested connections."""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from articles.models import Article, Story
from suggestions import services


class Command(BaseCommand):
    help = "Suggest connections (agrees / contradicts / qualifies) between a story's articles."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("story", help="slug of the story")
        parser.add_argument("--json", action="store_true", help="print a JSON list")
        parser.add_argument("--limit", type=int, default=services.KEEP, help="at most this many")
        parser.add_argument("--store", action="store_true", help="also store them for the reader")
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    def handle(self, *args, story: str, **options) -> None:
        try:
            found_story = Story.objects.get(slug=story)
        except Story.DoesNotExist:
            raise CommandError(f"No story with the slug {story!r}.") from None
        bar = tqdm(total=100, desc="Suggesting", unit="%", file=sys.stderr,
                   disable=options["no_progress"] or options["json"] and not sys.stderr.isatty())  # fmt: skip

        def progress(share: float) -> None:
            bar.update(round(share * 100) - bar.n)

        if options["store"]:
            run = services.run_create(story=found_story)
            services.run_execute(run)
        found = services.compute(found_story, progress=progress, limit=options["limit"] or None)
        bar.close()
        files = dict(Article.objects.filter(story=found_story).values_list("pk", "file_name"))
        if options["json"]:
            items = [
                {
                    "relation": s.relation,
                    "score": s.score,
                    "reason": s.reason,
                    **{
                        side: {
                            "article": span.article,
                            "file": files.get(span.article) or None,
                            "start": span.start,
                            "end": span.end,
                            "quote": span.quote,
                        }
                        for side, span in (("a", s.a), ("b", s.b))
                    },
                }
                for s in found
            ]
            self.stdout.write(json.dumps(items, ensure_ascii=False, indent=2))
            return
        for s in found:
            self.stdout.write(f"{s.score:.2f} {s.relation:<11} {s.reason}")
            self.stdout.write(f"    {files.get(s.a.article) or s.a.article}: {s.a.quote[:120]}")
            self.stdout.write(f"    {files.get(s.b.article) or s.b.article}: {s.b.quote[:120]}")
        self.stdout.write(self.style.SUCCESS(f"{len(found)} suggestions."))
