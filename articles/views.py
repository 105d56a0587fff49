"""Pages for people: the list of stories and search (the reader is ``reader/``)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET
from django_htmx.middleware import HtmxDetails

from . import selectors


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _marked(headline: str) -> SafeString:
    """Escape ts_headline output, then turn the match sentinels into <mark> elements."""
    text = escape(headline)
    return mark_safe(  # noqa: S308 - everything but our own tags was escaped above
        text.replace(selectors.MARK_START, "<mark>").replace(selectors.MARK_STOP, "</mark>")
    )


@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    stories = list(selectors.story_list())
    return render(request, "articles/home.html", {"stories": stories})


@require_GET
def search(request: HtmxHttpRequest) -> HttpResponse:
    raw = request.GET.get("q", "")
    hits, error = [], ""
    if "q" in request.GET:
        try:
            hits = [
                {
                    "hit": hit,
                    "title": _marked(hit.title_headline),
                    "snippet": _marked(hit.body_headline),
                    "url": f"{reverse('reader:story_read', args=[hit.story_slug])}"
                    f"?{urlencode({'tab': hit.article.pk})}#article-{hit.article.pk}",
                }
                for hit in selectors.article_search(query=raw)
            ]
        except selectors.SearchQueryError as exc:
            error = str(exc)
    template = "articles/search.html"
    if request.htmx and request.htmx.target == "search-results":
        template += "#results"
    return render(
        request,
        template,
        {"query": raw[:600], "hits": hits, "error": error, "searched": "q" in request.GET},
    )
