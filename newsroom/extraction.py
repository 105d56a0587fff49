"""Turning what a curator brings (a fetched page, a file, pasted text) into article text and
metadata, and reading that text for the preview: its language, its boilerplate lines, the outlet it
credits and whether it repeats another article.

Libraries, each maintained and each the usual choice for its format:

- **trafilatura** for HTML: main-text extraction that drops navigation, ads and comment threads,
  and gives title, author, date and site name from the page's metadata (it ranks first or close
  in the published extraction benchmarks, and runs without a browser);
- **python-docx** for .docx (reads paragraphs and core properties; no LibreOffice needed);
- **pypdf** for .pdf (pure Python, no system poppler; reports encryption, so a password-protected
  PDF gets its own message);
- **lingua-language-detector** for the language (more accurate than langdetect and friends,
  deterministic; restricted to the languages below, in its low-accuracy mode, to keep memory low).

Every error is a ``ValidationError`` whose message is shown next to the item.
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from textkernel import boilerplate
from textkernel.text import normalize_body

#: File types a curator may upload, by extension.
FILE_TYPES = (".html", ".htm", ".txt", ".md", ".docx", ".pdf")
#: Words below which what a page yields is not an article (a menu, a login wall).
MIN_WORDS = 20
#: The compound-file header: an encrypted .docx is an OLE container, not a zip.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class Extracted:
    """Article text (NFC, ``\\n``) and what is known about it."""

    text: str
    title: str = ""
    author: str = ""
    published_on: date | None = None
    site_name: str = ""
    url: str = ""
    warnings: list[str] = field(default_factory=list)


def _no_text() -> ValidationError:
    return ValidationError(_("No article text was found in it."), code="no_text")


def _date(value) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def extract_html(data: bytes | str, *, url: str = "") -> Extracted:
    """The main text and metadata of a web page."""
    import trafilatura  # ~0.3 s to import: only where pages are read

    doc = trafilatura.bare_extraction(
        data, url=url or None, with_metadata=True, include_comments=False, include_tables=False,
        include_images=False, favor_precision=False,
    )  # fmt: skip
    text = normalize_body(getattr(doc, "text", "") or "") if doc is not None else ""
    if len(_WORD.findall(text)) < MIN_WORDS:  # a menu or a cookie notice is not an article
        raise _no_text()
    return Extracted(
        text=text,
        title=(doc.title or "")[:500],
        author=(doc.author or "")[:200],
        published_on=_date(doc.date),
        site_name=(doc.sitename or doc.hostname or "")[:200],
        url=url,
    )


def decode_text(data: bytes) -> str:
    """UTF-8 text (a BOM is allowed); ValidationError for binary data or another encoding."""
    if b"\x00" in data[:8192]:
        raise ValidationError(_("This is a binary file, not text."), code="binary")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            _("This text is not UTF-8 (byte 0x%(byte)s at position %(pos)s); save it as UTF-8.")
            % {"byte": f"{data[exc.start]:02x}", "pos": exc.start},
            code="encoding",
        ) from exc


_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")


def _plain(text: str, *, markdown: bool) -> Extracted:
    text = normalize_body(text)
    if markdown:
        # Headings and bold lose their marks; image markdown stays, for the boilerplate detector
        # to flag (and the curator to keep if they want it).
        text = "\n".join(_MD_EMPHASIS.sub(r"\2", _MD_HEADING.sub("", line)) for line in text.split("\n"))
    if not text.strip():
        raise ValidationError(_("The text is empty."), code="empty")
    # The title is the first line that is not boilerplate (pasted pages start with ad notices).
    flagged = {flag.line for flag in boilerplate.detect(text)}
    lines = [line.strip() for line in text.split("\n")]
    kept = [line for n, line in enumerate(lines) if line and n not in flagged]
    return Extracted(text=text, title=(kept or [line for line in lines if line])[0][:500])


def extract_paste(text: str) -> Extracted:
    """Pasted text, as it is."""
    if not text or not text.strip():
        raise ValidationError(_("The pasted text is empty."), code="empty")
    return _plain(text, markdown=False)


def _docx(data: bytes) -> Extracted:
    import docx

    if data.startswith(_OLE_MAGIC):
        raise ValidationError(
            _("This Word file is password-protected (or an old .doc saved as .docx); remove the "
              "password or save it as .docx again."),
            code="protected",
        )
    if not data.startswith(b"PK"):
        raise ValidationError(_("This file is not a .docx file, whatever its name says."), code="type")
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ValidationError(
            _("This file is not a .docx file, whatever its name says."), code="type"
        ) from exc
    text = normalize_body("\n".join(paragraph.text for paragraph in document.paragraphs))
    if not text:
        raise _no_text()
    props = document.core_properties  # (its "created" is often the template's, so no date)
    first = next(line.strip() for line in text.split("\n") if line.strip())
    return Extracted(
        text=text, title=(props.title or first)[:500], author=(props.author or "")[:200]
    )


def _pdf(data: bytes) -> Extracted:
    import pypdf
    from pypdf.errors import PdfReadError

    if not data.lstrip()[:5] == b"%PDF-":
        raise ValidationError(_("This file is not a PDF, whatever its name says."), code="type")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValidationError(
                _("This PDF is password-protected; remove the password and upload it again."),
                code="protected",
            )
        pages = [page.extract_text() or "" for page in reader.pages]
        meta = reader.metadata
    except ValidationError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise ValidationError(_("This PDF cannot be read (%(error)s).") % {"error": exc}, code="type") from exc
    except Exception as exc:  # pypdf raises assorted errors on broken files  # noqa: BLE001
        if "encrypt" in str(exc).lower() or "password" in str(exc).lower():
            raise ValidationError(
                _("This PDF is password-protected; remove the password and upload it again."),
                code="protected",
            ) from exc
        raise ValidationError(_("This PDF cannot be read (%(error)s).") % {"error": exc}, code="type") from exc
    text = normalize_body("\n\n".join(reflow(page.strip()) for page in pages))
    if not text:
        raise ValidationError(
            _("No text was found in this PDF (a scan needs text recognition first)."), code="no_text"
        )
    first = next(line.strip() for line in text.split("\n") if line.strip())
    title = (meta.title if meta and meta.title else first) or first
    author = meta.author if meta and meta.author else ""
    return Extracted(text=text, title=str(title)[:500], author=str(author)[:200])


_SENTENCE_END = re.compile(r"[.!?:;…\"”’»)\]]$")


def reflow(page: str) -> str:
    """A PDF page's lines joined back into paragraphs: a line as long as the page's longest
    lines (≥ 75 %) that does not end a sentence continues on the next line; short lines
    (headings, bylines) and lines that end a sentence stay where they are."""
    lines = [line.rstrip() for line in page.split("\n")]
    widest = max((len(line) for line in lines), default=0)
    out: list[str] = []
    joining = False
    for line in lines:
        if joining and line.strip():
            out[-1] = f"{out[-1]} {line.strip()}"
        else:
            out.append(line)
        text = out[-1]
        joining = bool(line.strip()) and len(line) >= 0.75 * widest and not _SENTENCE_END.search(text)
    return "\n".join(out)


def extract_file(*, name: str, data: bytes) -> Extracted:
    """The article in file ``name``; ValidationError when it is too big, not what its name says,
    protected, or not decodable."""
    limit = settings.NEWSROOM_MAX_BYTES
    if len(data) > limit:
        raise ValidationError(
            _("The file is larger than %(mb)s MB.") % {"mb": limit // 2**20}, code="too_big"
        )
    if not data.strip():
        raise ValidationError(_("The file is empty."), code="empty")
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in FILE_TYPES:
        raise ValidationError(
            _("Files of this type cannot be read; use .html, .txt, .md, .docx or .pdf."),
            code="type",
        )
    if extension == ".docx":
        return _docx(data)
    if extension == ".pdf":
        return _pdf(data)
    if data.startswith((b"%PDF-", b"PK\x03\x04", _OLE_MAGIC)):
        raise ValidationError(
            _("This file is not a %(ext)s file, whatever its name says.") % {"ext": extension},
            code="type",
        )
    if extension in (".html", ".htm"):
        if b"\x00" in data[:8192]:
            raise ValidationError(_("This is a binary file, not text."), code="binary")
        return extract_html(data)  # bytes: trafilatura reads the page's own charset
    return _plain(decode_text(data), markdown=extension == ".md")


# --- reading the text -------------------------------------------------------------------------

#: Languages the detector chooses between: the newsroom's own and the outlets it translates.
_LANGUAGES = (
    "VIETNAMESE", "ENGLISH", "FRENCH", "GERMAN", "SPANISH", "PORTUGUESE", "ITALIAN", "RUSSIAN",
    "CHINESE", "JAPANESE", "KOREAN", "THAI", "INDONESIAN", "DUTCH", "ARABIC",
)  # fmt: skip


@functools.cache
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    # Low accuracy mode (trigrams only): ~18 MB per process instead of ~200 MB for these 15
    # languages, and as accurate on article-length texts (lingua's own evaluation: the modes
    # differ on single words and short phrases).
    languages = (getattr(Language, n) for n in _LANGUAGES)
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def detect_language(text: str) -> str:
    """The ISO 639-1 code of ``text``'s language, or "" when unsure."""
    sample = text[:3000]
    if len(sample.strip()) < 20:
        return ""
    language = _detector().detect_language_of(sample)
    return language.iso_code_639_1.name.lower() if language is not None else ""


def boilerplate_flags(text: str) -> dict[str, str]:
    """{line index (as a string, for JSON): reason} for the lines that look like boilerplate."""
    return {str(flag.line): flag.reason for flag in boilerplate.detect(text)}


def title_line(text: str, title: str, *, after: Iterable[int] = ()) -> int | None:
    """The index of ``text``'s first line (boilerplate lines ``after`` aside) when it is
    ``title`` again (a file's or a paste's heading, which the reader already shows as the
    title), else None. A first line that ends a sentence is the lede, not a heading, even when
    it became the title."""
    lines, skip = text.split("\n"), set(after)
    first = next((n for n, line in enumerate(lines) if line.strip() and n not in skip), None)
    if first is None or not title.strip():
        return None
    line = lines[first].strip()
    if line.casefold() != title.strip().casefold() or line.endswith((".", "!", "?", "…", ":", ";")):
        return None
    return first


def credited_outlet(text: str, *, known: list[str], own: str = "") -> tuple[str, str]:
    """(outlet, url) credited by a "Theo: …" / "Nguồn: …" line, unless it is ``own`` outlet."""
    found = boilerplate.attribution(text, known=known)
    if found is None or found.translated is False:
        return "", ""
    if own and found.outlet.casefold() == own.casefold():
        return "", ""
    return found.outlet[:200], found.url[:2000]


_WORD = re.compile(r"\w+")
#: Share of shared word 5-grams from which two texts are called near-duplicates.
NEAR_DUPLICATE = 0.6


def shingles(text: str) -> frozenset[int]:
    words = _WORD.findall(text.casefold())
    return frozenset(hash(tuple(words[i : i + 5])) for i in range(max(len(words) - 4, 1)))


def resemblance(a: frozenset[int], b: frozenset[int]) -> float:
    """How much of the shorter text's 5-grams the other has (1.0: one contains the other)."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))
