"""Pages for people: home, the side-by-side reader and search."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET
from django_htmx.middleware import HtmxDetails

from annotations import permissions, presenters  # the annotation layer draws marks and panels
from annotations.models import ClaimLink
from teams.selectors import team_reader_context

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


def _swapped(order: list[int], first: int, second: int) -> list[int]:
    """``order`` with the columns ``first`` and ``second`` exchanged."""
    swapped = order.copy()
    i, j = swapped.index(first), swapped.index(second)
    swapped[i], swapped[j] = swapped[j], swapped[i]
    return swapped


def _reader_url(path: str, *, order: list[int], hidden: list[int], tab: int | None, **extra) -> str:
    params = {}
    if order:
        params["order"] = ",".join(map(str, order))
    if hidden:
        params["hide"] = ",".join(map(str, hidden))
    if tab:
        params["tab"] = str(tab)
    params.update({key: str(value) for key, value in extra.items() if value})
    return f"{path}?{urlencode(params)}" if params else path


def _int_param(params, name: str) -> int | None:
    try:
        return int(params.get(name, ""))
    except (TypeError, ValueError):
        return None


#: Reader URL parameters beyond the column layout, kept across column moves (see annotations).
READER_EXTRA_PARAMS = ("claim", "link_to", "only", "panel", "layers")


def reader_context(request: HtmxHttpRequest, story, params, *, path: str | None = None) -> dict:
    """Everything the reader template needs, from the story and the URL's view state."""
    articles = selectors.story_articles(story=story)
    layout = selectors.column_layout(
        articles=articles, order=params.get("order", ""), hidden=params.get("hide", "")
    )
    full_order = layout.order  # hidden columns keep their place, so "show" puts them back there
    visible_ids = [a.pk for a in layout.visible]
    hidden_ids = [a.pk for a in layout.hidden]
    tab = _int_param(params, "tab")
    if tab not in visible_ids:
        tab = visible_ids[0] if visible_ids else None
    path = path or story.get_absolute_url()
    extra = {name: params.get(name, "") for name in READER_EXTRA_PARAMS}

    def url(order=full_order, hidden=hidden_ids, tab=tab, **changes):
        return _reader_url(path, order=order, hidden=hidden, tab=tab, **{**extra, **changes})

    notes = presenters.reader_annotations(
        user=request.user, story=story, articles=articles, params=params, url=url
    )
    columns = []
    for index, article in enumerate(layout.visible):
        left = right = None
        if index > 0:
            left = url(order=_swapped(full_order, article.pk, visible_ids[index - 1]))
        if index < len(visible_ids) - 1:
            right = url(order=_swapped(full_order, article.pk, visible_ids[index + 1]))
        remaining = [pk for pk in visible_ids if pk != article.pk]
        hide_tab = remaining[0] if remaining and tab == article.pk else tab
        columns.append(
            {
                "article": article,
                "paragraphs": notes.paragraphs[article.pk],
                "move_left_url": left,
                "move_right_url": right,
                "hide_url": url(hidden=hidden_ids + [article.pk], tab=hide_tab),
                "tab_url": url(tab=article.pk),
                "is_active": article.pk == tab,
            }
        )
    hidden_columns = [
        {"article": a, "show_url": url(hidden=[pk for pk in hidden_ids if pk != a.pk], tab=a.pk)}
        for a in layout.hidden
    ]
    panel_open = bool(notes.selected or notes.panel == "connections")
    return {
        "story": story,
        "columns": columns,
        "panel_open": panel_open,
        "close_panel_url": url(claim="", link_to="", panel=""),
        "connections_url": url(panel="" if notes.panel == "connections" else "connections", claim="", link_to=""),
        "only_url": url(only="" if notes.only else "contradicts"),
        "hidden_columns": hidden_columns,
        "reset_url": path,
        "current_url": url(),
        "article_count": len(articles),
        "notes": notes,
        # What the person may do here (the rule book, asked once; templates only read these).
        "can_annotate": permissions.can_annotate(request.user, story),
        "can_curate": permissions.can_curate(request.user, story),
        # Layer toggles and the visibility of new claims (teams app).
        **team_reader_context(request, layers=params.get("layers"), url=url),
    }


def render_reader(request: HtmxHttpRequest, story, params, *, status: int = 200, **extra) -> HttpResponse:
    """The reader page, or just its ``#reader`` fragment for htmx requests."""
    context = {
        **reader_context(request, story, params),
        "relation_choices": ClaimLink.Relation.choices,
        **extra,
    }
    template = "articles/story_read.html"
    if request.htmx and request.htmx.target in ("reader", None):
        template += "#reader"
    response = render(request, template, context, status=status)
    # A live refresh (static/js/live.js) redraws the same view: no new history entry.
    live = request.headers.get("X-Parallax-Live")
    if request.htmx and request.method == "GET" and status == 200 and not live:
        response["HX-Push-Url"] = context["current_url"]
    return response


@require_GET
def story_read(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    story = selectors.story_get(slug=slug)
    return render_reader(request, story, request.GET)


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
