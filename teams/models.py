"""Teams of people who annotate stories together, and each member's role in a team.

Roles are ordered: a viewer reads the team's claims and links, an annotator also writes them, a
curator also reviews them (curation issue), and an admin also adds and removes members.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    """A group of readers; claims and links with visibility ``team`` are seen by its members."""

    name = models.CharField(max_length=80, unique=True, help_text="Shown in the reader's layers.")
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("teams:team_detail", kwargs={"slug": self.slug})


class Membership(models.Model):
    """``user`` belongs to ``team`` with ``role``."""

    class Role(models.TextChoices):
        VIEWER = "viewer", _("Viewer")
        ANNOTATOR = "annotator", _("Annotator")
        CURATOR = "curator", _("Curator")
        ADMIN = "admin", _("Admin")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ANNOTATOR)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team_id", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="membership_unique_team_user"),
            models.CheckConstraint(
                condition=Q(role__in=["viewer", "annotator", "curator", "admin"]),
                name="membership_known_role",
            ),
        ]
        indexes = [models.Index(fields=["user", "team"], name="membership_user_team_idx")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"


#: Roles in increasing power; a role can do everything the roles before it can.
ROLE_ORDER = [r.value for r in Membership.Role]
#: Roles that may write claims and links with the team's visibility.
WRITE_ROLES = frozenset(ROLE_ORDER[ROLE_ORDER.index("annotator") :])
