"""Test factories for teams: real rows, every field overridable."""

from __future__ import annotations

import itertools

from teams.models import Membership, Team

_seq = itertools.count(1)


def team_create(*, name: str | None = None, members: dict | None = None, **fields) -> Team:
    """A team; ``members`` maps users to roles."""
    n = next(_seq)
    team = Team.objects.create(
        name=name or f"Team {n}", slug=fields.pop("slug", None) or f"team-{n}", **fields
    )
    for user, role in (members or {}).items():
        Membership.objects.create(team=team, user=user, role=role)
    return team
