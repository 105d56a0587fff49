"""Articles on their way into a story: what a curator added (links, files, pasted text), what was
extracted from each, and the preview they decide on before anything becomes an ``Article``.

Links are fetched in the background, so an item is a row the fetching thread updates and the
page polls (its status is the per-article progress). Nothing here is an article until
``newsroom.intake.intake_store`` stores it through the import service.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Intake(models.Model):
    """One curator's batch of articles being added to a story."""

    story = models.ForeignKey("articles.Story", on_delete=models.CASCADE, related_name="intakes")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="intakes"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]


class IntakeItem(models.Model):
    """One link, file or paste in an intake, with what was extracted from it."""

    class Kind(models.TextChoices):
        LINK = "link", _("link")
        FILE = "file", _("file")
        PASTE = "paste", _("pasted text")

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting")
        FETCHING = "fetching", _("fetching")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")
        STORED = "stored", _("stored")

    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    position = models.PositiveIntegerField(default=0)
    url = models.URLField(max_length=2000, blank=True, help_text="The link, or where it led.")
    file_name = models.CharField(max_length=255, blank=True)
    error = models.TextField(blank=True, help_text="Why the item cannot be stored, for the curator.")
    title = models.CharField(max_length=500, blank=True)
    author = models.CharField(max_length=200, blank=True)
    published_on = models.DateField(null=True, blank=True)
    language = models.CharField(max_length=16, blank=True)
    site_name = models.CharField(max_length=200, blank=True, help_text="The outlet, as extracted.")
    translated_from = models.CharField(max_length=200, blank=True)
    translated_from_url = models.URLField(max_length=2000, blank=True)
    text = models.TextField(blank=True, help_text="Extracted text: NFC, \\n line ends.")
    #: {line index: reason code} for lines that look like boilerplate (textkernel.boilerplate).
    flags = models.JSONField(default=dict, blank=True)
    #: Line indices the curator drops (at first: the flagged ones).
    drop = models.JSONField(default=list, blank=True)
    source_name = models.CharField(
        max_length=200, blank=True, help_text="The outlet to store it under (matched or new)."
    )
    #: What it translates: "a<article pk>" in the story, "i<item pk>" in this batch, or "".
    original = models.CharField(max_length=24, blank=True)
    article = models.ForeignKey(
        "articles.Article", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["intake", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["link", "file", "paste"]), name="intakeitem_known_kind"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "fetching", "ready", "failed", "stored"]),
                name="intakeitem_known_status",
            ),
        ]

    @property
    def pending(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.FETCHING)

    @property
    def label(self) -> str:
        return self.url or self.file_name or self.title or str(_("Pasted text"))
