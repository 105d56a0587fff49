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

A repeat view with nothing selected reads one entry per column plus the index: no query
beyond the story and its articles (with their versions). Rows and drawn columns are kept in the
process as they are (``drawcache.ProcessMemo``: no pickling), emptied with the Django cache. Panels load the few claims and links
they show as ordinary model instances.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from functools import cached_property
from typing import NamedTuple

from django.conf import settings
from django.core.cache import caches
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from annotations import permissions
from annotations.models import RELATION_ICONS, Claim, ClaimLink
from annotations.selectors import ClaimRow, LinkRow, claim_rows, link_rows
from curation.selectors import attach_verdicts, verdict_link_ids
from textkernel.params import parse_id
from textkernel.text import paragraphs as body_paragraphs

from . import layers as reader_layers
from . import drawcache, rowdelta
from .marks import MarkStyle, claim_data, claim_list_items, claim_state, draw_column
from .rowdelta import ArticleRows  # the cached shape, which the delta also builds

#: The cache (settings.CACHES) the process memos are emptied with (``drawcache.ProcessMemo``).
READER_CACHE = "default"
#: Writes applied to an article's cached rows (``rowdelta``) before they are read whole again,
#: so nothing a delta could miss (a write racing the read it applies to) outlives a few writes.
DELTAS_BEFORE_READ = 20
#: Stands in for a claim id in a reader URL built once and filled in per claim.
_CLAIM_SLOT = "__claim__"
#: The ``marks`` view parameter: ``server`` always draws ``<mark>`` elements (the no-JS
#: fallback), ``dense`` always sends claims as data; anything else lets the column's number of
#: claims decide (``settings.READER_DENSE_CLAIMS``).
MARKS_MODES = ("server", "dense")


def only_relation(params) -> str:
    """The ``only`` view parameter: the one relation the view brings forward, or "" for all."""
    only = params.get("only", "")
    return only if only in RELATION_ICONS else ""


def marks_mode(params) -> str:
    mode = params.get("marks", "")
    return mode if mode in MARKS_MODES else ""


def is_dense(claim_count: int, mode: str) -> bool:
    """Whether a column with ``claim_count`` drawn claims sends them as data (the browser draws
    them, static/js/dense.js) rather than as server-drawn marks (docs/page-hooks.md)."""
    if mode:
        return mode == "dense"
    return claim_count > settings.READER_DENSE_CLAIMS


@dataclass
class RenderedParagraph:
    """One drawn paragraph as the template writes it: its ``data-start`` and ``id`` attributes
    already text (formatting ~2,000 integers per page through the template's localisation cost
    a quarter of the reader's time), and its marked-up HTML."""

    start: str
    dom_id: str
    html: SafeString


@dataclass
class LinkView:
    link: ClaimLink
    other: Claim
    relation: str
    icon: str
    url: str
    can_edit: bool
    compare_url: str = ""


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
    texts: dict[int, DrawnText]
    #: The columns whose claims are sent as data (``is_dense``), not drawn as marks.
    dense: frozenset[int] = frozenset()
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
    overview: Overview | None = None


class ConflictEnd(NamedTuple):
    """One column's end of a contradiction it shows (the overview pairs the two ends)."""

    link_id: int
    claim_id: int
    exact: str
    article_id: int
    settled: bool


class ColumnSummary(NamedTuple):
    """What the overview and the toolbar say of one drawn column (cached with its text): its
    claims, its links (each counted by both its columns), how many of its claims agree with
    another source and how many are contradicted, and its ends of the contradictions (by link
    id) with the ids of those whose end here is settled."""

    claims: int
    links: int
    agreeing: int = 0
    contradicted: int = 0
    conflicts: Mapping[int, ConflictEnd] = MappingProxyType({})
    settled_conflicts: frozenset[int] = frozenset()


@dataclass
class OverviewSource:
    article: object
    claims: int
    agreeing: int
    contradicted: int


@dataclass
class Conflict:
    """A contradiction between two shown columns, each end with its URL (selecting it aligns
    the other end beside it)."""

    link_id: int
    ends: list[tuple[object, ConflictEnd, str]]  # (article, end, url), in column order
    settled: bool
    compare_url: str = ""


@dataclass
class Overview:
    sources: list[OverviewSource]
    conflicts: list[Conflict]
    conflict_count: int
    #: Everything the listed conflicts draw, as text: the template caches their HTML under it
    #: (two views share it only when they would draw exactly the same list).
    conflicts_key: str = ""


@dataclass(frozen=True)
class Column:
    """What one shown column draws, for one viewer and view, from its article's rows alone: its
    active claims in the shown layers, in offset order; the links that show (in the layers,
    their other claim active, shown and in a shown column); per claim its link counts and
    neighbours ``(link id, other claim id)``."""

    claims: tuple[ClaimRow, ...]
    links: dict[int, LinkRow]
    counts: dict[int, dict[str, int]]
    neighbours: dict[int, tuple[tuple[int, int], ...]]
    settled: frozenset[int] = frozenset()

    @classmethod
    def build(cls, rows: ArticleRows, *, layers, user_id, shown: set[int]) -> Column:
        # Once per claim and link of the article after each write: the enum members and the
        # layer test (none with every layer shown, the default) are looked up once.
        active, confirmed = str(Claim.Status.ACTIVE), str(ClaimLink.Status.CONFIRMED)
        verdict_links = rows.verdict_links

        def in_layers(row) -> bool:
            return layers is None or reader_layers.in_layers(row, layers=layers, user_id=user_id)

        claims = tuple(c for c in rows.claims if c.status == active and in_layers(c))
        here = {c.pk for c in claims}
        links, counts, neighbours, settled = {}, {}, {}, set()
        for link in rows.links:
            claim_id = link.claim_id
            if not (
                claim_id in here
                and link.other_status == active
                and link.other_article_id in shown
                and (
                    layers is None
                    or (
                        in_layers(link)
                        and in_layers(reader_layers.Facts(
                            visibility=link.other_visibility, team_id=link.other_team_id,
                            author_id=link.other_author_id,
                        ))
                    )
                )
            ):
                continue
            pk = link.pk
            links[pk] = link
            claim_counts = counts.get(claim_id)
            if claim_counts is None:
                claim_counts = counts[claim_id] = {}
            claim_counts[link.relation] = claim_counts.get(link.relation, 0) + 1
            mine = neighbours.get(claim_id)
            if mine is None:
                mine = neighbours[claim_id] = []
            mine.append((pk, link.other_id))
            if link.status == confirmed or pk in verdict_links:
                settled.add(claim_id)
        return cls(
            claims=claims,
            links=links,
            counts=counts,
            neighbours={pk: tuple(items) for pk, items in neighbours.items()},
            settled=frozenset(settled),
        )

    def summary(self) -> ColumnSummary:
        # Only linked claims have counts (a claim with none is "unlinked": ``claim_state``).
        contradicts, agrees = str(ClaimLink.Relation.CONTRADICTS), str(ClaimLink.Relation.AGREES)
        states = [claim_state(counts) for counts in self.counts.values()]
        conflicting = [(pk, link) for pk, link in self.links.items() if link.relation == contradicts]
        exact = {c.pk: c.exact for c in self.claims} if conflicting else {}
        conflicts = {
            pk: ConflictEnd(
                link_id=pk, claim_id=link.claim_id, exact=exact[link.claim_id][:200],
                article_id=link.other_article_id, settled=link.claim_id in self.settled,
            )
            for pk, link in conflicting
        }
        return ColumnSummary(
            claims=len(self.claims),
            links=len(self.links),
            agreeing=sum(1 for counts in self.counts.values() if counts.get(agrees)),
            contradicted=states.count("contradicted"),
            conflicts=conflicts,
            settled_conflicts=frozenset(pk for pk, end in conflicts.items() if end.settled),
        )


def text_id(text: str) -> str:
    """A short identity of a body (its own hash: ``body_hash`` is the services', and a raw SQL
    edit would not move it)."""
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _viewer(user, team_ids: Iterable[int]) -> str:
    """Who is looking, as far as visibility goes: everyone anonymous sees the same rows; a
    person sees their own and their teams' too."""
    if not permissions.signed_in(user):
        return "anon"
    return f"u{user.pk}:t{','.join(map(str, sorted(team_ids)))}"


#: Each article's rows per viewer, ``(version, ArticleRows, Tally, deltas applied)``, and each
#: column drawn per view, ``(HTML, ColumnSummary, dense)``: kept in this process as they are
#: (immutable), not pickled into the Django cache and back on every view (which cost more than
#: all the rest of a view after a write); emptied with that cache (``drawcache.ProcessMemo``).
#: The keys are those the cache used: the viewer's visibility (``_viewer``) is in every one.
_rows_memo = drawcache.ProcessMemo(2_000)
_columns_memo = drawcache.ProcessMemo(100)


class _Loader:
    """Rows and drawn columns for one view, from the process memo where it has them."""

    def __init__(self, *, user, team_ids, articles, layers):
        self.user, self.articles, self.layers = user, articles, layers
        self.cache = caches[READER_CACHE]
        self.team_ids = frozenset(team_ids)
        self.viewer = _viewer(user, self.team_ids)
        self.versions = {a.pk: a.annotation_version for a in articles}
        self.bodies = {a.pk: text_id(a.body) for a in articles}
        self.view = (self.viewer, tuple(sorted(layers)) if layers is not None else "*")

    def rows_key(self, article_id: int) -> tuple:
        # One entry per article and viewer, holding the version it is as of: after a write it is
        # brought up to date (``rowdelta``) rather than read again.
        return ("reader-rows", article_id, self.viewer)

    def column_key(self, article_id: int, *, only: str, flags: tuple = (), marks: str = "") -> tuple:
        # Link counts depend on which columns show; the marks' names on the language; the text
        # on the body (an edit that moves no claim changes no version).
        return (
            "reader-column", article_id, self.versions[article_id], self.bodies[article_id],
            self.view, tuple(self.versions), only, flags, get_language(), marks,
        )

    def rows(self, article_ids: Iterable[int] | None = None) -> dict[int, ArticleRows]:
        """The rows of ``article_ids`` (default: every shown article): from the cache when they
        are as of the article's version; brought up to date when older (only the rows the
        writes since touched are read: ``rowdelta``, one query per such article); else read,
        with their ``rowdelta.Tally``, in three queries for all of them."""
        ids = list(self.versions if article_ids is None else article_ids)
        keys = {pk: self.rows_key(pk) for pk in ids}
        memo = _rows_memo.current(self.cache)
        found = {key: value for key in keys.values() if (value := memo.get(key)) is not None}
        result, fresh, missing = {}, {}, []
        for pk, key in keys.items():
            entry = found.get(key)
            version = self.versions[pk]
            if entry is not None and entry[0] >= version:
                result[pk] = entry[1]
                continue
            updated = None
            if entry is not None and entry[3] < DELTAS_BEFORE_READ:
                updated = rowdelta.rows_since(
                    rows=entry[1], tally=entry[2], article_id=pk, version=entry[0],
                    user=self.user, team_ids=self.team_ids,
                )
            if updated is None:
                missing.append(pk)
            else:
                result[pk] = updated[0]
                fresh[key] = (version, updated[0], updated[1], entry[3] + 1)
        if missing:
            # The tallies first: a row deleted before the rows are read then shows as a
            # miscount at the next write, never as a count that matches.
            tallies = rowdelta.tallies(article_ids=missing)
            claims = claim_rows(article_ids=missing, user=self.user)
            links = link_rows(article_ids=missing, user=self.user)
            verdicts = verdict_link_ids(
                {link.pk for pk in missing for link in links[pk]
                 if link.relation == ClaimLink.Relation.CONTRADICTS}
            )
            for pk in missing:
                result[pk] = ArticleRows(
                    tuple(claims[pk]), tuple(links[pk]),
                    frozenset(link.pk for link in links[pk] if link.pk in verdicts),
                )
                fresh[keys[pk]] = (self.versions[pk], result[pk], tallies[pk], 0)
        if fresh:
            _rows_memo.add(memo, fresh)
        return {pk: result[pk] for pk in ids}

    def columns(self, article_ids: Iterable[int] | None = None) -> dict[int, Column]:
        shown = set(self.versions)
        user_id = getattr(self.user, "pk", None)
        return {
            pk: Column.build(rows, layers=self.layers, user_id=user_id, shown=shown)
            for pk, rows in self.rows(article_ids).items()
        }

    def cached_view(self, *, only: str, marks: str) -> tuple[dict[int, tuple], list[int]]:
        """The columns of a view with nothing selected that the cache holds drawn, and the ids
        of those it does not (after a write: the one column whose claims changed)."""
        keys = {pk: self.column_key(pk, only=only, marks=marks) for pk in self.versions}
        memo = _columns_memo.current(self.cache)
        found = {key: value for key in keys.values() if (value := memo.get(key)) is not None}
        drawn = {pk: found[key] for pk, key in keys.items() if key in found}
        return drawn, [pk for pk in keys if pk not in drawn]


class DrawnText(SafeString):
    """A column's text as drawn (escaped and marked up when drawn: safe), with its UTF-8 bytes
    encoded once. It is kept in the process memo and sent as is on every view
    (``views._render_columns_spliced``), so the bytes are made once per drawing, not per view."""

    @cached_property
    def utf8(self) -> bytes:
        return self.encode()


def _column_text(article_id: int, paragraphs: list[tuple[int, str]]) -> str:
    """A column's drawn paragraphs (``(start, html)`` from ``marks.draw_column``, escaped and
    marked up) as one piece of HTML, ``<p data-start id>`` each: joined once when drawn and
    cached so, rather than looped over in the template on every view (which cost more than
    reading the marks back)."""
    return "".join(f'<p data-start="{start}" id="p{article_id}-{start}">{html}</p>' for start, html in paragraphs)


def _dense_text(article, column: Column, style: MarkStyle) -> str:
    """A dense column (``is_dense``): the plain paragraphs, ``<p data-start id>`` each as with
    marks, and its claims as data on an empty element before them (``marks.claim_data``), which
    static/js/dense.js draws with the CSS Custom Highlight API."""
    styles, records = claim_data(claims=column.claims, style=style)
    plain = [(start, escape(line)) for start, line in body_paragraphs(article.body)]
    return (
        f'<div class="claim-data" hidden data-claim-styles="{escape(styles)}" data-claims="{records}"'
        f' data-anchor-label="{escape(_("Claim: "))}"></div>'
        + _column_text(article.pk, plain)
    )


def _paragraphs(article_id: int, cached: list[tuple[int, str]]) -> list[RenderedParagraph]:
    # The cache holds only what ``marks.draw_column`` escaped and marked up.
    return [
        RenderedParagraph(start=str(start), dom_id=f"p{article_id}-{start}", html=mark_safe(html))  # noqa: S308
        for start, html in cached
    ]


def _drawn(
    loader: _Loader, columns: dict[int, Column], *, selected_id, related, only, marks: str = ""
) -> dict[int, tuple]:
    """Every shown column drawn: ``(its text as HTML, its summary, whether it is dense)``,
    from the cache or drawn now (and cached)."""
    keys = {}
    for pk, column in columns.items():
        mine = {c.pk for c in column.claims} & {selected_id, *related}
        flags = tuple(sorted((claim, claim == selected_id) for claim in mine))
        keys[pk] = loader.column_key(pk, only=only, flags=flags, marks=marks)
    memo = _columns_memo.current(loader.cache)
    found = {key: value for key in keys.values() if (value := memo.get(key)) is not None}
    drawn = {}
    for article in loader.articles:
        key = keys.get(article.pk)
        if key is not None and key not in found:
            column = columns[article.pk]
            style = MarkStyle(
                counts=column.counts, settled=column.settled, selected_id=selected_id,
                related_ids=related, only=only,
            )
            if is_dense(len(column.claims), marks):
                drawn[key] = (DrawnText(_dense_text(article, column, style)), column.summary(), True)
                continue
            paragraphs = drawcache.draw(
                cache=loader.cache, body_id=loader.bodies[article.pk], body=article.body,
                claims=column.claims, style=style,
            )
            drawn[key] = (DrawnText(_column_text(article.pk, paragraphs)), column.summary(), False)
    if drawn:
        _columns_memo.add(memo, drawn)
        found.update(drawn)
    return {pk: found[key] for pk, key in keys.items()}


def _totals(drawn: dict[int, tuple]) -> tuple[int, int]:
    """(claims, links) the view shows: each shown link is counted by both its columns."""
    claims = sum(summary[0] for _paragraphs, summary, _dense in drawn.values())
    links = sum(summary[1] for _paragraphs, summary, _dense in drawn.values())
    return claims, links // 2


#: How many contradictions the overview lists (the Connections panel lists them all).
OVERVIEW_CONFLICTS = 4


def story_overview(
    articles, summaries: dict[int, ColumnSummary], *, select_url: Callable[[int], str],
    compare_url: Callable[..., str] | None = None,
) -> Overview:
    """The story at a glance, from the shown columns' summaries (no query): per source its
    claims, how many agree with another source and how many are contradicted; and the main
    contradictions between shown columns (settled ones first, then the oldest), each end
    one click away, and (with ``compare_url``, given more than two columns) the two columns
    alone side by side."""
    position = {a.pk: i for i, a in enumerate(articles)}
    shown = [(article, summaries[article.pk]) for article in articles]
    sources = [OverviewSource(a, s.claims, s.agreeing, s.contradicted) for a, s in shown]
    # A contradiction shows when both its ends' columns do: the links two columns' ends share
    # (a link joins two articles, so no link is in a third). Every one is counted; only the few
    # listed (settled first, then the oldest) get their ends and URLs.
    settled, unsettled, total = set(), set(), 0
    for i, (_first, one) in enumerate(shown):
        for _second, other in shown[i + 1:]:
            both = one.conflicts.keys() & other.conflicts.keys()
            if both:
                total += len(both)
                either = both & (one.settled_conflicts | other.settled_conflicts)
                settled |= either
                unsettled |= both - either
    listed = heapq.nsmallest(OVERVIEW_CONFLICTS, settled)
    listed += heapq.nsmallest(OVERVIEW_CONFLICTS - len(listed), unsettled)
    conflicts = []
    for link_id in listed:
        pair = [(article, summary.conflicts[link_id]) for article, summary in shown if link_id in summary.conflicts]
        pair.sort(key=lambda item: (position[item[0].pk], item[1].claim_id))
        conflicts.append(
            Conflict(
                link_id=link_id,
                ends=[(article, end, select_url(end.claim_id)) for article, end in pair],
                settled=link_id in settled,
            )
        )
    if compare_url and len(articles) > 2:
        for conflict in conflicts:
            (first, end, _url), (second, _end, _url2) = conflict.ends
            conflict.compare_url = compare_url(first.pk, second.pk, claim=end.claim_id)
    drawn = [
        (c.link_id, c.settled, c.compare_url,
         [(a.pk, a.short_label, a.language, e.claim_id, e.exact, url) for a, e, url in c.ends])
        for c in conflicts
    ]  # fmt: skip
    return Overview(sources=sources, conflicts=conflicts, conflict_count=total, conflicts_key=repr(drawn))


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
    *, user, team_ids: Iterable[int], story, articles, params, url: Callable[..., str],
    compare_url: Callable[..., str] | None = None,
) -> ReaderAnnotations:
    """Marks, badges and panels for the reader, in a fixed number of queries whatever the
    number of claims and links (none at all for a repeat view with nothing selected).
    ``articles`` are the shown columns, with ``annotation_version``; ``team_ids`` the teams
    ``user`` belongs to; ``compare_url(first, second, **changes)`` the view with only those two
    columns shown."""
    layers = reader_layers.parse_layers(params.get("layers"))
    loader = _Loader(user=user, team_ids=team_ids, articles=articles, layers=layers)
    only = only_relation(params)
    panel = params.get("panel", "")
    selected_id = parse_id(params.get("claim"))
    marks = marks_mode(params)

    def claim_url(**changes) -> Callable[[int], str]:
        template = url(claim=_CLAIM_SLOT, **changes)
        return lambda claim_id: template.replace(_CLAIM_SLOT, str(claim_id))

    def overview(drawn: dict[int, tuple]) -> Overview:
        summaries = {pk: summary for pk, (_text, summary, _dense) in drawn.items()}
        return story_overview(
            articles, summaries, select_url=claim_url(link_to="", panel=""),
            compare_url=compare_url,
        )

    if not selected_id and panel != "connections":
        # A view with nothing selected: each column depends on its own rows alone, so only the
        # columns not cached (those whose claims changed) are read and drawn again.
        drawn, missing = loader.cached_view(only=only, marks=marks)
        if missing:
            drawn.update(
                _drawn(
                    loader, loader.columns(missing), selected_id=None, related=frozenset(), only=only,
                    marks=marks,
                )
            )
        claim_count, link_count = _totals(drawn)
        return ReaderAnnotations(
            texts={article.pk: drawn[article.pk][0] for article in articles},
            dense=frozenset(pk for pk, entry in drawn.items() if entry[2]),
            only=only, panel=panel, link_count=link_count, claim_count=claim_count,
            cancel_link_url=url(link_to=""), overview=overview(drawn),
        )
    columns = loader.columns()

    home = {c.pk: pk for pk, column in columns.items() for c in column.claims}
    selected_id = selected_id if selected_id in home else None
    target_id = parse_id(params.get("link_to")) if selected_id else None
    target_id = target_id if target_id in home else None
    selected_column = columns[home[selected_id]] if selected_id else None
    shown_neighbours = [
        (link_pk, other)
        for link_pk, other in (selected_column.neighbours.get(selected_id, ()) if selected_id else ())
        if not only or selected_column.links[link_pk].relation == only
    ]
    related = frozenset(other for _link, other in shown_neighbours)
    drawn = _drawn(loader, columns, selected_id=selected_id, related=related, only=only, marks=marks)
    claim_count, link_count = _totals(drawn)
    notes = ReaderAnnotations(
        texts={pk: text for pk, (text, _summary, _dense) in drawn.items()},
        dense=frozenset(pk for pk, entry in drawn.items() if entry[2]),
        only=only,
        panel=panel,
        link_count=link_count,
        claim_count=claim_count,
        related_ids=related,
        cancel_link_url=url(link_to=""),
        overview=overview(drawn),
    )

    all_links = {pk: link for column in columns.values() for pk, link in column.links.items()}
    wanted_links = [link_pk for link_pk, _other in shown_neighbours]
    if panel == "connections":
        wanted_links += [pk for pk, link in all_links.items() if not only or link.relation == only]
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
                    compare_url=(
                        compare_url(notes.selected.article_id, other.article_id)
                        if compare_url and len(articles) > 2 else ""
                    ),
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
                (loaded[pk] for pk, row in all_links.items() if row.relation == relation),
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
    shown_links = [view.link for view in notes.selected_links] + [
        entry.link for group in notes.connection_groups for entry in group.entries
    ]
    if shown_links:
        attach_verdicts(shown_links)
    return notes


def highlight_paragraphs(
    *, user, team_ids: Iterable[int], article, articles, params, start: int, end: int
) -> list[RenderedParagraph] | None:
    """The paragraphs of ``article``'s column that a new claim on ``body[start:end]`` changed,
    drawn with the view's layers and filter: all a Highlight needs to send back (the rest of the
    column is as it was). ``articles`` are the shown columns, with versions. None for a dense
    column (``is_dense``): its claims are data, sent with its whole text."""
    layers = reader_layers.parse_layers(params.get("layers"))
    loader = _Loader(user=user, team_ids=team_ids, articles=articles, layers=layers)
    only = only_relation(params)
    column = loader.columns([article.pk])[article.pk]
    if is_dense(len(column.claims), marks_mode(params)):
        return None
    # The view's selection shows in these paragraphs too: the selected claim, or the claims
    # here linked to it.
    selected_id = parse_id(params.get("claim"))
    related = frozenset(
        link.claim_id for link in column.links.values()
        if link.other_id == selected_id and (not only or link.relation == only)
    )
    style = MarkStyle(
        counts=column.counts, settled=column.settled, selected_id=selected_id,
        related_ids=related, only=only,
    )
    return _paragraphs(
        article.pk,
        draw_column(body=article.body, claims=column.claims, style=style, span=(start, end))
    )


@dataclass
class ListedClaim:
    """One entry of a dense column's claim list: what a claim's anchor would say and link to."""

    pk: int
    css: str
    label: str
    url: str


def claim_list(
    *, user, team_ids: Iterable[int], article, articles, params, url: Callable[..., str]
) -> list[ListedClaim]:
    """A column's drawn claims, in offset order, each with the accessible name and classes its
    anchor has when drawn by the server, and the URL that selects it (opens its panel): the
    list a dense column loads on demand for assistive technology (docs/page-hooks.md).
    ``url(**changes)`` is the reader URL of the current view with ``changes``."""
    layers = reader_layers.parse_layers(params.get("layers"))
    loader = _Loader(user=user, team_ids=team_ids, articles=articles, layers=layers)
    only = only_relation(params)
    column = loader.columns([article.pk])[article.pk]
    style = MarkStyle(counts=column.counts, settled=column.settled, only=only)
    template = url(claim=_CLAIM_SLOT, link_to="", panel="")
    return [
        ListedClaim(pk=pk, css=css, label=label, url=template.replace(_CLAIM_SLOT, str(pk)))
        for pk, css, label in claim_list_items(claims=column.claims, style=style)
    ]
