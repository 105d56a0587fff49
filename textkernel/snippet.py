"""Search snippets: the paragraph of a text that best matches a query's words, cut to a window
around the matches, the matches located; case and diacritics ignored ("chi phi dao tao" finds
"Chi phí đào tạo").

The search itself (matching and ranking) stays in PostgreSQL, with the ``parallax_unaccent``
configuration; this only draws the snippet for the few hits shown. ``ts_headline`` did that over
whole bodies, and parsing every word of 20 bodies was most of a search's time. Here each query
word becomes a regular expression that accepts every accented form of its letters ("dao" ->
``[dđ…][aàáảãạăằ…][oòóỏõọô…]``), so the original text is searched as it is, at the regex
engine's speed, with no folded copy to keep in step. The words come from PostgreSQL (the
lexemes it parsed the query into), so they are the words the search matched.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

#: Letters that carry no combining mark in NFD but that ``unaccent`` still maps to a base letter.
_BASE = {"đ": "d", "Đ": "d", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "ħ": "h", "ı": "i"}
#: Where accented Latin letters live: Latin-1 Supplement, Latin Extended-A and -B, and Latin
#: Extended Additional (all of Vietnamese's precomposed letters).
_LATIN_RANGES = ((0x00C0, 0x0250), (0x1E00, 0x1F00))
#: Combining marks, allowed after any letter so that text in NFD matches too.
_MARKS = "[\u0300-\u036f]*"


def _fold_char(char: str) -> str:
    folded = _BASE.get(char)
    if folded is None:
        decomposed = unicodedata.normalize("NFD", char)
        folded = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return folded


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """``text`` in lower case without diacritics ("Đào TẠO" -> "dao tao"); meant for words
    (query words and the words they matched), so the results are kept."""
    return "".join(_fold_char(char) for char in unicodedata.normalize("NFC", text))


def _variants() -> dict[str, str]:
    """For each base letter, every letter that folds to it (upper and lower case)."""
    found: dict[str, set[str]] = {}
    for low, high in _LATIN_RANGES:
        for code in range(low, high):
            char = chr(code)
            base = _fold_char(char)
            if len(base) == 1 and base.isalpha() and base.isascii():
                found.setdefault(base, set()).add(char)
    for base in "abcdefghijklmnopqrstuvwxyz":
        found.setdefault(base, set()).update({base, base.upper()})
    return {base: "".join(sorted(chars)) for base, chars in found.items()}


_VARIANTS = _variants()


def _term_regex(term: str) -> str:
    pieces = []
    for char in fold(term):
        variants = _VARIANTS.get(char)
        pieces.append(f"[{re.escape(variants)}]{_MARKS}" if variants else re.escape(char))
    return "".join(pieces)


@lru_cache(maxsize=256)
def _pattern(terms: tuple[str, ...]) -> re.Pattern | None:
    if not terms:
        return None
    # Longer terms first, so "deepseek-r1" is one match rather than two.
    return re.compile(r"\b(?:" + "|".join(map(_term_regex, terms)) + r")(?!\w)")


def terms_pattern(terms) -> re.Pattern | None:
    """A pattern finding any of ``terms`` as whole words, whatever their case and diacritics."""
    folded = sorted({fold(term) for term in terms if term and term.strip()}, key=lambda t: (-len(t), t))
    return _pattern(tuple(folded))


@dataclass(frozen=True)
class Snippet:
    """``text`` (a window of one paragraph, "…" where it was cut) and the ``(start, end)``
    offsets in ``text`` of the words that matched, in order."""

    text: str
    matches: tuple[tuple[int, int], ...]


ELLIPSIS = "…"


def snippet(body: str, terms, *, chars: int = 220, before: int = 60) -> Snippet:
    """The paragraph (line) of ``body`` holding the most distinct ``terms``, the first on a tie
    (the first paragraph when none holds any: the match was in the title), cut to about
    ``chars`` characters on word boundaries: those around the densest run of matches, starting
    about ``before`` characters ahead of it."""
    pattern = terms_pattern(terms)
    chosen, most = None, 0
    lines = body.split("\n")
    if pattern is not None:
        for index, line in enumerate(lines):
            found = pattern.findall(line)
            if found:
                distinct = len({fold(word) for word in found})
                if distinct > most:
                    chosen, most = index, distinct
    if chosen is None:
        chosen = next((i for i, line in enumerate(lines) if line.strip()), None)
        if chosen is None:
            return Snippet(text="", matches=())
    line = lines[chosen]
    spans = [(m.start(), m.end(), fold(m.group())) for m in pattern.finditer(line)] if pattern else []
    if len(line) <= chars:
        return Snippet(text=line, matches=tuple((s, e) for s, e, _ in spans))
    lo, hi = _window(line, spans, chars=chars, before=before)
    prefix = ELLIPSIS + " " if lo > 0 else ""
    text = prefix + line[lo:hi] + (" " + ELLIPSIS if hi < len(line) else "")
    shift = len(prefix) - lo
    return Snippet(
        text=text, matches=tuple((s + shift, e + shift) for s, e, _ in spans if s >= lo and e <= hi)
    )


def _window(line: str, spans: list, *, chars: int, before: int) -> tuple[int, int]:
    """Offsets [lo, hi) of the window of about ``chars`` characters, cut at spaces, covering the
    most distinct matched terms (the earliest such window), starting ``before`` characters
    ahead of a match."""
    best = None
    for anchor, _, _ in spans or [(0, 0, "")]:
        lo = max(0, min(anchor - before, len(line) - chars))
        covered = {term for s, e, term in spans if s >= lo and e <= lo + chars}
        if best is None or len(covered) > best[0]:
            best = (len(covered), lo)
    lo = best[1]
    hi = min(len(line), lo + chars)
    if lo > 0:  # start after a space, not inside a word
        space = line.find(" ", lo, lo + before)
        lo = space + 1 if space >= 0 else lo
    if hi < len(line):  # end before a space
        space = line.rfind(" ", lo, hi)
        hi = space if space > lo else hi
    return lo, hi
