"""Writes for sources, stories and new articles. Each validates first and writes in one
transaction. Editing an existing article's text moves its claims, so that belongs to the app above
the claims (``newsroom.services.article_edit``), not here: this app imports nothing above it.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from textkernel.text import body_hash, normalize_body

from .models import Article, Source, Story

#: Share of control characters above which a file is treated as binary.
_BINARY_CONTROL_RATIO = 0.05
_ALLOWED_CONTROLS = {"\n", "\t", "\f", "\v"}


def decode_text_file(*, name: str, data: bytes) -> str:
    """Decode an article file, raising ValidationError naming the file if it is not usable text."""
    if not data.strip():
        raise ValidationError(f"{name}: the file is empty.", code="empty")
    if b"\x00" in data:
        raise ValidationError(f"{name}: the file is binary (it contains NUL bytes).", code="binary")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"{name}: the file is not UTF-8 (byte 0x{data[exc.start]:02x} at position {exc.start}). "
            "Convert it to UTF-8 and import it again.",
            code="encoding",
        ) from exc
    controls = sum(
        1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS | {"\r"}
    )
    if controls > _BINARY_CONTROL_RATIO * len(text):
        raise ValidationError(
            f"{name}: the file looks binary ({controls} control characters).", code="binary"
        )
    if not text.strip():
        raise ValidationError(f"{name}: the file is empty.", code="empty")
    return text


@dataclass(frozen=True)
class ArticleMeta:
    """What a metadata file (like the demo's sources.json) says about one article file."""

    publisher: str | None = None
    author: str = ""
    translated_from: str = ""
    title_line: int | None = None
    title: str = ""


@dataclass
class StoryMeta:
    title: str = ""
    language: str = "vi"
    note: str = ""
    articles: dict[str, ArticleMeta] = field(default_factory=dict)


def metadata_load(*, path: Path) -> StoryMeta:
    """Read a sources.json-style metadata file; ValidationError if it is malformed."""
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"{path.name}: cannot read metadata ({exc}).") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("articles", []), list):
        raise ValidationError(f"{path.name}: expected an object with an 'articles' list.")
    story = raw.get("story") or {}
    meta = StoryMeta(
        title=str(story.get("title") or ""),
        language=str(story.get("language") or "vi"),
        note=str(story.get("note") or ""),
    )
    for item in raw.get("articles", []):
        if not isinstance(item, dict) or not item.get("file"):
            raise ValidationError(f"{path.name}: every article entry needs a 'file'.")
        title_line = item.get("title_line")
        if title_line is not None and (not isinstance(title_line, int) or title_line < 1):
            raise ValidationError(f"{path.name}: {item['file']}: title_line must be a positive integer.")
        meta.articles[str(item["file"])] = ArticleMeta(
            publisher=item.get("publisher") or None,
            author=item.get("author") or "",
            translated_from=item.get("translated_from") or "",
            title_line=title_line,
            title=item.get("title") or "",  # types and lengths are checked per file on import
        )
    return meta


def _title_from(*, body: str, meta: ArticleMeta, name: str) -> tuple[str, list[str]]:
    """Return the title and any warnings: a blank ``title_line`` falls back to the line above."""
    lines = body.split("\n")
    if meta.title:
        return meta.title, []
    if meta.title_line is not None:
        if meta.title_line > len(lines):
            raise ValidationError(f"{name}: title_line {meta.title_line} is past the end ({len(lines)} lines).")
        index = meta.title_line - 1
        if lines[index].strip():
            return lines[index].strip(), []
        # Metadata written by hand is often off by one; the nearest text above is the heading.
        for candidate in [*range(index - 1, -1, -1), *range(index + 1, len(lines))]:
            if lines[candidate].strip():
                return lines[candidate].strip(), [
                    f"{name}: title_line {meta.title_line} is blank; used line {candidate + 1} instead."
                ]
    return next(line.strip() for line in lines if line.strip()), []


def story_get_or_create(*, slug: str, title: str = "", note: str = "", language: str = "vi") -> Story:
    """Return the story with ``slug``, creating it (and filling blank fields) if needed."""
    slug = slugify(slug)
    if not slug:
        raise ValidationError("A story needs a slug made of letters, digits or hyphens.")
    with transaction.atomic():
        story, created = Story.objects.get_or_create(
            slug=slug, defaults={"title": title or slug, "note": note, "language": language}
        )
        if not created and (title and not story.title or note and not story.note):
            story.title = story.title or title
            story.note = story.note or note
            story.full_clean()
            story.save()
    return story


def story_set_desk(*, story: Story, desk) -> Story:
    """Give ``story`` to ``desk`` (a ``teams.Team``; None makes it site-wide, curated by staff).
    Who may do this is the caller's check (staff in the admin, management commands)."""
    with transaction.atomic():
        story.desk = desk
        story.full_clean()
        story.save(update_fields=["desk", "updated_at"])
    return story


@dataclass(frozen=True)
class ArticleFile:
    """One article file, read, checked and normalised; nothing is stored yet. ``fields`` are the
    article's ``title``, ``author``, ``translated_from`` and ``body``."""

    name: str
    publisher: str | None
    fields: dict[str, Any]
    warnings: tuple[str, ...] = ()


def article_file_read(*, name: str, data: bytes, meta: ArticleMeta | None = None) -> ArticleFile:
    """Decode, normalise and title the article file ``name``; ValidationError naming the file."""
    meta = meta or ArticleMeta()
    _check_meta(meta, name=name)
    body = normalize_body(decode_text_file(name=name, data=data))
    title, warnings = _title_from(body=body, meta=meta, name=name)
    fields = {
        "title": title[:500],
        "author": meta.author,
        "translated_from": meta.translated_from,
        "body": body,
    }
    return ArticleFile(name=name, publisher=meta.publisher, fields=fields, warnings=tuple(warnings))


#: Metadata fields and the model field that stores each (whose max_length applies).
_META_FIELDS = {
    "publisher": Source._meta.get_field("name"),
    "author": Article._meta.get_field("author"),
    "translated_from": Article._meta.get_field("translated_from"),
    "title": Article._meta.get_field("title"),
}


def _check_meta(meta: ArticleMeta, *, name: str) -> None:
    """Refuse metadata values that are not text or do not fit their column, naming the file."""
    problems = []
    for attr, model_field in _META_FIELDS.items():
        value = getattr(meta, attr)
        if value is None:
            continue
        if not isinstance(value, str):
            problems.append(f"{name}: {attr} must be text, not {type(value).__name__}.")
        elif len(value) > model_field.max_length:
            problems.append(
                f"{name}: {attr} is {len(value)} characters long; the limit is "
                f"{model_field.max_length}."
            )
    if problems:
        raise ValidationError(problems, code="metadata")


def source_get_or_create(*, name: str, language: str) -> Source:
    """The source called ``name``, created (in ``language``) if there is none."""
    source = Source.objects.filter(name=name).first()
    if source is None:
        source = Source(name=name, language=language)
        source.full_clean()
        with transaction.atomic():
            source.save()
    return source


def article_create(*, story: Story, body: str, **fields: Any) -> Article:
    """Store a new article in ``story``, its body normalised and hashed. Changing a stored
    article's text moves its claims: that is ``newsroom.services.article_edit``."""
    body = normalize_body(body) if isinstance(body, str) else ""
    if not body:
        raise ValidationError({"body": "The article text cannot be empty."}, code="empty")
    article = Article(story=story, body=body, body_hash=body_hash(body), **fields)
    article.full_clean(exclude=["search_vector"])
    with transaction.atomic():
        article.save()
    return article
