"""Reads for the newsroom: the claims an article edit moves, and what an edit would do to them."""

from __future__ import annotations

from dataclasses import dataclass, field

from annotations import permissions
from annotations.models import CLAIM_MAX_CHARS, Claim
from articles.models import Article, Source
from teams.models import Team
from textkernel.anchoring import Anchor, plan_reanchor
from textkernel.boilerplate import lines_of, strip_lines

from . import extraction
from .models import Intake, IntakeItem

#: Item states a batch is still open with.
OPEN_STATUSES = ("queued", "fetching", "ready", "failed")


def article_claims(*, article_id: int, lock: bool = False) -> list[Claim]:
    """The claims re-anchoring moves, in offset order (one query). Orphans are tried again too
    (an edit that puts their words back re-attaches them), unless a curator dismissed them."""
    claims = Claim.objects.filter(article_id=article_id).exclude(
        status=Claim.Status.ORPHANED, orphan_dismissal__isnull=False
    )
    if lock:
        claims = claims.select_for_update(of=("self",))
    return list(claims.order_by("start", "pk"))


def orphans_preview(*, article: Article, new_body: str) -> list[Anchor]:
    """The claims, active now, that saving ``new_body`` (normalised) would orphan, in offset
    order; writes nothing (two queries)."""
    old_body = Article.objects.filter(pk=article.pk).values_list("body", flat=True).first()
    claims = article_claims(article_id=article.pk)
    plan = plan_reanchor(
        old_body=old_body, new_body=new_body, claims=claims, max_span=CLAIM_MAX_CHARS
    )
    active = {c.pk for c in claims if c.status == Claim.Status.ACTIVE}
    return [a for a in plan.orphaned if a.claim_id in active]


# --- bringing articles in ----------------------------------------------------------------------


def intake_current(*, user, story) -> Intake | None:
    """``user``'s latest batch for ``story`` that still has items not stored, or None."""
    return (
        Intake.objects.filter(story=story, created_by=user)
        .filter(items__status__in=OPEN_STATUSES)
        .order_by("-created_at", "-pk")
        .first()
    )


def desks_for_new_story(*, user) -> list[Team]:
    """Desks ``user`` may create a story in (``permissions.can_create_story`` decides; this
    only lists the candidates: every team for staff, else the teams they curate)."""
    if user.is_staff:
        teams = list(Team.objects.order_by("name"))
    else:
        teams = list(
            Team.objects.filter(
                memberships__user=user, memberships__role__in=permissions.CURATE_ROLES
            ).order_by("name")
        )
    return [team for team in teams if permissions.can_create_story(user, team)]


@dataclass
class PreviewLine:
    index: int
    text: str
    reason: str
    dropped: bool
    label: str = ""  # the reason, in words (the view fills it in the reader's language)


@dataclass
class ItemPreview:
    item: IntakeItem
    lines: list[PreviewLine] = field(default_factory=list)
    source_known: bool = False
    duplicates: list[str] = field(default_factory=list)  # titles of near-duplicates
    dropped: int = 0

    @property
    def stale(self) -> bool:
        """A link still "fetching" long after any fetch would have ended: the process that
        fetched it stopped (a restart). It is offered again instead of polled for ever."""
        from datetime import timedelta

        from django.conf import settings
        from django.utils import timezone

        limit = timedelta(seconds=settings.NEWSROOM_FETCH_TIMEOUT * 3 + 60)
        return self.item.pending and self.item.updated_at < timezone.now() - limit


def intake_preview(*, intake: Intake) -> tuple[list[ItemPreview], list[Article]]:
    """The batch's items not yet stored, each with its lines (boilerplate marked), whether its
    source is known and which texts it nearly repeats (other items, the story's articles); and
    the story's articles (for "translation of"). Three queries, whatever the size."""
    items = list(intake.items.exclude(status=IntakeItem.Status.STORED).order_by("position", "pk"))
    articles = list(
        Article.objects.filter(story=intake.story).select_related("source").order_by("position", "pk")
    )
    known = {name.casefold() for name in Source.objects.values_list("name", flat=True)}
    texts = [(a.title, extraction.shingles(a.body)) for a in articles]
    ready = [i for i in items if i.status == IntakeItem.Status.READY]
    kept = {i.pk: strip_lines(i.text, set(i.drop)) for i in ready}
    grams = {pk: extraction.shingles(text) for pk, text in kept.items()}
    previews = []
    for item in items:
        preview = ItemPreview(item=item)
        if item.status == IntakeItem.Status.READY:
            drop = set(item.drop)
            preview.dropped = len(drop)
            preview.lines = [
                PreviewLine(index=line.index, text=line.text, reason=item.flags.get(str(line.index), ""),
                            dropped=line.index in drop)
                for line in lines_of(item.text)
                if line.text.strip()
            ]  # fmt: skip
            preview.source_known = item.source_name.casefold() in known
            mine = grams[item.pk]
            for other in ready:
                if other.pk != item.pk and extraction.resemblance(mine, grams[other.pk]) >= extraction.NEAR_DUPLICATE:
                    preview.duplicates.append(other.title or other.label)
            for title, theirs in texts:
                if extraction.resemblance(mine, theirs) >= extraction.NEAR_DUPLICATE:
                    preview.duplicates.append(title)
        previews.append(preview)
    return previews, articles


def story_articles_for_manage(*, story) -> list[Article]:
    """The story's articles in column order, each with ``claim_count`` and ``flagged`` (the
    lines of its body that look like boilerplate). Two queries."""
    from django.db.models import Count

    from textkernel.boilerplate import detect

    articles = list(
        Article.objects.filter(story=story)
        .select_related("source", "translation_of")
        .annotate(claim_count=Count("claims"))
        .order_by("position", "pk")
    )
    for article in articles:
        article.flagged = detect(article.body)
    return articles


def intake_link_progress(*, intake: Intake) -> dict:
    """How many of the batch's links are fetched (``links_done`` of ``links_total``) and how
    many are still pending; one query."""
    from django.db.models import Count, Q

    counts = intake.items.filter(kind=IntakeItem.Kind.LINK).aggregate(
        total=Count("pk"), pending=Count("pk", filter=Q(status__in=("queued", "fetching")))
    )
    return {
        "links_total": counts["total"],
        "links_done": counts["total"] - counts["pending"],
        "pending": counts["pending"],
    }
