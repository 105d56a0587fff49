"""Writes for the newsroom: editing an article (its claims follow their words) and importing
article files.

An article's text cannot change on its own: every claim on it stores offsets into that text. So
``article_edit`` is the one way to change a stored article. It checks, then in one transaction
locks the article, plans where each claim's words went (``textkernel.anchoring``), moves or
orphans the claims, saves the text, records one history event per claim it moved or orphaned and
has the story's suggested connections recomputed once the edit is committed.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from activity.services import new_event, record_events, snapshot
from annotations import permissions
from annotations.models import CLAIM_MAX_CHARS, Claim
from articles import services as article_services
from articles.models import Article, Story
from articles.services import ArticleMeta
from suggestions.services import schedule_refresh
from textkernel.anchoring import FUZZY, KEPT, MOVED, ORPHANED, Plan, orphan_anchor, plan_reanchor
from textkernel.text import body_hash, normalize_body

from .selectors import article_claims

#: Article fields an edit may change. The story stays (claims and links belong to it), the file
#: name identifies the import, and the hash follows the body.
EDITABLE_FIELDS = frozenset(
    {
        "source", "position", "title", "author", "published_on", "language", "translated_from",
        "translated_from_url", "translation_of", "url", "body",
    }
)  # fmt: skip
#: Claim fields that anchoring writes. Changing any of the first six changes what readers see,
#: so it moves the claim's version (editors' optimistic concurrency); a new hash alone does not.
_ANCHOR_FIELDS = ("start", "end", "exact", "prefix", "suffix", "status", "body_hash")
#: What a re-anchoring event records of a claim before and after: where it is and what it says
#: (its note and tags do not change, and a thousand moved claims make a thousand events).
_SNAPSHOT_FIELDS = ("id", "article_id", "author_id", "start", "end", "exact", "status", "version")
#: History verbs: a claim followed its words to new offsets or changed words; a claim whose words
#: are gone and waits for a curator.
REANCHORED, ORPHANED_VERB = "reanchored", "orphaned"


@dataclass(frozen=True)
class ArticleEdit:
    """What one edit did: the saved article and where each of its claims went."""

    article: Article
    plan: Plan

    @property
    def moved(self) -> int:
        return self.plan.count(MOVED) + self.plan.count(FUZZY)

    @property
    def orphaned(self) -> int:
        return self.plan.count(ORPHANED)


def _require_editor(user, story: Story) -> None:
    """Editing an article's text moves the claims on it: curators of the story only.

    ``user=None`` is the operator at the shell (the import commands), who owns the database.
    """
    if user is not None:
        permissions.require_curate(user, story)


def article_edit(
    *, user, article: Article, refresh_suggestions: bool = True, **fields: Any
) -> ArticleEdit:
    """Change ``fields`` of ``article``; a new body moves or orphans its claims. One transaction.

    ``user`` must curate the story (``None``: a management command). ValidationError for bad
    values (nothing is written); TypeError for a field that cannot be edited. The caller's
    ``article`` is updated too. ``refresh_suggestions=False`` leaves the suggestions to the caller
    (an import refreshes once for all its files).
    """
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"article_edit() cannot change {', '.join(sorted(unknown))}")
    _require_editor(user, article.story)
    edited = copy.copy(article)
    for name, value in fields.items():
        setattr(edited, name, value)
    if "body" in fields:
        edited.body = normalize_body(edited.body if isinstance(edited.body, str) else "")
        if not edited.body:
            raise ValidationError({"body": _("The article text cannot be empty.")}, code="empty")
        edited.body_hash = body_hash(edited.body)
    edited.full_clean(exclude=["search_vector"])

    written = [*fields, "updated_at"] + (["body_hash"] if "body" in fields else [])
    with transaction.atomic():
        old_body = (
            Article.objects.select_for_update()
            .filter(pk=article.pk)
            .values_list("body", flat=True)
            .first()
        )
        if old_body is None:
            raise ValidationError(_("This article has been deleted meanwhile."), code="gone")
        plan = Plan()
        text_changed = "body" in fields and old_body != edited.body
        if text_changed:
            plan = _claims_reanchor(
                user=user, article=edited, old_body=old_body, story=article.story
            )
        edited.save(update_fields=written)
        if refresh_suggestions and text_changed:
            suggestions_refresh(story=article.story)
    for name in written:
        setattr(article, name, getattr(edited, name))
    return ArticleEdit(article=article, plan=plan)


def _claims_reanchor(*, user, article: Article, old_body: str, story: Story) -> Plan:
    """Move, adjust or orphan ``article``'s claims for its new body (``article.body``), and record
    an event for each claim moved or orphaned. Inside ``article_edit``'s transaction."""
    claims = article_claims(article_id=article.pk, lock=True)
    if not claims:
        return Plan()
    plan = plan_reanchor(
        old_body=old_body, new_body=article.body, claims=claims, max_span=CLAIM_MAX_CHARS
    )
    taken: set[tuple[int, int, int]] = set()
    writes = _ClaimWrites(body_hash=article.body_hash)
    events = []
    for index, (claim, anchor) in enumerate(zip(claims, plan.anchors, strict=True)):
        if anchor.found and (claim.author_id, anchor.start, anchor.end) in taken:
            # Two of one author's claims landed on one span: keep the first, orphan the other
            # rather than break the one-active-claim-per-span rule.
            anchor = plan.anchors[index] = orphan_anchor(claim)
        was = tuple(getattr(claim, name) for name in _ANCHOR_FIELDS)
        if anchor.found:
            taken.add((claim.author_id, anchor.start, anchor.end))
            now = (anchor.start, anchor.end, anchor.exact, anchor.prefix, anchor.suffix,
                   Claim.Status.ACTIVE, article.body_hash)  # fmt: skip
        else:
            now = (*was[:5], Claim.Status.ORPHANED, was[6])
        if now == was:
            continue
        # Kept words in the same place are no news (only their context or the hash changed).
        eventful = anchor.outcome != KEPT or was[5] != now[5]
        before = snapshot(claim, _SNAPSHOT_FIELDS) if eventful else None
        writes.add(claim, was, now)
        if eventful:
            events.append(new_event(
                actor=user, verb=ORPHANED_VERB if anchor.outcome == ORPHANED else REANCHORED,
                obj=claim, story=story, before=before,
                after=snapshot(claim, _SNAPSHOT_FIELDS) | {"anchoring": anchor.outcome},
            ))  # fmt: skip
    writes.save()
    record_events(events)
    return plan


class _ClaimWrites:
    """The new anchors of an article's claims, written in few statements through the ORM.

    Most claims of an edit change alike: those before the edit keep their place (a new body hash
    only), those after it shift by the edit's length. Each such group is one ``UPDATE``; only
    claims that changed otherwise (new words or context, orphaned) are written one by one.
    ``bulk_update`` was measured ~20x slower for 1,000 claims: it builds a ``CASE WHEN`` per row
    and field, in Python and again in Postgres.
    """

    def __init__(self, *, body_hash: str) -> None:
        self.body_hash = body_hash
        self.moment = timezone.now()
        self.rehashed: list[int] = []
        self.shifted: dict[int, list[int]] = defaultdict(list)
        self.orphaned: list[int] = []
        self.others: list[Claim] = []

    def add(self, claim: Claim, was: tuple, now: tuple) -> None:
        """Set ``claim``'s anchor fields (in ``_ANCHOR_FIELDS`` order) from ``was`` to ``now``."""
        for name, value in zip(_ANCHOR_FIELDS, now, strict=True):
            setattr(claim, name, value)
        claim.updated_at = self.moment
        if now[:6] == was[:6]:
            self.rehashed.append(claim.pk)
            return
        claim.version += 1  # what readers see changed (editors' optimistic concurrency)
        delta = now[0] - was[0]
        if now[2:5] == was[2:5] and now[1] - was[1] == delta and now[5] == Claim.Status.ACTIVE:
            self.shifted[delta].append(claim.pk)
        elif now[:5] == was[:5]:
            self.orphaned.append(claim.pk)
        else:
            self.others.append(claim)

    def save(self) -> None:
        moving = [pk for pks in self.shifted.values() for pk in pks] + self.orphaned
        moving += [claim.pk for claim in self.others]
        # Park the moving claims outside the partial unique index first: an UPDATE checks
        # uniqueness row by row, so claim A moving onto the span claim B is leaving would
        # otherwise collide half-way.
        if moving:
            Claim.objects.filter(pk__in=moving).update(status=Claim.Status.ORPHANED)
        stamp = {"body_hash": self.body_hash, "updated_at": self.moment}
        if self.rehashed:
            Claim.objects.filter(pk__in=self.rehashed).update(**stamp)
        for delta, pks in self.shifted.items():
            Claim.objects.filter(pk__in=pks).update(
                start=F("start") + delta, end=F("end") + delta, status=Claim.Status.ACTIVE,
                version=F("version") + 1, **stamp,
            )  # fmt: skip
        if self.orphaned:
            Claim.objects.filter(pk__in=self.orphaned).update(
                version=F("version") + 1, updated_at=self.moment
            )
        for claim in self.others:
            Claim.objects.filter(pk=claim.pk).update(
                **{name: getattr(claim, name) for name in _ANCHOR_FIELDS},
                version=claim.version, updated_at=self.moment,
            )  # fmt: skip


def suggestions_refresh(*, story: Story) -> None:
    """Recompute the story's suggested connections in the background once this commits
    (``schedule_refresh`` starts the work on commit), unless the site turned that off."""
    if settings.SUGGESTIONS_AUTO_REFRESH:
        schedule_refresh(story=story)


# --- importing files -------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    article: Article
    action: str  # "created", "updated" or "unchanged"
    warnings: tuple[str, ...] = ()


def article_import_text(
    *, story: Story, name: str, data: bytes, meta: ArticleMeta | None = None, position: int = 0
) -> ImportResult:
    """Create the article imported from file ``name`` in ``story``, or bring the one imported
    before up to date through ``article_edit`` (its claims follow the new text); idempotent.
    Suggestions are left to the caller."""
    file = article_services.article_file_read(name=name, data=data, meta=meta)
    return article_import(story=story, file=file, position=position)


def article_import(
    *, story: Story, file: article_services.ArticleFile, position: int = 0, replace: bool = True
) -> ImportResult:
    """Store the article read from ``file`` in ``story`` in one transaction (NFC, ``\\n``, the
    body hash: ``articles.services.article_create``), or bring the one imported from the same
    file name up to date through ``article_edit``. ``replace=False`` refuses a file name the story
    already has; a blank name always makes a new article. Suggestions are left to the caller."""
    name = file.name
    warnings = list(file.warnings)
    try:
        with transaction.atomic():
            source = (
                article_services.source_get_or_create(name=file.publisher, language=story.language)
                if file.publisher
                else None
            )
            fields = {
                "source": source, "language": story.language, "position": position, **file.fields,
            }  # fmt: skip
            existing = (
                Article.objects.select_for_update().filter(story=story, file_name=name).first()
                if name
                else None
            )
            if existing is not None and not replace:
                raise ValidationError(
                    _("The story already has an article from a file named %(name)s.")
                    % {"name": name},
                    code="duplicate_name",
                )
            if existing is None:
                article = article_services.article_create(story=story, file_name=name, **fields)
                return ImportResult(article=article, action="created", warnings=tuple(warnings))
            if all(getattr(existing, key) == value for key, value in fields.items()):
                return ImportResult(article=existing, action="unchanged", warnings=tuple(warnings))
            edit = article_edit(
                user=None, article=existing, refresh_suggestions=False, **fields
            )
    except ValidationError as exc:
        if not name:
            raise
        raise ValidationError([f"{name}: {message}" for message in exc.messages]) from exc
    if edit.orphaned:
        warnings.append(
            f"{name}: {edit.orphaned} claim(s) orphaned: their words are no longer in the text; "
            "curators can re-attach or dismiss them."
        )
    return ImportResult(article=existing, action="updated", warnings=tuple(warnings))


# --- arranging a story's articles --------------------------------------------------------------


def article_move(*, user, article: Article, step: int) -> None:
    """Move ``article`` one column left (``step=-1``) or right (``+1``) in its story's default
    order; the story's positions are renumbered 0, 1, 2… on the way."""
    _require_editor(user, article.story)
    if step not in (-1, 1):
        raise ValidationError(_("An article moves one place at a time."), code="step")
    with transaction.atomic():
        order = list(
            Article.objects.select_for_update()
            .filter(story_id=article.story_id)
            .order_by("position", "pk")
            .values_list("pk", flat=True)
        )
        index = order.index(article.pk)
        other = index + step
        if 0 <= other < len(order):
            order[index], order[other] = order[other], order[index]
        for position, pk in enumerate(order):
            Article.objects.filter(pk=pk).exclude(position=position).update(position=position)


def article_remove(*, user, article: Article) -> None:
    """Delete ``article`` with its claims and their links (the caller asked the curator first
    when it had claims); the story's suggestions are recomputed."""
    _require_editor(user, article.story)
    with transaction.atomic():
        Article.objects.filter(pk=article.pk).delete()
        suggestions_refresh(story=article.story)


def article_trim(*, user, article: Article, drop: set[int]) -> ArticleEdit:
    """Drop the lines ``drop`` (indices into ``article.body``'s lines) through ``article_edit``,
    so the claims follow their words."""
    from textkernel.boilerplate import strip_lines

    return article_edit(user=user, article=article, body=strip_lines(article.body, drop))
