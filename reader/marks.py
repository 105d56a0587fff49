"""Drawing a column's claims into its text as ``<mark data-claim>`` elements (the stable hook of
docs/DESIGN: one mark per claim and segment, nested where claims overlap).

A claim split into several segments repeats its class list; only its first segment carries the
id, tab stop and accessible name, and only its last the relation badges.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from annotations.models import RELATION_ICONS, ClaimLink

from . import rendering

#: The accessible name of a claim's mark.
LABEL = "Claim by %(author)s: “%(quote)s” (%(summary)s)"


def relation_labels() -> dict[str, str]:
    """Relation names in the active language (looked up once per drawing, not per mark)."""
    return {value: str(label) for value, label in ClaimLink.Relation.choices}


def claim_label(*, author: str, exact: str, counts: dict[str, int], labels=None, template="") -> str:
    """The accessible name of a claim's mark: who highlighted what, and its links."""
    labels = labels or relation_labels()
    quote = exact if len(exact) <= 90 else exact[:87] + "…"
    parts = [f"{counts[rel]} {labels[rel].lower()}" for rel in RELATION_ICONS if counts.get(rel)]
    summary = ", ".join(parts) if parts else _("no links")
    return (template or _(LABEL)) % {"author": author, "quote": quote, "summary": summary}


@dataclass
class MarkStyle:
    """What a column's marks show besides the claims themselves: link counts per claim, which
    claim is selected and which are linked to it, and the "only this relation" filter."""

    counts: dict[int, dict[str, int]]
    selected_id: int | None = None
    related_ids: frozenset[int] = frozenset()
    only: str = ""


class _Tags:
    """The opening tags of each claim's marks, built once per claim rather than per segment."""

    def __init__(self, claims: dict, style: MarkStyle):
        self.claims, self.style = claims, style
        self.labels = relation_labels()
        self.template = _(LABEL)
        self._base: dict[int, str] = {}

    def base(self, claim_id: int) -> str:
        attrs = self._base.get(claim_id)
        if attrs is None:
            counts = self.style.counts.get(claim_id, {})
            classes = ["claim"] + [f"has-{rel}" for rel in RELATION_ICONS if counts.get(rel)]
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
                    labels=self.labels, template=self.template,
                )
            )
            attrs += f' id="claim-{claim_id}" tabindex="0" role="button" aria-label="{label}"'
        if last and counts:
            badges = " ".join(
                f"{RELATION_ICONS[rel]}{counts[rel]}" for rel in RELATION_ICONS if counts.get(rel)
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
