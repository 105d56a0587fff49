"""Stored suggestions for a story, the background runs that compute them, and what people decided."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from annotations.models import ClaimLink

from .reasons import reason_text

RELATIONS = ClaimLink.Relation.choices


class SuggestionRun(models.Model):
    """One computation of a story's suggestions, with progress the reader can poll."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    story = models.ForeignKey("articles.Story", on_delete=models.CASCADE, related_name="suggestion_runs")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0, help_text="0 to 1.")
    #: The article bodies the run worked on ({article id: body hash}); a change means stale.
    body_hashes = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    #: Issue 15: what the run is doing ("vectors": embedding sentences, "pairs": scoring) and
    #: how many of the story's sentences had no stored vector when it started.
    phase = models.CharField(max_length=16, blank=True)
    sentences = models.PositiveIntegerField(default=0)
    to_embed = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=1), name="suggestionrun_progress_0_1"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]),
                name="suggestionrun_known_status",
            ),
        ]


class Suggestion(models.Model):
    """A proposed link between two spans of different articles of one story."""

    story = models.ForeignKey("articles.Story", on_delete=models.CASCADE, related_name="suggestions")
    run = models.ForeignKey(SuggestionRun, on_delete=models.CASCADE, related_name="suggestions")
    key = models.CharField(max_length=200, help_text="Spans and relation; stable across runs.")
    relation = models.CharField(max_length=16, choices=RELATIONS)
    score = models.FloatField()
    reason = models.TextField(help_text="In English, as `suggest --json` prints it.")
    reason_args = models.JSONField(
        default=dict, blank=True, help_text="The reason as data, shown in the reader's language."
    )
    article_a = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="+")
    start_a = models.PositiveIntegerField()
    end_a = models.PositiveIntegerField()
    quote_a = models.TextField()
    article_b = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="+")
    start_b = models.PositiveIntegerField()
    end_b = models.PositiveIntegerField()
    quote_b = models.TextField()
    #: Issue 15: the signals behind the pair (lexical and embedding similarity, the quantity
    #: comparison, each signal's rank) and the near-duplicate pairs grouped under it.
    signals = models.JSONField(default=dict, blank=True)
    variants = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-score", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["run", "key"], name="suggestion_unique_key_per_run"),
            models.CheckConstraint(
                condition=Q(relation__in=["agrees", "contradicts", "qualifies"]),
                name="suggestion_known_relation",
            ),
            models.CheckConstraint(condition=Q(start_a__lt=models.F("end_a")), name="suggestion_span_a"),
            models.CheckConstraint(condition=Q(start_b__lt=models.F("end_b")), name="suggestion_span_b"),
        ]

    @property
    def reason_display(self) -> str:
        """The reason in the active language (the English text for rows without data)."""
        return reason_text(self.reason_args) or self.reason


class Decision(models.Model):
    """Someone accepted or dismissed a suggestion (by key, so it survives recomputation).

    A dismissal hides the suggestion for the person and for the teams they belong to.
    """

    class Verdict(models.TextChoices):
        ACCEPTED = "accepted", _("accepted")
        DISMISSED = "dismissed", _("dismissed")

    story = models.ForeignKey("articles.Story", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    relation = models.CharField(max_length=16, choices=RELATIONS)
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    link = models.ForeignKey(
        "annotations.ClaimLink", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["story", "key", "user"], name="decision_once_per_user"),
            models.CheckConstraint(
                condition=Q(verdict__in=["accepted", "dismissed"]), name="decision_known_verdict"
            ),
        ]


class SentenceVector(models.Model):
    """A sentence's embedding (issue 15), keyed by the SHA-256 of its text: an unchanged sentence
    is embedded once, whatever article or claim it is in. ``vector`` is little-endian float32
    (``embeddings.to_bytes``); PostgreSQL 15 here has no pgvector."""

    text_hash = models.CharField(max_length=64, primary_key=True)
    model = models.CharField(max_length=64)
    vector = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(text_hash__regex=r"^[0-9a-f]{64}$"), name="sentencevector_hash_hex"
            ),
        ]


class ClaimVector(models.Model):
    """The claim memory's row for a claim: which stored vector is its meaning. ``updated_at``
    orders changes, so every app server's in-memory index catches up from here
    (``memory.ClaimIndex``)."""

    claim = models.OneToOneField(
        "annotations.Claim", on_delete=models.CASCADE, primary_key=True, related_name="memory_vector"
    )
    sentence = models.ForeignKey(SentenceVector, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
