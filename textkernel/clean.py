"""What text people type may contain, and cells that are safe in a spreadsheet.

``text_problem`` says why a piece of user text (a note, a rationale, a statement, a name) cannot
be stored: NUL and other C0 control characters (tab and newline excepted), lone surrogates, and
the Unicode bidirectional overrides and isolates, which can make a note display as something
other than what it says (the "Trojan Source" trick). ``csv_cell`` neutralises a value that a
spreadsheet would run as a formula.
"""

from __future__ import annotations

import re

# Django's lazy gettext only: the messages are translated where they are shown.
from django.utils.translation import gettext_lazy as _

#: C0 controls but tab (\x09) and newline (\x0a); DEL too. Carriage returns are normalised away
#: by ``normalize_newlines`` before the check.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
#: Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069).
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def unstorable(text: str) -> bool:
    """True if ``text`` holds what no PostgreSQL text column can store: a NUL or a lone
    surrogate. Refused at the edge (any field, any route); ``text_problem`` is stricter."""
    return "\x00" in text or _SURROGATE.search(text) is not None


def text_problem(text: str) -> str | None:
    """``None`` if ``text`` may be stored, else a code: ``"control"``, ``"bidi"`` or
    ``"surrogate"``."""
    if _SURROGATE.search(text):
        return "surrogate"
    if _CONTROL.search(text):
        return "control"
    if _BIDI.search(text):
        return "bidi"
    return None


PROBLEM_MESSAGES = {
    "surrogate": _("%(what)s contains a broken character (a lone surrogate)."),
    "control": _("%(what)s contains an invisible control character; remove it and try again."),
    "bidi": _(
        "%(what)s contains a character that reverses the text direction (a bidirectional "
        "override), which can make it display as something it does not say."
    ),
}


def text_error(text: str, *, what: str) -> str | None:
    """The message saying why ``text`` (named ``what``, e.g. "The note") cannot be stored, or
    None. Services raise it as a ValidationError, on the form and API routes alike."""
    problem = text_problem(normalize_newlines(text))
    return None if problem is None else str(PROBLEM_MESSAGES[problem]) % {"what": what}


#: First characters that make a spreadsheet treat a cell as a formula (OWASP's list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """``value`` as CSV cell text that no spreadsheet runs as a formula: a leading ``'`` when it
    starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
