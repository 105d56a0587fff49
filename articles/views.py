"""Pages for people: the list of stories and search (the reader is ``reader/``)."""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_safe
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


@require_safe
def home(request: HtmxHttpRequest) -> HttpResponse:
    stories = list(selectors.story_list())
    return render(request, "articles/home.html", {"stories": stories})


#: How long a query's rendered results stay cached. They are keyed by the search generation
#: (articles.selectors.search_generation), which moves on every article, story or source write, so
#: this only bounds how long an unused entry is kept.
SEARCH_CACHE_SECONDS = 600


def _search_results(raw: str, *, generation: int) -> tuple[int, str]:
    """The number of hits for ``raw`` and their list's HTML, from the cache when no article,
    story or source has changed since the same query was last drawn in this language.

    Results do not depend on who asks (every story's articles are searchable by everyone); a
    per-viewer filter would have to join the key."""
    query = selectors.clean_query(raw)
    digest = hashlib.sha256(query.encode()).hexdigest()
    key = f"search:{generation}:{get_language()}:{digest}"
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


#: Stands in for the CSRF token in a cached page; each response gets its visitor's own token.
CSRF_PLACEHOLDER = "csrf0placeholder0for0a0cached0search0page"


def _page_key(request: HtmxHttpRequest, *, generation: int, fragment: bool) -> str | None:
    """The cache key of the whole page for a visitor without a session or pending messages
    (for whom the page differs from another such visitor's only by the CSRF token), else None:
    a signed-in page carries its user's name and messages, and is drawn around cached hits."""
    if (
        request.user.is_authenticated
        or settings.SESSION_COOKIE_NAME in request.COOKIES
        or CookieStorage.cookie_name in request.COOKIES
    ):
        return None
    digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    return f"search-page:{generation}:{get_language()}:{int(fragment)}:{digest}"


def _with_token(request: HttpRequest, html: str) -> HttpResponse:
    return HttpResponse(html.replace(CSRF_PLACEHOLDER, get_token(request)))


@require_safe
def search(request: HtmxHttpRequest) -> HttpResponse:
    raw = request.GET.get("q", "")
    fragment = bool(request.htmx and request.htmx.target == "search-results")
    generation = selectors.search_generation()
    page_key = _page_key(request, generation=generation, fragment=fragment)
    if page_key is not None:
        html = cache.get(page_key)
        if html is not None:
            return _with_token(request, html)
    count, hits_html, error = 0, "", ""
    if "q" in request.GET:
        try:
            count, hits_html = _search_results(raw, generation=generation)
        except selectors.SearchQueryError as exc:
            error = str(exc)
    context = {
        "query": raw[:600],
        "count": count,
        "hits_html": mark_safe(hits_html),  # noqa: S308 - rendered by the template engine above
        "error": error,
        "searched": "q" in request.GET,
    }
    template = "articles/search.html" + ("#results" if fragment else "")
    if page_key is None:
        return render(request, template, context)
    html = render_to_string(template, context | {"csrf_token": CSRF_PLACEHOLDER}, request)
    cache.set(page_key, html, SEARCH_CACHE_SECONDS)
    return _with_token(request, html)
