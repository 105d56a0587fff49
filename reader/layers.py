"""The reader's layers: which of the claims and links a person may see the page shows (``mine``,
``public``, and each of their teams), the toolbar that toggles them, and who new claims are
visible to. Layers only narrow what ``annotations.permissions`` lets someone see; they never
widen it.

In the URL, ``?layers=mine,public,team:3``; no parameter means every layer, ``layers=none``
none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from django.utils.translation import gettext as _

from annotations import permissions
from teams.models import WRITE_ROLES, Membership
from textkernel.params import parse_id

#: Layer names: ``"mine"``, ``"public"`` and ``"team:<id>"``; ``None`` means every layer.
Layers = frozenset[str] | None

#: Session key of the visibility new claims get (``public``, ``private`` or ``team:<id>``).
VISIBILITY_SESSION_KEY = "parallax_new_claim_visibility"


def parse_layers(value: str | None) -> Layers:
    """The ``layers`` URL parameter as a set of names; None when absent. Unknown names are
    dropped; a team the person is not in selects nothing, since visibility applies first."""
    if value is None:
        return None
    names = set()
    for raw in value.split(",")[:50]:
        raw = raw.strip()
        if raw in ("mine", "public") or (raw.startswith("team:") and raw[5:].isdigit()):
            names.add(raw)
    return frozenset(names)


class Facts(NamedTuple):
    """What decides a row's layer (claims and links carry these fields themselves)."""

    visibility: str
    team_id: int | None
    author_id: int


def in_layers(row, *, layers: Layers, user_id: int | None) -> bool:
    """Whether a claim or link row (``visibility``, ``team_id``, ``author_id``) is in one of
    ``layers`` (always, when ``layers`` is None)."""
    if layers is None:
        return True
    if "public" in layers and row.visibility == "public":
        return True
    if "mine" in layers and user_id is not None and row.author_id == user_id:
        return True
    return row.visibility == "team" and f"team:{row.team_id}" in layers


@dataclass(frozen=True)
class LayerToggle:
    key: str
    label: str
    on: bool
    url: str


def memberships(user) -> list[Membership]:
    """``user``'s memberships with their teams, by team name (one query; none if anonymous)."""
    if not permissions.signed_in(user):
        return []
    return list(Membership.objects.filter(user_id=user.pk).select_related("team").order_by("team__name"))


def visibility_choices(*, memberships) -> list[tuple[str, str]]:
    """What a person may give new claims: public, private, and each team they may write in."""
    choices = [("public", _("Everyone")), ("private", _("Only me"))]
    for membership in memberships:
        if membership.role in WRITE_ROLES:
            choices.append(
                (f"team:{membership.team_id}", _("Team: %(name)s") % {"name": membership.team.name})
            )
    return choices


def new_claim_visibility(session) -> tuple[str, int | None]:
    """The (visibility, team id) the reader chose for new claims (checked again on write)."""
    value = session.get(VISIBILITY_SESSION_KEY, "public")
    if value.startswith("team:") and (team_id := parse_id(value[5:])):
        return "team", team_id
    return (value if value in ("public", "private") else "public"), None


def toolbar_context(request, *, layers: str | None, url, memberships: list[Membership]) -> dict:
    """The layer chips (mine, each of my teams, public; each with the URL toggling it) and the
    choice of visibility for new claims, from the person's ``memberships``. No queries."""
    if not permissions.signed_in(request.user):
        return {"layers": [], "visibility_choices": [], "visibility_current": "public"}
    names = [("mine", _("Mine"))]
    names += [(f"team:{m.team_id}", m.team.name) for m in memberships]
    names.append(("public", _("Public")))
    keys = [key for key, _label in names]
    chosen = parse_layers(layers)
    on = set(keys) if chosen is None else set(chosen) & set(keys)
    toggles = []
    for key, label in names:
        after = on ^ {key}
        param = "" if after == set(keys) else (",".join(k for k in keys if k in after) or "none")
        toggles.append(LayerToggle(key=key, label=label, on=key in on, url=url(layers=param)))
    choices = visibility_choices(memberships=memberships)
    current = request.session.get(VISIBILITY_SESSION_KEY, "public")
    if current not in {value for value, _label in choices}:
        current = "public"
    return {"layers": toggles, "visibility_choices": choices, "visibility_current": current}


def choose_visibility(request, value: str) -> bool:
    """Remember ``value`` as the visibility of the person's new claims, if they may give it."""
    allowed = {v for v, _label in visibility_choices(memberships=memberships(request.user))}
    if value not in allowed:
        return False
    request.session[VISIBILITY_SESSION_KEY] = value
    return True
