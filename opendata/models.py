"""Personal API tokens for the Web Annotation protocol and the JSON API.

A token is shown once, when it is made; only its SHA-256 is stored. Tokens are 256-bit random
strings, so a fast hash is enough (there is nothing to brute-force, unlike a password).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class ApiToken(models.Model):
    """A personal token: ``Authorization: Bearer <token>`` acts as ``user``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, for its owner.")
    key_hash = models.CharField(
        max_length=64, unique=True, help_text="SHA-256 of the token (hex); the token is not kept."
    )
    hint = models.CharField(
        max_length=12, help_text="The token's first characters, to tell tokens apart."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(key_hash__regex=r"^[0-9a-f]{64}$"), name="apitoken_key_hash_sha256"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"


class Provenance(models.Model):
    """Where a claim or link came from when it arrived through the open-data API or an import.

    Parallax's own ``author`` is whoever imported it (the person answerable for it here); this row
    keeps who made it in the other tool and when, the client's ids (``canonical`` unchanged,
    the original ``id`` given back as ``via``), the body's media type when it was not plain text,
    and the selectors Parallax cannot use, so an export gives them back. Exactly one of ``claim``
    and ``link`` is set.
    """

    claim = models.OneToOneField(
        "annotations.Claim",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="provenance",
    )
    link = models.OneToOneField(
        "annotations.ClaimLink",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="provenance",
    )
    tool = models.CharField(
        max_length=100, blank=True, help_text="The tool it came from (Hypothesis, Recogito, …)."
    )
    original_id = models.CharField(
        max_length=2000, blank=True, help_text="Its id in the tool it came from (exported as via)."
    )
    canonical = models.CharField(
        max_length=2000, blank=True, help_text="The canonical IRI the client gave, kept unchanged."
    )
    creator_iri = models.CharField(max_length=2000, blank=True, help_text="e.g. acct:lan@…")
    creator_name = models.CharField(max_length=300, blank=True)
    creator_nickname = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(null=True, blank=True, help_text="When it was made there.")
    modified = models.DateTimeField(null=True, blank=True, help_text="When it was last changed there.")
    generator = models.JSONField(
        null=True, blank=True, help_text="The W3C generator (software) it names, as sent."
    )
    note_format = models.CharField(
        max_length=100, blank=True, help_text="Media type of the note when not text/plain."
    )
    kept_selectors = models.JSONField(
        default=list,
        blank=True,
        help_text="Selectors Parallax cannot use (XPath, Range, CSS, …), kept to export again.",
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(claim__isnull=False, link__isnull=True)
                | Q(claim__isnull=True, link__isnull=False),
                name="provenance_claim_xor_link",
            ),
        ]
        indexes = [
            models.Index(fields=["original_id"], name="provenance_original_id_idx"),
            models.Index(fields=["canonical"], name="provenance_canonical_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.tool or 'import'}: {self.original_id or self.canonical or self.pk}"


class OrphanedAnnotation(models.Model):
    """An imported annotation whose quote could not be found in any article of the story.

    Kept (never dropped) with the annotation as it was sent, so it can be re-attached by hand
    or imported again once the text is there; one row per story and original id.
    """

    story = models.ForeignKey(
        "articles.Story", on_delete=models.CASCADE, related_name="orphaned_annotations"
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    tool = models.CharField(max_length=100, blank=True)
    original_id = models.CharField(max_length=2000)
    quote = models.TextField(blank=True, help_text="The words it highlighted.")
    data = models.JSONField(help_text="The annotation as it was imported.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["story_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["story", "original_id"], name="orphanedannotation_unique_per_story"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_id} ({self.story_id})"
