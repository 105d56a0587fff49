"""The shared, append-only event log: live events (SSE ids), the activity feed and history.

Each row copies the visibility of the object it is about at the time of the event, so the feed
and the live stream filter events without joining back to objects that may be gone.
Presence (who reads a story now, and which column) lives here too: stored in Postgres so every
app server sees it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    class Visibility(models.TextChoices):
        PRIVATE = "private", _("Private")
        TEAM = "team", _("Team")
        PUBLIC = "public", _("Public")

    id = models.BigAutoField(primary_key=True, help_text="Also the SSE event id.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    story = models.ForeignKey("articles.Story", on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    verb = models.CharField(max_length=16, help_text="created, updated, deleted, restored, ...")
    object_type = models.CharField(max_length=40, help_text="claim, link, canonicalclaim, ...")
    object_id = models.BigIntegerField()
    before = models.JSONField(null=True, blank=True, help_text="Snapshot before (None on create).")
    after = models.JSONField(null=True, blank=True, help_text="Snapshot after (None on delete).")
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The object's author, who sees its private events.",
    )
    team = models.ForeignKey(
        "teams.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="events",
        help_text="For visibility 'team': the team whose members see the event.",
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(visibility__in=["private", "team", "public"]),
                name="event_known_visibility",
            ),
            models.CheckConstraint(
                condition=~Q(visibility="team") | Q(team__isnull=False),
                name="event_team_visibility_has_team",
            ),
        ]
        indexes = [
            # The stream's resume and the story feed: a story's events after an id.
            models.Index(fields=["story", "id"], name="event_story_id_idx"),
            models.Index(fields=["object_type", "object_id", "id"], name="event_object_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.object_type} {self.object_id} {self.verb}"


class Presence(models.Model):
    """``user`` has the story open (refreshed by the live stream) and reads ``article``."""

    story = models.ForeignKey("articles.Story", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    article = models.ForeignKey(
        "articles.Article",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The column the person reads, if known.",
    )
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["story", "user"], name="presence_unique_story_user")
        ]
