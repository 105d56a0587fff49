"""Reads for the Suggestions panel."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from articles.models import Story

from .models import Decision, Suggestion, SuggestionRun


@dataclass
class Panel:
    run: SuggestionRun | None
    suggestions: list[Suggestion]
    stale: bool
    accepted: int
    dismissed: int

    @property
    def precision(self) -> float | None:
        """Share of decided suggestions that people accepted."""
        decided = self.accepted + self.dismissed
        return self.accepted / decided if decided else None

    @property
    def precision_percent(self) -> int | None:
        return None if self.precision is None else round(100 * self.precision)

    @property
    def busy(self) -> bool:
        return self.run is not None and self.run.status in (
            SuggestionRun.Status.QUEUED,
            SuggestionRun.Status.RUNNING,
        )


def _hidden_q(user) -> Q:
    """Decisions that hide a suggestion from ``user``: theirs, and dismissals by their teams."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    from teams.models import Membership

    teammates = Membership.objects.filter(
        team_id__in=Membership.objects.filter(user_id=user.pk).values("team_id")
    ).values("user_id")
    return Q(user_id=user.pk) | Q(verdict=Decision.Verdict.DISMISSED, user_id__in=teammates)


def panel(*, story: Story, user, limit: int = 30) -> Panel:
    """The latest run, its best suggestions the user has not decided on (nor their team
    dismissed), and the story's accept/dismiss counts. Four queries."""
    run = SuggestionRun.objects.filter(story=story).first()
    hidden = Decision.objects.filter(_hidden_q(user), story=story).values("key")
    suggestions = list(
        Suggestion.objects.filter(story=story)
        .exclude(key__in=hidden)
        .select_related("article_a__source", "article_b__source")
        .defer("article_a__body", "article_b__body", "article_a__search_vector", "article_b__search_vector")
        .order_by("-score", "pk")[:limit]
    )
    counts = dict(
        Decision.objects.filter(story=story)
        .values_list("verdict")
        .annotate(n=Count("pk"))
    )
    hashes = {
        str(pk): digest
        for pk, digest in story.articles.values_list("pk", "body_hash")
    }
    stale = run is None or (run.status == SuggestionRun.Status.DONE and run.body_hashes != hashes)
    return Panel(
        run=run,
        suggestions=suggestions,
        stale=stale,
        accepted=counts.get(Decision.Verdict.ACCEPTED, 0),
        dismissed=counts.get(Decision.Verdict.DISMISSED, 0),
    )
