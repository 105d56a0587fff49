"""Quotes and their context: how a claim is found again in a text by its words.

A claim stores its quote and up to ``CONTEXT_CHARS`` characters on each side (a W3C
TextQuoteSelector's ``exact``, ``prefix`` and ``suffix``), cut by ``quote_context``. This module is
the one place that cuts context and looks for a quote:

- ``find_quote``: every place the quote stands with exactly that context (open-data imports);
- ``quote_candidates``: the spans that read most like a lost quote (a curator re-attaching an
  orphaned claim), by RapidFuzz alignment, then ``refine_span`` to whole words;
- the re-anchoring planner (``textkernel.anchoring``) builds on ``occurrences`` and
  ``refine_span``.

RapidFuzz is used because it is maintained, MIT-licensed, ships wheels (C++ core) and gives both
similarity scores and alignments.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

#: Characters of context kept on each side of a quote.
CONTEXT_CHARS = 32

_WORD_EDGE = re.compile(r"\b")


def quote_context(body: str, start: int, end: int) -> tuple[str, str]:
    """``(prefix, suffix)``: up to ``CONTEXT_CHARS`` characters before ``start`` and after
    ``end``; what a claim on ``body[start:end]`` stores."""
    return body[max(0, start - CONTEXT_CHARS) : start], body[end : end + CONTEXT_CHARS]


def occurrences(body: str, text: str, limit: int | None = None) -> list[int]:
    """Start of every occurrence of ``text`` in ``body`` (overlapping ones too), at most
    ``limit`` of them."""
    found, at = [], body.find(text) if text else -1
    while at != -1 and (limit is None or len(found) < limit):
        found.append(at)
        at = body.find(text, at + 1)
    return found


def find_quote(
    body: str, exact: str, *, prefix: str = "", suffix: str = "", limit: int = 1000
) -> list[int]:
    """Start of every occurrence of ``exact`` in ``body`` right after ``prefix`` and right before
    ``suffix`` (an empty side matches anything), at most ``limit``."""
    found = []
    for at in occurrences(body, exact):
        if len(found) >= limit:
            break
        before = at - len(prefix)
        if before < 0 or not body.startswith(prefix, before):
            continue
        if body.startswith(suffix, at + len(exact)):
            found.append(at)
    return found


def _is_word(ch: str) -> bool:
    return ch.isalnum()


def widen_to_words(body: str, start: int, end: int) -> tuple[int, int]:
    """Grow ``[start, end)`` so it does not cut a word in two, then trim outer blanks."""
    while 0 < start < len(body) and _is_word(body[start - 1]) and _is_word(body[start]):
        start -= 1
    while 0 < end < len(body) and _is_word(body[end - 1]) and _is_word(body[end]):
        end += 1
    while start < end and body[start].isspace():
        start += 1
    while end > start and body[end - 1].isspace():
        end -= 1
    return start, end


def refine_span(body: str, start: int, end: int, exact: str) -> tuple[int, int, float]:
    """The span between word edges near ``[start, end)`` that reads most like ``exact``
    (RapidFuzz ratio), e.g. to trim the neighbouring words a fixed-width alignment took in."""
    slack = max(8, len(exact) // 2)
    lo, hi = max(0, start - slack), min(len(body), end + slack)
    edges = sorted({m.start() for m in _WORD_EDGE.finditer(body, lo, hi)} | {start, end})
    best = (start, end, fuzz.ratio(exact, body[start:end]))
    shortest, longest = len(exact) * 0.6, len(exact) * 1.6 + 4
    for i, a in enumerate(edges):
        for b in edges[i + 1 :]:
            if b - a < shortest:
                continue
            if b - a > longest:
                break
            score = fuzz.ratio(exact, body[a:b], score_cutoff=best[2])
            if score > best[2]:
                best = (a, b, score)
    a, b = widen_to_words(body, best[0], best[1])
    return a, b, best[2]


def quote_candidates(
    body: str, exact: str, *, limit: int = 3, cutoff: float = 50.0
) -> list[tuple[int, int, float]]:
    """Up to ``limit`` spans of ``body`` most similar to ``exact``, best first, each
    ``(start, end, score)`` with ``score`` the RapidFuzz ratio (0-100); none below ``cutoff``."""
    found: list[tuple[int, int, float]] = []
    seen: set[tuple[int, int]] = set()
    text = body  # the search text keeps the body's offsets: found spans are blanked, not cut
    for _round in range(limit):
        alignment = fuzz.partial_ratio_alignment(exact, text, score_cutoff=cutoff)
        if alignment is None:
            break
        start, end, score = refine_span(body, alignment.dest_start, alignment.dest_end, exact)
        if (start, end) not in seen and start < end:
            seen.add((start, end))
            found.append((start, end, score))
        # Look again with every spot found so far blanked out.
        lo, hi = min(start, alignment.dest_start), max(end, alignment.dest_end)
        text = text[:lo] + "\0" * (hi - lo) + text[hi:]
    return found
