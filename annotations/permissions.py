"""Who may see and change what: Parallax's one rule book.

``docs/permissions.md`` states the model in words; this module is the only place it is written
in code. Selectors, services, views, templates (through flags computed in views), exports, the
history pages, the live stream and the admin all call it. The shape follows hypothesis/h's
``security/permission_map.py`` (named predicates) and Zulip's ``access_*`` helpers (look an object
up for a user and a purpose, lock it if asked, refuse with 404 or 403).

- **Visibility** of a claim, a link or an event: ``public`` rows are seen by everyone, every row
  by its author (an event: the author of the object it is about), and ``team`` rows by the
  members of their team, whatever their role. A link is seen only when it and both its claims
  are. ``sees`` is the rule on plain facts, ``visible_q`` the same rule as a queryset filter;
  ``test_permissions`` checks that the two agree on every combination.
- **Annotating**: anyone signed in highlights and links claims in any story, visible to everyone
  or to themselves; work visible to a team needs the annotator role (or above) in that team.
  Only the author changes or deletes a claim or link (and, for team work, only while still an
  annotator there).
- **Curating a story** (review, canonical claims, verdicts, orphans, restore, agreement, editing
  and adding its articles) needs the curator or admin role in the desk that owns the story, or
  staff. A site-wide story (no desk) is curated by staff only. Creating a team makes you its
  admin, which gives rights over that team's stories and nothing else.
- **Making a story** in a desk needs its curator or admin role; a site-wide one needs staff.

Nobody sees a private claim but its author: not staff, not superusers, not in the admin.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from activity.models import Event
from articles.models import Story
from articles.selectors import story_get
from teams.models import WRITE_ROLES, Membership
from teams.selectors import role_in, team_ids_for
from textkernel.params import parse_id

from .models import Claim, ClaimLink

User = AbstractBaseUser | AnonymousUser | None

PUBLIC, TEAM, PRIVATE = (Claim.Visibility.PUBLIC, Claim.Visibility.TEAM, Claim.Visibility.PRIVATE)
#: Team roles that curate the stories their team (desk) owns.
CURATE_ROLES = frozenset({Membership.Role.CURATOR, Membership.Role.ADMIN})


def signed_in(user: User) -> bool:
    """A real, active account (anonymous visitors and deactivated accounts are not)."""
    return user is not None and user.is_authenticated and user.is_active


# --- visibility --------------------------------------------------------------------------------


def sees(
    *,
    visibility: str,
    owner_id: int | None,
    team_id: int | None,
    user_id: int | None,
    team_ids: Collection[int],
) -> bool:
    """The visibility rule on plain facts: the row is public, or ``user_id`` owns it, or it is a
    team row of one of ``team_ids`` (the teams ``user_id`` belongs to, in any role)."""
    if visibility == PUBLIC:
        return True
    if user_id is None:
        return False
    return owner_id == user_id or (visibility == TEAM and team_id in team_ids)


def visible_q(user: User, prefix: str = "", *, owner: str = "author") -> Q:
    """``sees`` as a queryset filter, for claims and links (``owner="author"``) and events
    (``owner="owner"``), optionally through a relation (``prefix="claim_a__"``).

    For links this checks the link's own visibility only; ``link_visible_q`` adds its claims.
    """
    public = Q(**{f"{prefix}visibility": PUBLIC})
    if not signed_in(user):
        return public
    return (
        public
        | Q(**{f"{prefix}{owner}_id": user.pk})
        | Q(**{f"{prefix}visibility": TEAM, f"{prefix}team_id__in": team_ids_for(user=user)})
    )


def link_visible_q(user: User, prefix: str = "") -> Q:
    """Links ``user`` may see: the link and both its claims are visible to them."""
    return (
        visible_q(user, prefix)
        & visible_q(user, f"{prefix}claim_a__")
        & visible_q(user, f"{prefix}claim_b__")
    )


def team_ids(user: User) -> frozenset[int]:
    """The teams ``user`` belongs to (any role); empty when not signed in. One query."""
    if not signed_in(user):
        return frozenset()
    return frozenset(team_ids_for(user=user).values_list("team_id", flat=True))


def _facts(obj: Model | Mapping[str, Any]) -> tuple[str, int | None, int | None]:
    """(visibility, owner id, team id) of a claim, a link, an event (owned by the author of the
    object it is about), or a snapshot dict of a claim or link."""
    if isinstance(obj, Mapping):
        return obj.get("visibility") or PUBLIC, obj.get("author_id"), obj.get("team_id")
    owner = obj.owner_id if isinstance(obj, Event) else obj.author_id
    return obj.visibility, owner, obj.team_id


def can_see(user: User, obj: Model | Mapping[str, Any], *, teams: Collection[int] | None = None) -> bool:
    """Whether ``user`` may see ``obj``: a claim, a link (its own visibility only: see
    ``can_see_link``), an event, or a snapshot dict of one. Pass ``teams`` (``team_ids(user)``)
    when checking many objects, to read the user's teams once."""
    visibility, owner_id, team_id = _facts(obj)
    user_id = user.pk if signed_in(user) else None
    if teams is None:
        # Only a team row of someone else's needs the user's teams: ask about that one team.
        needed = user_id is not None and visibility == TEAM and owner_id != user_id
        teams = {team_id} if needed and role_in(user=user, team_id=team_id) is not None else ()
    return sees(
        visibility=visibility, owner_id=owner_id, team_id=team_id, user_id=user_id, team_ids=teams
    )


def can_see_link(user: User, link: ClaimLink) -> bool:
    """Whether ``user`` may see ``link``: the link and both its claims."""
    teams = team_ids(user)
    return all(can_see(user, obj, teams=teams) for obj in (link, link.claim_a, link.claim_b))


def visible_snapshot(user: User, snapshot: Mapping[str, Any] | None, *, teams=None) -> dict | None:
    """An event's ``before``/``after`` as ``user`` may see it: the snapshots of other objects
    kept inside it (a deleted claim keeps its links, to restore them) are dropped unless ``user``
    may see them. The object's own fields stay: seeing the event means seeing the object."""
    if snapshot is None:
        return None
    teams = team_ids(user) if teams is None else teams
    shown = dict(snapshot)
    if isinstance(shown.get("links"), list):
        shown["links"] = [
            link
            for link in shown["links"]
            if isinstance(link, Mapping) and can_see(user, link, teams=teams)
        ]
    return shown


# --- roles ---------------------------------------------------------------------------------------


def can_write_team(user: User, team_id: int | None) -> bool:
    """Whether ``user`` may write work visible to team ``team_id`` (annotator or above)."""
    return signed_in(user) and role_in(user=user, team_id=team_id) in WRITE_ROLES


def can_annotate(user: User, story: Story | None = None) -> bool:
    """Whether ``user`` may highlight and link claims (in ``story``)."""
    return signed_in(user)


def can_edit(user: User, obj: Claim | ClaimLink) -> bool:
    """Whether ``user`` may change or delete ``obj``: its author, and for team work still an
    annotator (or above) in that team."""
    if not signed_in(user) or obj.author_id != user.pk:
        return False
    return obj.visibility != TEAM or can_write_team(user, obj.team_id)


def require_edit(user: User, obj: Claim | ClaimLink) -> None:
    """PermissionDenied, with the reason, unless ``can_edit(user, obj)``."""
    if not signed_in(user):
        raise PermissionDenied(_("Log in to highlight and link claims."))
    if obj.author_id != user.pk:
        if isinstance(obj, Claim):
            raise PermissionDenied(_("Only its author can change or delete this claim."))
        raise PermissionDenied(_("Only its author can change or delete this link."))
    if not can_edit(user, obj):
        raise PermissionDenied(_("Your role in this team lets you read its work, not change it."))


def can_curate(user: User, story: Story) -> bool:
    """Whether ``user`` may curate ``story``: staff, or a curator or admin of its desk."""
    if not signed_in(user):
        return False
    if user.is_staff:
        return True
    return story.desk_id is not None and role_in(user=user, team_id=story.desk_id) in CURATE_ROLES


def require_curate(user: User, story: Story) -> None:
    """PermissionDenied unless ``can_curate(user, story)``."""
    if not can_curate(user, story):
        raise PermissionDenied(
            _("Only the curators of this story's desk can do this.")
            if story.desk_id
            else _("Only staff can curate this site-wide story.")
        )


def curated_q(user: User, prefix: str = "") -> Q:
    """Stories ``user`` may curate, as a filter on stories (or through ``prefix``, e.g.
    ``"claim_a__article__story__"`` on links)."""
    if not signed_in(user):
        return Q(pk__in=[])
    if user.is_staff:
        return Q()
    desks = Membership.objects.filter(user_id=user.pk, role__in=CURATE_ROLES).values("team_id")
    return Q(**{f"{prefix}desk_id__in": desks})


def curates_any(user: User) -> bool:
    """Whether ``user`` may curate some story: staff, or curator or admin of some team (they see
    the review queue in menus)."""
    if not signed_in(user):
        return False
    return user.is_staff or Membership.objects.filter(user_id=user.pk, role__in=CURATE_ROLES).exists()


def can_create_story(user: User, desk=None) -> bool:
    """Whether ``user`` may make a story owned by ``desk`` (a curator or admin of it, or staff),
    or a site-wide one (``desk=None``: staff only)."""
    if not signed_in(user):
        return False
    if user.is_staff:
        return True
    return desk is not None and role_in(user=user, team_id=desk.pk) in CURATE_ROLES


# --- access helpers: look up for a user and a purpose, 404 or 403 -------------------------------

_SEE, _EDIT, _CURATE = "see", "edit", "curate"


def story_access(user: User, slug: str, *, for_: str = "read") -> Story:
    """The story ``slug`` (with its desk) for ``for_``: ``"read"`` (anyone), ``"annotate"`` or
    ``"curate"``; Http404 if there is none, PermissionDenied if ``user`` may not."""
    story = story_get(slug=slug)
    if for_ == "curate":
        require_curate(user, story)
    elif for_ == "annotate" and not can_annotate(user, story):
        raise PermissionDenied(_("Log in to highlight and link claims."))
    elif for_ not in ("read", "annotate", "curate"):
        raise ValueError(f"unknown purpose {for_!r}")
    return story


def _check_purpose(user: User, obj: Claim | ClaimLink, story: Story, for_: str) -> None:
    if for_ == _EDIT:
        require_edit(user, obj)
    elif for_ == _CURATE:
        require_curate(user, story)
    elif for_ != _SEE:
        raise ValueError(f"unknown purpose {for_!r}")


def claim_access(user: User, pk: object, *, lock: bool = False, for_: str = _SEE) -> Claim:
    """The claim ``pk`` for ``user`` to see, edit (its author) or curate (its story's curators),
    with its article, story, source and author; locked (``SELECT ... FOR UPDATE`` of the claim
    row, inside the caller's transaction) when ``lock``.

    Http404 when it does not exist or ``user`` may not see it, so private claims do not leak;
    PermissionDenied when ``user`` sees it but may not do ``for_``.
    """
    pk = parse_id(pk)
    found = (
        Claim.objects.filter(visible_q(user), pk=pk)
        .select_related("article__story", "article__source", "author")
        .defer("article__search_vector")
    )
    if lock:
        found = found.select_for_update(of=("self",))
    claim = found.first() if pk is not None else None
    if claim is None:
        raise Http404(_("No such claim."))
    _check_purpose(user, claim, claim.article.story, for_)
    return claim


def link_access(user: User, pk: object, *, lock: bool = False, for_: str = _SEE) -> ClaimLink:
    """The link ``pk`` (with both claims, their articles, sources and authors, the first
    claim's story and the link's author) for ``user`` to see, edit or curate; as
    ``claim_access``."""
    pk = parse_id(pk)
    found = (
        ClaimLink.objects.filter(link_visible_q(user), pk=pk)
        .select_related(
            "author",
            "claim_a__author",
            "claim_a__article__source",
            "claim_a__article__story",
            "claim_b__author",
            "claim_b__article__source",
        )
        .defer("claim_a__article__search_vector", "claim_b__article__search_vector")
    )
    if lock:
        found = found.select_for_update(of=("self",))
    link = found.first() if pk is not None else None
    if link is None:
        raise Http404(_("No such link."))
    _check_purpose(user, link, link.claim_a.article.story, for_)
    return link


def visible_events(user: User) -> QuerySet[Event]:
    """The events ``user`` may see (their snapshots still need ``visible_snapshot``)."""
    return Event.objects.filter(visible_q(user, owner="owner"))


def event_access(user: User, pk: object, *, for_: str = _SEE) -> Event:
    """The event ``pk`` (with its story) if ``user`` may see it, else Http404; ``for_="curate"``
    (restoring from it) also needs ``can_curate`` on its story."""
    pk = parse_id(pk)
    event = visible_events(user).filter(pk=pk).select_related("story").first() if pk else None
    if event is None:
        raise Http404(_("No such event."))
    if for_ == _CURATE:
        require_curate(user, event.story)
    elif for_ != _SEE:
        raise ValueError(f"unknown purpose {for_!r}")
    return event
