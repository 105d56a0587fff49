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
Single-row selectors (``claim_get``, ``link_get``, ...) load whole rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Func, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.base import ModelState
from django.http import Http404
from django.utils.translation import gettext as _

from articles.models import Article, Story

from teams.selectors import team_ids_for

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


def _visible_q(user: User | None, prefix: str = "") -> Q:
    """Rows (claims, or links with ``prefix=""``) that ``user`` may see: public ones, their own,
    and those of the teams they belong to (any role)."""
    public = Q(**{f"{prefix}visibility": Claim.Visibility.PUBLIC})
    if user is not None and user.is_authenticated:
        return (
            public
            | Q(**{f"{prefix}author_id": user.pk})
            | Q(
                **{
                    f"{prefix}visibility": Claim.Visibility.TEAM,
                    f"{prefix}team_id__in": team_ids_for(user=user),
                }
            )
        )
    return public


def _link_visible_q(user: User | None) -> Q:
    # A link shows only if the link itself and both its claims are visible.
    return _visible_q(user) & _visible_q(user, "claim_a__") & _visible_q(user, "claim_b__")


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
    return _link_visible_q(user) & (
        _layer_q(user, layers) & _layer_q(user, layers, "claim_a__") & _layer_q(user, layers, "claim_b__")
    )


def claims_visible_to(*, user: User | None) -> QuerySet[Claim]:
    """All claims ``user`` may see."""
    return Claim.objects.filter(_visible_q(user))


def links_visible_to(*, user: User | None) -> QuerySet[ClaimLink]:
    """All links ``user`` may see: the link and both its claims are visible to them."""
    return ClaimLink.objects.filter(_link_visible_q(user))


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
        Claim.objects.filter(_visible_q(user), _layer_q(user, layers), article__story=story)
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


@dataclass
class StoryAnnotations:
    """Everything the reader needs about a story's annotations, from a fixed number of queries.

    ``links`` have ``claim_a``/``claim_b`` set to the very objects in ``claims``, so walking from
    a link to either claim, its article, source or author costs nothing. Each claim carries
    ``agrees_count``, ``contradicts_count`` and ``qualifies_count``, counted from ``links``.
    """

    claims: list[Claim]
    links: list[ClaimLink]
    by_id: dict[int, Claim] = field(default_factory=dict)

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


def _instances(queryset, *, skip: tuple[str, ...] = ()):
    """The queryset's rows as model instances, built from ``values_list`` rows.

    Used where a page reads thousands of rows: ``Model.from_db`` costs several times more per
    row than filling the instance's ``__dict__``, which is what it ends up doing. The ``skip``
    columns behave as deferred fields (read from the database if ever touched).
    """
    model = queryset.model
    names = [f.attname for f in model._meta.concrete_fields if f.name not in skip]
    db = queryset.db
    new = model.__new__
    for row in queryset.values_list(*names):
        instance = new(model)
        instance.__dict__.update(zip(names, row))
        state = instance._state = ModelState()
        state.adding, state.db = False, db
        yield instance


def story_annotations(
    *, story: Story, user: User | None = None, layers: Layers = None, articles=None
) -> StoryAnnotations:
    """The story's visible claims and links for the reader, in four queries whatever the counts
    (claims, links, the story's articles with sources, the users who wrote them).

    Articles and users are loaded once and shared by every claim and link, rather than joined
    onto each row: on 1,000 claims and 1,000 links that is 2,000 model instances instead of
    6,000, which is most of the cost of this function.
    """
    # The reader has the story's articles already (pass them in); otherwise load them.
    if articles is None:
        articles = Article.objects.filter(story=story).select_related("source").defer(*_ARTICLE_HEAVY)
    articles = {article.pk: article for article in articles}
    claim_rows = Claim.objects.filter(article__story=story)
    link_rows = ClaimLink.objects.filter(claim_a__article__story=story)
    # Subqueries rather than the ids seen below, so this query runs (and counts) even when empty.
    users = {
        u.pk: u
        for u in get_user_model()
        .objects.filter(
            Q(pk__in=claim_rows.values("author_id")) | Q(pk__in=link_rows.values("author_id"))
        )
        .defer(*_user_defer(""))
    }
    claims = list(
        _instances(
            claim_rows.filter(_visible_q(user), _layer_q(user, layers)).order_by(
                "article_id", "start", "end", "pk"
            ),
            skip=_CLAIM_HEAVY,
        )
    )
    set_article, set_claim_author = (
        Claim.article.field.set_cached_value,
        Claim.author.field.set_cached_value,
    )
    by_id: dict[int, Claim] = {}
    counts: dict[int, dict[str, int]] = {}
    visible = []
    for claim in claims:
        article = articles.get(claim.article_id)
        if article is None:
            continue  # on an article added after the article query: the reader cannot show it
        set_article(claim, article)
        if author := users.get(claim.author_id):  # missing only if created meanwhile: lazy load
            set_claim_author(claim, author)
        by_id[claim.pk] = claim
        counts[claim.pk] = dict.fromkeys(RELATIONS, 0)
        visible.append(claim)
    claims = visible

    set_a, set_b = (
        ClaimLink.claim_a.field.set_cached_value,
        ClaimLink.claim_b.field.set_cached_value,
    )
    set_link_author = ClaimLink.author.field.set_cached_value
    links = []
    # Both claims must be among ``by_id`` (visible, in a shown layer) too: see below.
    visible_links = link_rows.filter(_visible_q(user), _layer_q(user, layers)).order_by(
        "relation", "claim_a__article_id", "claim_a__start", "claim_b__article_id", "pk"
    )
    for link in _instances(visible_links, skip=_LINK_DEFER):
        claim_a, claim_b = by_id.get(link.claim_a_id), by_id.get(link.claim_b_id)
        if claim_a is None or claim_b is None:
            continue  # not visible to ``user`` (or written between the queries)
        set_a(link, claim_a)
        set_b(link, claim_b)
        if author := users.get(link.author_id):
            set_link_author(link, author)
        counts[claim_a.pk][link.relation] += 1
        counts[claim_b.pk][link.relation] += 1
        links.append(link)
    for claim in claims:
        for relation, n in counts[claim.pk].items():
            setattr(claim, f"{relation}_count", n)
    return StoryAnnotations(claims=claims, links=links, by_id=by_id)


def claim_get(*, pk: int | str, user: User | None = None) -> Claim:
    """The claim ``pk`` if ``user`` may see it, with article, story, source and author; else 404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404(_("No such claim.")) from None
    claim = (
        Claim.objects.filter(_visible_q(user), pk=pk)
        .select_related("article__story", "article__source", "author")
        .defer("article__search_vector")
        .first()
    )
    if claim is None:
        raise Http404(_("No such claim."))
    return claim


def claim_get_for_user(*, user: User, pk: int | str) -> Claim:
    """The claim ``pk`` for ``user`` to change or delete.

    Http404 if it does not exist or ``user`` cannot see it (so private claims do not leak);
    PermissionDenied (403) if ``user`` can see it but is not its author.
    """
    claim = claim_get(pk=pk, user=user)
    if not user.is_authenticated or claim.author_id != user.pk:
        raise PermissionDenied(_("You can only change your own claims."))
    return claim


def link_get(*, pk: int | str, user: User | None = None) -> ClaimLink:
    """The link ``pk`` with both claims (and the first claim's story) joined, if ``user`` may see
    both claims; else 404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404(_("No such link.")) from None
    link = (
        links_visible_to(user=user)
        .filter(pk=pk)
        .select_related(*LINK_RELATED, "claim_a__article__story")
        .defer("claim_a__article__search_vector", "claim_b__article__search_vector")
        .first()
    )
    if link is None:
        raise Http404(_("No such link."))
    return link


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
