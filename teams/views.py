"""Team pages: my teams (and a form to start one), a team's members and recent work."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_POST, require_safe

from activity.models import Event

from . import selectors, services
from .models import Membership


@require_safe
@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    teams = selectors.teams_for_user(user=request.user)
    return render(request, "teams/team_list.html", {"teams": teams})


@require_POST
@login_required
def team_create(request: HttpRequest) -> HttpResponse:
    try:
        team = services.team_create(
            creator=request.user,
            name=request.POST.get("name", ""),
            description=request.POST.get("description", ""),
        )
    except ValidationError as exc:
        teams = selectors.teams_for_user(user=request.user)
        return render(
            request,
            "teams/team_list.html",
            {"teams": teams, "form_error": " ".join(exc.messages), "name": request.POST.get("name", "")},
            status=422,
        )
    return HttpResponseRedirect(team.get_absolute_url())


def _detail(request, team, *, status=200, **extra) -> HttpResponse:
    recent = list(
        Event.objects.filter(team=team, visibility=Event.Visibility.TEAM)
        .select_related("actor", "story", "team")
        .order_by("-id")[:30]
    )
    context = {
        "team": team,
        "members": team.member_list,
        "is_admin": team.role == Membership.Role.ADMIN,
        "roles": Membership.Role.choices,
        "recent": recent,
        **extra,
    }
    template = "teams/team_detail.html"
    if getattr(request, "htmx", False) and request.htmx.target == "members":
        template += "#members"
    return render(request, template, context, status=status)


@require_safe
@login_required
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    team = selectors.team_get_for_user(user=request.user, slug=slug)
    return _detail(request, team)


@require_POST
@login_required
def member_add(request: HttpRequest, slug: str) -> HttpResponse:
    team = selectors.team_get_for_user(user=request.user, slug=slug)
    try:
        services.membership_add(
            actor=request.user,
            team=team,
            username=request.POST.get("username", ""),
            role=request.POST.get("role", ""),
        )
    except ValidationError as exc:
        return _detail(request, team, status=422, form_error=" ".join(exc.messages))
    return _after_change(request, slug)


@require_POST
@login_required
def member_remove(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    team = selectors.team_get_for_user(user=request.user, slug=slug)
    try:
        services.membership_remove(actor=request.user, team=team, user_id=user_id)
    except ValidationError as exc:
        return _detail(request, team, status=422, form_error=" ".join(exc.messages))
    if user_id == request.user.pk:
        return HttpResponseRedirect("/teams/")
    return _after_change(request, slug)


def _after_change(request, slug: str) -> HttpResponse:
    team = selectors.team_get_for_user(user=request.user, slug=slug)
    if getattr(request, "htmx", False):
        return _detail(request, team)
    return HttpResponseRedirect(team.get_absolute_url())
