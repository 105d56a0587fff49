"""Reads for claims and links. Visibility always comes from the rule book (``permissions``).

The reader reads a story's annotations per article, as plain rows (``ClaimRow``, ``LinkRow``),
together with each article's *annotation version*: the id of its newest ``AnnotationChange``,
which database triggers append on every claim and link write. The reader caches what it draws
under those versions (``reader/presenters.py``), so after a write it re-reads only the articles
that changed, and it never shows anything older than the rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from articles.models import Article, Story

from . import permissions
from .models import AnnotationChange, Claim, ClaimLink

#: Columns the reader never needs from an article row (the body is needed: the marks are drawn
#: into it).
ARTICLE_HEAVY = ("search_vector", "created_at", "updated_at")


def claims_visible_to(*, user) -> QuerySet[Claim]:
    """All claims ``user`` may see."""
    return Claim.objects.filter(permissions.visible_q(user))


def links_visible_to(*, user) -> QuerySet[ClaimLink]:
    """All links ``user`` may see: the link and both its claims are visible to them."""
    return ClaimLink.objects.filter(permissions.link_visible_q(user))


#: The oldest transaction still running when a statement started (its snapshot's xmin): every
#: change it could not see was written by this transaction or a later one (reader/rowdelta.py).
SNAPSHOT_XMIN = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"


def story_articles(*, story: Story) -> list[Article]:
    """The story's articles in column order, with their sources, each one's
    ``annotation_version`` (0 before any claim was made on it) and, as ``annotation_snapshot``,
    the snapshot xmin (``SNAPSHOT_XMIN``) those versions were read under. One query."""
    newest = AnnotationChange.objects.filter(article_id=OuterRef("pk")).order_by("-id").values("id")[:1]
    return list(
        Article.objects.filter(story=story)
        .select_related("source")
        .defer(*ARTICLE_HEAVY)
        .annotate(
            annotation_version=Coalesce(Subquery(newest), Value(0)),
            annotation_snapshot=RawSQL(SNAPSHOT_XMIN, ()),
        )
        .order_by("position", "pk")
    )


class ClaimRow(NamedTuple):
    """What the reader draws of a claim (a named tuple: cheap to read, cache and unpickle)."""

    pk: int
    article_id: int
    start: int
    end: int
    exact: str
    status: str
    visibility: str
    team_id: int | None
    author_id: int
    author_name: str


class LinkRow(NamedTuple):
    """A link seen from one of its claims (``claim_id``, in the article it was read for), with
    what the reader needs of the claim at the other end to decide whether the link shows."""

    pk: int
    relation: str
    status: str
    visibility: str
    team_id: int | None
    author_id: int
    claim_id: int
    other_id: int
    other_article_id: int
    other_status: str
    other_visibility: str
    other_team_id: int | None
    other_author_id: int


def _author_name() -> str:
    return f"author__{get_user_model().USERNAME_FIELD}"


def claim_rows(*, article_ids: Iterable[int], user) -> dict[int, list[ClaimRow]]:
    """The claims ``user`` may see in each of ``article_ids``, in offset order. One query."""
    ids = list(article_ids)
    rows: dict[int, list[ClaimRow]] = {pk: [] for pk in ids}
    fields = [name for name in ClaimRow._fields if name != "author_name"]
    found = (
        claims_visible_to(user=user)
        .filter(article_id__in=ids)
        .order_by("article_id", "start", "end", "pk")
        .values_list(*fields, _author_name())
    )
    for values in found:
        row = ClaimRow(*values)
        rows[row.article_id].append(row)
    return rows


_LINK_OWN = ("pk", "relation", "status", "visibility", "team_id", "author_id")
_CLAIM_END = ("id", "article_id", "status", "visibility", "team_id", "author_id")


def link_rows(*, article_ids: Iterable[int], user) -> dict[int, list[LinkRow]]:
    """The links ``user`` may see with a claim in each of ``article_ids``, each seen from that
    claim (a link between two of the articles is listed under both), oldest first. One query."""
    ids = list(article_ids)
    rows: dict[int, list[LinkRow]] = {pk: [] for pk in ids}
    ends = [f"{side}__{name}" for side in ("claim_a", "claim_b") for name in _CLAIM_END]
    found = (
        links_visible_to(user=user)
        .filter(Q(claim_a__article_id__in=ids) | Q(claim_b__article_id__in=ids))
        .order_by("pk")
        .values_list(*_LINK_OWN, *ends)
    )
    n = len(_LINK_OWN)
    for values in found:
        own, a, b = values[:n], values[n : n + 6], values[n + 6 :]
        for this, other in ((a, b), (b, a)):
            if this[1] in rows:
                rows[this[1]].append(LinkRow(*own, this[0], other[0], *other[1:]))
    return rows
