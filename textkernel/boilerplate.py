"""Lines of a captured article that are not the article, and the line that credits its source.

Text copied or extracted from a news page brings the page along: an ad-blocker notice before the
headline, "Xem thêm:" and "- Cùng chuyên mục" lists of other headlines after the body, comment
counters ("Bình luận (0)"), CMS shortcodes (``[Product_Listing ...]``), image markdown, share
buttons, "Xem bản gốc". ``detect`` finds them in a whole body and gives each line a reason code;
lists need context (a headline after "Cùng chuyên mục" is boilerplate, the same words in the body
are not), so the body is read top to bottom, not line by line. ``line_reason`` is the context-free
part, for one line on its own.

``attribution`` finds the line that credits where a piece comes from: "Theo: Financial Times",
"Nguồn: Reuters", "(Theo Bloomberg)", "Dịch từ The Economist", or a last line that is just a
foreign outlet's name. Vietnamese outlets often publish translations with nothing more.

Offsets are ``str`` indices into the text (code points), like every offset in Parallax; a
line's span excludes its ``\\n``. Pure Python: no Django, nothing of ours.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: Reason codes, in the order a person reading the preview would care about them.
AD_NOTICE = "ad_notice"  # "please turn off your ad blocker", and the thanks next to it
RELATED = "related"  # "Xem thêm:", "Cùng chuyên mục", "Đọc nhiều" and the headline lists after
COMMENTS = "comments"  # "Bình luận (0)", "Comments (12)", "Gửi bình luận"
SHORTCODE = "shortcode"  # a CMS shortcode line: [Product_Listing ...], [caption ...]
IMAGE = "image"  # image markdown or an <img> tag on its own line, "Ảnh: ..." credits
SOURCE_LINK = "source_link"  # "Xem bản gốc", "Read the original"
DATELINE = "dateline"  # "Markettimes 1 Ngày trước", "Công nghệ - 06/02/2025 08:10", a bare date
SHARE = "share"  # "Chia sẻ Facebook Zalo", "Share on Twitter"
TAGS = "tags"  # "Tags: AI, DeepSeek", "Từ khóa: ..."

REASONS = (AD_NOTICE, RELATED, COMMENTS, SHORTCODE, IMAGE, SOURCE_LINK, DATELINE, SHARE, TAGS)


@dataclass(frozen=True)
class Line:
    """One line of a text: its index (0-based), span (``\\n`` excluded) and text."""

    index: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Flag:
    """A line that is probably not the article, and why (one of ``REASONS``)."""

    line: int
    start: int
    end: int
    reason: str


@dataclass(frozen=True)
class Attribution:
    """The line crediting where a piece comes from.

    ``outlet`` is the name credited (empty when the line gives only an address); ``url`` an
    address on that line, if any. ``translated`` is True when the line says so ("Dịch từ",
    "Translated from"), or when it is a bare foreign outlet name closing a piece; None when it only
    credits ("Theo:", "Nguồn:"), which is how Vietnamese outlets mark translations and syndicated
    copies alike.
    """

    outlet: str
    url: str
    line: int
    start: int
    end: int
    translated: bool | None


def lines_of(text: str) -> list[Line]:
    """``text`` split on ``\\n``, each line with its offsets."""
    lines, offset = [], 0
    for index, part in enumerate(text.split("\n")):
        lines.append(Line(index=index, start=offset, end=offset + len(part), text=part))
        offset += len(part) + 1
    return lines


def _key(line: str) -> str:
    """The line as the patterns see it: NFC, case-folded, single spaces, no edge blanks."""
    return " ".join(unicodedata.normalize("NFC", line).casefold().split())


def _words(line: str) -> int:
    return len(line.split())


_BULLET = r"[-•*–—+·»>]"
_LIST_ITEM = re.compile(rf"^\s*(?:{_BULLET}|\d{{1,2}}[.)])\s+\S")

#: Headings of "more articles" blocks. Matched against a whole line, bullet and colon aside.
_RELATED_HEADINGS = (
    r"xem thêm|đọc thêm|xem tiếp|tin liên quan|bài liên quan|bài viết liên quan|tin bài liên quan"
    r"|tin cùng chuyên mục|cùng chuyên mục|bài cùng chuyên mục|tin khác|bài viết khác|tin mới"
    r"|tin mới nhất|tin mới cập nhật|đọc nhiều|đọc nhiều nhất|xem nhiều|xem nhiều nhất|đáng đọc"
    r"|tin nổi bật|tin hay|có thể bạn quan tâm|bạn có thể quan tâm|có thể bạn chưa đọc"
    r"|có thể bạn muốn xem|related|related articles|related stories|related posts|related news"
    r"|read more|read next|more stories|more news|most read|most popular|most viewed"
    r"|recommended|recommended for you|you may also like|you might also like|trending"
    r"|trending now|see also|more from [^:]{1,40}|further reading"
)
_RELATED_BARE = re.compile(rf"^(?:{_BULLET}\s*)?(?:{_RELATED_HEADINGS})\s*[:：]?$")
#: "Xem thêm: <headline>" on one line: a one-item list.
_RELATED_INLINE = re.compile(
    rf"^(?:{_BULLET}\s*)?(?:xem thêm|đọc thêm|tin liên quan|bài liên quan|read more|see also"
    rf"|related|read next)\s*[:：>»]\s*\S"
)

_AD_NOTICE = re.compile(
    r"\bad[\s-]?block|chặn quảng cáo|tắt quảng cáo|cho phép quảng cáo|cho phép hiển thị quảng cáo"
    r"|(?:dùng|sử dụng) quảng cáo để|^hỗ trợ nội dung miễn phí|\ballow(?:ing)? ads\b"
    r"|\b(?:disable|turn off|pause) (?:your |the )?ad|\bwhitelist (?:us|our|this)"
    r"|^support (?:our )?free content"
)
#: Words that show a notice is addressed to the reader (ad notices are; articles about
#: advertising rarely are, line by line).
_ADDRESSED = re.compile(r"\bbạn\b|vui lòng|\bplease\b|\byou(?:r)?\b|xin hãy|hãy tắt")
_THANKS = re.compile(r"^(?:cảm ơn|cám ơn|xin cảm ơn|thank you|thanks)(?: bạn| you)?[.!]*$")

_COMMENTS = re.compile(
    r"^(?:bình luận|ý kiến|ý kiến bạn đọc|comments?|gửi bình luận|viết bình luận|thảo luận"
    r"|leave a comment|add a comment|post a comment)\s*(?:\(\s*\d+\s*\)|\d+|:)?$"
    r"|^\d+\s+(?:bình luận|comments?|ý kiến)$"
)
_SHORTCODE = re.compile(r"^\[/?[A-Za-z_][\w-]*(?:\s[^\]]*)?\]$")
_IMAGE = re.compile(
    r"^(?:!\[[^\]]*\]\([^)]*\)\s*)+$"
    r"|^<img\b[^>]*>$"
    r"|^\(?(?:ảnh|nguồn ảnh|ảnh minh họa|ảnh minh hoạ|photo|image|picture)"
    r"(?:\s*(?:minh họa|minh hoạ|credit))?\s*[:：]\s*[^.]{0,80}\)?$"
    r"|^\(?(?:ảnh|photo)(?: minh họa| minh hoạ)?\)?$"
)
_SOURCE_LINK = re.compile(
    r"^(?:xem bản gốc|xem nguồn|đọc bài gốc|xem bài gốc|bài gốc|view original|view the original"
    r"|read the original(?: article)?|original article)\s*[:»>]?$"
)
_UNITS_VI = r"giây|phút|giờ|tiếng|ngày|tuần|tháng|năm"
_UNITS_EN = r"seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?"
_DATE = r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}"
_TIME = r"\d{1,2}[:h]\d{2}"
_DATELINE = re.compile(
    # "Markettimes 1 Ngày trước", "2 giờ trước", "Update 5 day ago"
    rf"^[^\d]{{0,60}}?\s*\d+\s+(?:{_UNITS_VI})\s+trước$"
    rf"|^(?:[^\d]{{0,40}}\s)?(?:updated?\s+)?\d+\s+(?:{_UNITS_EN})(?:\s+ago)?$"
    # "Công nghệ - 06/02/2025 08:10", "Bình luận - 1 week", "Sự kiện - Update 5 day ago"
    rf"|^[^\d\n]{{1,40}}\s[-–|·]\s(?:updated?\s+)?(?:{_DATE}(?:,?\s+{_TIME})?|{_TIME}\s+{_DATE}"
    rf"|\d+\s+(?:{_UNITS_EN}|{_UNITS_VI})(?:\s+(?:ago|trước))?)$"
    # "Thứ hai, 27/01/2025 14:30 (GMT+7)", "27/01/2025 | 14:30", "14:30 27/01/2025"
    rf"|^(?:(?:thứ [^\s,]+|chủ nhật|monday|tuesday|wednesday|thursday|friday|saturday|sunday),?\s*)?"
    rf"(?:{_DATE}(?:\s*[-,|]?\s*{_TIME})?|{_TIME}\s*[-,|]?\s*{_DATE})(?:\s*\(gmt[+-]\d{{1,2}}\))?$"
)
_SHARE_WORDS = {
    "chia", "sẻ", "share", "facebook", "twitter", "x", "zalo", "email", "e-mail", "linkedin",
    "copy", "link", "in", "print", "tweet", "messenger", "whatsapp", "telegram", "pinterest",
    "reddit", "sao", "chép", "liên", "kết", "bài", "viết", "this", "article", "on", "lưu", "save",
}
_SHARE_ANCHORS = {"sẻ", "share", "facebook", "twitter", "zalo", "linkedin", "tweet"}
_TAGS = re.compile(r"^(?:tags?|từ khóa|từ khoá|chủ đề|keywords?|topics?)\s*[:：]\s*\S")


def line_reason(line: str) -> str | None:
    """Why this one line, on its own, is not article text (a reason code), or None.

    Context-free: list items under a "more articles" heading and the thanks under an ad notice
    need the lines around them; ``detect`` sees those.
    """
    key = _key(line)
    if not key:
        return None
    if _IMAGE.match(key):
        return IMAGE
    if _SHORTCODE.match(line.strip()):
        return SHORTCODE
    if _RELATED_BARE.match(key) or (_RELATED_INLINE.match(key) and _words(key) <= 30):
        return RELATED
    if _COMMENTS.match(key):
        return COMMENTS
    if _SOURCE_LINK.match(key):
        return SOURCE_LINK
    if _AD_NOTICE.search(key) and (_words(key) <= 12 or _ADDRESSED.search(key)):
        return AD_NOTICE
    if _words(key) <= 12 and _DATELINE.match(key):
        return DATELINE
    if _words(key) <= 20 and _TAGS.match(key):
        return TAGS
    tokens = [t for t in re.split(r"[\s|/·,:•]+", key) if t]
    if tokens and len(tokens) <= 10 and set(tokens) <= _SHARE_WORDS and set(tokens) & _SHARE_ANCHORS:
        return SHARE
    return None


#: Lines of a teaser (headline, standfirst) allowed before its category/date line.
_TEASER_LINES = 3
#: A run of short lines closing the text after a "more articles" heading is taken as headlines.
_HEADLINE_WORDS = 25


def _is_listing_meta(key: str) -> bool:
    return bool(_words(key) <= 12 and _DATELINE.match(key))


def detect(text: str) -> list[Flag]:
    """Every line of ``text`` that is probably not the article, with its reason, in line order.

    Context rules on top of ``line_reason``:

    - under a "more articles" heading ("Xem thêm:", "- Cùng chuyên mục", "Đọc nhiều"), list items,
      teasers followed by a category/date line, and short lines running to the end of the text
      belong to the list; the list ends at the first line of prose that is none of these;
    - a thanks line ("Cảm ơn bạn!") next to an ad notice belongs to the notice.
    """
    lines = lines_of(text)
    reasons: dict[int, str] = {}
    for line in lines:
        reason = line_reason(line.text)
        if reason:
            reasons[line.index] = reason

    # Thanks under (or above) an ad notice, blank lines between allowed.
    for index, reason in list(reasons.items()):
        if reason != AD_NOTICE:
            continue
        for step in (1, -1):
            j = index + step
            while 0 <= j < len(lines) and not lines[j].text.strip():
                j += step
            if 0 <= j < len(lines) and j not in reasons and _THANKS.match(_key(lines[j].text)):
                reasons[j] = AD_NOTICE

    # Lists under "more articles" headings.
    index = 0
    while index < len(lines):
        if reasons.get(index) != RELATED:
            index += 1
            continue
        index = _related_block(lines, reasons, index + 1)

    return [
        Flag(line=i, start=lines[i].start, end=lines[i].end, reason=reasons[i])
        for i in sorted(reasons)
    ]


def _related_block(lines: Sequence[Line], reasons: dict[int, str], index: int) -> int:
    """Mark the list that follows a "more articles" heading; return the index after it."""
    pending: list[int] = []  # teaser lines not yet known to be part of the list
    while index < len(lines):
        key = _key(lines[index].text)
        if not key:
            index += 1
            continue
        if index in reasons:  # another heading, a shortcode, comments...: still the page's tail
            if reasons[index] == DATELINE or _is_listing_meta(key):
                reasons[index] = RELATED
                for j in pending:
                    reasons[j] = RELATED
            pending = []
            index += 1
            continue
        if _LIST_ITEM.match(lines[index].text) and not pending:
            reasons[index] = RELATED
            index += 1
            continue
        pending.append(index)
        if len(pending) > _TEASER_LINES:
            break
        index += 1
    else:
        # The list ran to the end of the text: short lines left over are headlines too.
        if all(_words(_key(lines[j].text)) <= _HEADLINE_WORDS for j in pending):
            for j in pending:
                reasons[j] = RELATED
        return index
    return pending[0]


def strip_lines(text: str, drop: Iterable[int]) -> str:
    """``text`` without the lines whose indices are in ``drop``; runs of blank lines that the
    removal leaves are closed up to one, and leading and trailing blank lines removed."""
    drop = set(drop)
    kept: list[str] = []
    for line in lines_of(text):
        if line.index in drop:
            continue
        if not line.text.strip() and (not kept or not kept[-1].strip()):
            continue
        kept.append(line.text)
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept)


# --- attribution ------------------------------------------------------------------------------

#: Lines from the end of the article (boilerplate skipped) searched for a credit.
_TAIL_LINES = 4
_URL = re.compile(r"https?://[^\s<>\"')\]]+", re.IGNORECASE)
_CREDIT = re.compile(
    r"^\(?\s*(?P<word>theo|nguồn|nguồn tin|source|sources|via|dịch từ|lược dịch từ|lược dịch theo"
    r"|biên dịch từ|theo bản gốc|translated from|translated by [^:]+ from)\s*(?P<colon>[:：-])?\s*"
    r"(?P<rest>.+?)\s*\)?\.?$",
    re.IGNORECASE,
)
_TRANSLATION_WORDS = {"dịch từ", "lược dịch từ", "lược dịch theo", "biên dịch từ",
                      "translated from", "theo bản gốc"}
#: Letters a Vietnamese name may carry (the Vietnamese-only ones and the five tone marks on every
#: vowel): a bare closing line with one of them is more likely a Vietnamese name (an author, a
#: local outlet) than a foreign outlet, so only ``known`` names are taken then ("El País" is
#: missed; the field stays editable).
_VIETNAMESE_LETTERS = re.compile(
    "[ăâđêôơư"
    "àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]",
    re.IGNORECASE,
)
_SMALL_WORDS = {"of", "the", "and", "de", "du", "la", "le", "for", "&", "on", "in", "am", "der",
                "die", "des", "del", "di", "von", "y", "e", "a"}
_OUTLET_WORDS = 6


def _looks_like_outlet(name: str) -> bool:
    """A short, Title Case name without sentence punctuation: "Financial Times", "BBC", "Nikkei
    Asia", "The Wall Street Journal", "SCMP"."""
    words = name.split()
    if not words or len(words) > _OUTLET_WORDS or len(name) > 60:
        return False
    if re.search(r"[.!?,;:\"“”«»]$|[,;!?]", name):
        return False
    capitalised = [w for w in words if w.casefold() not in _SMALL_WORDS]
    return bool(capitalised) and all(w[0].isupper() or w[0].isdigit() for w in capitalised)


def attribution(
    text: str, *, known: Iterable[str] = (), flags: Iterable[Flag] | None = None
) -> Attribution | None:
    """The line near the end of ``text`` that credits the outlet the piece comes from, or None.

    ``known`` are outlet names the caller knows (existing sources): a last line that is exactly
    one of them counts even when it does not look foreign. Boilerplate lines (``flags``, or
    ``detect(text)`` when not given) are skipped, so "Theo: Financial Times" is still found above
    "Xem bản gốc".
    """
    lines = lines_of(text)
    skip = {flag.line for flag in (detect(text) if flags is None else flags)}
    tail = [line for line in reversed(lines) if line.text.strip() and line.index not in skip]
    known_keys = {_key(name): name for name in known if name and name.strip()}
    for position, line in enumerate(tail[:_TAIL_LINES]):
        found = _credit(line, known_keys=known_keys, last=position == 0, lines=len(tail))
        if found is not None:
            return found
    return None


def _credit(line: Line, *, known_keys: dict[str, str], last: bool, lines: int) -> Attribution | None:
    stripped = line.text.strip()
    if _words(stripped) > 12:
        return None

    def make(outlet: str, *, translated: bool | None) -> Attribution:
        url_match = _URL.search(outlet)
        url = url_match.group(0).rstrip(".,;") if url_match else ""
        if url:
            outlet = (outlet[: url_match.start()] + outlet[url_match.end():]).strip(" -–,;:()")
        return Attribution(
            outlet=outlet.strip(" \t\"“”'()"), url=url, line=line.index, start=line.start,
            end=line.end, translated=translated,
        )  # fmt: skip

    match = _CREDIT.match(stripped)
    if match:
        word, rest = _key(match.group("word")), match.group("rest").strip()
        translated = True if word in _TRANSLATION_WORDS or word.startswith("translated") else None
        bare_rest = _URL.sub("", rest).strip(" -–,;:()")
        # Without a colon, "Theo một số nhà quan sát, ..." is a sentence; a credit names an
        # outlet: Title Case, or a known name, or just an address.
        if match.group("colon") or _looks_like_outlet(bare_rest) or _key(bare_rest) in known_keys:
            if not bare_rest and not _URL.search(rest):
                return None
            return make(rest, translated=translated)
        return None
    if last and lines > 1:
        key = _key(stripped)
        if key in known_keys:
            return make(known_keys[key], translated=None)
        if _looks_like_outlet(stripped) and not _VIETNAMESE_LETTERS.search(stripped):
            return make(stripped, translated=True)
    return None
