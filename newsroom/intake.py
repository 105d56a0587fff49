"""Writes for bringing a story's articles in from the browser: making the story, adding links,
files and pasted text to a batch (an ``Intake``), fetching the links in the background, and
storing what the curator kept through the import service (``services.article_import``), one
transaction per article.

Check, then do: every item is extracted and checked on its own; one bad link, file or paste gets
its message on its row and never stops the others.
"""

from __future__ import annotations

import functools
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import Max
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from annotations import permissions
from articles.models import Article, Source, Story
from articles.services import ArticleFile
from textkernel.boilerplate import strip_lines
from textkernel.text import body_hash, normalize_body

from . import extraction, fetching
from .models import Intake, IntakeItem
from .services import article_import, article_edit, suggestions_refresh

log = logging.getLogger(__name__)

#: Items one batch may hold (a story of 20 links is the benchmark; 50 leaves room).
MAX_ITEMS = 50
#: Slugs that are pages, not stories (``/stories/new/``).
RESERVED_SLUGS = frozenset({"new"})
_LANGUAGE_MAX = Article._meta.get_field("language").max_length
_D = str.maketrans({"đ": "d", "Đ": "D"})


# --- the story -------------------------------------------------------------------------------


def story_create(*, user, title: str, note: str = "", desk=None, language: str = "vi") -> Story:
    """A new story owned by ``desk`` (None: site-wide), if ``user`` may create one there."""
    if not permissions.can_create_story(user, desk):
        raise PermissionDenied(
            _("Only curators of a desk (or staff) can create stories there.")
        )
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("A story needs a title.")}, code="required")
    # "đ" has no ASCII decomposition, so slugify would drop it ("đưa tin" -> "ua-tin").
    base = slugify(title.translate(_D))[:100].strip("-") or "story"
    if base in RESERVED_SLUGS:
        base = f"{base}-story"
    with transaction.atomic():
        taken = set(
            Story.objects.filter(slug__startswith=base).values_list("slug", flat=True)
        )
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        story = Story(slug=slug, title=title, note=(note or "").strip(), desk=desk, language=language)
        story.full_clean()
        story.save()
    return story


# --- the batch -------------------------------------------------------------------------------


def intake_start(*, user, story: Story) -> Intake:
    """A new, empty batch of articles for ``story`` (curators of the story only)."""
    permissions.require_curate(user, story)
    return Intake.objects.create(story=story, created_by=user)


@dataclass
class Additions:
    """What a curator submitted at once: links (one per line), files and pasted texts."""

    links: list[str] = field(default_factory=list)
    files: list[tuple[str, bytes]] = field(default_factory=list)
    pastes: list[tuple[str, str]] = field(default_factory=list)  # (title, text)


def items_add(*, user, intake: Intake, additions: Additions) -> list[IntakeItem]:
    """Add ``additions`` to ``intake``: files and pastes are read now, links are queued and
    fetched in the background once this commits. Each item records its own error."""
    permissions.require_curate(user, intake.story)
    links = [link.strip() for link in additions.links if link.strip()]
    pastes = list(additions.pastes)
    count = len(links) + len(additions.files) + len(pastes)
    if not count:
        raise ValidationError(_("Add a link, a file or some pasted text."), code="empty")
    existing = intake.items.count()
    if existing + count > MAX_ITEMS:
        raise ValidationError(
            _("A batch holds at most %(n)s articles; store these first.") % {"n": MAX_ITEMS},
            code="too_many",
        )
    known = _source_names()
    position = existing
    items: list[IntakeItem] = []
    validate_url = URLValidator(schemes=["http", "https"])
    for link in links:
        item = IntakeItem(intake=intake, kind=IntakeItem.Kind.LINK, position=position, url=link[:2000])
        try:
            validate_url(link)
        except ValidationError:
            item.status, item.error = IntakeItem.Status.FAILED, _("This is not a web address (http:// or https://).")
        items.append(item)
        position += 1
    for name, data in additions.files:
        item = IntakeItem(intake=intake, kind=IntakeItem.Kind.FILE, position=position, file_name=name[:255])
        _read(item, lambda: extraction.extract_file(name=name, data=data), known=known)
        items.append(item)
        position += 1
    for title, text in pastes:
        item = IntakeItem(intake=intake, kind=IntakeItem.Kind.PASTE, position=position)
        _read(item, functools.partial(_paste, text, title=title), known=known)
        items.append(item)
        position += 1
    with transaction.atomic():
        IntakeItem.objects.bulk_create(items)
        queued = [i.pk for i in items if i.status == IntakeItem.Status.QUEUED]
        if queued:
            fetch_schedule(item_ids=queued)
    return items


def _paste(text: str, *, title: str) -> extraction.Extracted:
    found = extraction.extract_paste(text)
    if title.strip():  # the curator's title, not the first line
        found.title = title.strip()
    return found


def _source_names() -> list[str]:
    return list(Source.objects.values_list("name", flat=True))


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").casefold()
    return host.removeprefix("www.")


def _source_for_host(url: str) -> str:
    """The name of the source whose homepage is on ``url``'s host, or ""."""
    host = _host(url)
    for name, homepage in Source.objects.exclude(homepage="").values_list("name", "homepage"):
        if host and _host(homepage) == host:
            return name
    return ""


def _read(item: IntakeItem, extract, *, known: list[str]) -> None:
    """Run ``extract`` and fill ``item`` from what it found, or record why it failed."""
    try:
        found = extract()
    except ValidationError as exc:
        item.status, item.error = IntakeItem.Status.FAILED, " ".join(exc.messages)
        return
    except fetching.FetchError as exc:
        item.status, item.error = IntakeItem.Status.FAILED, str(exc)
        return
    _fill(item, found, known=known)


def _fill(item: IntakeItem, found: extraction.Extracted, *, known: list[str]) -> None:
    item.text = found.text
    item.title = found.title[:500] or _("Untitled")
    item.author = found.author[:200]
    item.published_on = found.published_on
    item.site_name = found.site_name[:200]
    if found.url:
        item.url = found.url[:2000]
    item.language = extraction.detect_language(found.text)[:_LANGUAGE_MAX]
    item.flags = extraction.boilerplate_flags(found.text)
    heading = extraction.title_line(found.text, item.title, after=map(int, item.flags))
    if heading is not None:  # shown as the title already: dropped unless the curator keeps it
        item.flags.setdefault(str(heading), "title")
    item.drop = sorted(int(line) for line in item.flags)
    matched = {name.casefold(): name for name in known}
    item.source_name = matched.get(item.site_name.casefold()) or (
        _source_for_host(item.url) if item.url else ""
    ) or item.site_name
    credit = extraction.credited_outlet(
        strip_lines(found.text, item.drop), known=known, own=item.source_name
    )
    item.translated_from, item.translated_from_url = credit
    item.status, item.error = IntakeItem.Status.READY, ""


# --- fetching links ----------------------------------------------------------------------------


def fetch_schedule(*, item_ids: list[int]) -> None:
    """Fetch the queued link items ``item_ids`` once the caller commits: in a background thread
    that fetches a few at once (``NEWSROOM_FETCH_WORKERS``), as suggestions refresh
    (``suggestions.services.schedule_refresh``); inline when ``NEWSROOM_FETCH_BACKGROUND`` is off."""

    # A failed link's message is stored on its row: in the language of the curator who added
    # it (the request's), not the server's default, as the messages of files and pastes are.
    language = translation.get_language()

    def start() -> None:
        if not settings.NEWSROOM_FETCH_BACKGROUND:
            for pk in item_ids:
                item_fetch(item_id=pk)
            return

        def work() -> None:
            try:
                with ThreadPoolExecutor(
                    max_workers=settings.NEWSROOM_FETCH_WORKERS, thread_name_prefix="intake-fetch"
                ) as pool:
                    list(pool.map(functools.partial(_fetch_in_thread, language=language), item_ids))
            finally:
                close_old_connections()

        threading.Thread(target=work, name=f"intake-{item_ids[0]}", daemon=True).start()

    transaction.on_commit(start)


def _fetch_in_thread(pk: int, *, language: str | None) -> None:
    try:
        with translation.override(language):
            item_fetch(item_id=pk)
    finally:
        connection.close()  # each pool thread has its own connection; none outlives its work


def item_fetch(*, item_id: int) -> None:
    """Fetch and read one queued link item; any failure is recorded on the item."""
    if not IntakeItem.objects.filter(pk=item_id, status=IntakeItem.Status.QUEUED).update(
        status=IntakeItem.Status.FETCHING
    ):
        return  # gone, or another worker took it
    item = IntakeItem.objects.get(pk=item_id)
    try:
        def extract():
            page = fetching.fetch(item.url)
            if page.content_type == "application/pdf":  # read as an uploaded .pdf is
                found = extraction.extract_file(name="link.pdf", data=page.data)
            elif page.content_type == "text/plain":
                found = extraction.extract_paste(extraction.decode_text(page.data))
            else:
                found = extraction.extract_html(page.data, url=page.url)
            found.url = page.url
            return found

        _read(item, extract, known=_source_names())
    except Exception:  # a thread must never leave an item "fetching"
        log.exception("Fetching intake item %s failed", item_id)
        item.status, item.error = IntakeItem.Status.FAILED, _("The page could not be read.")
    item.save()


def item_retry(*, user, item: IntakeItem) -> IntakeItem:
    """Fetch a failed link again."""
    permissions.require_curate(user, item.intake.story)
    if item.kind != IntakeItem.Kind.LINK or item.status not in (
        IntakeItem.Status.FAILED, IntakeItem.Status.FETCHING, IntakeItem.Status.QUEUED
    ):
        raise ValidationError(_("Only a link that failed can be fetched again."), code="state")
    with transaction.atomic():
        IntakeItem.objects.filter(pk=item.pk).update(status=IntakeItem.Status.QUEUED, error="")
        fetch_schedule(item_ids=[item.pk])
    item.status, item.error = IntakeItem.Status.QUEUED, ""
    return item


def item_discard(*, user, item: IntakeItem) -> None:
    """Take an item out of its batch (it was never stored)."""
    permissions.require_curate(user, item.intake.story)
    if item.status == IntakeItem.Status.STORED:
        raise ValidationError(_("This article is stored; remove it from the story instead."))
    item.delete()


# --- storing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """What the curator decided for one item in the preview."""

    title: str
    author: str = ""
    published_on: date | None = None
    language: str = ""
    source_name: str = ""
    translated_from: str = ""
    original: str = ""  # "a<article pk>" or "i<item pk>"
    drop: frozenset[int] = frozenset()


def item_choose(*, item: IntakeItem, choice: Choice) -> None:
    """Keep the curator's choices on the item (so a failed store shows them again)."""
    item.title, item.author, item.published_on = choice.title, choice.author, choice.published_on
    item.language, item.source_name = choice.language, choice.source_name
    item.translated_from, item.original = choice.translated_from, choice.original
    item.drop = sorted(choice.drop)
    item.save(update_fields=[
        "title", "author", "published_on", "language", "source_name", "translated_from",
        "original", "drop", "updated_at",
    ])  # fmt: skip


def intake_store(
    *, user, intake: Intake, choices: dict[int, Choice], refused: dict[int, str] | None = None
) -> list[IntakeItem]:
    """Store the ready items of ``intake`` the curator decided on (``choices``), each in its own
    transaction through ``article_import``; an item that cannot be stored keeps its error and
    stays in the batch, as do the items ``refused`` ({item pk: why}, e.g. an invalid date).
    Returns the items stored now."""
    story = intake.story
    permissions.require_curate(user, story)
    for pk, message in (refused or {}).items():
        IntakeItem.objects.filter(pk=pk, intake=intake).update(error=message)
    if not choices:
        return []
    items = [
        item
        for item in intake.items.filter(status=IntakeItem.Status.READY).order_by("position", "pk")
        if item.pk in choices
    ]
    hashes = dict(Article.objects.filter(story=story).values_list("body_hash", "title"))
    position = (Article.objects.filter(story=story).aggregate(m=Max("position"))["m"] or 0) + 1
    sources = {name.casefold(): name for name in _source_names()}
    story_articles = set(Article.objects.filter(story=story).values_list("pk", flat=True))
    stored: list[IntakeItem] = []
    by_item: dict[int, Article] = {}
    pairs: list[tuple[Article, str]] = []
    for item in items:
        item_choose(item=item, choice=choices[item.pk])
        body = normalize_body(strip_lines(item.text, set(item.drop)))
        error = ""
        if not body:
            error = _("Nothing is left of the text: keep some lines.")
        elif body_hash(body) in hashes:
            error = _("The same text is already in the story (“%(title)s”).") % {
                "title": hashes[body_hash(body)]
            }
        if error:
            _fail(item, error)
            continue
        original = item.original
        translation_of = None
        if original.startswith("a") and original[1:].isdigit() and int(original[1:]) in story_articles:
            translation_of = Article.objects.get(pk=int(original[1:]))
        publisher = item.source_name.strip()
        publisher = sources.get(publisher.casefold(), publisher) or None
        file = ArticleFile(
            name=item.file_name if item.kind == IntakeItem.Kind.FILE else "",
            publisher=publisher,
            fields={
                "title": item.title.strip(), "author": item.author.strip(),
                "published_on": item.published_on, "translated_from": item.translated_from.strip(),
                "translated_from_url": item.translated_from_url, "url": item.url,
                "translation_of": translation_of, "body": body,
                **({"language": item.language} if item.language else {}),
            },
        )  # fmt: skip
        try:
            with transaction.atomic():
                result = article_import(story=story, file=file, position=position, replace=False)
                item.status, item.error, item.article = IntakeItem.Status.STORED, "", result.article
                item.save(update_fields=["status", "error", "article", "updated_at"])
        except ValidationError as exc:
            _fail(item, " ".join(exc.messages))
            continue
        except DatabaseError as exc:  # e.g. "string is too long for tsvector"; rolled back
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            _fail(item, _("The database refused it (%(reason)s).") % {"reason": reason})
            continue
        if publisher:
            sources[publisher.casefold()] = publisher
        hashes[result.article.body_hash] = result.article.title
        position += 1
        stored.append(item)
        by_item[item.pk] = result.article
        if original.startswith("i") and original[1:].isdigit():
            pairs.append((result.article, original))
    for article, original in pairs:
        target = by_item.get(int(original[1:]))
        if target is not None and target.pk != article.pk:
            article_edit(user=user, article=article, translation_of=target, refresh_suggestions=False)
    if stored:
        suggestions_refresh(story=story)
    return stored


def _fail(item: IntakeItem, message: str) -> None:
    item.error = message
    item.save(update_fields=["error", "updated_at"])
