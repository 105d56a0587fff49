"""Convert between browser offsets (UTF-16 code units) and Python offsets (code points).

A character outside the Basic Multilingual Plane ("😀", "𝐀") is one code point in Python and two
UTF-16 code units (a surrogate pair) in JavaScript; every other character is one of each. So the
two offsets differ by the number of astral characters before the position. Both directions scan
with a compiled regex (C speed) and loop in Python only over the astral characters themselves, so
a 20,000-character body with none costs one regex scan.
"""

from __future__ import annotations

import re

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _check_int(offset: object) -> int:
    # bool is an int subclass, but True is never a meaningful offset.
    if not isinstance(offset, int) or isinstance(offset, bool):
        raise ValueError(f"Offset must be an integer, not {type(offset).__name__}.")
    if offset < 0:
        raise ValueError(f"Offset {offset} is negative.")
    return offset


def utf16_length(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (JavaScript's ``text.length``)."""
    return len(text) + len(_ASTRAL.findall(text))


def utf16_to_codepoint(text: str, offset: int) -> int:
    """The code-point offset in ``text`` of UTF-16 offset ``offset``.

    Raises ValueError if ``offset`` is negative, past the end, or between the two halves of a
    surrogate pair.
    """
    offset = _check_int(offset)
    astral_before = 0
    for match in _ASTRAL.finditer(text):
        unit = match.start() + astral_before  # UTF-16 offset of this character's high surrogate
        if offset <= unit:
            break
        if offset == unit + 1:
            raise ValueError(f"Offset {offset} falls inside a surrogate pair.")
        astral_before += 1
    result = offset - astral_before
    if result > len(text):
        raise ValueError(
            f"Offset {offset} is past the end of the text ({utf16_length(text)} units)."
        )
    return result


def codepoint_to_utf16(text: str, offset: int) -> int:
    """The UTF-16 offset in ``text`` of code-point offset ``offset``; ValueError if out of range."""
    offset = _check_int(offset)
    if offset > len(text):
        raise ValueError(f"Offset {offset} is past the end of the text ({len(text)} characters).")
    return offset + len(_ASTRAL.findall(text, 0, offset))


def utf16_span_to_codepoints(text: str, start: int, end: int) -> tuple[int, int]:
    """Convert a ``(start, end)`` UTF-16 span to code points (two linear scans at most)."""
    return utf16_to_codepoint(text, start), utf16_to_codepoint(text, end)


def codepoint_span_to_utf16(text: str, start: int, end: int) -> tuple[int, int]:
    """Convert a ``(start, end)`` code-point span to UTF-16 offsets."""
    return codepoint_to_utf16(text, start), codepoint_to_utf16(text, end)
