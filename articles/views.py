"""Pages for people: the list of stories and search (the reader is ``reader/``)."""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from django.core.cache import cache

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
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


#: How long a query's rendered results stay cached. They are keyed by the search generation
#: (articles.selectors.search_generation), which moves on every article, story or source write, so
#: this only bounds how long an unused entry is kept.
SEARCH_CACHE_SECONDS = 600


def _search_results(raw: str) -> tuple[int, str]:
    """The number of hits for ``raw`` and their list's HTML, from the cache when no article,
    story or source has changed since the same query was last drawn in this language.

    Results do not depend on who asks (every story's articles are searchable by everyone); a
    per-viewer filter would have to join the key."""
    query = selectors.clean_query(raw)
    digest = hashlib.sha256(query.encode()).hexdigest()
    key = f"search:{selectors.search_generation()}:{get_language()}:{digest}"
    found = cache.get(key)
    if found is None:
        hits = [
            {
                "hit": hit,
                "title": _marked(hit.title_headline),
                "snippet": _marked(hit.body_headline),
                "url": f"{reverse('reader:story_read', args=[hit.story_slug])}"
                f"?{urlencode({'tab': hit.article.pk})}#article-{hit.article.pk}",
            }
            for hit in selectors.article_search(query=query)
        ]
        html = render_to_string("articles/search.html#hits", {"hits": hits}) if hits else ""
        found = (len(hits), html)
        cache.set(key, found, SEARCH_CACHE_SECONDS)
    return found


@require_GET
def search(request: HtmxHttpRequest) -> HttpResponse:
    raw = request.GET.get("q", "")
    count, hits_html, error = 0, "", ""
    if "q" in request.GET:
        try:
            count, hits_html = _search_results(raw)
        except selectors.SearchQueryError as exc:
            error = str(exc)
    template = "articles/search.html"
    if request.htmx and request.htmx.target == "search-results":
        template += "#results"
    return render(
        request,
        template,
        {
            "query": raw[:600],
            "count": count,
            "hits_html": mark_safe(hits_html),  # noqa: S308 - rendered by the template engine above
            "error": error,
            "searched": "q" in request.GET,
        },
    )
