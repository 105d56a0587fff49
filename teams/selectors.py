"""Reads for teams and memberships."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet
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
    """``user``'s teams by name, each with ``role`` (theirs) and ``member_count``. One query."""
    if not _authenticated(user):
        return []
    teams = list(
        Team.objects.filter(memberships__user_id=user.pk)
        .annotate(member_count=Count("memberships", distinct=True))
        .order_by("name", "pk")
    )
    roles = dict(Membership.objects.filter(user_id=user.pk).values_list("team_id", "role"))
    for team in teams:
        team.role = roles.get(team.pk)
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


#: Session key of the visibility new claims get (``public``, ``private`` or ``team:<id>``).
VISIBILITY_SESSION_KEY = "parallax_new_claim_visibility"


def visibility_choices(*, memberships) -> list[tuple[str, str]]:
    """What ``user`` may give new claims: public, private, and each team they may write in."""

    choices = [("public", _("Everyone")), ("private", _("Only me"))]
    for membership in memberships:
        if membership.role in WRITE_ROLES:
            choices.append(
                (f"team:{membership.team_id}", _("Team: %(name)s") % {"name": membership.team.name})
            )
    return choices


def new_claim_visibility(*, request) -> tuple[str, int | None]:
    """The (visibility, team id) the reader chose for new claims (checked again on write)."""
    value = request.session.get(VISIBILITY_SESSION_KEY, "public")
    if value.startswith("team:") and value[5:].isdigit():
        return "team", int(value[5:])
    return (value if value in ("public", "private") else "public"), None


def team_reader_context(request, *, layers: str | None, url) -> dict:
    """The reader's layer chips (mine, each of my teams, public; each with the URL toggling it)
    and the choice of visibility for new claims. One query for a logged-in reader, none else.

    No ``layers`` parameter means every layer; turning all off is ``layers=none``.
    """

    from annotations.selectors import parse_layers

    user = request.user
    if not _authenticated(user):
        return {"layers": [], "visibility_choices": [], "visibility_current": "public"}
    memberships = list(
        Membership.objects.filter(user_id=user.pk).select_related("team").order_by("team__name")
    )
    names = [("mine", _("Mine"))]
    names += [(f"team:{m.team_id}", m.team.name) for m in memberships]
    names.append(("public", _("Public")))
    keys = [key for key, _label in names]
    chosen = parse_layers(user=user, value=layers)
    on = set(keys) if chosen is None else set(chosen) & set(keys)
    toggles = []
    for key, label in names:
        after = on ^ {key}
        param = "" if after == set(keys) else (",".join(k for k in keys if k in after) or "none")
        toggles.append({"key": key, "label": label, "on": key in on, "url": url(layers=param)})
    choices = visibility_choices(memberships=memberships)
    current = request.session.get(VISIBILITY_SESSION_KEY, "public")
    if current not in {value for value, _label in choices}:
        current = "public"
    return {"layers": toggles, "visibility_choices": choices, "visibility_current": current}
