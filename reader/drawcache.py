"""Drawing a column again after a write by redrawing only the paragraphs whose marks changed.

Each paragraph's HTML (``marks.draw_column``) depends only on the paragraph's text and on the
claims overlapping it: each claim's row (offsets, quote, author, visibility, status) and what the
view's ``MarkStyle`` says of it (its link counts, settled, selected, related), plus what the style
says of the whole view (the filter) and the language of the marks' names. So a paragraph is
memoised under a fingerprint of exactly these (a tuple, compared whole); the body's identity and the paragraph's
offsets stand for its text. A write changes the fingerprints of the paragraphs it touches only,
and only those are drawn again (one ``draw_column`` call for them all, with just their claims).

The fingerprint holds everything the drawing shows, so one viewer's paragraph serves another only
when both would see exactly the same marks in it: never a claim one of them may not see
(visibility, through the rows ``annotations.permissions`` filtered, is part of it). Style fields
not known here count for the whole column (a new field can only cost reuse, never show stale
marks).

The memo lives in the process (``ProcessMemo``), without pickling, as do the reader's rows and
drawn columns (``presenters``).
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
import uuid
from bisect import bisect_right
from collections.abc import Sequence

from django.utils.translation import get_language

from textkernel.text import paragraphs

from .marks import MarkStyle, draw_column

#: Style fields drawn per claim (``_claim_prints`` reads each for one claim).
_PER_CLAIM = ("counts", "settled", "selected_id", "related_ids")


def _claim_prints(style: MarkStyle, claims: Sequence) -> dict[int, tuple]:
    """Each claim's part of a fingerprint: its row and what each ``_PER_CLAIM`` field of
    ``style`` says of it (once per claim, however many paragraphs it spans)."""
    counts, settled = style.counts, style.settled
    selected, related = style.selected_id, style.related_ids
    empty = {}
    return {
        claim.pk: (
            tuple(claim), tuple(counts.get(claim.pk, empty).items()), claim.pk in settled,
            claim.pk == selected, claim.pk in related,
        )
        for claim in claims
    }


def _view_style(style: MarkStyle) -> tuple:
    # Fields not known here count for the whole column, as their repr (hashable whatever they are).
    return tuple(
        (f.name, repr(getattr(style, f.name))) for f in dataclasses.fields(style) if f.name not in _PER_CLAIM
    )


def fingerprints(
    *, body_id: str, body: str, claims: Sequence, style: MarkStyle, only: Sequence[int] | None = None
) -> list[tuple[int, tuple, list]]:
    """``(start, fingerprint, claims overlapping it)`` for each paragraph of ``body`` (with
    ``only``, for the paragraphs at those indexes alone). The fingerprint is a tuple of plain
    values (compared whole on lookup: no hash collision can serve another paragraph's HTML)."""
    spans = paragraph_spans(body_id, body)
    if only is not None:
        spans = [spans[i] for i in only]
    starts = [start for start, _end in spans]
    overlapping: list[list] = [[] for _ in spans]
    n = len(body)
    low, high = (spans[0][0], spans[-1][1]) if spans else (0, 0)
    for claim in claims:
        start, end = max(0, claim.start), min(n, claim.end)
        if start >= end or end <= low or start >= high:
            continue
        i = max(0, bisect_right(starts, start) - 1)
        while i < len(spans) and spans[i][0] < end:
            if spans[i][1] > start:
                overlapping[i].append(claim)
            i += 1
    view = (body_id, get_language(), _view_style(style))
    prints = _claim_prints(style, {claim.pk: claim for mine in overlapping for claim in mine}.values())
    result = []
    for (start, end), mine in zip(spans, overlapping, strict=True):
        key = (view, start, end, tuple([prints[claim.pk] for claim in mine]))
        result.append((start, key, mine))
    return result


_spans_memo: dict[str, list[tuple[int, int]]] = {}


def paragraph_spans(body_id: str, body: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each paragraph of ``body`` (``textkernel.text.paragraphs``), kept per
    body identity (a few hundred bytes per body; at most ``MEMO_PARAGRAPHS`` bodies)."""
    spans = _spans_memo.get(body_id)
    if spans is None:
        if len(_spans_memo) >= MEMO_PARAGRAPHS:
            _spans_memo.clear()
        spans = _spans_memo[body_id] = [(start, start + len(line)) for start, line in paragraphs(body)]
    return spans


def touched_paragraphs(body_id: str, body: str, spans: Sequence[tuple[int, int]]) -> list[int]:
    """The indexes of the paragraphs of ``body`` that overlap one of ``spans`` (claims' start
    and end offsets), in order."""
    bounds = paragraph_spans(body_id, body)
    starts = [start for start, _end in bounds]
    found = set()
    for start, end in spans:
        i = max(0, bisect_right(starts, start) - 1)
        while i < len(bounds) and bounds[i][0] < end:
            if bounds[i][1] > start:
                found.add(i)
            i += 1
    return sorted(found)


class ProcessMemo:
    """Values by key, in this process (no pickling: reading one back costs nothing; the values
    must be immutable, as they are shared by every request that reads them). It is emptied with
    the Django cache all the same (``clear()`` there means "read and draw everything again", as
    tests and the first-view benchmark expect), and holds at most ``limit`` entries, the oldest
    dropped first (down to half)."""

    TOKEN_KEY = "reader-paragraph-memo"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.entries: dict = {}
        self.token: str | None = None
        self.lock = threading.Lock()

    def current(self, cache) -> dict:
        token = cache.get(self.TOKEN_KEY)
        if token is None:
            token = uuid.uuid4().hex
            cache.set(self.TOKEN_KEY, token, timeout=None)
        if token != self.token:
            with self.lock:
                self.entries, self.token = {}, token
        return self.entries

    def add(self, entries: dict, fresh: dict) -> None:
        with self.lock:
            entries.update(fresh)
            if len(entries) > self.limit:
                for key in list(itertools.islice(entries, len(entries) - self.limit // 2)):
                    entries.pop(key, None)


#: At most this many paragraphs are memoised per process (a 1,000-claim story has ~400).
MEMO_PARAGRAPHS = 10_000
#: Paragraph HTML by fingerprint. Entries cannot go stale (the fingerprint is everything drawn),
#: so it needs no invalidation.
_memo = ProcessMemo(MEMO_PARAGRAPHS)


def draw(
    *, cache, body_id: str, body: str, claims: Sequence, style: MarkStyle,
    previous: Sequence[tuple[int, str]] | None = None, changed: Sequence[tuple[int, int]] = (),
) -> list[tuple[int, str]]:
    """The column's paragraphs as ``marks.draw_column`` draws them, those drawn before with the
    same fingerprint from the memo (``cache`` is the Django cache it is emptied with).

    With ``previous`` (this column's paragraphs as drawn for the same view before a write) and
    ``changed`` (the offsets of every claim whose row or style the write changed, before and
    after it), only the paragraphs overlapping ``changed`` are looked at again: the others
    overlap no changed claim, so their fingerprints, and HTML, are those of ``previous``."""
    memo = _memo.current(cache)
    only = None
    if previous is not None and len(previous) == len(paragraph_spans(body_id, body)):
        only = touched_paragraphs(body_id, body, changed)
    prints = fingerprints(body_id=body_id, body=body, claims=claims, style=style, only=only)
    # One lookup per paragraph (a fingerprint's hash is not kept: each lookup walks it whole);
    # a paragraph dropped from the memo by another thread meanwhile is simply drawn again.
    found = [memo.get(digest) for _start, digest, _mine in prints]
    missing = [(start, mine) for (start, _digest, mine), html in zip(prints, found, strict=True) if html is None]
    drawn: dict[int, str] = {}
    if missing:
        wanted = {start for start, _mine in missing}
        subset = {claim.pk for _start, mine in missing for claim in mine}
        for start, html in draw_column(
            body=body, claims=[c for c in claims if c.pk in subset], style=style,
            span=(min(wanted), max(wanted) + 1),
        ):
            if start in wanted:
                drawn[start] = html
    result, fresh = [], {}
    for (start, digest, _mine), html in zip(prints, found, strict=True):
        if html is None:
            html = fresh[digest] = drawn[start]
        result.append((start, html))
    if fresh:
        _memo.add(memo, fresh)
    if only is None:
        return result
    merged = list(previous)
    for index, item in zip(only, result, strict=True):
        merged[index] = item
    return merged
