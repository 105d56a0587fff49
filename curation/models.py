"""Curation: link reviews, canonical claims (claims from several sources gathered under one
statement), verdicts on contradictions, and dismissed orphans.

The rows that anchor text (claims) and link it (links) stay in ``annotations``; curation only
points at them. Writes go through ``services.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

#: Longest canonical statement, reason or evidence note (the services give the friendly error).
STATEMENT_MAX_CHARS = 300
REASON_MAX_CHARS = 2000


class LinkReview(models.Model):
    """One curator decision on a link (append-only; the link's ``status`` holds the latest)."""

    class Decision(models.TextChoices):
        CONFIRMED = "confirmed", _("confirmed")
        REJECTED = "rejected", _("rejected")
        PROPOSED = "proposed", _("back to review")

    link = models.ForeignKey(
        "annotations.ClaimLink", on_delete=models.CASCADE, related_name="reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="link_reviews"
    )
    decision = models.CharField(max_length=16, choices=Decision.choices)
    reason = models.TextField(blank=True, help_text="Why the curator decided so.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision__in=["confirmed", "rejected", "proposed"]),
                name="linkreview_known_decision",
            ),
            # A rejection always says why.
            models.CheckConstraint(
                condition=~Q(decision="rejected") | ~Q(reason=""),
                name="linkreview_reject_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} link #{self.link_id}"


class CanonicalClaim(models.Model):
    """One statement that several sources make (or dispute), e.g. “the final training run cost
    5.6 million USD”. Its members are claims from the story's articles, each with a stance."""

    story = models.ForeignKey(
        "articles.Story", on_delete=models.CASCADE, related_name="canonical_claims"
    )
    statement = models.CharField(
        max_length=STATEMENT_MAX_CHARS, help_text="A short, neutral wording of the claim."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="canonical_claims"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["story_id", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(statement=""), name="canonicalclaim_statement_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return self.statement


class CanonicalMember(models.Model):
    """A claim gathered under a canonical claim, and what its source does with the statement."""

    class Stance(models.TextChoices):
        ASSERTS = "asserts", _("asserts")
        CONTRADICTS = "contradicts", _("contradicts")
        QUALIFIES = "qualifies", _("qualifies")

    canonical = models.ForeignKey(CanonicalClaim, on_delete=models.CASCADE, related_name="members")
    # One canonical claim per claim: a quote says one thing.
    claim = models.OneToOneField(
        "annotations.Claim", on_delete=models.CASCADE, related_name="canonical_membership"
    )
    stance = models.CharField(max_length=16, choices=Stance.choices, default=Stance.ASSERTS)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["canonical_id", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stance__in=["asserts", "contradicts", "qualifies"]),
                name="canonicalmember_known_stance",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.claim_id} {self.stance} “{self.canonical}”"


class Verdict(models.Model):
    """A curator's ruling on a contradiction, after schema.org ClaimReview: which of the two
    claims is rated, the rating, the evidence and optionally where it comes from."""

    class Rating(models.TextChoices):
        SUPPORTED = "supported", _("supported")
        REFUTED = "refuted", _("refuted")
        MISLEADING = "misleading", _("misleading")
        UNRESOLVED = "unresolved", _("unresolved")

    link = models.OneToOneField(
        "annotations.ClaimLink", on_delete=models.CASCADE, related_name="verdict"
    )
    rated_claim = models.ForeignKey(
        "annotations.Claim",
        on_delete=models.CASCADE,
        related_name="verdicts",
        help_text="The claim of the pair the rating is about (ClaimReview's itemReviewed).",
    )
    rating = models.CharField(max_length=16, choices=Rating.choices)
    evidence = models.TextField(help_text="What settles it, in a few sentences.")
    url = models.URLField(blank=True, max_length=500, help_text="Where the evidence is, if online.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="verdicts"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__in=["supported", "refuted", "misleading", "unresolved"]),
                name="verdict_known_rating",
            ),
            models.CheckConstraint(condition=~Q(evidence=""), name="verdict_has_evidence"),
        ]

    def __str__(self) -> str:
        return f"{self.get_rating_display()}: link #{self.link_id}"


class OrphanDismissal(models.Model):
    """A curator looked at an orphaned claim and chose not to re-attach it. The claim is kept
    (never deleted); it just leaves the orphan review list."""

    claim = models.OneToOneField(
        "annotations.Claim", on_delete=models.CASCADE, related_name="orphan_dismissal"
    )
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Dismissed orphan #{self.claim_id}"
