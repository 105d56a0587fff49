"""What the reader shows of a story's annotations: each column's text with its marks, the claim
panel and the Connections panel.

Caching, in words: every claim or link write appends an ``AnnotationChange`` for the articles it
touches (database triggers), and an article's *version* is its newest change. Everything the
reader draws is cached under the versions it was drawn from, together with who was looking
(anonymous, or a person and their teams: visibility differs) and the view (layers, the
"only" filter, which columns are shown, the language):

1. each article's rows (its visible claims, and the visible links touching it), so after a write
   only the articles it touched are read again (two queries for all of them);
2. the story's index built from those rows (counts, neighbours, the summary), and
3. each column's marked-up text.

A repeat view with nothing selected reads one cache entry per column plus the index: no query
beyond the story and its articles (with their versions). Panels load the few claims and links
they show as ordinary model instances.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.cache import caches
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from annotations import permissions
from annotations.models import RELATION_ICONS, Claim, ClaimLink
from annotations.selectors import ClaimRow, LinkRow, claim_rows, link_rows
from curation.selectors import attach_verdicts
from textkernel.params import parse_id

from . import layers as reader_layers
from .marks import MarkStyle, draw_column

#: The cache (settings.CACHES) and how long an unused entry is kept, in seconds.
READER_CACHE = "default"
READER_CACHE_SECONDS = 600
#: Stands in for a claim id in a reader URL built once and filled in per claim.
_CLAIM_SLOT = "__claim__"


@dataclass
class RenderedParagraph:
    start: int
    html: SafeString


@dataclass
class LinkView:
    link: ClaimLink
    other: Claim
    relation: str
    icon: str
    url: str
    can_edit: bool


@dataclass
class ConnectionEntry:
    link: ClaimLink
    url_a: str
    url_b: str


@dataclass
class ConnectionGroup:
    relation: str
    icon: str
    entries: list[ConnectionEntry]


@dataclass
class ReaderAnnotations:
    paragraphs: dict[int, list[RenderedParagraph]]
    selected: Claim | None = None
    selected_links: list[LinkView] = field(default_factory=list)
    link_target: Claim | None = None
    only: str = ""
    panel: str = ""
    connection_groups: list[ConnectionGroup] = field(default_factory=list)
    link_count: int = 0
    claim_count: int = 0
    related_ids: frozenset[int] = frozenset()
    can_edit_selected: bool = False
    cancel_link_url: str = ""


@dataclass(frozen=True)
class ArticleRows:
    """One article's visible claims and the visible links touching it (cached per version)."""

    claims: tuple[ClaimRow, ...]
    links: tuple[LinkRow, ...]


@dataclass(frozen=True)
class StoryIndex:
    """What the reader draws from a story's rows, for one viewer and view: per shown column its
    active claims in the shown layers, in offset order; the links between them; per claim its
    link counts and its neighbours ``(link id, other claim id)``."""

    claims: dict[int, ClaimRow]
    by_article: dict[int, tuple[int, ...]]
    links: dict[int, LinkRow]
    counts: dict[int, dict[str, int]]
    neighbours: dict[int, tuple[tuple[int, int], ...]]

    @classmethod
    def build(cls, rows: dict[int, ArticleRows], *, layers, user_id) -> StoryIndex:
        def shown(row) -> bool:
            return reader_layers.in_layers(row, layers=layers, user_id=user_id)

        claims, by_article = {}, {}
        for article_id, article_rows in rows.items():
            active = [c for c in article_rows.claims if c.status == Claim.Status.ACTIVE and shown(c)]
            by_article[article_id] = tuple(c.pk for c in active)
            claims.update((c.pk, c) for c in active)
        links, counts, neighbours = {}, {}, {}
        for article_rows in rows.values():
            for link in article_rows.links:
                if link.pk in links or not shown(link):
                    continue
                if link.claim_a_id not in claims or link.claim_b_id not in claims:
                    continue
                links[link.pk] = link
                for this, other in ((link.claim_a_id, link.claim_b_id), (link.claim_b_id, link.claim_a_id)):
                    claim_counts = counts.setdefault(this, {})
                    claim_counts[link.relation] = claim_counts.get(link.relation, 0) + 1
                    neighbours.setdefault(this, []).append((link.pk, other))
        return cls(
            claims=claims,
            by_article=by_article,
            links=links,
            counts=counts,
            neighbours={pk: tuple(items) for pk, items in neighbours.items()},
        )


def _viewer(user, team_ids: Iterable[int]) -> str:
    """Who is looking, as far as visibility goes: everyone anonymous sees the same rows; a
    person sees their own and their teams' too."""
    if not permissions.signed_in(user):
        return "anon"
    return f"u{user.pk}:t{','.join(map(str, sorted(team_ids)))}"


class _Loader:
    """Rows, index and columns for one view, from the cache where it has them."""

    def __init__(self, *, user, team_ids, story, articles, layers):
        self.user, self.story, self.articles, self.layers = user, story, articles, layers
        self.cache = caches[READER_CACHE]
        self.viewer = _viewer(user, team_ids)
        self.versions = {a.pk: a.annotation_version for a in articles}
        view = f"{self.viewer}|{sorted(layers) if layers is not None else '*'}"
        self.view = view
        shown = ",".join(f"{pk}:{v}" for pk, v in self.versions.items())
        self.index_key = f"reader-index:{story.pk}:{shown}|{view}"

    def rows_key(self, article_id: int) -> str:
        return f"reader-rows:{article_id}:{self.versions[article_id]}|{self.viewer}"

    def column_key(self, article_id: int, *, only: str, flags: tuple = ()) -> str:
        shown = ",".join(map(str, self.versions))  # link counts depend on which columns show
        return (
            f"reader-column:{article_id}:{self.versions[article_id]}|{self.view}|{shown}"
            f"|{only}|{flags}|{get_language()}"
        )

    def rows(self) -> dict[int, ArticleRows]:
        keys = {pk: self.rows_key(pk) for pk in self.versions}
        found = self.cache.get_many(keys.values())
        missing = [pk for pk, key in keys.items() if key not in found]
        if missing:
            claims = claim_rows(article_ids=missing, user=self.user)
            links = link_rows(article_ids=missing, user=self.user)
            fresh = {keys[pk]: ArticleRows(tuple(claims[pk]), tuple(links[pk])) for pk in missing}
            self.cache.set_many(fresh, timeout=READER_CACHE_SECONDS)
            found.update(fresh)
        return {pk: found[key] for pk, key in keys.items()}

    def index(self) -> StoryIndex:
        index = self.cache.get(self.index_key)
        if index is None:
            index = StoryIndex.build(self.rows(), layers=self.layers, user_id=getattr(self.user, "pk", None))
            self.cache.set_many(
                {self.index_key: index, self.summary_key: (len(index.claims), len(index.links))},
                timeout=READER_CACHE_SECONDS,
            )
        return index

    @property
    def summary_key(self) -> str:
        return f"{self.index_key}:summary"

    def cached_view(self, *, only: str) -> tuple[dict, tuple[int, int]] | None:
        """A view with nothing selected, entirely from the cache (every column and the counts),
        without unpickling the index; None if anything is missing."""
        keys = {a.pk: self.column_key(a.pk, only=only) for a in self.articles}
        found = self.cache.get_many([*keys.values(), self.summary_key])
        if len(found) < len(keys) + 1:
            return None
        return {pk: _paragraphs(found[key]) for pk, key in keys.items()}, found[self.summary_key]


def _paragraphs(cached: list[tuple[int, str]]) -> list[RenderedParagraph]:
    # The cache holds only what ``marks.draw_column`` escaped and marked up.
    return [RenderedParagraph(start=start, html=mark_safe(html)) for start, html in cached]  # noqa: S308


def _columns(loader: _Loader, index: StoryIndex, style: MarkStyle) -> dict[int, list[RenderedParagraph]]:
    """Every column's paragraphs: from the cache, or drawn (and cached)."""
    keys = {}
    for article in loader.articles:
        flags = tuple(
            sorted(
                (pk, pk == style.selected_id)
                for pk in {style.selected_id, *style.related_ids}
                if pk in index.claims and index.claims[pk].article_id == article.pk
            )
        )
        keys[article.pk] = loader.column_key(article.pk, only=style.only, flags=flags)
    found = loader.cache.get_many(keys.values())
    drawn = {}
    for article in loader.articles:
        if keys[article.pk] not in found:
            claims = [index.claims[pk] for pk in index.by_article[article.pk]]
            drawn[keys[article.pk]] = draw_column(body=article.body, claims=claims, style=style)
    if drawn:
        loader.cache.set_many(drawn, timeout=READER_CACHE_SECONDS)
        found.update(drawn)
    return {article.pk: _paragraphs(found[keys[article.pk]]) for article in loader.articles}


def _links(pks: Iterable[int]) -> dict[int, ClaimLink]:
    """The links ``pks`` with both claims, their articles' sources and the authors (one query)."""
    pks = list(pks)
    if not pks:
        return {}
    return {
        link.pk: link
        for link in ClaimLink.objects.filter(pk__in=pks)
        .select_related(
            "author",
            "claim_a__author",
            "claim_a__article__source",
            "claim_b__author",
            "claim_b__article__source",
        )
        .defer("claim_a__article__body", "claim_b__article__body",
               "claim_a__article__search_vector", "claim_b__article__search_vector")
    }


def reader_annotations(
    *, user, team_ids: Iterable[int], story, articles, params, url: Callable[..., str]
) -> ReaderAnnotations:
    """Marks, badges and panels for the reader, in a fixed number of queries whatever the
    number of claims and links (none at all for a repeat view with nothing selected).
    ``articles`` are the shown columns, with ``annotation_version``; ``team_ids`` the teams
    ``user`` belongs to."""
    layers = reader_layers.parse_layers(params.get("layers"))
    loader = _Loader(user=user, team_ids=team_ids, story=story, articles=articles, layers=layers)
    only = params.get("only", "")
    only = only if only in RELATION_ICONS else ""
    panel = params.get("panel", "")
    if not params.get("claim") and panel != "connections" and (cached := loader.cached_view(only=only)):
        paragraphs, (claim_count, link_count) = cached
        return ReaderAnnotations(
            paragraphs=paragraphs, only=only, panel=panel, link_count=link_count,
            claim_count=claim_count, cancel_link_url=url(link_to=""),
        )
    index = loader.index()

    def claim_url(**changes) -> Callable[[int], str]:
        template = url(claim=_CLAIM_SLOT, **changes)
        return lambda claim_id: template.replace(_CLAIM_SLOT, str(claim_id))

    selected_id = parse_id(params.get("claim"))
    selected_id = selected_id if selected_id in index.claims else None
    target_id = parse_id(params.get("link_to")) if selected_id else None
    target_id = target_id if target_id in index.claims else None
    neighbours = index.neighbours.get(selected_id, ()) if selected_id else ()
    shown_neighbours = [
        (link_pk, other) for link_pk, other in neighbours
        if not only or index.links[link_pk].relation == only
    ]
    related = frozenset(other for _link, other in shown_neighbours)
    style = MarkStyle(counts=index.counts, selected_id=selected_id, related_ids=related, only=only)
    notes = ReaderAnnotations(
        paragraphs=_columns(loader, index, style),
        only=only,
        panel=panel,
        link_count=len(index.links),
        claim_count=len(index.claims),
        related_ids=related,
        cancel_link_url=url(link_to=""),
    )

    wanted_links = [link_pk for link_pk, _other in shown_neighbours]
    if panel == "connections":
        wanted_links += [
            pk for pk, link in index.links.items() if not only or link.relation == only
        ]
    loaded = _links(dict.fromkeys(wanted_links))
    if selected_id:
        # The claim itself, with everything the panel shows (its article, source, author).
        notes.selected = permissions.claim_access(user, selected_id)
        notes.can_edit_selected = permissions.can_edit(user, notes.selected)
        if target_id:
            notes.link_target = permissions.claim_access(user, target_id)
        other_url = claim_url(link_to="", panel="")
        order = list(RELATION_ICONS)
        views = []
        for link_pk, other_id in shown_neighbours:
            link = loaded[link_pk]
            other = link.claim_b if link.claim_a_id == selected_id else link.claim_a
            views.append(
                LinkView(
                    link=link, other=other, relation=link.relation,
                    icon=RELATION_ICONS[link.relation], url=other_url(other_id),
                    can_edit=permissions.can_edit(user, link),
                )
            )
        views.sort(key=lambda v: (order.index(v.relation), v.other.article_id, v.other.start))
        notes.selected_links = views
    if panel == "connections":
        url_in_panel = claim_url(link_to="", panel="connections")
        position = {a.pk: i for i, a in enumerate(articles)}

        def place(link: ClaimLink) -> tuple:
            return (position[link.claim_a.article_id], link.claim_a.start,
                    position[link.claim_b.article_id], link.pk)

        for relation, icon in RELATION_ICONS.items():
            if only and relation != only:
                continue
            group = sorted(
                (loaded[pk] for pk, row in index.links.items() if row.relation == relation),
                key=place,
            )
            notes.connection_groups.append(
                ConnectionGroup(
                    relation=relation, icon=icon,
                    entries=[
                        ConnectionEntry(link=link, url_a=url_in_panel(link.claim_a_id),
                                        url_b=url_in_panel(link.claim_b_id))
                        for link in group
                    ],
                )
            )
    # Verdicts show beside the contradictions the panels list (one query, none without any).
    attach_verdicts(
        [view.link for view in notes.selected_links]
        + [entry.link for group in notes.connection_groups for entry in group.entries]
    )
    return notes
