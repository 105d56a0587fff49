"""Drawing a column's claims into its text as ``<mark data-claim>`` elements (the stable hook,
docs/page-hooks.md): each run of text covered by the same claims is ONE mark listing them all,
``<mark data-claim="12 15 19">``, so ``mark[data-claim~="15"]`` finds every segment of claim 15
and the page grows with the number of claims, not with the depth of their overlaps (issue 18).

A segment shows its innermost claim's look (state, links, visibility) plus its overlap depth
(``overlap-2``, ``overlap-3`` for three or more) and whether the selected claim, or one linked
to it, covers it. Each claim's first segment carries its anchor (``id="claim-<pk>"``, tab stop,
accessible name); the segments where claims end carry their relation badges.

Each mark shows the claim's *state* (``CLAIM_STATES``: contradicted somewhere, agreed or
qualified only, not linked yet; plus ``SETTLED`` when a curator confirmed one of its links or a
verdict settles it) and its visibility, in colour and a second cue (border style, badge, icon;
static/css/comparison.css), and says both in its accessible name. ``legend()`` is the one source
of the words and icons the reader's legend shows (templates/reader/_legend.html).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from annotations.models import RELATION_ICONS, Claim, ClaimLink

from . import rendering

#: The accessible name of a claim's mark.
LABEL = "Claim by %(author)s, %(visibility)s: “%(quote)s” (%(state)s)"


@dataclass(frozen=True)
class ClaimState:
    """One thing a claim's mark can show: its CSS class, the icon its badge or legend swatch
    carries, and its name (a legend entry and part of the mark's accessible name)."""

    css: str
    icon: str
    label: str


#: A claim's link state, first match wins: contradicted by some source, else agreed with or
#: qualified by some, else not linked yet. Icons are the relations' own (``RELATION_ICONS``).
CLAIM_STATES = {
    "contradicted": ClaimState(
        "state-contradicted", RELATION_ICONS["contradicts"], gettext_lazy("contradicted somewhere")
    ),
    "agreed": ClaimState(
        "state-agreed",
        RELATION_ICONS["agrees"] + RELATION_ICONS["qualifies"],
        gettext_lazy("agreed or qualified only"),
    ),
    "unlinked": ClaimState("state-unlinked", "", gettext_lazy("not linked yet")),
}
#: On top of the state: a curator confirmed one of the claim's links, or a verdict rules on it.
SETTLED = ClaimState("is-settled", "★", gettext_lazy("confirmed by a curator or with a verdict"))
#: Where claims overlap, the segment is darker and ruled on top (``DEPTH_CSS``).
OVERLAP = ClaimState("overlap-3", "", gettext_lazy("where claims overlap: darker, ruled on top"))
#: Visibility cues (public shows none): the icon is drawn by CSS from the class.
VISIBILITY_CSS = {value: f"vis-{value}" for value in Claim.Visibility.values}


def claim_state(counts: dict[str, int]) -> str:
    """The key in ``CLAIM_STATES`` of a claim with these link counts per relation."""
    if counts.get(ClaimLink.Relation.CONTRADICTS):
        return "contradicted"
    return "agreed" if any(counts.values()) else "unlinked"


def legend() -> list[dict]:
    """What the reader's legend lists, in order: the states, the settled cue, overlaps,
    visibility."""
    entries = [{"css": state.css, "icon": state.icon, "label": state.label} for state in CLAIM_STATES.values()]
    entries.append({"css": f"state-agreed {SETTLED.css}", "icon": SETTLED.icon, "label": SETTLED.label})
    entries.append({"css": f"state-unlinked {OVERLAP.css}", "icon": "", "label": OVERLAP.label})
    for value, label in Claim.Visibility.choices:
        entries.append({"css": f"state-unlinked {VISIBILITY_CSS[value]}", "icon": "", "label": label, "visibility": value})
    return entries


def relation_labels() -> dict[str, str]:
    """Relation names in the active language (looked up once per drawing, not per mark)."""
    return {value: str(label) for value, label in ClaimLink.Relation.choices}


def visibility_labels() -> dict[str, str]:
    return {value: str(label).lower() for value, label in Claim.Visibility.choices}


def claim_label(
    *, author: str, exact: str, counts: dict[str, int], visibility: str = "public",
    settled: bool = False, labels=None, visibilities=None, template="",
) -> str:
    """The accessible name of a claim's mark: who highlighted what, who may see it, its state
    and its links."""
    labels = labels or relation_labels()
    visibilities = visibilities or visibility_labels()
    quote = exact if len(exact) <= 90 else exact[:87] + "…"
    state = [str(CLAIM_STATES[claim_state(counts)].label)]
    if settled:
        state.append(str(SETTLED.label))
    parts = [f"{counts[rel]} {labels[rel].lower()}" for rel in RELATION_ICONS if counts.get(rel)]
    if parts:
        state.append(", ".join(parts))
    return (template or _(LABEL)) % {
        "author": author, "visibility": visibilities.get(visibility, visibility), "quote": quote,
        "state": "; ".join(state),
    }


@dataclass
class MarkStyle:
    """What a column's marks show besides the claims themselves: link counts per claim, which
    claim is selected and which are linked to it, and the "only this relation" filter."""

    counts: dict[int, dict[str, int]]
    settled: frozenset[int] = frozenset()
    selected_id: int | None = None
    related_ids: frozenset[int] = frozenset()
    only: str = ""


#: Overlap depth classes: a segment covered by two claims, and by three or more.
DEPTH_CSS = {2: "overlap-2", 3: "overlap-3"}


def _look(counts: dict[str, int], settled: bool, visibility: str, only: str) -> str:
    """The classes a claim with these link counts, settled or not, of this visibility carries
    under the ``only`` filter (``_Tags.base``)."""
    names = [f"has-{rel}" for rel in RELATION_ICONS if counts.get(rel)]
    names.append(CLAIM_STATES[claim_state(counts)].css)
    if settled:
        names.append(SETTLED.css)
    names.append(VISIBILITY_CSS.get(visibility, "vis-public"))
    if only and not counts.get(only):
        names.append("is-dimmed")
    return " ".join(names)


#: ``_look`` per (relations linked, settled, visibility, only): a few dozen at most.
_LOOKS: dict[tuple, str] = {}


class _Tags:
    """Per claim, built once rather than per segment: the classes its look gives a segment
    (``base``), its accessible name and its badges."""

    def __init__(self, claims: dict, style: MarkStyle):
        self.claims, self.style = claims, style
        self.labels = relation_labels()
        self.visibilities = visibility_labels()
        self.template = _(LABEL)
        self._base: dict[int, str] = {}

    def base(self, claim_id: int) -> str:
        """The claim's own classes: links, state, settled, visibility, "only" dimming."""
        classes = self._base.get(claim_id)
        if classes is None:
            counts = self.style.counts.get(claim_id, {})
            # Everything the classes depend on: which relations it has, settled, visibility, the
            # "only" filter (a handful of combinations, so the looks are worked out once each).
            key = (
                tuple(rel for rel, n in counts.items() if n), claim_id in self.style.settled,
                self.claims[claim_id].visibility, self.style.only,
            )
            classes = _LOOKS.get(key)
            if classes is None:
                classes = _LOOKS[key] = _look(counts, *key[1:])
            self._base[claim_id] = classes
        return classes

    def label(self, claim_id: int) -> str:
        """The claim's accessible name (``claim_label``), not escaped."""
        claim = self.claims[claim_id]
        return claim_label(
            author=claim.author_name, exact=claim.exact, counts=self.style.counts.get(claim_id) or {},
            visibility=claim.visibility, settled=claim_id in self.style.settled,
            labels=self.labels, visibilities=self.visibilities, template=self.template,
        )

    def anchor(self, claim_id: int) -> str:
        """The attributes of a claim's anchor: its id, tab stop and accessible name."""
        label = escape(self.label(claim_id))
        return f'id="claim-{claim_id}" tabindex="0" role="button" aria-label="{label}"'

    def badges(self, claim_id: int) -> str:
        counts = self.style.counts.get(claim_id)
        if not counts:
            return ""
        return " ".join(
            ([SETTLED.icon] if claim_id in self.style.settled else [])
            + [f"{RELATION_ICONS[rel]}{counts[rel]}" for rel in RELATION_ICONS if counts.get(rel)]
        )

    def segment(self, segment: rendering.Segment, text: str) -> str:
        """One segment drawn once, whatever the number of claims covering it: a
        ``<mark data-claim="<ids, outermost first>">`` with the innermost claim's look, plus the
        selection, the overlap depth, and the anchors of the claims starting here.

        The innermost claim of a segment where any claim starts is one of those starting here
        (it starts last), so the mark itself is its anchor; claims starting at the same place
        and reaching further (rare: the same first character) get their anchor on a
        ``<span class="claim-anchor">`` around the mark, outermost first, so the tab order is
        the old one (longer claims first) and a click still lands on the mark."""
        ids = segment.claim_ids
        inner = ids[-1]
        classes = ["claim", self.base(inner)]
        selected, related = self.style.selected_id, self.style.related_ids
        if selected in ids:
            classes.append("is-selected")
        elif related and not related.isdisjoint(ids):
            classes.append("is-related")
        depth = DEPTH_CSS.get(min(len(ids), 3))
        if depth:
            classes.append(depth)
        attrs = f'data-claim="{" ".join(map(str, ids))}" class="{" ".join(classes)}"'
        starts = segment.starts
        if inner in starts:
            attrs += " " + self.anchor(inner)
        if segment.ends:
            badges = " · ".join(filter(None, map(self.badges, reversed(segment.ends))))
            if badges:
                attrs += f' data-badges="{badges}"'
        html = f"<mark {attrs}>{text}</mark>"
        for claim_id in reversed(starts):
            if claim_id != inner:
                html = f'<span class="claim-anchor {self.base(claim_id)}" {self.anchor(claim_id)}>{html}</span>'
        return html


def _paragraph_html(paragraph: rendering.RenderedParagraph, tags: _Tags) -> SafeString:
    parts: list[str] = []
    for segment in paragraph.segments:
        text = escape(segment.text)
        parts.append(tags.segment(segment, text) if segment.claim_ids else text)
    return mark_safe("".join(parts))  # noqa: S308 - every text piece was escaped above


def draw_column(
    *, body: str, claims: Iterable, style: MarkStyle, span: tuple[int, int] | None = None
) -> list[tuple[int, str]]:
    """The column's paragraphs as ``(start offset, HTML)``, with ``claims`` (rows with ``pk``,
    ``start``, ``end``, ``exact`` and ``author_name``, in offset order) drawn in; only those
    overlapping ``span`` (start, end) when given."""
    claims = list(claims)
    tags = _Tags({claim.pk: claim for claim in claims}, style)
    return [
        (paragraph.start, str(_paragraph_html(paragraph, tags)))
        for paragraph in rendering.render_paragraphs(body=body, claims=claims, span=span)
        if span is None or (paragraph.start < span[1] and span[0] < paragraph.end)
    ]


# --- dense columns: claims sent as data, drawn by the browser (issue 18) ----------------------


_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
#: Every number below 36² in base 36: zero-padded to two digits, and as written.
_PAIRS = [high + low for high in _DIGITS for low in _DIGITS]
_SHORT = [pair.lstrip("0") or "0" for pair in _PAIRS]


def _base36(number: int) -> str:
    # Two digits at a time from the tables (a dense column writes four numbers per claim).
    if number < 0:
        return "-" + _base36(-number)
    if number < 1296:
        return _SHORT[number]
    high, low = divmod(number, 1296)
    return _base36(high) + _PAIRS[low]


class ClaimData(NamedTuple):
    """A dense column's claims as data (``claim_data``)."""

    styles: str
    records: str
    #: Per claim: its start and length in base 36 (``"s,l"``) and its look's classes, what the
    #: next drawing of the column after a write reuses for the claims the write did not change.
    parts: dict[int, tuple[str, str]]


def claim_data(
    *, claims: Iterable, style: MarkStyle, earlier: dict[int, tuple[str, str]] | None = None,
    changed: frozenset[int] = frozenset(),
) -> ClaimData:
    """A dense column's claims as two attribute values (docs/page-hooks.md, "Dense columns"):

    - ``styles``: the distinct looks, ``|``-separated, each the space-separated classes a
      server-drawn segment of that claim would carry (``_Tags.base``: links, state, settled,
      visibility, "only" dimming; plus ``is-selected`` / ``is-related``);
    - ``claims``: one record per claim, in pk order, space-separated: four base-36 integers
      joined by commas, *pk minus the previous record's pk*, *start*, *length* (code points into
      the article body) and the index of its look in ``styles``.

    A few bytes per claim, however deeply claims overlap: static/js/dense.js draws them with the
    CSS Custom Highlight API.

    With ``earlier`` (the ``parts`` of this column's data for the same view before a write) and
    ``changed`` (every claim whose row or style the write changed, as ``rowdelta`` names them),
    only the changed claims' parts are worked out again: the others are as they were (the same
    promise the marks' redrawing of only the touched paragraphs rests on, ``drawcache.draw``)."""
    claims = sorted(claims, key=lambda claim: claim.pk)
    tags = None
    looks: dict[str, int] = {}
    parts: dict[int, tuple[str, str]] = {}
    records, previous = [], 0
    selected, related = style.selected_id, style.related_ids
    for claim in claims:
        pk = claim.pk
        part = earlier.get(pk) if earlier is not None and pk not in changed else None
        if part is None:
            if tags is None:
                tags = _Tags({row.pk: row for row in claims}, style)  # made only if a claim is redone
            classes = tags.base(pk)
            if pk == selected:
                classes += " is-selected"
            elif pk in related:
                classes += " is-related"
            part = (f"{_base36(claim.start)},{_base36(claim.end - claim.start)}", classes)
        parts[pk] = part
        look = looks.setdefault(part[1], len(looks))
        records.append(f"{_base36(pk - previous)},{part[0]},{_base36(look)}")
        previous = pk
    return ClaimData("|".join(looks), " ".join(records), parts)


def claim_list_items(*, claims: Iterable, style: MarkStyle) -> list[tuple[int, str, str]]:
    """``(pk, classes, accessible name)`` per claim, in the order given: what each claim's
    anchor would carry when drawn as marks (a dense column's accessible list)."""
    claims = list(claims)
    tags = _Tags({claim.pk: claim for claim in claims}, style)
    return [(claim.pk, tags.base(claim.pk), tags.label(claim.pk)) for claim in claims]
