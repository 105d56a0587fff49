"""What the reader shows of annotations: marks inside paragraphs, badges, the claim panel and
the Connections panel. Built from two queries (claims, links) whatever the number of rows.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
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
    claims: dict[int, Claim]
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

    def __init__(self, *, claims, counts, selected_id, related_ids, only):
        self.claims, self.counts = claims, counts
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
                _claim_label(self.claims[claim_id], claim_counts or {}, self.labels, self.template)
            )
            attrs += f' id="claim-{claim_id}" tabindex="0" role="button" aria-label="{label}"'
        if last and claim_counts:
            badges = " ".join(
                f"{RELATION_ICONS[rel]}{claim_counts[rel]}" for rel in RELATION_ICONS if claim_counts.get(rel)
            )
            attrs += f' data-badges="{badges}"'
        return f"<mark {attrs}>"


def _paragraph_html(paragraph: rendering.RenderedParagraph, *, tags: _MarkTags) -> SafeString:
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


def _column_key(article, claims: list[Claim], *, tags: _MarkTags) -> str:
    """A digest of everything a column's marked-up text is drawn from: the body itself, the
    language of the names, and per claim its span, quote, author, link counts and state. Equal
    digests mean equal HTML, so no change can leave a stale column behind."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(f"{article.pk}|{get_language()}|{tags.only}|".encode())
    digest.update(article.body.encode())
    for claim in claims:
        counts = tags.counts.get(claim.pk) or {}
        state = (
            claim.pk, claim.start, claim.end, claim.exact, claim.author_id,
            claim.author.get_username(), sorted(counts.items()),
            claim.pk == tags.selected_id, claim.pk in tags.related_ids,
        )  # fmt: skip
        digest.update(repr(state).encode())
    return f"reader-column:{digest.hexdigest()}"


def _column_paragraphs(article, claims: list[Claim], *, tags: _MarkTags) -> list[RenderedParagraph]:
    """The column's paragraphs with their marks, from the cache when the same column was drawn
    before (most views of a story repeat: marking up thousands of segments is the cost). A
    column without claims is plain text, cheaper to draw than to digest."""

    def draw() -> list[RenderedParagraph]:
        return [
            RenderedParagraph(start=p.start, html=_paragraph_html(p, tags=tags))
            for p in rendering.render_paragraphs(body=article.body, claims=claims)
        ]

    if not claims:
        return draw()
    cache = caches[READER_CACHE]
    key = _column_key(article, claims, tags=tags)
    cached = cache.get(key)
    if cached is None:
        cached = [(p.start, str(p.html)) for p in draw()]
        cache.set(key, cached, timeout=READER_CACHE_SECONDS)
    return [RenderedParagraph(start=start, html=mark_safe(html)) for start, html in cached]  # noqa: S308


#: The cache of marked-up columns (settings.CACHES) and how long an unused entry is kept.
READER_CACHE = "default"
READER_CACHE_SECONDS = 600

#: Stands in for a claim id in a reader URL built once and filled in per claim.
_CLAIM_SLOT = "__claim__"


def reader_annotations(*, user, story, articles, params, url) -> ReaderAnnotations:
    """Marks, badges and panels for the reader, in a fixed number of queries.

    Claims and links come from ``selectors.story_annotations`` (articles and users loaded once
    and shared, links pointing at the very claim objects), which is what keeps a story with
    thousands of claims cheap; per-claim strings (mark tags, URLs) are built once per claim.
    """
    # Visibility and the reader's layer toggles (``?layers=mine,public,team:3``; all by default).
    layers = selectors.parse_layers(user=user, value=params.get("layers"))
    found = selectors.story_annotations(story=story, user=user, layers=layers, articles=articles)
    # Curation: orphaned claims (their words were edited away) have no place in the text, and
    # contradictions carry their verdicts.
    claims = [c for c in found.claims if c.status == Claim.Status.ACTIVE]
    by_id = {c.pk: c for c in claims}
    links = [lk for lk in found.links if lk.claim_a_id in by_id and lk.claim_b_id in by_id]
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    neighbours: dict[int, list[tuple[ClaimLink, int]]] = defaultdict(list)
    for link in links:
        counts[link.claim_a_id][link.relation] += 1
        counts[link.claim_b_id][link.relation] += 1
        neighbours[link.claim_a_id].append((link, link.claim_b_id))
        neighbours[link.claim_b_id].append((link, link.claim_a_id))
    labels = _relation_labels()

    def claim_url(**changes) -> Callable[[int], str]:
        template = url(claim=_CLAIM_SLOT, **changes)
        return lambda claim_id: template.replace(_CLAIM_SLOT, str(claim_id))

    only = params.get("only", "")
    only = only if only in RELATION_ICONS else ""
    panel = params.get("panel", "")
    selected = by_id.get(_int(params, "claim"))
    link_target = by_id.get(_int(params, "link_to")) if selected else None
    selected_links = []
    related_ids: set[int] = set()
    if selected:
        other_url = claim_url(link_to="", panel="")
        for link, other_id in neighbours[selected.pk]:
            if only and link.relation != only:
                continue
            related_ids.add(other_id)
            selected_links.append(
                LinkView(
                    link=link,
                    other=by_id[other_id],
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
        claims=by_id,
        counts=counts,
        selected_id=selected.pk if selected else None,
        related_ids=related_ids,
        only=only,
    )
    by_article: dict[int, list[Claim]] = defaultdict(list)
    for claim in claims:
        by_article[claim.article_id].append(claim)
    paragraphs = {
        article.pk: _column_paragraphs(article, by_article[article.pk], tags=tags)
        for article in articles
    }

    groups = []
    if panel == "connections":  # the list is only drawn when its panel is open
        url_in_panel = claim_url(link_to="", panel="connections")
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
        claims=by_id,
        selected=selected,
        selected_links=selected_links,
        link_target=link_target,
        only=only,
        panel=panel,
        connection_groups=groups,
        link_count=len(links),
        claim_count=len(claims),
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
