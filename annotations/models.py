"""Claims (highlighted spans in one article) and the typed links between claims in different
articles.

Offsets index into ``Article.body`` as Python ``str`` indices (code points). Rules that must hold
under concurrency live in the database as constraints; the services in ``services.py`` check the
same rules first so people get a friendly message instead of an IntegrityError.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from textkernel.quotes import CONTEXT_CHARS

#: Longest claim, in code points. Mirrored by the ``claim_at_most_2000_chars`` constraint.
CLAIM_MAX_CHARS = 2000
#: Tag limits, checked by the services (and the tag count by a constraint).
TAG_MAX_COUNT = 10
TAG_MAX_CHARS = 40


class Claim(models.Model):
    """A highlighted span ``body[start:end]`` of one article, with the quote that re-finds it."""

    class Visibility(models.TextChoices):
        PRIVATE = "private", _("Private")
        TEAM = "team", _("Team")
        PUBLIC = "public", _("Public")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ORPHANED = "orphaned", _("Orphaned")

    article = models.ForeignKey(
        "articles.Article",
        on_delete=models.CASCADE,
        related_name="claims",
        db_index=False,  # covered by claim_article_start_idx, which leads with article_id
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="claims"
    )
    start = models.PositiveIntegerField(
        help_text="Offset of the first character in the article body (code points)."
    )
    end = models.PositiveIntegerField(
        help_text="Offset just past the last character in the article body (code points)."
    )
    exact = models.TextField(help_text="The highlighted text, body[start:end].")
    prefix = models.CharField(
        max_length=CONTEXT_CHARS, blank=True, help_text="Up to 32 characters just before the claim."
    )
    suffix = models.CharField(
        max_length=CONTEXT_CHARS, blank=True, help_text="Up to 32 characters just after the claim."
    )
    body_hash = models.CharField(
        max_length=64,
        help_text="SHA-256 of the article body the offsets were made against (hex).",
    )
    note = models.TextField(blank=True, help_text="The reader's note on this claim.")
    tags = ArrayField(
        models.CharField(max_length=TAG_MAX_CHARS),
        default=list,
        blank=True,
        help_text="Lowercase labels, at most 10 of 40 characters each.",
    )
    visibility = models.CharField(
        max_length=16,
        choices=Visibility.choices,
        default=Visibility.PUBLIC,
        help_text="Who may see the claim: its author, the members of its team, or everyone.",
    )
    team = models.ForeignKey(
        "teams.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,  # a team with work cannot vanish with it; remove members instead
        related_name="claims",
        help_text="The team whose members see the claim (visibility 'team' only).",
    )
    status = models.CharField(
        max_length=16,
        choices=Status.choices,
        default=Status.ACTIVE,
        help_text="Orphaned: the article text changed and the quote could not be re-found.",
    )
    version = models.PositiveIntegerField(
        default=1, help_text="Bumped on every edit, for optimistic concurrency."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["article_id", "start", "end", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(start__gte=0), name="claim_start_not_negative"),
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="claim_start_before_end"),
            models.CheckConstraint(
                condition=Q(end__lte=F("start") + CLAIM_MAX_CHARS),
                name="claim_at_most_2000_chars",
            ),
            models.CheckConstraint(
                condition=Q(tags__len__lte=TAG_MAX_COUNT), name="claim_at_most_10_tags"
            ),
            models.CheckConstraint(
                condition=Q(visibility__in=["private", "team", "public"]),
                name="claim_known_visibility",
            ),
            # A team claim names its team; no other claim does.
            models.CheckConstraint(
                condition=Q(visibility="team", team__isnull=False)
                | (~Q(visibility="team") & Q(team__isnull=True)),
                name="claim_team_iff_team_visibility",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "orphaned"]), name="claim_known_status"
            ),
            # A double submit must not create a second copy of the same highlight.
            models.UniqueConstraint(
                fields=["article", "author", "start", "end"],
                condition=Q(status="active"),
                name="claim_unique_active_span_per_author",
            ),
        ]
        indexes = [
            # The reader loads every claim of a story's articles in offset order.
            models.Index(fields=["article", "start", "end"], name="claim_article_start_idx"),
        ]

    def __str__(self) -> str:
        quote = self.exact if len(self.exact) <= 60 else self.exact[:59] + "…"
        return f"“{quote}”"

    @property
    def length(self) -> int:
        return self.end - self.start


#: The sign shown with each relation, so a relation is never told by colour alone.
RELATION_ICONS = {"agrees": "✓", "contradicts": "✗", "qualifies": "≈"}


class ClaimLink(models.Model):
    """A typed, symmetric connection between two claims in different articles of one story.

    The pair is stored in canonical order (``claim_a_id < claim_b_id``) so that A–B and B–A are
    the same row and the unique constraint covers both directions.
    """

    class Relation(models.TextChoices):
        AGREES = "agrees", _("agrees")
        CONTRADICTS = "contradicts", _("contradicts")
        QUALIFIES = "qualifies", _("qualifies")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        CONFIRMED = "confirmed", _("confirmed")
        REJECTED = "rejected", _("rejected")

    claim_a = models.ForeignKey(
        Claim,
        on_delete=models.CASCADE,
        related_name="links_as_a",
        db_index=False,  # covered by the unique (claim_a, claim_b, relation) index
        help_text="The claim with the lower id.",
    )
    claim_b = models.ForeignKey(
        Claim,
        on_delete=models.CASCADE,
        related_name="links_as_b",
        help_text="The claim with the higher id.",
    )
    relation = models.CharField(
        max_length=16,
        choices=Relation.choices,
        help_text="agrees: same claim, consistent. contradicts: same subject, incompatible. "
        "qualifies: partly consistent (scope, rounding, attribution).",
    )
    rationale = models.TextField(blank=True, help_text="Why the claims are related this way.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="claim_links"
    )
    status = models.CharField(
        max_length=16,
        choices=Status.choices,
        default=Status.PROPOSED,
        help_text="Review status, set by curators.",
    )
    visibility = models.CharField(
        max_length=16,
        choices=Claim.Visibility.choices,
        default=Claim.Visibility.PUBLIC,
        help_text="Who may see the link (never wider than its claims: a link is shown only to "
        "people who may see both claims as well).",
    )
    team = models.ForeignKey(
        "teams.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claim_links",
        help_text="The team whose members see the link (visibility 'team' only).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["claim_a_id", "claim_b_id", "relation"]
        constraints = [
            # Canonical order; also forbids linking a claim to itself.
            models.CheckConstraint(
                condition=Q(claim_a__lt=F("claim_b")), name="claimlink_canonical_order"
            ),
            models.CheckConstraint(
                condition=Q(relation__in=["agrees", "contradicts", "qualifies"]),
                name="claimlink_known_relation",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "confirmed", "rejected"]),
                name="claimlink_known_status",
            ),
            models.CheckConstraint(
                condition=Q(visibility__in=["private", "team", "public"]),
                name="claimlink_known_visibility",
            ),
            models.CheckConstraint(
                condition=Q(visibility="team", team__isnull=False)
                | (~Q(visibility="team") & Q(team__isnull=True)),
                name="claimlink_team_iff_team_visibility",
            ),
            models.UniqueConstraint(
                fields=["claim_a", "claim_b", "relation"], name="claimlink_unique_pair_relation"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.claim_a_id} {self.relation} #{self.claim_b_id}"

    def other_id(self, claim_id: int) -> int:
        """The id of the claim at the other end from ``claim_id``."""
        return self.claim_b_id if claim_id == self.claim_a_id else self.claim_a_id


class AnnotationChange(models.Model):
    """One write to the claims or links of an article, appended by database triggers on
    ``annotations_claim``, ``annotations_claimlink`` and the user table (a renamed author), so
    writes through the admin, bulk updates and raw SQL count as well as the services'.

    An article's *annotation version* is the id of its newest change (0 before the first). The
    reader keys what it caches by these versions, so what it shows is never older than the rows.
    Rows are only appended (no row is ever updated), so concurrent writers never wait on each
    other here. Each row also keeps its writing transaction's id, in an ``xid`` column that
    only SQL reads (migration 0006: a write can commit after a later one, reader/rowdelta.py).
    """

    id = models.BigAutoField(primary_key=True)
    #: The article's id, not a foreign key: deleting an article deletes its claims, whose
    #: triggers append changes for it while it is being deleted; those rows are simply never
    #: read again.
    article_id = models.BigIntegerField()
    #: Which rows the write touched, as the reader needs them (``reader/rowdelta.py``): the
    #: claims written (inserted, updated, deleted or renamed author), which may be in another
    #: article when this one's links show them, and the links written or whose verdict was.
    #: Both null on rows written before they existed: the reader then reads every row again.
    claim_ids = ArrayField(models.BigIntegerField(), null=True)
    link_ids = ArrayField(models.BigIntegerField(), null=True)

    class Meta:
        indexes = [
            # An article's newest change is one step down this index.
            models.Index(fields=["article_id", "-id"], name="annchange_article_id_idx")
        ]

    def __str__(self) -> str:
        return f"change #{self.pk} of article {self.article_id}"
