"""Quantities as Vietnamese news writes them: ``2.048 chip``, ``5,6 triệu USD``, ``1 nghìn tỷ USD``,
``2,19 đô la``, ``1.4 xu``, ``3,1%``, and dates such as ``20/1`` or ``năm 2023``.

Vietnamese uses ``.`` to group thousands and ``,`` for decimals, but outlets translating English
copy often keep ``5.6``. A dot followed by exactly three digits (``2.048``, ``3.982.742``) groups
thousands; any other dot (``5.6``, ``1.4``) is a decimal point. Scale words multiply
(``nghìn tỷ`` = 10¹²). Years, phone numbers, URLs and image paths are not quantities.

What a number measures comes from the words around it (see ``TOPICS``): the same unit can be a
training cost or a market value, and only like with like is compared.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

SCALES = {
    "nghin": 1e3, "ngan": 1e3, "ngàn": 1e3, "nghìn": 1e3,
    "trieu": 1e6, "triệu": 1e6,
    "ty": 1e9, "tỷ": 1e9, "tỉ": 1e9,
}  # fmt: skip

#: Unit words (lowercased) → (unit, factor to that unit).
UNITS: list[tuple[str, str, float]] = [
    ("đô la mỹ", "USD", 1.0),
    ("đô la", "USD", 1.0),
    ("đôla", "USD", 1.0),
    ("usd", "USD", 1.0),
    ("đô", "USD", 1.0),
    ("$", "USD", 1.0),
    ("xu", "USD", 0.01),
    ("cent", "USD", 0.01),
    ("đồng", "VND", 1.0),
    ("vnd", "VND", 1.0),
    ("đ", "VND", 1.0),
    ("%", "%", 1.0),
    ("phần trăm", "%", 1.0),
    ("chip", "chip", 1.0),
    ("gpu", "chip", 1.0),
    ("tham số", "parameters", 1.0),
    ("token", "tokens", 1.0),
]

#: Topic keywords (without diacritics), checked in the words before (and just after) a number.
TOPICS: list[tuple[str, tuple[str, ...]]] = [
    ("training cost", ("huan luyen", "dao tao", "training")),
    ("price per token", ("token", "ma thong bao", "moi trieu")),
    ("market value", ("von hoa", "gia tri thi truong", "bay mau", "boc hoi", "thi truong", "co phieu",
                      "xoa so", "da mat", "mat gan", "mat di")),
    ("investment", ("dau tu", "chi tieu", "bo ra", "danh ra", "phan cung", "da chi", "se chi",
                    "chi it nhat", "cam ket chi")),
    ("hardware", ("chip", "gpu", "h100", "h800", "hopper")),
    ("model size", ("tham so",)),
    ("cost", ("chi phi", "ton", "gia")),
]

#: Topics compared with one another: a training cost, a cost and an investment are all what
#: building the model cost, which is exactly where the outlets disagree.
TOPIC_FAMILY = {"training cost": "cost", "investment": "cost", "cost": "cost"}

# What each topic is called in a reason: suggestions/reasons.py (TOPIC_LABELS), translated.

_NUMBER = r"\d+(?:[.,]\d+)*"
_SCALE = r"(?:\s+(?:nghìn|ngàn|triệu|tỷ|tỉ))*"
_UNIT = "|".join(re.escape(u) for u, _, _ in sorted(UNITS, key=lambda u: -len(u[0])))
QUANTITY_RE = re.compile(
    rf"(?<![\w.,/])(?P<number>{_NUMBER})(?P<scale>{_SCALE})\s*(?P<unit>{_UNIT})?(?![\w/])",
    re.IGNORECASE,
)
DATE_RE = re.compile(r"(?<![\w/.])(?P<day>[0-3]?\d)/(?P<month>1[0-2]|0?[1-9])(?:/(?P<year>\d{4}))?(?![\w/])")
YEAR_RE = re.compile(r"\bnăm\s+(?P<year>(?:19|20)\d\d)\b", re.IGNORECASE)
#: Things that contain digits but are not quantities: URLs, file and image paths, e-mail
#: addresses, phone numbers (Vietnamese: 10 digits from a leading 0, often grouped).
_NOT_QUANTITY = re.compile(
    r"https?://\S+|www\.\S+|\S+\.(?:jpe?g|png|gif|webp|svg|html?|php|pdf)\b\S*|\S*/\d{4}/\d\d/\S*"
    r"|\S+@\S+|(?<!\d)(?:\+84|0)\d{2,3}[ .-]?\d{3}[ .-]?\d{3,4}(?!\d)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: str  # "USD", "VND", "%", "chip", "parameters", "tokens", "date", "" (a bare count)
    topic: str  # what is measured, from TOPICS; "" when the words around do not say
    start: int  # offsets of the quantity's text in the string it was found in
    end: int
    text: str

    @property
    def comparable_key(self) -> tuple[str, str]:
        """Quantities with the same key measure the same kind of thing and can be compared."""
        return (self.unit, TOPIC_FAMILY.get(self.topic, self.topic))


def strip_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def parse_number(text: str) -> float | None:
    """``2.048`` → 2048, ``5,6`` → 5.6, ``5.6`` → 5.6, ``3.982.742`` → 3982742, ``1,3`` → 1.3."""
    if not re.fullmatch(_NUMBER, text):
        return None
    if "," in text and "." in text:  # Vietnamese: dots group thousands, the comma is decimal
        integer, _, decimal = text.rpartition(",")
        if "," in integer:
            return None
        return float(integer.replace(".", "") + "." + decimal)
    if "." in text:
        groups = text.split(".")
        if all(len(g) == 3 for g in groups[1:]):
            return float("".join(groups))
        return float(text) if len(groups) == 2 else None
    if "," in text:
        groups = text.split(",")
        if len(groups) == 2:
            return float(groups[0] + "." + groups[1])
        if all(len(g) == 3 for g in groups[1:]):  # 1,000,000 (English grouping)
            return float("".join(groups))
        return None
    return float(text)


def _scale(words: str) -> float:
    factor = 1.0
    for word in words.split():
        factor *= SCALES.get(word.lower(), 1.0)
    return factor


_TOPIC_RES = [
    (topic, re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b"))
    for topic, words in TOPICS
]


def topic_of(context: str) -> str:
    """The first topic whose keywords (whole words, diacritics ignored) occur in ``context``."""
    plain = strip_diacritics(context.lower())
    for topic, pattern in _TOPIC_RES:
        if pattern.search(plain):
            return topic
    return ""


def _masked(text: str) -> str:
    """``text`` with URLs, paths and phone numbers blanked (same length, so offsets hold)."""
    return _NOT_QUANTITY.sub(lambda m: " " * len(m.group()), text)


def find_quantities(text: str) -> list[Quantity]:
    """Every quantity in ``text`` with its unit and topic; dates as unit ``date``."""
    masked = _masked(text)
    found: list[Quantity] = []
    taken: list[tuple[int, int]] = []
    for match in DATE_RE.finditer(masked):
        day, month = int(match["day"]), int(match["month"])
        if 1 <= day <= 31:
            value = float(f"{int(match['year'] or 0):04d}{month:02d}{day:02d}")
            found.append(Quantity(value, "date", "date", match.start(), match.end(), match.group()))
            taken.append(match.span())
    for match in YEAR_RE.finditer(masked):
        found.append(
            Quantity(float(match["year"]), "year", "date", match.start(), match.end(), match.group())
        )
        taken.append(match.span("year"))
    for match in QUANTITY_RE.finditer(masked):
        if any(a <= match.start() < b for a, b in taken):
            continue
        value = parse_number(match["number"])
        if value is None:
            continue
        unit_text = (match["unit"] or "").lower()
        scale = _scale(match["scale"] or "")
        # A bare four-digit number between 1900 and 2099 with no unit or scale is a year.
        if not unit_text and scale == 1 and re.fullmatch(r"(?:19|20)\d\d", match["number"]):
            continue
        unit, factor = "", 1.0
        for word, name, to_unit in UNITS:
            if unit_text == word:
                unit, factor = name, to_unit
                break
        if not unit and scale == 1:
            continue  # a bare small number ("2 người", "1 xuất hiện") says too little
        before = text[max(0, match.start() - 70) : match.start()]
        after = text[match.end() : match.end() + 40]
        topic = topic_of(before + " " + (match["unit"] or "") + " " + after)
        if unit == "chip":
            topic = "hardware"
        elif unit in ("USD", "VND") and topic == "hardware":
            topic = "investment"  # money near chips is money spent on them
        elif unit == "parameters":
            topic = "model size"
        found.append(
            Quantity(value * scale * factor, unit, topic, match.start(), match.end(), match.group())
        )
    return sorted(found, key=lambda q: q.start)


def same_value(a: float, b: float, tolerance: float = 0.02) -> bool:
    return abs(a - b) <= tolerance * max(abs(a), abs(b))


def close_value(a: float, b: float, tolerance: float = 0.15) -> bool:
    """Within rounding distance (5,6 triệu vs 6 triệu)."""
    return same_value(a, b, tolerance)
