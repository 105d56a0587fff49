"""Import .txt files into a story: ``manage.py import_articles DIR_OR_FILES... --story SLUG``."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, transaction
from tqdm import tqdm

from articles import services as article_services
from newsroom import services


def import_paths(
    *, paths: list[Path], story_slug: str, metadata: Path | None, stdout, stderr, progress: bool = True
) -> tuple[list[services.ImportResult], list[str]]:
    """Import every .txt file under ``paths``; return results and per-file error messages."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix.lower() == ".txt"))
            if metadata is None and (path / "sources.json").exists():
                metadata = path / "sources.json"
        elif path.exists():
            files.append(path)
        else:
            raise CommandError(f"{path}: no such file or folder.")
    if not files:
        raise CommandError("No .txt files to import.")
    try:
        meta = (
            article_services.metadata_load(path=metadata)
            if metadata
            else article_services.StoryMeta()
        )
    except ValidationError as exc:
        raise CommandError("; ".join(exc.messages)) from exc
    results: list[services.ImportResult] = []
    errors: list[str] = []
    # One transaction for the run, a savepoint per file: a bad file leaves nothing behind, and a
    # run where no file could be imported leaves no new, empty story either.
    with transaction.atomic():
        story = article_services.story_get_or_create(
            slug=story_slug, title=meta.title, note=meta.note, language=meta.language
        )
        bar = tqdm(
            files, desc=f"Importing into {story.slug}", unit="file", file=stderr, disable=not progress
        )
        for position, path in enumerate(bar):
            bar.set_postfix_str(path.name)
            try:
                results.append(
                    services.article_import_text(
                        story=story,
                        name=path.name,
                        data=path.read_bytes(),
                        meta=meta.articles.get(path.name),
                        position=position,
                    )
                )
            except ValidationError as exc:
                errors.extend(exc.messages)
            except OSError as exc:
                errors.append(f"{path.name}: cannot read the file ({exc.strerror or exc}).")
            except DatabaseError as exc:
                # e.g. "string is too long for tsvector": the savepoint is already rolled back.
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                errors.append(f"{path.name}: the database refused it ({reason}).")
        if not results:
            transaction.set_rollback(True)
        elif any(r.action != "unchanged" for r in results):
            services.suggestions_refresh(story=story)
    bar.close()
    for result in results:
        for warning in result.warnings:
            stderr.write(f"warning: {warning}\n")
    return results, errors


class Command(BaseCommand):
    help = "Import UTF-8 .txt articles into a story. Re-running updates instead of duplicating."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, help=".txt files or folders of them")
        parser.add_argument("--story", required=True, help="slug of the story to import into")
        parser.add_argument(
            "--metadata",
            type=Path,
            help="JSON metadata (like sources.json); a folder's own sources.json is used by default",
        )
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    def handle(self, *args, paths: list[Path], story: str, metadata: Path | None, **options) -> None:
        results, errors = import_paths(
            paths=paths,
            story_slug=story,
            metadata=metadata,
            stdout=self.stdout,
            stderr=self.stderr._out,
            progress=not options["no_progress"],
        )
        counts = {action: sum(r.action == action for r in results) for action in ("created", "updated", "unchanged")}
        self.stdout.write(
            self.style.SUCCESS(
                f"{counts['created']} created, {counts['updated']} updated, "
                f"{counts['unchanged']} unchanged, {len(errors)} failed."
            )
        )
        if errors:
            raise CommandError("Some files were not imported:\n  " + "\n  ".join(errors))
