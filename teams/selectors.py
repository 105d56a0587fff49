"""Reads for teams and memberships."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet, Subquery
from django.http import Http404
from django.utils.translation import gettext as _

from .models import WRITE_ROLES, Membership, Team


def _authenticated(user) -> bool:
    return user is not None and user.is_authenticated


def team_ids_for(*, user) -> QuerySet:
    """A subquery of the ids of the teams ``user`` belongs to (any role); empty when anonymous."""
    if not _authenticated(user):
        return Membership.objects.none().values("team_id")
    return Membership.objects.filter(user_id=user.pk).values("team_id")


def role_in(*, user, team_id: int | None) -> str | None:
    """``user``'s role in team ``team_id``, or None when not a member (or anonymous)."""
    if team_id is None or not _authenticated(user):
        return None
    return (
        Membership.objects.filter(user_id=user.pk, team_id=team_id)
        .values_list("role", flat=True)
        .first()
    )


def can_write_team(*, user, team_id: int) -> bool:
    """Whether ``user`` may write claims and links with visibility ``team`` in ``team_id``."""
    return role_in(user=user, team_id=team_id) in WRITE_ROLES


def teams_for_user(*, user) -> list[Team]:
    """``user``'s teams by name, each with ``role`` (theirs), its translated ``role_label`` and
    ``member_count`` (all members). One query."""
    if not _authenticated(user):
        return []
    # Count every member: filtering on the user's own membership in the same join would count
    # only that one row ("1 member" for a team of three).
    mine = Membership.objects.filter(user_id=user.pk, team_id=OuterRef("pk"))
    teams = list(
        Team.objects.filter(Exists(mine))
        .annotate(member_count=Count("memberships"), role=Subquery(mine.values("role")[:1]))
        .order_by("name", "pk")
    )
    for team in teams:
        team.role_label = Membership.Role(team.role).label if team.role else ""
    return teams


def team_get_for_user(*, user, slug: str) -> Team:
    """The team ``slug`` with its memberships (users joined, as ``member_list``) and ``role``
    (the viewer's), if ``user`` is a member; else 404, so other teams do not leak."""
    team = (
        Team.objects.filter(slug=slug, memberships__user_id=user.pk)
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("user").order_by("user__username"),
                to_attr="member_list",
            )
        )
        .first()
        if _authenticated(user)
        else None
    )
    if team is None:
        raise Http404(_("No such team."))
    team.role = next((m.role for m in team.member_list if m.user_id == user.pk), None)
    return team
