"""What the reader shows of annotations: marks inside paragraphs, badges, the claim panel and
the Connections panel. Built from the story's annotation rows (``selectors.annotation_rows``),
and reused while their version is unchanged: one query then, whatever the number of rows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Callable

from django.core.cache import caches
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from . import rendering, selectors
from .models import Claim, ClaimLink

from curation.selectors import attach_verdicts  # noqa: E402  (verdicts shown in the reader)

#: Icon and label per relation, so a relation is never told by colour alone.
RELATION_ICONS = {"agrees": "✓", "contradicts": "✗", "qualifies": "≈"}


def relation_label(relation: str) -> str:
    return str(ClaimLink.Relation(relation).label)


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
    label: str
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
    label: str
    entries: list[ConnectionEntry]


@dataclass
class ReaderAnnotations:
    paragraphs: dict[int, list[RenderedParagraph]]
    selected: Claim | None = None
    selected_links: list[LinkView] = field(default_factory=list)
    link_target: Claim | None = None
    link_error: str = ""
    only: str = ""
    panel: str = ""
    connection_groups: list[ConnectionGroup] = field(default_factory=list)
    link_count: int = 0
    claim_count: int = 0
    related_ids: set[int] = field(default_factory=set)
    can_edit_selected: bool = False
    cancel_link_url: str = ""


def _int(params, name: str) -> int | None:
    try:
        return int(params.get(name, ""))
    except (TypeError, ValueError):
        return None


def _claim_label(
    claim: Claim, counts: dict[str, int], labels: dict[str, str] | None = None, template: str = ""
) -> str:
    """The accessible name of a claim's mark. ``labels`` and ``template`` (the translated
    relation names and sentence) may be passed in when naming many claims."""
    labels = labels or _relation_labels()
    quote = claim.exact if len(claim.exact) <= 90 else claim.exact[:87] + "…"
    parts = [f"{counts[rel]} {labels[rel].lower()}" for rel in RELATION_ICONS if counts.get(rel)]
    summary = ", ".join(parts) if parts else _("no links")
    return (template or _("Claim by %(author)s: “%(quote)s” (%(summary)s)")) % {
        "author": claim.author.get_username(),
        "quote": quote,
        "summary": summary,
    }


def claim_mark_label(claim: Claim) -> str:
    """The accessible name of a new claim's mark (it has no links yet), as the reader gives it."""
    return _claim_label(claim, {})


def _relation_labels() -> dict[str, str]:
    """Relation labels in the active language (looked up once per call site, not per mark)."""
    return {relation: relation_label(relation) for relation in RELATION_ICONS}


class _MarkTags:
    """The opening tags of each claim's marks, built once per claim rather than per segment.

    A claim split into several segments repeats its class list; only its first segment carries
    the id, tab stop and accessible name, and only its last the relation badges.
    """

    def __init__(self, *, claim, counts, article_of, selected_id, related_ids, only):
        self.claim, self.counts, self.article_of = claim, counts, article_of
        self.selected_id, self.related_ids, self.only = selected_id, related_ids, only
        self._base: dict[int, str] = {}
        self.labels = _relation_labels()
        self.template = _("Claim by %(author)s: “%(quote)s” (%(summary)s)")

    def base(self, claim_id: int) -> str:
        attrs = self._base.get(claim_id)
        if attrs is None:
            claim_counts = self.counts.get(claim_id, {})
            classes = ["claim"] + [f"has-{rel}" for rel in RELATION_ICONS if claim_counts.get(rel)]
            if claim_id == self.selected_id:
                classes.append("is-selected")
            elif claim_id in self.related_ids:
                classes.append("is-related")
            if self.only and not claim_counts.get(self.only):
                classes.append("is-dimmed")
            attrs = self._base[claim_id] = f'data-claim="{claim_id}" class="{" ".join(classes)}"'
        return attrs

    def open(self, claim_id: int, *, first: bool, last: bool) -> str:
        attrs = self.base(claim_id)
        claim_counts = self.counts.get(claim_id)
        if first:
            label = escape(
                _claim_label(self.claim(claim_id), claim_counts or {}, self.labels, self.template)
            )
            attrs += f' id="claim-{claim_id}" tabindex="0" role="button" aria-label="{label}"'
        if last and claim_counts:
            badges = " ".join(
                f"{RELATION_ICONS[rel]}{claim_counts[rel]}" for rel in RELATION_ICONS if claim_counts.get(rel)
            )
            attrs += f' data-badges="{badges}"'
        return f"<mark {attrs}>"


def _paragraph_html(
    paragraph: rendering.RenderedParagraph, *, tags: _MarkTags | None
) -> SafeString:
    parts: list[str] = []
    for segment in paragraph.segments:
        text = escape(segment.text)
        # Innermost mark last: each claim covering the segment gets its own <mark data-claim>.
        for claim_id in reversed(segment.claim_ids):
            opening = tags.open(
                claim_id, first=claim_id in segment.starts, last=claim_id in segment.ends
            )
            text = f"{opening}{text}</mark>"
        parts.append(text)
    return mark_safe("".join(parts))  # noqa: S308 - every text piece was escaped above


def _column_key(claims_digest: str, article, *, only: str, flags: tuple = ()) -> str:
    """A digest of everything a column's marked-up text is drawn from: its claims as the marks
    show them (``claims_digest``: ``_ReaderIndex.column_digests``), the body itself, the language
    of the names, the filter, and which of the column's claims are selected or related
    (``flags``). Equal digests mean equal HTML, so no change can leave a stale column behind, and
    a change to one column's claims redraws that column only."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(f"{article.pk}|{claims_digest}|{get_language()}|{only}|{flags}|".encode())
    digest.update(article.body.encode())
    return f"reader-column:{digest.hexdigest()}"


def _column_flags(tags: _MarkTags, article_id: int) -> tuple:
    return tuple(
        sorted(
            (pk, pk == tags.selected_id)
            for pk in {tags.selected_id, *tags.related_ids}
            if tags.article_of.get(pk) == article_id
        )
    )


def _paragraphs(cached: list[tuple[int, str]]) -> list[RenderedParagraph]:
    # The cache holds only what ``_paragraph_html`` escaped and marked up.
    return [RenderedParagraph(start=start, html=mark_safe(html)) for start, html in cached]  # noqa: S308


def _column_paragraphs(
    article, claim_ids: tuple[int, ...], *, tags: _MarkTags | None, claims_digest: str
) -> list[RenderedParagraph]:
    """The column's paragraphs with their marks, from the cache when the same column was drawn
    before (most views of a story repeat: marking up thousands of segments is the cost). A
    column without claims is plain text, cheaper to draw than to look up. Claim instances are
    built only to draw."""

    def draw() -> list[RenderedParagraph]:
        claims = [tags.claim(pk) for pk in claim_ids]
        return [
            RenderedParagraph(start=p.start, html=_paragraph_html(p, tags=tags))
            for p in rendering.render_paragraphs(body=article.body, claims=claims)
        ]

    if not claim_ids:
        return draw()
    cache = caches[READER_CACHE]
    key = _column_key(claims_digest, article, only=tags.only, flags=_column_flags(tags, article.pk))
    cached = cache.get(key)
    if cached is None:
        cached = [(p.start, str(p.html)) for p in draw()]
        cache.set(key, cached, timeout=READER_CACHE_SECONDS)
    return _paragraphs(cached)


#: The cache of reader indexes and marked-up columns (settings.CACHES), and how long an unused
#: entry is kept.
READER_CACHE = "default"
READER_CACHE_SECONDS = 600

#: Stands in for a claim id in a reader URL built once and filled in per claim.
_CLAIM_SLOT = "__claim__"


@dataclass(frozen=True)
class _Summary:
    """All a reader view with nothing selected needs besides its cached columns."""

    claim_count: int
    link_count: int
    column_digests: dict[int, str]  # the columns with claims


@dataclass(frozen=True)
class _ReaderIndex:
    """What the reader draws from a story's annotation rows, whatever the view: the rows; per
    shown column its active claims in offset order (orphaned claims have no place in the text);
    the links between active claims (indexes into ``rows.links``); per claim its link counts and
    its neighbours ``(link index, other claim id)``; per column with claims a digest of them as
    its marks show them (span, quote, author, link counts). Plain data, cached under the rows'
    version (``key``) beside its ``summary``.
    """

    key: str
    rows: selectors.AnnotationRows
    by_article: dict[int, tuple[int, ...]]
    article_of: dict[int, int]
    links: tuple[int, ...]
    counts: dict[int, dict[str, int]]
    neighbours: dict[int, tuple[tuple[int, int], ...]]
    column_digests: dict[int, str]

    @property
    def summary(self) -> _Summary:
        return _Summary(
            claim_count=len(self.article_of),
            link_count=len(self.links),
            column_digests=self.column_digests,
        )

    @classmethod
    def build(cls, key: str, rows: selectors.AnnotationRows, article_ids) -> _ReaderIndex:
        at, link_at = selectors.CLAIM_AT, selectors.LINK_AT
        status, article = at["status"], at["article_id"]
        by_article: dict[int, list[int]] = {pk: [] for pk in article_ids}
        for pk, row in rows.claims.items():
            if row[status] == Claim.Status.ACTIVE and row[article] in by_article:
                by_article[row[article]].append(pk)
        article_of = {pk: article_pk for article_pk, pks in by_article.items() for pk in pks}
        a, b, relation = link_at["claim_a_id"], link_at["claim_b_id"], link_at["relation"]
        links, counts, neighbours = [], {}, {}
        for i, row in enumerate(rows.links):
            if row[a] not in article_of or row[b] not in article_of:
                continue
            links.append(i)
            for this, other in ((row[a], row[b]), (row[b], row[a])):
                claim_counts = counts.setdefault(this, {})
                claim_counts[row[relation]] = claim_counts.get(row[relation], 0) + 1
                neighbours.setdefault(this, []).append((i, other))
        start, end, exact = at["start"], at["end"], at["exact"]
        column_digests = {}
        for article_pk, pks in by_article.items():
            if pks:
                shown = [
                    (pk, rows.claims[pk][start], rows.claims[pk][end], rows.claims[pk][exact],
                     rows.claims[pk][-1], sorted(counts[pk].items()) if pk in counts else ())
                    for pk in pks
                ]  # fmt: skip
                column_digests[article_pk] = hashlib.blake2b(
                    repr(shown).encode(), digest_size=20
                ).hexdigest()
        return cls(
            key=key,
            rows=rows,
            by_article={pk: tuple(pks) for pk, pks in by_article.items()},
            article_of=article_of,
            links=tuple(links),
            counts=counts,
            neighbours={pk: tuple(items) for pk, items in neighbours.items()},
            column_digests=column_digests,
        )


class _IndexLoader:
    """The reader index for what ``user`` may see of ``story`` in ``layers``, read as little as
    the view needs: the version (one query) and the cached summary when nothing is selected and
    every column is cached; the cached index otherwise; the rows (two more queries) only when
    they changed since anyone with the same view of them was shown the story."""

    def __init__(self, *, story, user, layers, article_ids):
        self.story, self.user, self.layers, self.article_ids = story, user, layers, article_ids
        self.cache = caches[READER_CACHE]
        version = selectors.annotation_version(story=story, user=user, layers=layers)
        self.key = self._key(version)
        self.summary: _Summary | None = self.cache.get(f"{self.key}:summary")
        self._index: _ReaderIndex | None = None
        if self.summary is None:
            self.index()

    def _key(self, version: str) -> str:
        return f"reader-index:{self.story.pk}:{','.join(map(str, self.article_ids))}:{version}"

    def index(self) -> _ReaderIndex:
        if self._index is None:
            index = self.cache.get(self.key)
            if index is None:
                rows = selectors.annotation_rows(
                    story=self.story, user=self.user, layers=self.layers
                )
                # Keyed by the version of the rows read (newer than the version asked, if they
                # changed in between: the page then shows them, and all it shows agrees).
                index = _ReaderIndex.build(self._key(rows.version), rows, self.article_ids)
                self.cache.set_many(
                    {index.key: index, f"{index.key}:summary": index.summary},
                    timeout=READER_CACHE_SECONDS,
                )
            self._index, self.key, self.summary = index, index.key, index.summary
        return self._index


def _cached_columns(loader: _IndexLoader, articles, only: str) -> dict | None:
    """Every column of a view with nothing selected, from the cache; None if one is missing."""
    keys = {}
    for article in articles:
        claims_digest = loader.summary.column_digests.get(article.pk)
        if claims_digest is not None:
            keys[article.pk] = _column_key(claims_digest, article, only=only)
    found = loader.cache.get_many(keys.values()) if keys else {}
    if len(found) < len(keys):
        return None
    return {
        article.pk: _paragraphs(found[keys[article.pk]])
        if article.pk in keys
        else _column_paragraphs(article, (), tags=None, claims_digest="")  # no claims: plain text
        for article in articles
    }


def reader_annotations(*, user, story, articles, params, url) -> ReaderAnnotations:
    """Marks, badges and panels for the reader, in a fixed number of queries.

    The story's annotations come as rows with a version (``selectors.annotation_rows``), and what
    the reader draws from them is cached under that version: a view of unchanged annotations
    reads no rows, and builds model instances only for what its panels show.
    """
    # Visibility and the reader's layer toggles (``?layers=mine,public,team:3``; all by default).
    layers = selectors.parse_layers(user=user, value=params.get("layers"))
    loader = _IndexLoader(
        story=story, user=user, layers=layers, article_ids=[article.pk for article in articles]
    )
    only = params.get("only", "")
    only = only if only in RELATION_ICONS else ""
    panel = params.get("panel", "")
    selecting = params.get("claim") or params.get("link_to")
    if not selecting and panel != "connections":
        paragraphs = _cached_columns(loader, articles, only)
        if paragraphs is not None:
            return ReaderAnnotations(
                paragraphs=paragraphs,
                only=only,
                panel=panel,
                link_count=loader.summary.link_count,
                claim_count=loader.summary.claim_count,
                cancel_link_url=url(link_to=""),
            )

    index = loader.index()
    objects = selectors.AnnotationObjects(index.rows, {article.pk: article for article in articles})
    labels = _relation_labels()

    def claim_url(**changes) -> Callable[[int], str]:
        template = url(claim=_CLAIM_SLOT, **changes)
        return lambda claim_id: template.replace(_CLAIM_SLOT, str(claim_id))

    def active(pk: int | None) -> Claim | None:
        return objects.claim(pk) if pk in index.article_of else None

    selected = active(_int(params, "claim"))
    link_target = active(_int(params, "link_to")) if selected else None
    selected_links = []
    related_ids: set[int] = set()
    if selected:
        other_url = claim_url(link_to="", panel="")
        for link_index, other_id in index.neighbours.get(selected.pk, ()):
            link = objects.link(link_index)
            if only and link.relation != only:
                continue
            related_ids.add(other_id)
            selected_links.append(
                LinkView(
                    link=link,
                    other=objects.claim(other_id),
                    relation=link.relation,
                    icon=RELATION_ICONS[link.relation],
                    label=labels[link.relation],
                    url=other_url(other_id),
                    can_edit=link.author_id == getattr(user, "pk", None),
                )
            )
        order = list(RELATION_ICONS)
        selected_links.sort(key=lambda v: (order.index(v.relation), v.other.article_id))

    tags = _MarkTags(
        claim=objects.claim,
        counts=index.counts,
        article_of=index.article_of,
        selected_id=selected.pk if selected else None,
        related_ids=related_ids,
        only=only,
    )
    paragraphs = {
        article.pk: _column_paragraphs(
            article,
            index.by_article[article.pk],
            tags=tags,
            claims_digest=index.column_digests.get(article.pk, ""),
        )
        for article in articles
    }

    groups = []
    if panel == "connections":  # the list is only drawn when its panel is open
        url_in_panel = claim_url(link_to="", panel="connections")
        links = [objects.link(i) for i in index.links]
        for relation, icon in RELATION_ICONS.items():
            if only and relation != only:
                continue
            entries = [
                ConnectionEntry(
                    link=link, url_a=url_in_panel(link.claim_a_id), url_b=url_in_panel(link.claim_b_id)
                )
                for link in links
                if link.relation == relation
            ]
            groups.append(
                ConnectionGroup(relation=relation, icon=icon, label=labels[relation], entries=entries)
            )

    # Verdicts show beside the links the panels list: look up only those (none, no query).
    attach_verdicts(
        [view.link for view in selected_links]
        + [entry.link for group in groups for entry in group.entries]
    )
    return ReaderAnnotations(
        paragraphs=paragraphs,
        selected=selected,
        selected_links=selected_links,
        link_target=link_target,
        only=only,
        panel=panel,
        connection_groups=groups,
        link_count=index.summary.link_count,
        claim_count=index.summary.claim_count,
        related_ids=related_ids,
        can_edit_selected=bool(selected and selected.author_id == getattr(user, "pk", None)),
        cancel_link_url=url(link_to=""),
    )


def claim_badge_html(relation: str) -> SafeString:
    return format_html(
        '<span class="rel rel-{}"><span aria-hidden="true">{}</span> {}</span>',
        relation,
        RELATION_ICONS[relation],
        relation_label(relation),
    )
