"""Claim and link actions. Each answers htmx with the re-rendered reader, and a plain form post
with a redirect to the reader URL that shows the result (so every state survives a reload).
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from articles import selectors as article_selectors
from articles.models import Article
from articles.views import HtmxHttpRequest, render_reader
from teams.selectors import new_claim_visibility

from . import permissions, presenters, services
from .forms import ClaimCreateForm, ClaimEditForm, LinkCreateForm, LinkEditForm


def _messages(exc: ValidationError) -> str:
    return " ".join(exc.messages)


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


def _done(
    request: HtmxHttpRequest, story, *, status: int = 200, form_error: str = "", **changes
) -> HttpResponse:
    """Answer an action: the reader fragment (htmx) or a redirect to the reader (plain post).

    A refused action (``status`` >= 400) answers with the reader showing ``form_error``, in the
    claim panel when one is open and above the columns otherwise; the URL is left alone.
    """
    params = _view_params(request, story)
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = str(value)
    extra = {"form_error": form_error} if form_error else {}
    if status >= 400:
        return render_reader(request, story, params, status=status, **extra)
    url = story.get_absolute_url() + (f"?{params.urlencode()}" if params else "")
    if not request.htmx:
        return HttpResponseRedirect(url)
    response = render_reader(request, story, params, status=status, **extra)
    response["HX-Push-Url"] = url
    return response


def _login_needed(request: HtmxHttpRequest) -> HttpResponse | None:
    if request.user.is_authenticated:
        return None
    message = _("Log in to highlight and link claims.")
    if request.htmx:
        return HttpResponse(f'<p class="form-error" role="alert">{escape(message)}</p>', status=403)
    return redirect_to_login(request.get_full_path())


@require_POST
def claim_create(request: HtmxHttpRequest, article_pk: int) -> HttpResponse:
    if denied := _login_needed(request):
        return denied
    article = get_object_or_404(Article.objects.select_related("story"), pk=article_pk)
    form = ClaimCreateForm(request.POST)
    if not form.is_valid():
        return _error(request, article.story, form.error_text())
    default_visibility, default_team = new_claim_visibility(request=request)
    if request.POST.get("visibility"):
        default_team = None
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
            # Who sees it: the form's choice, else the reader's choice for new claims.
            visibility=request.POST.get("visibility") or default_visibility,
            team=request.POST.get("team") or default_team,
        )
    except ValidationError as exc:
        return _error(request, article.story, _messages(exc))
    if request.htmx and request.headers.get("X-Parallax-Mark"):
        # The reader's Highlight button: it marks the words it sent itself, so the answer is the
        # claim's id and accessible name, not the whole re-rendered reader.
        return JsonResponse(
            {
                "claim": claim.pk,
                "label": presenters.claim_mark_label(claim),
                "message": _("Claim highlighted."),
            },
            status=201,
        )
    return _done(request, article.story, claim=claim.pk, link_to=None, panel=None)


def _error(request: HtmxHttpRequest, story, message: str, status: int = 422) -> HttpResponse:
    """A clear message: a bare alert for the browser's selection popup, else the reader."""
    if request.htmx and request.headers.get("X-Parallax-Popup"):
        return HttpResponse(
            f'<p class="form-error" role="alert">{escape(message)}</p>', status=status
        )
    return _done(request, story, status=status, form_error=message)


@require_POST
@login_required
def claim_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    claim = permissions.claim_access(request.user, pk, for_="edit")
    story = claim.article.story
    form = ClaimEditForm(request.POST)
    if not form.is_valid():
        return _error(request, story, form.error_text())
    try:
        services.claim_update(
            user=request.user,
            claim=claim,
            note=form.cleaned_data["note"],
            tags=form.cleaned_data["tags"],
            expected_version=form.cleaned_data["version"],
        )
    except ValidationError as exc:
        return _error(request, story, _messages(exc), status=409 if _is_conflict(exc) else 422)
    return _done(request, story, claim=claim.pk)


def _is_conflict(exc: ValidationError) -> bool:
    return any(getattr(e, "code", None) == "conflict" for e in exc.error_list)


@require_http_methods(["GET", "POST"])
@login_required
def claim_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    claim = permissions.claim_access(request.user, pk, for_="edit")
    story = claim.article.story
    if request.method == "GET":
        # Ask first: the reader shows the confirmation in the claim panel.
        params = _view_params(request, story) if request.htmx else QueryDict("", mutable=True)
        if not request.htmx:
            params = request.GET.copy()
        params["claim"] = str(claim.pk)
        return render_reader(request, story, params, confirm_delete=True)
    services.claim_delete(user=request.user, claim=claim)
    return _done(request, story, claim=None, link_to=None)


@require_POST
@login_required
def link_create(request: HtmxHttpRequest) -> HttpResponse:
    form = LinkCreateForm(request.POST)
    if not form.is_valid():
        story = _story_from_post(request)
        return _error(request, story, form.error_text())
    claim_a = permissions.claim_access(request.user, form.cleaned_data["claim"])
    story = claim_a.article.story
    try:
        claim_b = permissions.claim_access(request.user, form.cleaned_data["other"])
    except Http404:
        # Most often deleted by someone else a moment ago (a live session shows it gone).
        return _error(
            request,
            story,
            _("The other claim has just been deleted, or you cannot see it; nothing was linked."),
            status=409,
        )
    try:
        link, _created = services.link_create(
            author=request.user,
            claim_a=claim_a,
            claim_b=claim_b,
            relation=form.cleaned_data["relation"],
            rationale=form.cleaned_data["rationale"],
            visibility=request.POST.get("visibility") or None,
            team=request.POST.get("team") or None,
        )
    except ValidationError as exc:
        return _error(request, story, _messages(exc))
    return _done(request, story, claim=claim_a.pk, link_to=None)


def _story_from_post(request: HtmxHttpRequest):
    return permissions.claim_access(request.user, request.POST.get("claim")).article.story


@require_POST
@login_required
def link_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    link = permissions.link_access(request.user, pk, for_="edit")
    story = link.claim_a.article.story
    form = LinkEditForm(request.POST)
    if not form.is_valid():
        return _error(request, story, form.error_text())
    try:
        services.link_update(
            user=request.user,
            link=link,
            relation=form.cleaned_data["relation"],
            rationale=form.cleaned_data["rationale"] if "rationale" in request.POST else None,
        )
    except PermissionDenied:
        raise
    except ValidationError as exc:
        return _error(request, story, _messages(exc))
    return _done(request, story)


@require_POST
@login_required
def link_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    link = permissions.link_access(request.user, pk, for_="edit")
    story = link.claim_a.article.story
    services.link_delete(user=request.user, link=link)
    return _done(request, story)


@require_GET
def story_connections(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Every link in the story with both quotes, grouped by relation (also a reader panel)."""
    story = article_selectors.story_get(slug=slug)
    params = request.GET.copy()
    params["panel"] = "connections"
    if request.htmx:
        return render_reader(request, story, params)
    return HttpResponseRedirect(story.get_absolute_url() + "?" + urlencode(params))

