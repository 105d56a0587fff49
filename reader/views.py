"""The reading page and its actions.

One URL per view state: the columns' order and visibility, the selected claim, the open panel,
the layers and the filter are all in the query string, so every state survives a reload and can
be shared. Each action answers in one of two shapes:

- **htmx** (``HX-Request``): the part of the page it changed, drawn by the server: the column a
  new highlight went into (``HX-Target: article-<id>``), or the whole ``#reader`` otherwise; with
  ``HX-Push-Url`` set to the view state it leads to. A refused action answers 4xx with the reason
  in the part of the page that asked (the highlight popup's message, or the reader's alert).
- **a plain form post**: a redirect to the reader URL that shows the result (PRG).
"""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import urlencode, urlsplit

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from annotations import permissions, services
from annotations.selectors import story_articles
from articles.models import Article
from articles.selectors import ColumnLayout, column_layout
from articles.views import HtmxHttpRequest
from textkernel import boilerplate
from textkernel.params import parse_id

from . import layers, marks, presenters
from .forms import ClaimCreateForm, ClaimEditForm, LinkCreateForm, LinkEditForm

TEMPLATE = "reader/story_read.html"
#: View-state parameters beyond the column layout, kept across column moves.
VIEW_PARAMS = ("claim", "link_to", "only", "panel", "layers", "marks")


# --- the page ---------------------------------------------------------------------------------


def _swapped(order: list[int], first: int, second: int) -> list[int]:
    """``order`` with the columns ``first`` and ``second`` exchanged."""
    swapped = order.copy()
    i, j = swapped.index(first), swapped.index(second)
    swapped[i], swapped[j] = swapped[j], swapped[i]
    return swapped


@functools.lru_cache(maxsize=128)
def _boilerplate_starts(body: str) -> str:
    """Offsets of the body's lines that are not the article (ad notices, related lists, image
    markdown: ``textkernel.boilerplate``), comma-separated: the column's ``data-skip-starts``,
    whose paragraphs the J/K sentence picker passes over."""
    return ",".join(str(flag.start) for flag in boilerplate.detect(body))


def reader_url(path: str, *, order: list[int], hidden: list[int], tab: int | None, **extra) -> str:
    """The reader URL of a view state (empty values are left out)."""
    params = {}
    if order:
        params["order"] = ",".join(map(str, order))
    if hidden:
        params["hide"] = ",".join(map(str, hidden))
    if tab:
        params["tab"] = str(tab)
    params.update({key: str(value) for key, value in extra.items() if value})
    return f"{path}?{urlencode(params)}" if params else path


class _View(NamedTuple):
    """A reader URL's view state: the column layout, the phone's tab (a shown column) and
    ``url(**changes)``, the URL of this view with ``changes``."""

    layout: ColumnLayout
    tab: int | None
    url: Callable[..., str]


def _view(story, params) -> _View:
    layout = column_layout(
        articles=story_articles(story=story), order=params.get("order", ""), hidden=params.get("hide", "")
    )
    visible_ids = [a.pk for a in layout.visible]
    hidden_ids = [a.pk for a in layout.hidden]
    tab = parse_id(params.get("tab"))
    if tab not in visible_ids:
        tab = visible_ids[0] if visible_ids else None
    path = story.get_absolute_url()
    extra = {name: params.get(name, "") for name in VIEW_PARAMS}

    # Hidden columns keep their place in ``order``, so "show" puts them back there.
    def url(order=layout.order, hidden=hidden_ids, tab=tab, **changes):
        return reader_url(path, order=order, hidden=hidden, tab=tab, **{**extra, **changes})

    return _View(layout, tab, url)


def reader_context(request: HtmxHttpRequest, story, params) -> dict:
    """Everything the reader template needs, from the story and the URL's view state."""
    layout, tab, url = _view(story, params)
    full_order = layout.order
    visible_ids = [a.pk for a in layout.visible]
    hidden_ids = [a.pk for a in layout.hidden]

    def compare_url(first: int, second: int, **changes) -> str:
        """Only the columns ``first`` and ``second`` shown, side by side (the others hidden,
        so "Show all" brings them back)."""
        others = [pk for pk in full_order if pk not in (first, second)]
        return url(hidden=others, tab=first, **changes)

    memberships = layers.memberships(request.user)
    notes = presenters.reader_annotations(
        user=request.user, team_ids=[m.team_id for m in memberships], story=story,
        articles=layout.visible, params=params, url=url, compare_url=compare_url,
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
                "text": notes.texts[article.pk],
                "skip": _boilerplate_starts(article.body),
                "move_left_url": left,
                "move_right_url": right,
                "hide_url": url(hidden=hidden_ids + [article.pk], tab=hide_tab),
                "tab_url": url(tab=article.pk),
                "is_active": article.pk == tab,
                # Claims sent as data, drawn by static/js/dense.js; the no-JS fallback draws marks.
                "dense": article.pk in notes.dense,
                "server_marks_url": url(marks="server"),
            }
        )
    hidden_columns = [
        {"article": a, "show_url": url(hidden=[pk for pk in hidden_ids if pk != a.pk], tab=a.pk)}
        for a in layout.hidden
    ]
    panel_open = bool(notes.selected or notes.panel == "connections")
    refused = {}
    if notes.link_target is not None and notes.selected is not None and (
        notes.link_target.article_id == notes.selected.article_id
    ):
        # A link joins two columns: never offer one inside the selected claim's own column
        # (link_to from an old or hand-made URL); say so instead (the service refuses it too).
        notes.link_target = None
        refused["form_error"] = _("Link claims from two different articles.")
    return {
        **refused,
        "story": story,
        "columns": columns,
        "panel_open": panel_open,
        "close_panel_url": url(claim="", link_to="", panel=""),
        "connections_url": url(
            panel="" if notes.panel == "connections" else "connections", claim="", link_to=""
        ),
        "only_url": url(only="" if notes.only else "contradicts"),
        "all_conflicts_url": url(only="contradicts", panel="connections", claim="", link_to=""),
        "claim_legend": marks.legend(),
        "hidden_columns": hidden_columns,
        "reset_url": story.get_absolute_url(),
        "current_url": url(),
        "article_count": len(layout.ordered),
        "notes": notes,
        # What the person may do here (the rule book, asked once; templates only read these).
        "can_annotate": permissions.can_annotate(request.user, story),
        "can_curate": permissions.can_curate(request.user, story),
        **layers.toolbar_context(
            request, layers=params.get("layers"), url=url, memberships=memberships
        ),
    }


def _column_target(request: HtmxHttpRequest) -> int | None:
    """The article whose column text an htmx request asked for (``HX-Target: article-<id>``)."""
    target = request.htmx.target if request.htmx else None
    return parse_id(target.removeprefix("article-")) if target and target.startswith("article-") else None


def _render_columns_spliced(request, template: str, context: dict, *, status: int) -> HttpResponse:
    """``render``, with each column's marked-up text (most of the page's bytes) put in once at
    the end: the template renders a short marker in its place, so the texts are not copied
    again at every level of the template's nesting."""
    texts = {}
    for col in context["columns"]:
        marker = f"<!--parallax-column-{secrets.token_hex(8)}-->"
        texts[marker] = col["text"]
        col["text"] = mark_safe(marker)  # noqa: S308 - a fixed comment, no user input
    html = render_to_string(template, context, request)
    # Joined as bytes: each drawn text is encoded once (``presenters.DrawnText``), and the page
    # is copied once, not once per column.
    places = sorted((index, marker) for marker in texts if (index := html.find(marker)) >= 0)
    pieces, cursor = [], 0
    for index, marker in places:
        text = texts[marker]
        pieces += [html[cursor:index].encode(), text.utf8 if isinstance(text, presenters.DrawnText) else text.encode()]
        cursor = index + len(marker)
    pieces.append(html[cursor:].encode())
    return HttpResponse(b"".join(pieces), status=status)


def render_reader(request: HtmxHttpRequest, story, params, *, status: int = 200, **extra) -> HttpResponse:
    """The reader page; for htmx, the ``#reader`` fragment, one column's text or the overview."""
    context = {**reader_context(request, story, params), **extra}
    template = TEMPLATE
    column = _column_target(request)
    if column is not None and (col := next((c for c in context["columns"] if c["article"].pk == column), None)):
        context["col"] = col
        template += "#column_text"
    elif request.htmx and request.htmx.target == "overview-bar":
        template += "#overview"
    elif request.htmx and request.htmx.target in ("reader", None):
        template += "#reader"
    response = _render_columns_spliced(request, template, context, status=status)
    if request.htmx and request.method == "GET" and status == 200 and not request.headers.get("X-Parallax-Live"):
        # A live refresh (static/js/live.js) redraws the same view: no new history entry.
        response["HX-Push-Url"] = context["current_url"]
    return response


#: The ``HX-Target`` of a dense column's claim list (``claim-list-<article pk>``).
CLAIM_LIST_TARGET = "claim-list-"


def _claim_list(request: HtmxHttpRequest, story, params, article_pk: int | None) -> HttpResponse:
    """A dense column's claims as a list (each its accessible name, a link that opens its panel):
    loaded when the column's "Claims in this column" disclosure opens."""
    layout, _tab, url = _view(story, params)
    article = next((a for a in layout.visible if a.pk == article_pk), None)
    if article is None:
        raise Http404("No such column in this view.")
    claims = presenters.claim_list(
        user=request.user, team_ids=[m.team_id for m in layers.memberships(request.user)],
        article=article, articles=layout.visible, params=params, url=url,
    )
    return render(request, f"{TEMPLATE}#claim_list", {"article": article, "claims": claims})


@require_safe
def story_read(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    story = permissions.story_access(request.user, slug)
    target = request.htmx.target if request.htmx else None
    if target and target.startswith(CLAIM_LIST_TARGET):
        return _claim_list(request, story, request.GET, parse_id(target.removeprefix(CLAIM_LIST_TARGET)))
    return render_reader(request, story, request.GET)


@require_safe
def story_connections(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Every link in the story with both quotes, grouped by relation (the reader's panel)."""
    story = permissions.story_access(request.user, slug)
    params = request.GET.copy()
    params["panel"] = "connections"
    if request.htmx:
        return render_reader(request, story, params)
    return HttpResponseRedirect(story.get_absolute_url() + "?" + urlencode(params))


# --- actions ------------------------------------------------------------------------------------


def _view_params(request: HtmxHttpRequest, story) -> QueryDict:
    """The reader's view state (columns, selection) the action was taken from."""
    candidates = [request.htmx.current_url if request.htmx else None, request.POST.get("next")]
    for candidate in candidates:
        if not candidate or not url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}
        ):
            continue
        parts = urlsplit(candidate)
        if parts.path == story.get_absolute_url():
            return QueryDict(parts.query, mutable=True)
    return QueryDict("", mutable=True)


def _done(request: HtmxHttpRequest, story, *, trigger: dict | None = None, **changes) -> HttpResponse:
    """Answer a successful action: the changed part of the page (htmx) or a redirect (a form)."""
    params = _view_params(request, story)
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = str(value)
    url = story.get_absolute_url() + (f"?{params.urlencode()}" if params else "")
    if not request.htmx:
        return HttpResponseRedirect(url)
    response = render_reader(request, story, params)
    response["HX-Push-Url"] = url
    if trigger:
        response["HX-Trigger-After-Settle"] = json.dumps(trigger)
    return response


def _refused(request: HtmxHttpRequest, story, message: str, *, status: int = 422) -> HttpResponse:
    """A refused action changes nothing and says why: in the highlight popup when that is what
    asked (htmx aimed at a column), in the reader otherwise (the claim panel when one is open)."""
    if _column_target(request) is not None:
        response = render(request, f"{TEMPLATE}#popup_message", {"message": message}, status=status)
        response["HX-Retarget"] = "#popup-message"
        response["HX-Reswap"] = "innerHTML"
        return response
    if not request.htmx and status == 403:
        raise PermissionDenied(message)
    return render_reader(request, story, _view_params(request, story), status=status, form_error=message)


def _is_conflict(exc: ValidationError) -> bool:
    return any(getattr(e, "code", None) == "conflict" for e in exc.error_list)


@require_POST
def claim_create(request: HtmxHttpRequest, article_pk: int) -> HttpResponse:
    article = get_object_or_404(Article.objects.select_related("story"), pk=article_pk)
    story = article.story
    if not permissions.can_annotate(request.user, story):
        if request.htmx:
            return _refused(request, story, _("Log in to highlight and link claims."), status=403)
        return redirect_to_login(request.get_full_path())
    form = ClaimCreateForm(request.POST)
    if not form.is_valid():
        return _refused(request, story, form.error_text())
    visibility, team = layers.new_claim_visibility(request.session)
    if request.POST.get("visibility"):  # the form's choice wins over the reader's default
        visibility, team = request.POST["visibility"], request.POST.get("team") or None
    try:
        claim = services.claim_create(
            author=request.user,
            article=article,
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
            exact=form.cleaned_data["exact"],
            note=form.cleaned_data["note"],
            tags=form.cleaned_data["tags"],
            offsets=form.cleaned_data["offsets"],
            visibility=visibility,
            team=team,
        )
    except ValidationError as exc:
        return _refused(request, story, " ".join(exc.messages))
    if _column_target(request) is not None:
        return _highlighted(request, story, article=article, claim=claim)
    return _done(request, story, claim=claim.pk, link_to=None, panel=None)


def _highlighted(request: HtmxHttpRequest, story, *, article, claim) -> HttpResponse:
    """The Highlight button's answer: the paragraphs of its column the new claim changed, drawn
    by the server and swapped in by id (the rest of the column is as it was); the page then
    focuses the new mark."""
    params = _view_params(request, story)
    layout = _view(story, params).layout
    shown = next((a for a in layout.visible if a.pk == article.pk), None)
    paragraphs = []
    if shown is not None:
        paragraphs = presenters.highlight_paragraphs(
            user=request.user, team_ids=[m.team_id for m in layers.memberships(request.user)],
            article=shown, articles=layout.visible, params=params, start=claim.start, end=claim.end,
        )
    if paragraphs is None:
        # A dense column: its claims are data, so its whole text (a few bytes per claim) is
        # sent again and redrawn in the browser.
        response = render_reader(request, story, params)
        response["HX-Retarget"] = f"#article-{article.pk}"
        response["HX-Reswap"] = "innerHTML"
        response.headers.pop("HX-Push-Url", None)
    else:
        response = render(
            request, f"{TEMPLATE}#highlighted", {"article": article, "paragraphs": paragraphs}
        )
        response["HX-Reswap"] = "none"  # the paragraphs swap themselves in by id
    response["HX-Trigger-After-Settle"] = json.dumps(
        {"parallax:claim-created": {"claim": claim.pk, "message": _("Claim highlighted.")}}
    )
    return response


@require_POST
@login_required
def claim_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    claim = permissions.claim_access(request.user, pk, for_="edit")
    story = claim.article.story
    form = ClaimEditForm(request.POST)
    if not form.is_valid():
        return _refused(request, story, form.error_text())
    try:
        services.claim_update(
            user=request.user,
            claim=claim,
            note=form.cleaned_data["note"],
            tags=form.cleaned_data["tags"],
            expected_version=form.cleaned_data["version"],
        )
    except ValidationError as exc:
        return _refused(request, story, " ".join(exc.messages), status=409 if _is_conflict(exc) else 422)
    return _done(request, story, claim=claim.pk)


@require_http_methods(["GET", "POST"])
@login_required
def claim_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    claim = permissions.claim_access(request.user, pk, for_="edit")
    story = claim.article.story
    if request.method == "GET":
        # Ask first: the reader shows the confirmation in the claim panel.
        params = _view_params(request, story) if request.htmx else request.GET.copy()
        params["claim"] = str(claim.pk)
        return render_reader(request, story, params, confirm_delete=True)
    services.claim_delete(user=request.user, claim=claim)
    return _done(request, story, claim=None, link_to=None)


@require_POST
@login_required
def link_create(request: HtmxHttpRequest) -> HttpResponse:
    claim_a = permissions.claim_access(request.user, request.POST.get("claim"))
    story = claim_a.article.story
    form = LinkCreateForm(request.POST)
    if not form.is_valid():
        return _refused(request, story, form.error_text())
    try:
        claim_b = permissions.claim_access(request.user, form.cleaned_data["other"])
    except Http404:
        # Most often deleted by someone else a moment ago (a live session shows it gone).
        return _refused(
            request, story,
            _("The other claim has just been deleted, or you cannot see it; nothing was linked."),
            status=409,
        )
    try:
        services.link_create(
            author=request.user,
            claim_a=claim_a,
            claim_b=claim_b,
            relation=form.cleaned_data["relation"],
            rationale=form.cleaned_data["rationale"],
            visibility=request.POST.get("visibility") or None,
            team=request.POST.get("team") or None,
        )
    except ValidationError as exc:
        return _refused(request, story, " ".join(exc.messages))
    return _done(request, story, claim=claim_a.pk, link_to=None)


@require_POST
@login_required
def link_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    link = permissions.link_access(request.user, pk, for_="edit")
    story = link.claim_a.article.story
    form = LinkEditForm(request.POST)
    if not form.is_valid():
        return _refused(request, story, form.error_text())
    try:
        services.link_update(
            user=request.user,
            link=link,
            relation=form.cleaned_data["relation"],
            rationale=form.cleaned_data["rationale"] if "rationale" in request.POST else None,
        )
    except ValidationError as exc:
        return _refused(request, story, " ".join(exc.messages))
    return _done(request, story)


@require_POST
@login_required
def link_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    link = permissions.link_access(request.user, pk, for_="edit")
    story = link.claim_a.article.story
    services.link_delete(user=request.user, link=link)
    return _done(request, story)


@require_POST
@login_required
def visibility_choose(request: HtmxHttpRequest) -> HttpResponse:
    """Remember who new claims are visible to (``as``: public, private or team:<id>). 204 for
    htmx; a plain form post goes back to ``next``."""
    if not layers.choose_visibility(request, request.POST.get("as", "")):
        raise PermissionDenied(_("You cannot give new claims that visibility."))
    if request.htmx:
        return HttpResponse(status=204)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return HttpResponseRedirect(target)
