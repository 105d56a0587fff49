"""Reads for claims and links. Selectors own the query shape: each runs a fixed number of queries
whatever the number of rows, with the related rows the reader templates touch already joined.

Visibility: a claim or link is visible to everyone if public, to its author, and if ``team`` to
the members of its team (any role). A link is visible when it and both its claims are. Pass
``user`` (``None`` or anonymous means "someone not logged in").

Story-wide selectors (``claims_for_story``, ``links_for_story``, ``story_annotations``) load only
the columns the reader shows: bodies, search vectors, passwords and timestamps are deferred
(see ``_claim_defer``): on 1,000 rows they cost more than everything else together (Django's
timestamptz loader alone takes ~10 µs a value). Reading a deferred field from those rows costs
one query per row, which the pinned query counts in the view tests would catch.
Single rows are looked up through ``permissions.claim_access`` / ``link_access``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    BigIntegerField,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce, Concat
from django.db.models.base import ModelState

from articles.models import Article, Story

from . import permissions
from .models import Claim, ClaimLink

User = AbstractBaseUser | AnonymousUser

RELATIONS: tuple[str, ...] = tuple(ClaimLink.Relation.values)

#: Related rows every claim needs in the reader and panels (quote, column label, author name).
CLAIM_RELATED = ("article", "article__source", "author")
#: ... and every link in the Connections panel (both quotes with their columns, the link author).
LINK_RELATED = (
    "author",
    "claim_a__author",
    "claim_a__article__source",
    "claim_b__author",
    "claim_b__article__source",
)

_ARTICLE_HEAVY = ("body", "search_vector", "created_at", "updated_at")
_USER_HEAVY = ("password", "last_login", "date_joined")
_CLAIM_HEAVY = ("created_at", "updated_at")


def _user_defer(prefix: str) -> list[str]:
    """Deferrable user columns (checked, since the user model is swappable)."""
    names = {f.name for f in get_user_model()._meta.concrete_fields}
    return [f"{prefix}{name}" for name in _USER_HEAVY if name in names]


def _claim_defer(prefix: str = "") -> list[str]:
    """Columns to defer on a claim reached through ``prefix`` with its article and author."""
    return [
        *(f"{prefix}{name}" for name in _CLAIM_HEAVY),
        *(f"{prefix}article__{name}" for name in _ARTICLE_HEAVY),
        *_user_defer(f"{prefix}author__"),
    ]


_LINK_DEFER = ("created_at", "updated_at")


#: Layers: ``"mine"``, ``"public"`` and ``"team:<id>"``; ``None`` means every layer.
Layers = frozenset[str] | None


def parse_layers(*, user: User | None, value: str | None) -> Layers:
    """The reader's ``layers`` URL parameter (comma-separated) as a set; None when absent.

    Unknown names are dropped. A team layer the user does not belong to selects nothing extra,
    because visibility is applied as well, so a forged team id shows nothing.
    """
    if value is None:
        return None
    names = set()
    for raw in value.split(",")[:50]:
        raw = raw.strip()
        if raw in ("mine", "public") or (raw.startswith("team:") and raw[5:].isdigit()):
            names.add(raw)
    return frozenset(names)


def _layer_q(user: User | None, layers: Layers, prefix: str = "") -> Q:
    """Rows in one of ``layers`` (every row when ``layers`` is None)."""
    if layers is None:
        return Q()
    q = Q(pk__in=[])
    for layer in layers:
        if layer == "public":
            q |= Q(**{f"{prefix}visibility": Claim.Visibility.PUBLIC})
        elif layer == "mine" and user is not None and user.is_authenticated:
            q |= Q(**{f"{prefix}author_id": user.pk})
        elif layer.startswith("team:"):
            q |= Q(
                **{f"{prefix}visibility": Claim.Visibility.TEAM, f"{prefix}team_id": int(layer[5:])}
            )
    return q


def _shown_link_q(user: User | None, layers: Layers) -> Q:
    return permissions.link_visible_q(user) & (
        _layer_q(user, layers) & _layer_q(user, layers, "claim_a__") & _layer_q(user, layers, "claim_b__")
    )


def claims_visible_to(*, user: User | None) -> QuerySet[Claim]:
    """All claims ``user`` may see."""
    return Claim.objects.filter(permissions.visible_q(user))


def links_visible_to(*, user: User | None) -> QuerySet[ClaimLink]:
    """All links ``user`` may see: the link and both its claims are visible to them."""
    return ClaimLink.objects.filter(permissions.link_visible_q(user))


def _link_count(relation: str, user: User | None, layers: Layers = None) -> Coalesce:
    # A correlated COUNT per relation, rather than Count() over two reverse joins, which would
    # multiply rows (links_as_a x links_as_b) before counting.
    links = (
        ClaimLink.objects.filter(_shown_link_q(user, layers))
        .filter(Q(claim_a=OuterRef("pk")) | Q(claim_b=OuterRef("pk")), relation=relation)
        .order_by()
        .annotate(n=Func("pk", function="COUNT"))
        .values("n")
    )
    return Coalesce(Subquery(links, output_field=IntegerField()), Value(0))


def _story_claims(*, story: Story, user: User | None, layers: Layers = None) -> QuerySet[Claim]:
    return (
        Claim.objects.filter(permissions.visible_q(user), _layer_q(user, layers), article__story=story)
        .select_related(*CLAIM_RELATED)
        .defer(*_claim_defer())
        .order_by("article_id", "start", "end", "pk")
    )


def claims_for_story(
    *, story: Story, user: User | None = None, layers: Layers = None
) -> QuerySet[Claim]:
    """The story's visible claims, by article then offset, with article, source and author joined.

    Each claim carries ``agrees_count``, ``contradicts_count`` and ``qualifies_count`` (visible
    links only). One query. (``story_annotations`` gets the same counts for free if the links
    are needed anyway.)
    """
    return _story_claims(story=story, user=user, layers=layers).annotate(
        **{f"{relation}_count": _link_count(relation, user, layers) for relation in RELATIONS}
    )


def links_for_story(
    *, story: Story, relation: str | None = None, user: User | None = None, layers: Layers = None
) -> QuerySet[ClaimLink]:
    """The story's visible links (optionally one relation), with both claims, their articles,
    sources and authors, and the link's author joined. One query.

    Ordered by relation, then by the first claim's position. An unknown ``relation`` gives no
    links rather than an error (it comes from a URL filter).
    """
    links = ClaimLink.objects.filter(_shown_link_q(user, layers), claim_a__article__story=story)
    if relation is not None:
        links = links.filter(relation=relation)
    return (
        links.select_related(*LINK_RELATED)
        .defer(
            *_LINK_DEFER,
            *_user_defer("author__"),
            *_claim_defer("claim_a__"),
            *_claim_defer("claim_b__"),
        )
        .order_by("relation", "claim_a__article_id", "claim_a__start", "claim_b__article_id", "pk")
    )


# --- the reader's bulk read: rows, their version, and instances built from them -----------------
#
# A story with a thousand claims and links is read as plain rows (``values_list`` tuples): cheap
# to fetch, to cache, and to build model instances from only where a page needs them. With the
# rows comes their version: the count and the sum of a 64-bit hash per row of the row's ``xmin``
# and ``ctid`` (the transaction that wrote that version of the row, and where it lies), its id
# and its author's name, computed by PostgreSQL in the same statement that reads the rows. Any
# insert, update or delete of a claim or link, by any code path (services, admin, bulk updates,
# raw SQL), changes some row's pair, and PostgreSQL never gives two versions of a row the same
# pair while either can be seen; a rename changes the name. ``annotation_version`` computes the
# same figure in one query without reading the rows (a few ms per thousand rows, no sort): equal
# versions mean equal rows (but for a 64-bit hash collision), which lets the reader reuse what it
# drew from them before (``presenters.reader_annotations``).

_ROW_HASH = "_row_hash"
_VERSION_TOTAL = "_version_total"


def _names(model, skip: tuple[str, ...]) -> list[str]:
    """Attribute names of ``model``'s columns but ``skip``, primary key first."""
    pk = model._meta.pk.attname
    names = [f.attname for f in model._meta.concrete_fields if f.name not in skip]
    return [pk] + [name for name in names if name != pk]


#: The columns of claim and link rows (then the author's name). The context around a claim's
#: quote (prefix, suffix, the body's hash) is for re-anchoring and export, not for the reader.
CLAIM_FIELDS = _names(Claim, (*_CLAIM_HEAVY, "prefix", "suffix", "body_hash"))
LINK_FIELDS = _names(ClaimLink, _LINK_DEFER)
#: Where each field is in those rows.
CLAIM_AT = {name: i for i, name in enumerate(CLAIM_FIELDS)}
LINK_AT = {name: i for i, name in enumerate(LINK_FIELDS)}


def _author_name() -> str:
    return f"author__{get_user_model().USERNAME_FIELD}"


def _row_hash(queryset: QuerySet) -> Func:
    """hashtextextended(xmin || ctid || ':' || author name, id): one row version, one bigint."""
    table = connections[queryset.db].ops.quote_name(queryset.model._meta.db_table)
    where = RawSQL(f"{table}.xmin::text || {table}.ctid::text", (), output_field=TextField())
    text = Concat(where, Value(":"), F(_author_name()), output_field=TextField())
    return Func(text, F("pk"), function="hashtextextended", output_field=BigIntegerField())


def _row_querysets(*, story: Story, user: User | None, layers: Layers) -> tuple[QuerySet, QuerySet]:
    """The claims ``user`` may see in ``layers``, and the links ditto (their claims are checked
    against those claims in Python), each row with its hash."""
    shown = (permissions.visible_q(user), _layer_q(user, layers))
    querysets = (
        Claim.objects.filter(*shown, article__story=story),
        ClaimLink.objects.filter(*shown, claim_a__article__story=story),
    )
    return tuple(qs.annotate(**{_ROW_HASH: _row_hash(qs)}) for qs in querysets)


def _version_part(count: int, total: str) -> str:
    return f"{count}:{total}"


_VERSION_SQL = "(SELECT count(*)::text || ':' || coalesce(sum(t.h), 0)::text FROM ({}) AS t(h))"


@dataclass(frozen=True)
class AnnotationRows:
    """A story's annotations as one user may see them, as plain rows.

    ``claims`` maps pk to row (``CLAIM_FIELDS``, then the author's name), in offset order:
    article, start, end, pk. ``links`` (``LINK_FIELDS``, then the author's name) are the visible
    links whose claims are both in ``claims``, in panel order: relation, then the first claim's
    column and offset, the second claim's column, pk. ``version`` identifies the row versions
    read: two ``AnnotationRows`` with the same version hold the same rows.
    """

    version: str
    claims: dict[int, tuple]
    links: tuple[tuple, ...]


def annotation_rows(
    *, story: Story, user: User | None = None, layers: Layers = None
) -> AnnotationRows:
    """The story's claims and links ``user`` may see in ``layers``, as rows. Two queries
    whatever the counts."""
    # The total as text: one value, but on every row, where a numeric would be converted each time.
    author, total = _author_name(), Cast(Window(Sum(_ROW_HASH)), output_field=TextField())
    claims_qs, links_qs = (
        queryset.annotate(**{_VERSION_TOTAL: total})
        for queryset in _row_querysets(story=story, user=user, layers=layers)
    )
    claim_rows = list(
        claims_qs.order_by("article_id", "start", "end", "pk").values_list(
            *CLAIM_FIELDS, author, _VERSION_TOTAL
        )
    )
    link_rows = list(links_qs.order_by().values_list(*LINK_FIELDS, author, _VERSION_TOTAL))
    version = "-".join(
        _version_part(len(rows), rows[0][-1] if rows else "0") for rows in (claim_rows, link_rows)
    )

    claims = {row[0]: row[:-1] for row in claim_rows}
    a, b, relation = LINK_AT["claim_a_id"], LINK_AT["claim_b_id"], LINK_AT["relation"]
    article, start = CLAIM_AT["article_id"], CLAIM_AT["start"]
    # A link shows only if it and both its claims are visible (and in a shown layer).
    links = [row[:-1] for row in link_rows if row[a] in claims and row[b] in claims]
    links.sort(
        key=lambda row: (
            row[relation],
            claims[row[a]][article],
            claims[row[a]][start],
            claims[row[b]][article],
            row[0],
        )
    )
    return AnnotationRows(version=version, claims=claims, links=tuple(links))


def annotation_version(*, story: Story, user: User | None = None, layers: Layers = None) -> str:
    """``annotation_rows(...).version`` for the rows as they are now, in one query that reads no
    rows."""
    parts, params = [], []
    for queryset in _row_querysets(story=story, user=user, layers=layers):
        try:
            sql, part_params = queryset.order_by().values_list(_ROW_HASH).query.sql_with_params()
        except EmptyResultSet:  # e.g. no layer shown: nothing to read, as annotation_rows finds
            parts.append(f"'{_version_part(0, '0')}'")
            continue
        parts.append(_VERSION_SQL.format(sql))
        params.extend(part_params)
    with connections[Claim.objects.db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        return "-".join(cursor.fetchone())


def _instance(model, names: list[str], row: tuple, db: str):
    """A model instance from a ``values_list`` row: ``Model.from_db`` costs several times more
    per row than filling ``__dict__``, which is what it ends up doing. Columns not in ``names``
    behave as deferred fields (read from the database if ever touched)."""
    instance = model.__new__(model)
    instance.__dict__.update(zip(names, row))
    state = instance._state = ModelState()
    state.adding, state.db = False, db
    return instance


class AnnotationObjects:
    """Model instances for ``AnnotationRows``, built when first asked for and kept: a claim with
    its article (from ``articles``) and author, a link with both claims and its author (users
    carry their primary key and name; other fields load if touched). No queries. A claim on an
    article not in ``articles`` (added since they were read) has no place on the page:
    ``claim()`` gives None for it, and ``link()`` for its links.
    """

    def __init__(self, rows: AnnotationRows, articles: dict[int, Article]):
        self.rows, self.articles = rows, articles
        self._db = Claim.objects.db
        user_model = get_user_model()
        self._user_fields = [user_model._meta.pk.attname, user_model.USERNAME_FIELD]
        self._users: dict[int, AbstractBaseUser] = {}
        self._claims: dict[int, Claim | None] = {}
        self._links: dict[int, ClaimLink | None] = {}

    def _author(self, instance, descriptor, name: str) -> None:
        pk = instance.author_id
        user = self._users.get(pk)
        if user is None:
            user = _instance(get_user_model(), self._user_fields, (pk, name), self._db)
            self._users[pk] = user
        descriptor.field.set_cached_value(instance, user)

    def claim(self, pk: int | None) -> Claim | None:
        if pk in self._claims:
            return self._claims[pk]
        row = self.rows.claims.get(pk)
        article = self.articles.get(row[CLAIM_AT["article_id"]]) if row else None
        claim = None
        if article is not None:
            claim = _instance(Claim, CLAIM_FIELDS, row, self._db)
            Claim.article.field.set_cached_value(claim, article)
            self._author(claim, Claim.author, row[-1])
        self._claims[pk] = claim
        return claim

    def link(self, index: int) -> ClaimLink | None:
        """The link ``rows.links[index]``, or None if either claim has no place on the page."""
        if index in self._links:
            return self._links[index]
        row = self.rows.links[index]
        link = _instance(ClaimLink, LINK_FIELDS, row, self._db)
        claim_a, claim_b = self.claim(link.claim_a_id), self.claim(link.claim_b_id)
        if claim_a is None or claim_b is None:
            link = None
        else:
            ClaimLink.claim_a.field.set_cached_value(link, claim_a)
            ClaimLink.claim_b.field.set_cached_value(link, claim_b)
            self._author(link, ClaimLink.author, row[-1])
        self._links[index] = link
        return link


@dataclass
class StoryAnnotations:
    """Every visible claim and link of a story as instances, from a fixed number of queries.

    ``links`` have ``claim_a``/``claim_b`` set to the very objects in ``claims``, so walking from
    a link to either claim, its article, source or author costs nothing. Each claim carries
    ``agrees_count``, ``contradicts_count`` and ``qualifies_count``, counted from ``links``.
    """

    claims: list[Claim]
    links: list[ClaimLink]
    by_id: dict[int, Claim] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: AnnotationRows, articles: dict[int, Article]) -> StoryAnnotations:
        objects = AnnotationObjects(rows, articles)
        claims = [claim for pk in rows.claims if (claim := objects.claim(pk)) is not None]
        links = [objects.link(index) for index in range(len(rows.links))]
        links = [link for link in links if link is not None]
        counts = {claim.pk: dict.fromkeys(RELATIONS, 0) for claim in claims}
        for link in links:
            counts[link.claim_a_id][link.relation] += 1
            counts[link.claim_b_id][link.relation] += 1
        for claim in claims:
            for relation, n in counts[claim.pk].items():
                setattr(claim, f"{relation}_count", n)
        return cls(claims=claims, links=links, by_id={claim.pk: claim for claim in claims})

    def claims_by_article(self) -> dict[int, list[Claim]]:
        """Claims per article id, each list in offset order (for ``render_paragraphs``)."""
        grouped: dict[int, list[Claim]] = {}
        for claim in self.claims:
            grouped.setdefault(claim.article_id, []).append(claim)
        return grouped

    def links_by_relation(self) -> dict[str, list[ClaimLink]]:
        grouped: dict[str, list[ClaimLink]] = {relation: [] for relation in RELATIONS}
        for link in self.links:
            grouped[link.relation].append(link)
        return grouped

    def connections(self, claim_id: int) -> dict[str, list[LinkedClaim]]:
        """The claims linked to ``claim_id``, grouped by relation (no queries)."""
        return group_links(claim_id=claim_id, links=self.links)


def story_annotations(
    *, story: Story, user: User | None = None, layers: Layers = None, articles=None
) -> StoryAnnotations:
    """The story's visible claims and links as instances, in three queries whatever the counts
    (the story's articles with sources, unless passed in; claims; links).

    Articles and authors are built once and shared by every claim and link rather than joined
    onto each row: on 1,000 claims and 1,000 links that is 2,000 model instances, not 6,000.
    """
    if articles is None:
        articles = Article.objects.filter(story=story).select_related("source").defer(*_ARTICLE_HEAVY)
    rows = annotation_rows(story=story, user=user, layers=layers)
    return StoryAnnotations.from_rows(rows, {article.pk: article for article in articles})


@dataclass(frozen=True)
class LinkedClaim:
    """One link seen from one of its claims: the link and the claim at the other end."""

    link: ClaimLink
    claim: Claim

    @property
    def relation(self) -> str:
        return self.link.relation


@dataclass(frozen=True)
class ClaimConnections:
    """A claim's links grouped by relation, in the order agrees, contradicts, qualifies."""

    claim: Claim
    by_relation: dict[str, list[LinkedClaim]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(len(items) for items in self.by_relation.values())

    def counts(self) -> dict[str, int]:
        return {relation: len(items) for relation, items in self.by_relation.items()}

    def claim_ids(self) -> set[int]:
        """Ids of every linked claim (to highlight them in the other columns)."""
        return {item.claim.pk for items in self.by_relation.values() for item in items}


def group_links(*, claim_id: int, links: Iterable[ClaimLink]) -> dict[str, list[LinkedClaim]]:
    """Group already-loaded ``links`` touching ``claim_id`` by relation, each group in column
    then offset order. No queries if the links' claims are loaded (``links_for_story``,
    ``story_annotations``)."""
    grouped: dict[str, list[LinkedClaim]] = {relation: [] for relation in RELATIONS}
    for link in links:
        if claim_id == link.claim_a_id:
            grouped[link.relation].append(LinkedClaim(link=link, claim=link.claim_b))
        elif claim_id == link.claim_b_id:
            grouped[link.relation].append(LinkedClaim(link=link, claim=link.claim_a))
    for items in grouped.values():
        items.sort(key=lambda item: (item.claim.article_id, item.claim.start, item.claim.pk))
    return grouped


def claim_connections(*, claim: Claim, user: User | None = None) -> ClaimConnections:
    """The claims linked to ``claim`` (visible to ``user``), grouped by relation. One query."""
    links = (
        links_visible_to(user=user)
        .filter(Q(claim_a=claim) | Q(claim_b=claim))
        .select_related(*LINK_RELATED)
        .defer("claim_a__article__search_vector", "claim_b__article__search_vector")
    )
    return ClaimConnections(claim=claim, by_relation=group_links(claim_id=claim.pk, links=links))
