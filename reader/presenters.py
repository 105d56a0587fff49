"""What the reader shows of a story's annotations: each column's text with its marks, the claim
panel and the Connections panel.

Caching, in words: every claim or link write appends an ``AnnotationChange`` for the articles it
touches (database triggers), and an article's *version* is its newest change. Everything the
reader draws is cached under the versions it was drawn from, together with who was looking
(anonymous, or a person and their teams: visibility differs) and the view (layers, the
"only" filter, which columns are shown, the language):

1. each article's rows (its visible claims, and the visible links touching it); after a write
   only the rows it touched are read, by id, and applied to them (``rowdelta``);
2. each column's index built from those rows (``Column``: counts, neighbours, settled), which
   after a write is updated for the claims it changed only (``Column.updated``), and
3. each column's marked-up text and summary, which after a write is the drawing before it with
   only the paragraphs under the changed claims drawn again (``drawcache.draw``) and the
   summary adjusted for them (``Column.summary``).

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
        return cls._from(rows, layers=layers, user_id=user_id, shown=shown)

    def updated(self, rows: ArticleRows, changed: frozenset[int], *, layers, user_id, shown: set[int]) -> Column:
        """This column (built for the same viewer, layers and shown columns) after writes that
        changed only the claims ``changed`` (``rowdelta.Delta``): their links, counts,
        neighbours and settled mark are worked out again from ``rows``, the others kept."""
        return self._from(rows, layers=layers, user_id=user_id, shown=shown, kept=self, changed=changed)

    @classmethod
    def _from(
        cls, rows: ArticleRows, *, layers, user_id, shown: set[int], kept: Column | None = None,
        changed: frozenset[int] = frozenset(),
    ) -> Column:
        # Once per claim and link of the article after each write (or, with ``kept``, per link
        # of the ``changed`` claims): the enum members and the layer test (none with every layer
        # shown, the default) are looked up once.
        active, confirmed = str(Claim.Status.ACTIVE), str(ClaimLink.Status.CONFIRMED)
        verdict_links = rows.verdict_links

        def in_layers(row) -> bool:
            return layers is None or reader_layers.in_layers(row, layers=layers, user_id=user_id)

        claims = tuple(c for c in rows.claims if c.status == active and in_layers(c))
        here = {c.pk for c in claims}
        if kept is None:
            links, counts, neighbours, settled = {}, {}, {}, set()
            redo = here
        else:
            links = {pk: link for pk, link in kept.links.items() if link.claim_id not in changed}
            counts = {pk: value for pk, value in kept.counts.items() if pk not in changed}
            neighbours = {pk: value for pk, value in kept.neighbours.items() if pk not in changed}
            settled = {pk for pk in kept.settled if pk not in changed}
            redo = here & changed
        fresh_neighbours = {}
        for link in rows.links:
            claim_id = link.claim_id
            if not (
                claim_id in redo
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
            mine = fresh_neighbours.get(claim_id)
            if mine is None:
                mine = fresh_neighbours[claim_id] = []
            mine.append((pk, link.other_id))
            if link.status == confirmed or pk in verdict_links:
                settled.add(claim_id)
        neighbours.update((pk, tuple(items)) for pk, items in fresh_neighbours.items())
        return cls(
            claims=claims,
            links=links,
            counts=counts,
            neighbours=neighbours,
            settled=frozenset(settled),
        )

    def summary(self, since: tuple[Column, ColumnSummary, frozenset[int]] | None = None) -> ColumnSummary:
        """What the overview and toolbar say of this column (``ColumnSummary``). With ``since``,
        ``(the column before a write, its summary, the claims the write changed)``: that summary
        with only the changed claims' part worked out again (``updated``)."""
        if since is not None:
            return self._summary_since(*since)
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


    def _conflict_ends(self, claim_ids) -> dict[int, ConflictEnd]:
        """The ends here of the contradictions of ``claim_ids`` (by link id)."""
        contradicts = str(ClaimLink.Relation.CONTRADICTS)
        exact = {c.pk: c.exact for c in self.claims if c.pk in claim_ids}
        ends = {}
        for claim_id in claim_ids:
            for link_id, _other in self.neighbours.get(claim_id, ()):
                link = self.links[link_id]
                if link.relation == contradicts:
                    ends[link_id] = ConflictEnd(
                        link_id=link_id, claim_id=claim_id, exact=exact[claim_id][:200],
                        article_id=link.other_article_id, settled=claim_id in self.settled,
                    )
        return ends

    def _summary_since(self, before: Column, old: ColumnSummary, changed: frozenset[int]) -> ColumnSummary:
        agrees = str(ClaimLink.Relation.AGREES)

        def tally(column: Column) -> tuple[int, int]:
            counts = [column.counts[pk] for pk in changed if pk in column.counts]
            return (sum(1 for c in counts if c.get(agrees)),
                    sum(1 for c in counts if claim_state(c) == "contradicted"))  # fmt: skip

        (agreed_before, contradicted_before), (agreed, contradicted) = tally(before), tally(self)
        conflicts = {pk: end for pk, end in old.conflicts.items() if end.claim_id not in changed}
        conflicts.update(self._conflict_ends(changed))
        return ColumnSummary(
            claims=len(self.claims),
            links=len(self.links),
            agreeing=old.agreeing - agreed_before + agreed,
            contradicted=old.contradicted - contradicted_before + contradicted,
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


#: Each article's rows per viewer, ``(version, ArticleRows, deltas applied, since, snapshot)``
#: (``since``: ``_Loader.since`` when the rows came from a delta; ``snapshot``: the xmin they
#: were read after, ``rowdelta.rows_since``), and each
#: column drawn per view, ``(HTML, ColumnSummary, dense)``: kept in this process as they are
#: (immutable), not pickled into the Django cache and back on every view (which cost more than
#: all the rest of a view after a write); emptied with that cache (``drawcache.ProcessMemo``).
#: The keys are those the cache used: the viewer's visibility (``_viewer``) is in every one.
_rows_memo = drawcache.ProcessMemo(2_000)
_columns_memo = drawcache.ProcessMemo(100)
#: Each column's ``Column`` per viewer, layers, shown columns and version, so that after a write
#: it is updated for the claims the write changed (``Column.updated``) rather than built again.
_index_memo = drawcache.ProcessMemo(200)


class _Loader:
    """Rows and drawn columns for one view, from the process memo where it has them."""

    def __init__(self, *, user, team_ids, articles, layers):
        self.user, self.articles, self.layers = user, articles, layers
        self.cache = caches[READER_CACHE]
        self.team_ids = frozenset(team_ids)
        self.viewer = _viewer(user, self.team_ids)
        self.versions = {a.pk: a.annotation_version for a in articles}
        #: The snapshot xmin the versions were read under (``rowdelta.rows_since``).
        self.snapshot = getattr(articles[0], "annotation_snapshot", None) if articles else None
        self.bodies = {a.pk: text_id(a.body) for a in articles}
        self.view = (self.viewer, tuple(sorted(layers)) if layers is not None else "*")
        #: Per article brought up to date by a delta: ``(the version it was brought from, the
        #: claims the writes since changed, the rows it was brought from)`` (``rowdelta.Delta``).
        self.since: dict[int, tuple[int, frozenset[int], ArticleRows]] = {}
        #: Per article whose ``Column`` was updated from the one before a delta: ``(that column,
        #: the claims changed)``; its drawing is then redone where those claims are.
        self.before: dict[int, tuple[Column, frozenset[int]]] = {}

    def rows_key(self, article_id: int) -> tuple:
        # One entry per article and viewer, holding the version it is as of: after a write it is
        # brought up to date (``rowdelta``) rather than read again.
        return ("reader-rows", article_id, self.viewer)

    def column_key(
        self, article_id: int, *, only: str, flags: tuple = (), marks: str = "", version: int | None = None
    ) -> tuple:
        # Link counts depend on which columns show; the marks' names on the language; the text
        # on the body (an edit that moves no claim changes no version).
        version = self.versions[article_id] if version is None else version
        return (
            "reader-column", article_id, version, self.bodies[article_id],
            self.view, tuple(self.versions), only, flags, get_language(), marks,
        )

    def index_key(self, article_id: int, version: int) -> tuple:
        return ("reader-index", article_id, version, self.view, tuple(self.versions))

    def rows(self, article_ids: Iterable[int] | None = None) -> dict[int, ArticleRows]:
        """The rows of ``article_ids`` (default: every shown article): from the memo when they
        are as of the article's version; brought up to date when older (only the rows the
        writes since touched are read: ``rowdelta``, one query per such article); else read
        in two or three queries for all of them."""
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
                if entry[3] is not None:
                    self.since[pk] = entry[3]
                continue
            delta = None
            if entry is not None and entry[2] < DELTAS_BEFORE_READ:
                delta = rowdelta.rows_since(
                    rows=entry[1], article_id=pk, version=entry[0], snapshot=entry[4],
                    user=self.user, team_ids=self.team_ids,
                )
            if delta is None:
                missing.append(pk)
            else:
                result[pk] = delta.rows
                self.since[pk] = (entry[0], delta.claims, entry[1])
                fresh[key] = (version, delta.rows, entry[2] + 1, self.since[pk], self.snapshot)
        if missing:
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
                fresh[keys[pk]] = (self.versions[pk], result[pk], 0, None, self.snapshot)
        if fresh:
            _rows_memo.add(memo, fresh)
        return {pk: result[pk] for pk in ids}

    def columns(self, article_ids: Iterable[int] | None = None) -> dict[int, Column]:
        """Each article's ``Column``: from the memo, or updated from the one before the writes
        a delta applied, or built."""
        shown = set(self.versions)
        user_id = getattr(self.user, "pk", None)
        memo = _index_memo.current(self.cache)
        result, fresh = {}, {}
        for pk, rows in self.rows(article_ids).items():
            key = self.index_key(pk, self.versions[pk])
            column = memo.get(key)
            since = self.since.get(pk)
            if column is None or column[0] is not rows:
                # The column before the writes, if it was built from the very rows the delta
                # was applied to (another read at that version may hold other rows).
                before = memo.get(self.index_key(pk, since[0])) if since else None
                if before is not None and before[0] is since[2]:
                    built = before[1].updated(rows, since[1], layers=self.layers, user_id=user_id, shown=shown)
                    self.before[pk] = (before[1], since[1])
                else:
                    built = Column.build(rows, layers=self.layers, user_id=user_id, shown=shown)
                column = fresh[key] = (rows, built, self.before.get(pk))
            elif column[2] is not None:
                self.before[pk] = column[2]
            result[pk] = column[1]
        if fresh:
            _index_memo.add(memo, fresh)
        return result

    def cached_view(self, *, only: str, marks: str) -> tuple[dict[int, Drawn], list[int]]:
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


#: A dense column's plain paragraphs, per article and body (they do not depend on the claims).
_plain_memo = drawcache.ProcessMemo(100)


def _dense_text(
    loader: _Loader, article, column: Column, style: MarkStyle, *,
    earlier: dict | None = None, changed: frozenset[int] = frozenset(),
) -> tuple[str, dict]:
    """A dense column (``is_dense``): the plain paragraphs, ``<p data-start id>`` each as with
    marks, and its claims as data on an empty element before them (``marks.claim_data``, with
    the parts of its ``earlier`` data reused for the claims not ``changed``), which
    static/js/dense.js draws with the CSS Custom Highlight API; and the data's parts."""
    data = claim_data(claims=column.claims, style=style, earlier=earlier, changed=changed)
    memo = _plain_memo.current(loader.cache)
    key = ("reader-plain", article.pk, loader.bodies[article.pk])
    plain = memo.get(key)
    if plain is None:
        plain = _column_text(article.pk, [(start, escape(line)) for start, line in body_paragraphs(article.body)])
        _plain_memo.add(memo, {key: plain})
    return (
        f'<div class="claim-data" hidden data-claim-styles="{escape(data.styles)}" data-claims="{data.records}"'
        f' data-anchor-label="{escape(_("Claim: "))}"></div>'
        + plain
    ), data.parts


def _paragraphs(article_id: int, cached: list[tuple[int, str]]) -> list[RenderedParagraph]:
    # The cache holds only what ``marks.draw_column`` escaped and marked up.
    return [
        RenderedParagraph(start=str(start), dom_id=f"p{article_id}-{start}", html=mark_safe(html))  # noqa: S308
        for start, html in cached
    ]


class Drawn(NamedTuple):
    """One shown column as drawn for a view (kept in ``_columns_memo``): its text as HTML, its
    summary, whether it is dense, its paragraphs ``(start, HTML)`` (none when dense), the
    ``Column`` it was drawn from and, when dense, its data's parts (``marks.ClaimData``): the
    next drawing after a write starts from these."""

    text: DrawnText
    summary: ColumnSummary
    dense: bool
    paragraphs: tuple[tuple[int, str], ...] | None = None
    column: Column | None = None
    claim_parts: dict | None = None


def _changed_spans(before: Column, after: Column, changed: frozenset[int]) -> list[tuple[int, int]]:
    """The offsets of the ``changed`` claims in either column: where a drawing can differ."""
    return [(c.start, c.end) for column in (before, after) for c in column.claims if c.pk in changed]


def _drawn(
    loader: _Loader, columns: dict[int, Column], *, selected_id, related, only, marks: str = ""
) -> dict[int, Drawn]:
    """Every shown column drawn (``Drawn``), from the cache or drawn now (and cached): after a
    write, from the column's drawing before it, with only the paragraphs under the claims the
    write changed drawn again."""
    keys, flags = {}, {}
    for pk, column in columns.items():
        mine = {c.pk for c in column.claims} & {selected_id, *related}
        flags[pk] = tuple(sorted((claim, claim == selected_id) for claim in mine))
        keys[pk] = loader.column_key(pk, only=only, flags=flags[pk], marks=marks)
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
            # The same view's drawing before the writes, if drawn from the column this one was
            # updated from: only what the changed claims touch is worked out again.
            earlier, before = None, loader.before.get(article.pk)
            if before is not None:
                earlier = memo.get(loader.column_key(
                    article.pk, only=only, flags=flags[article.pk], marks=marks,
                    version=loader.since[article.pk][0],
                ))
                if earlier is not None and earlier.column is not before[0]:
                    earlier = None
            summary = column.summary((before[0], earlier.summary, before[1]) if earlier else None)
            if is_dense(len(column.claims), marks):
                reuse = earlier.claim_parts if earlier is not None else None
                text, parts = _dense_text(
                    loader, article, column, style, earlier=reuse, changed=before[1] if reuse else frozenset()
                )
                drawn[key] = Drawn(DrawnText(text), summary, True, None, column, parts)
                continue
            previous, changed = None, ()
            if earlier is not None and earlier.paragraphs is not None:
                previous, changed = earlier.paragraphs, _changed_spans(before[0], column, before[1])
            paragraphs = drawcache.draw(
                cache=loader.cache, body_id=loader.bodies[article.pk], body=article.body,
                claims=column.claims, style=style, previous=previous, changed=changed,
            )
            drawn[key] = Drawn(
                DrawnText(_column_text(article.pk, paragraphs)), summary, False, tuple(paragraphs), column
            )
    if drawn:
        _columns_memo.add(memo, drawn)
        found.update(drawn)
    return {pk: found[key] for pk, key in keys.items()}


def _totals(drawn: dict[int, Drawn]) -> tuple[int, int]:
    """(claims, links) the view shows: each shown link is counted by both its columns."""
    claims = sum(entry.summary.claims for entry in drawn.values())
    links = sum(entry.summary.links for entry in drawn.values())
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

    def overview(drawn: dict[int, Drawn]) -> Overview:
        summaries = {pk: entry.summary for pk, entry in drawn.items()}
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
            texts={article.pk: drawn[article.pk].text for article in articles},
            dense=frozenset(pk for pk, entry in drawn.items() if entry.dense),
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
        texts={pk: entry.text for pk, entry in drawn.items()},
        dense=frozenset(pk for pk, entry in drawn.items() if entry.dense),
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
