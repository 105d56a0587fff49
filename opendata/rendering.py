"""Notes imported in another format (Hypothesis writes Markdown), shown safely.

Markdown is parsed with markdown-it-py (CommonMark, maintained, MIT) with raw HTML switched off,
and the result is cleaned again with nh3 (the Rust ammonia sanitizer, MIT) to a short allow-list,
so neither a ``<script>`` nor a ``javascript:`` link survives whatever the parser lets through.
Plain-text notes are escaped with line breaks kept, as the reader always showed them.
"""

from __future__ import annotations

import nh3
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr",
    "h1", "h2", "h3", "h4", "h5", "h6",
}
_ATTRIBUTES = {"a": {"href", "title"}}


def _clean(html: str) -> str:
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def note_html(note: str, media_type: str = "") -> SafeString:
    """``note`` as safe HTML: Markdown or HTML rendered and sanitized, anything else escaped."""
    if media_type == "text/markdown":
        return mark_safe(_clean(_MARKDOWN.render(note)))  # noqa: S308 - sanitized by nh3
    if media_type == "text/html":
        return mark_safe(_clean(note))  # noqa: S308 - sanitized by nh3
    return mark_safe(escape(note).replace("\n", "<br>"))  # noqa: S308 - escaped


__all__ = ["note_html", "linebreaks"]
