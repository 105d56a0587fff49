"""Pages for people: home, the side-by-side reader and search."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
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


def _reader_url(path: str, *, order: list[int], hidden: list[int], tab: int | None) -> str:
    params = {}
    if order:
        params["order"] = ",".join(map(str, order))
    if hidden:
        params["hide"] = ",".join(map(str, hidden))
    if tab:
        params["tab"] = str(tab)
    return f"{path}?{urlencode(params)}" if params else path


@require_GET
def story_read(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    story = selectors.story_get(slug=slug)
    articles = selectors.story_articles(story=story)
    layout = selectors.column_layout(
        articles=articles, order=request.GET.get("order", ""), hidden=request.GET.get("hide", "")
    )
    visible_ids = layout.order
    hidden_ids = [a.pk for a in layout.hidden]
    try:
        tab = int(request.GET.get("tab", ""))
    except ValueError:
        tab = None
    if tab not in visible_ids:
        tab = visible_ids[0] if visible_ids else None
    path = request.path

    def url(order=visible_ids + hidden_ids, hidden=hidden_ids, tab=tab):
        return _reader_url(path, order=order, hidden=hidden, tab=tab)

    columns = []
    for index, article in enumerate(layout.visible):
        left = right = None
        if index > 0:
            swapped = visible_ids.copy()
            swapped[index - 1], swapped[index] = swapped[index], swapped[index - 1]
            left = url(order=swapped + hidden_ids)
        if index < len(visible_ids) - 1:
            swapped = visible_ids.copy()
            swapped[index + 1], swapped[index] = swapped[index], swapped[index + 1]
            right = url(order=swapped + hidden_ids)
        remaining = [pk for pk in visible_ids if pk != article.pk]
        columns.append(
            {
                "article": article,
                "paragraphs": selectors.article_paragraphs(body=article.body),
                "move_left_url": left,
                "move_right_url": right,
                "hide_url": url(hidden=hidden_ids + [article.pk], tab=remaining[0] if remaining and tab == article.pk else tab),
                "tab_url": url(tab=article.pk),
                "is_active": article.pk == tab,
            }
        )
    hidden_columns = [
        {"article": a, "show_url": url(hidden=[pk for pk in hidden_ids if pk != a.pk], tab=a.pk)}
        for a in layout.hidden
    ]
    context = {
        "story": story,
        "columns": columns,
        "hidden_columns": hidden_columns,
        "reset_url": path,
        "current_url": url(),
        "article_count": len(articles),
    }
    template = "articles/story_read.html"
    if request.htmx and request.htmx.target == "reader":
        template += "#reader"
    return render(request, template, context)


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
                    "url": _reader_url(
                        f"/stories/{hit.story_slug}/", order=[], hidden=[], tab=hit.article.pk
                    )
                    + f"#article-{hit.article.pk}",
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
