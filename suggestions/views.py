"""The Suggestions panel: list, accept, dismiss, recompute. htmx swaps ``#suggestions``; plain
posts redirect back (PRG), so every state survives a reload."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from articles import selectors as article_selectors

from . import selectors, services
from .models import Suggestion


def _filters(request: HttpRequest) -> selectors.Filters:
    """The page's filters: from the query string, or (after a POST) from the form's ``filters``."""
    if request.method == "POST":
        return selectors.Filters.from_params(QueryDict(request.POST.get("filters", "")))
    return selectors.Filters.from_params(request.GET)


def _render(request: HttpRequest, story, *, status: int = 200, error: str = "") -> HttpResponse:
    context = {
        "story": story,
        "panel": selectors.panel(story=story, user=request.user, filters=_filters(request)),
        "error": error,
    }
    template = "suggestions/story_suggestions.html"
    if getattr(request, "htmx", False) and request.htmx.target == "suggestions":
        template += "#suggestions"
    return render(request, template, context, status=status)


@require_safe
def story_suggestions(request: HttpRequest, slug: str) -> HttpResponse:
    story = article_selectors.story_get(slug=slug)
    return _render(request, story)


def _answer(request: HttpRequest, story, *, error: str = "") -> HttpResponse:
    if request.htmx:
        return _render(request, story, status=422 if error else 200, error=error)
    if error:
        return _render(request, story, status=422, error=error)
    query = _filters(request).query()
    return HttpResponseRedirect(reverse("suggestions:story", args=[story.slug]) + (f"?{query}" if query else ""))


def _suggestion(slug: str, pk: int) -> Suggestion:
    return get_object_or_404(
        Suggestion.objects.select_related("story", "article_a", "article_b"), pk=pk, story__slug=slug
    )


@require_POST
@login_required
def suggestion_accept(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    suggestion = _suggestion(slug, pk)
    try:
        services.check_fresh(suggestion)
        services.suggestion_accept(user=request.user, suggestion=suggestion)
    except ValidationError as exc:
        return _answer(request, suggestion.story, error=" ".join(exc.messages))
    return _answer(request, suggestion.story)


@require_POST
@login_required
def suggestion_dismiss(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    suggestion = _suggestion(slug, pk)
    services.suggestion_dismiss(user=request.user, suggestion=suggestion)
    return _answer(request, suggestion.story)


@require_POST
@login_required
def suggestion_restore(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Undo a dismissal (yours): the suggestion is back in the list to review."""
    suggestion = _suggestion(slug, pk)
    services.suggestion_restore(user=request.user, suggestion=suggestion)
    return _answer(request, suggestion.story)


@require_POST
@login_required
def story_refresh(request: HttpRequest, slug: str) -> HttpResponse:
    story = article_selectors.story_get(slug=slug)
    services.schedule_refresh(story=story)
    return _answer(request, story)


@require_safe
def claim_memory(request: HttpRequest, pk: int) -> HttpResponse:
    """The claim memory fragment for the reader's claim panel (loaded by htmx when the panel
    shows): similar claims of other stories the user may see. 404 for a claim they may not see."""
    from annotations.permissions import claim_access

    from . import memory

    claim = claim_access(request.user, pk)
    found = memory.similar_claims(user=request.user, claim=claim)
    return render(request, "suggestions/_claim_memory.html", {"claim": claim, "memory": found})
