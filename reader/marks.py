"""Drawing a column's claims into its text as ``<mark data-claim>`` elements (the stable hook of
docs/DESIGN: one mark per claim and segment, nested where claims overlap).

A claim split into several segments repeats its class list; only its first segment carries the
id, tab stop and accessible name, and only its last the relation badges.

Each mark shows the claim's *state* (``CLAIM_STATES``: contradicted somewhere, agreed or
qualified only, not linked yet; plus ``SETTLED`` when a curator confirmed one of its links or a
verdict settles it) and its visibility, in colour and a second cue (border style, badge, icon;
static/css/comparison.css), and says both in its accessible name. ``legend()`` is the one source
of the words and icons the reader's legend shows (templates/reader/_legend.html).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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
#: Visibility cues (public shows none): the icon is drawn by CSS from the class.
VISIBILITY_CSS = {value: f"vis-{value}" for value in Claim.Visibility.values}


def claim_state(counts: dict[str, int]) -> str:
    """The key in ``CLAIM_STATES`` of a claim with these link counts per relation."""
    if counts.get(ClaimLink.Relation.CONTRADICTS):
        return "contradicted"
    return "agreed" if any(counts.values()) else "unlinked"


def legend() -> list[dict]:
    """What the reader's legend lists, in order: the states, the settled cue, visibility."""
    entries = [{"css": state.css, "icon": state.icon, "label": state.label} for state in CLAIM_STATES.values()]
    entries.append({"css": f"state-agreed {SETTLED.css}", "icon": SETTLED.icon, "label": SETTLED.label})
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


class _Tags:
    """The opening tags of each claim's marks, built once per claim rather than per segment."""

    def __init__(self, claims: dict, style: MarkStyle):
        self.claims, self.style = claims, style
        self.labels = relation_labels()
        self.visibilities = visibility_labels()
        self.template = _(LABEL)
        self._base: dict[int, str] = {}

    def base(self, claim_id: int) -> str:
        attrs = self._base.get(claim_id)
        if attrs is None:
            counts = self.style.counts.get(claim_id, {})
            classes = ["claim"] + [f"has-{rel}" for rel in RELATION_ICONS if counts.get(rel)]
            classes.append(CLAIM_STATES[claim_state(counts)].css)
            if claim_id in self.style.settled:
                classes.append(SETTLED.css)
            visibility = self.claims[claim_id].visibility
            classes.append(VISIBILITY_CSS.get(visibility, "vis-public"))
            if claim_id == self.style.selected_id:
                classes.append("is-selected")
            elif claim_id in self.style.related_ids:
                classes.append("is-related")
            if self.style.only and not counts.get(self.style.only):
                classes.append("is-dimmed")
            attrs = self._base[claim_id] = f'data-claim="{claim_id}" class="{" ".join(classes)}"'
        return attrs

    def open(self, claim_id: int, *, first: bool, last: bool) -> str:
        attrs = self.base(claim_id)
        counts = self.style.counts.get(claim_id)
        if first:
            claim = self.claims[claim_id]
            label = escape(
                claim_label(
                    author=claim.author_name, exact=claim.exact, counts=counts or {},
                    visibility=claim.visibility, settled=claim_id in self.style.settled,
                    labels=self.labels, visibilities=self.visibilities, template=self.template,
                )
            )
            attrs += f' id="claim-{claim_id}" tabindex="0" role="button" aria-label="{label}"'
        if last and counts:
            badges = " ".join(
                ([SETTLED.icon] if claim_id in self.style.settled else [])
                + [f"{RELATION_ICONS[rel]}{counts[rel]}" for rel in RELATION_ICONS if counts.get(rel)]
            )
            attrs += f' data-badges="{badges}"'
        return f"<mark {attrs}>"


def _paragraph_html(paragraph: rendering.RenderedParagraph, tags: _Tags) -> SafeString:
    parts: list[str] = []
    for segment in paragraph.segments:
        text = escape(segment.text)
        # Innermost mark last: each claim covering the segment gets its own <mark data-claim>.
        for claim_id in reversed(segment.claim_ids):
            opening = tags.open(claim_id, first=claim_id in segment.starts, last=claim_id in segment.ends)
            text = f"{opening}{text}</mark>"
        parts.append(text)
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
        for paragraph in rendering.render_paragraphs(body=body, claims=claims)
        if span is None or (paragraph.start < span[1] and span[0] < paragraph.end)
    ]
