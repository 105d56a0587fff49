"""Split an article body and its claims into paragraphs of segments for the reader.

Pure functions on plain data: no database, no HTML. A paragraph is one non-empty line of the body
(``body.split("\\n")``); its segments cover it exactly, split at every claim boundary, and each
segment lists the claims covering it. ``reader.marks`` draws each segment once, as one
``<mark data-claim="<ids>">`` listing them (docs/page-hooks.md), so overlapping and
paragraph-crossing claims need no special casing there: n claims cut a body of p paragraphs
into at most 2n + p segments, however deeply they overlap.

Cost: sorting the 2m claim boundaries, then one sweep over paragraphs and boundaries, so
O(n + m log m) plus the size of the output (a segment covered by k claims lists k ids).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from textkernel.text import paragraphs


class Span(Protocol):
    """Anything with a primary key and code-point offsets, e.g. a ``Claim``."""

    pk: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of a paragraph's text covered by the same set of claims.

    ``claim_ids`` is ordered outermost first (earlier start, then longer, then lower id), so
    wrapping marks in that order nests them consistently from segment to segment.
    ``starts``/``ends`` are the claims whose first/last *visible* segment this is (a claim that
    begins on a line break starts in the next paragraph): put the claim's anchor id on its start
    segment and its badge on its end segment.
    """

    start: int
    text: str
    claim_ids: tuple[int, ...] = ()
    starts: tuple[int, ...] = ()
    ends: tuple[int, ...] = ()

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    @property
    def is_marked(self) -> bool:
        return bool(self.claim_ids)


@dataclass(frozen=True, slots=True)
class RenderedParagraph:
    """One non-empty line of the body: ``text == body[start:start + len(text)]``."""

    start: int
    text: str
    segments: tuple[Segment, ...]

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def render_paragraphs(
    *, body: str, claims: Iterable[Span], span: tuple[int, int] | None = None
) -> list[RenderedParagraph]:
    """The body's paragraphs, each split into segments at every claim boundary; with ``span``
    (start, end), only the paragraphs overlapping it or one of ``claims`` (the others have no
    mark, so leaving them out changes nothing in those drawn).

    Claims are clamped to the body; empty ones (after clamping) are ignored. Text between
    paragraphs (the line breaks) belongs to no segment.
    """
    n = len(body)
    claims = list(claims)
    if span is not None:
        low = min([span[0], *(claim.start for claim in claims)])
        high = max([span[1], *(claim.end for claim in claims)])
    # Events sorted by position; at one position, ends (0) before starts (1), so touching
    # claims do not share a segment.
    events: list[tuple[int, int, tuple[int, int, int]]] = []
    for claim in claims:
        start, end = max(0, claim.start), min(n, claim.end)
        if start >= end:
            continue
        key = (start, -end, claim.pk)
        events.append((start, 1, key))
        events.append((end, 0, key))
    events.sort()

    active: list[tuple[int, int, int]] = []  # sorted: outermost first

    def apply(event: tuple[int, int, tuple[int, int, int]]) -> None:
        _pos, kind, key = event
        if kind:
            insort(active, key)
        else:
            del active[bisect_left(active, key)]

    # First pass: raw segments as (start, text, ids); remember each claim's first and last.
    raw: list[tuple[int, str, tuple[int, ...]]] = []
    per_paragraph: list[tuple[int, str, int, int]] = []  # start, text, first raw idx, end idx
    first_seen: dict[int, int] = {}
    last_seen: dict[int, int] = {}
    i = 0
    for p_start, line in paragraphs(body):
        p_end = p_start + len(line)
        if span is not None and (p_end <= low or p_start >= high):
            continue  # no claim here (``low``/``high`` hold them all): no event to apply
        while i < len(events) and events[i][0] <= p_start:
            apply(events[i])
            i += 1
        first_index = len(raw)
        cursor = p_start
        while True:
            cut = events[i][0] if i < len(events) and events[i][0] < p_end else p_end
            if cut > cursor:
                ids = tuple(key[2] for key in active)
                index = len(raw)
                for claim_id in ids:
                    first_seen.setdefault(claim_id, index)
                    last_seen[claim_id] = index
                raw.append((cursor, body[cursor:cut], ids))
                cursor = cut
            if cut == p_end:
                break
            while i < len(events) and events[i][0] == cut:
                apply(events[i])
                i += 1
        per_paragraph.append((p_start, line, first_index, len(raw)))

    starts_at: dict[int, set[int]] = {}
    ends_at: dict[int, set[int]] = {}
    for claim_id, index in first_seen.items():
        starts_at.setdefault(index, set()).add(claim_id)
    for claim_id, index in last_seen.items():
        ends_at.setdefault(index, set()).add(claim_id)

    def segment(index: int) -> Segment:
        start, text, ids = raw[index]
        starting, ending = starts_at.get(index), ends_at.get(index)
        return Segment(
            start=start,
            text=text,
            claim_ids=ids,
            starts=tuple(c for c in ids if c in starting) if starting else (),
            ends=tuple(c for c in ids if c in ending) if ending else (),
        )

    return [
        RenderedParagraph(
            start=p_start, text=line, segments=tuple(segment(k) for k in range(lo, hi))
        )
        for p_start, line, lo, hi in per_paragraph
    ]
