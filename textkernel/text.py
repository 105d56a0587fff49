"""Article text as stored: one normal form, its hash, and its paragraphs.

Every body is stored NFC, with ``\\n`` line ends, no BOM, no control characters (tab kept) and no
trailing blanks, so the offsets a reader's browser computes from the page and the ones the server
stores index the same characters. ``body_hash`` names that exact text (W3C annotations carry it).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from .clean import normalize_newlines

_STRIPPED_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def normalize_body(text: str) -> str:
    """Return ``text`` as stored: NFC, ``\\n`` line ends, no BOM, control characters or trailing
    blanks, one final ``\\n`` (or ``""`` for blank text)."""
    text = normalize_newlines(text.removeprefix("\ufeff"))
    text = _STRIPPED_CONTROLS.sub("", unicodedata.normalize("NFC", text))
    # Trailing blanks on a line are invisible and would make the gaps between paragraphs
    # ambiguous for the browser, which rebuilds offsets from paragraphs joined by "\n".
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return text.rstrip() + "\n" if text.strip() else ""


def normalize_quote(text: str) -> str:
    """A quote handed back by a browser or another tool, in the body's form (NFC, ``\\n``)."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n"))


def body_hash(body: str) -> str:
    """SHA-256 (hex) of the UTF-8 bytes of ``body``."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def paragraphs(body: str) -> list[tuple[int, str]]:
    """``(start, line)`` for every non-empty line of ``body``: ``body[start:start+len(line)]``."""
    result = []
    offset = 0
    for line in body.split("\n"):
        if line:
            result.append((offset, line))
        offset += len(line) + 1
    return result
