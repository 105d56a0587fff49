"""Writes for teams: create a team, add and remove members. Team admins manage members."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from textkernel.clean import text_error

from .models import Membership, Team


def _require_admin(actor, team: Team) -> None:
    if not actor.is_authenticated or not Membership.objects.filter(
        team=team, user_id=actor.pk, role=Membership.Role.ADMIN
    ).exists():
        raise PermissionDenied(_("Only the team's admins can change its members."))


def team_create(*, creator, name: str, description: str = "") -> Team:
    """A new team with ``creator`` as its admin."""
    if not creator.is_authenticated:
        raise PermissionDenied(_("Log in to create a team."))
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(_("Give the team a name."), code="name")
    if len(name) > 80:
        raise ValidationError(_("A team name can be at most 80 characters."), code="name")
    for value, what in ((name, _("The team name")), (description or "", _("The description"))):
        if error := text_error(value, what=what):
            raise ValidationError(error, code="unsafe_text")
    slug = slugify(name, allow_unicode=False)[:70] or "team"
    if Team.objects.filter(name__iexact=name).exists():
        raise ValidationError(_("A team with this name exists already."), code="duplicate")
    base, n = slug, 2
    while Team.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    team = Team(name=name, slug=slug, description=(description or "").strip()[:2000])
    team.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            team.save(force_insert=True)
            Membership.objects.create(team=team, user=creator, role=Membership.Role.ADMIN)
    except IntegrityError:
        raise ValidationError(_("A team with this name exists already."), code="duplicate") from None
    return team


def membership_add(*, actor, team: Team, username: str, role: str) -> Membership:
    """Add ``username`` to ``team`` with ``role``, or change the role of a member."""
    _require_admin(actor, team)
    if role not in Membership.Role.values:
        raise ValidationError(_("Unknown role %(role)r.") % {"role": role}, code="role")
    user = get_user_model().objects.filter(username=(username or "").strip()).first()
    if user is None:
        raise ValidationError(
            _("No user is called “%(name)s”.") % {"name": (username or "")[:150]}, code="user"
        )
    with transaction.atomic():
        membership, created = Membership.objects.select_for_update().get_or_create(
            team=team, user=user, defaults={"role": role}
        )
        if not created and membership.role != role:
            _keep_an_admin(team, membership, new_role=role)
            membership.role = role
            membership.save(update_fields=["role"])
    return membership


def _keep_an_admin(team: Team, membership: Membership, *, new_role: str | None) -> None:
    if membership.role == Membership.Role.ADMIN and new_role != Membership.Role.ADMIN:
        admins = Membership.objects.select_for_update().filter(team=team, role="admin")
        if admins.count() <= 1:
            raise ValidationError(
                _("A team needs at least one admin; make someone else admin first."),
                code="last_admin",
            )


def membership_remove(*, actor, team: Team, user_id: int) -> None:
    """Remove a member (an admin, or the member leaving on their own)."""
    if not (actor.is_authenticated and actor.pk == user_id):
        _require_admin(actor, team)
    with transaction.atomic():
        membership = Membership.objects.select_for_update().filter(team=team, user_id=user_id).first()
        if membership is None:
            return
        _keep_an_admin(team, membership, new_role=None)
        membership.delete()
