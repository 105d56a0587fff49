"""Whole numbers from untrusted text (URL parameters, form fields, headers), parsed once.

Every id, page number, offset or timestamp a request carries goes through ``parse_int``, which
gives ``None`` for anything that is not a plain decimal integer inside the given bounds, so a
value the database cannot hold (``99999999999999999999``, ``-1`` for a page) never reaches it.
"""

from __future__ import annotations

#: The largest value a PostgreSQL ``bigint`` (Django's BigAutoField) holds.
BIGINT_MAX = 2**63 - 1
#: ... an ``integer`` (PositiveIntegerField offsets and versions).
INT_MAX = 2**31 - 1

_MAX_DIGITS = 19  # enough for BIGINT_MAX; longer strings are refused before int() sees them


def parse_int(
    value: object, *, minimum: int = 0, maximum: int = BIGINT_MAX, default: int | None = None
) -> int | None:
    """``value`` as an int if it is one written in ASCII digits (an optional leading ``-``,
    surrounding spaces allowed) within ``[minimum, maximum]``; else ``default``.

    ``bool`` is not a number here, and neither are ``"1e3"``, ``"0x10"``, ``"١٢"`` (non-ASCII
    digits, which ``int()`` would accept) or ``"1_000"``.
    """
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text.startswith("-") else text
        if not digits or len(digits) > _MAX_DIGITS or not (digits.isascii() and digits.isdigit()):
            return default
        number = int(text)
    else:
        return default
    return number if minimum <= number <= maximum else default


def parse_id(value: object) -> int | None:
    """A primary key: a positive ``bigint``, else None."""
    return parse_int(value, minimum=1, maximum=BIGINT_MAX)
