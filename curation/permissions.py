"""Who may curate. One function, so the site, the admin and the services agree."""

from __future__ import annotations

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

#: Team roles that may curate (teams: viewer < annotator < curator < admin).
CURATOR_ROLES = ("curator", "admin")


def is_curator(user, story=None) -> bool:
    """Whether ``user`` may curate ``story`` (any story if ``None``): staff, or a member with the
    curator or admin role of a team (when the ``teams`` app is installed).

    Teams are not tied to stories, so a team curator curates every story; ``story`` is taken so
    that callers need not change when that narrows.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff:
        return True
    if not apps.is_installed("teams"):
        return False
    Membership = _membership_model()
    if Membership is None:
        return False
    return Membership.objects.filter(user=user, role__in=CURATOR_ROLES).exists()


def _membership_model():
    try:
        return apps.get_model("teams", "Membership")
    except LookupError:
        return None


def require_curator(user, story=None) -> None:
    """PermissionDenied (403) unless ``user`` may curate ``story``."""
    if not is_curator(user, story):
        raise PermissionDenied(_("Only curators can do this."))
