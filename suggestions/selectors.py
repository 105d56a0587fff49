"""Reads for the Suggestions panel."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q

from articles.models import Story

from .models import Decision, Suggestion, SuggestionRun


@dataclass
class Filters:
    """What the suggestions page shows: a relation, a pair of articles, a status."""

    relation: str = ""
    pair: tuple[int, int] | None = None
    status: str = "open"  # open (not decided by you or your team), accepted, dismissed, all

    STATUSES = ("open", "accepted", "dismissed", "all")

    @classmethod
    def from_params(cls, params) -> "Filters":
        """Unknown values fall back to "everything" (a filter never errors)."""
        from textkernel.params import parse_id

        relation = params.get("relation", "")
        if relation not in dict(Suggestion._meta.get_field("relation").choices):
            relation = ""
        pair = None
        raw = params.get("pair", "")
        if "-" in raw:
            a, _sep, b = raw.partition("-")
            a, b = parse_id(a), parse_id(b)
            if a is not None and b is not None and a != b:
                pair = (min(a, b), max(a, b))
        status = params.get("status", "open")
        if status not in cls.STATUSES:
            status = "open"
        return cls(relation=relation, pair=pair, status=status)

    @property
    def pair_value(self) -> str:
        return f"{self.pair[0]}-{self.pair[1]}" if self.pair else ""

    def query(self) -> str:
        from urllib.parse import urlencode

        items = {"relation": self.relation, "pair": self.pair_value}
        if self.status != "open":
            items["status"] = self.status
        return urlencode({k: v for k, v in items.items() if v})


@dataclass
class RelationPrecision:
    relation: str
    accepted: int
    dismissed: int

    @property
    def percent(self) -> int | None:
        decided = self.accepted + self.dismissed
        return round(100 * self.accepted / decided) if decided else None


@dataclass
class Panel:
    run: SuggestionRun | None
    suggestions: list[Suggestion]
    stale: bool
    accepted: int
    dismissed: int
    filters: Filters = field(default_factory=Filters)
    by_relation: list[RelationPrecision] = field(default_factory=list)
    pairs: list[tuple[str, str]] = field(default_factory=list)  # (value, label) for the filter

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

    @property
    def embedding(self) -> bool:
        """The run is still computing sentence vectors: meaning-based suggestions are not ready."""
        return self.busy and self.run.phase == "vectors"


def _hidden_q(user) -> Q:
    """Decisions that hide a suggestion from ``user``: theirs, and dismissals by their teams."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    from teams.models import Membership

    teammates = Membership.objects.filter(
        team_id__in=Membership.objects.filter(user_id=user.pk).values("team_id")
    ).values("user_id")
    return Q(user_id=user.pk) | Q(verdict=Decision.Verdict.DISMISSED, user_id__in=teammates)


def panel(*, story: Story, user, limit: int = 30, filters: Filters | None = None) -> Panel:
    """The latest run, its best suggestions for ``filters`` (by default those the user has not
    decided on, nor their team dismissed), the story's accept/dismiss counts per relation, and
    the article pairs for the filter. Five queries, whatever the number of rows."""
    filters = filters or Filters()
    run = SuggestionRun.objects.filter(story=story).first()
    decided = Decision.objects.filter(_hidden_q(user), story=story)
    rows = Suggestion.objects.filter(story=story)
    if filters.status == "open":
        rows = rows.exclude(key__in=decided.values("key"))
    elif filters.status in ("accepted", "dismissed"):
        rows = rows.filter(key__in=decided.filter(verdict=filters.status).values("key"))
    if filters.relation:
        rows = rows.filter(relation=filters.relation)
    if filters.pair:
        a, b = filters.pair
        rows = rows.filter(Q(article_a_id=a, article_b_id=b) | Q(article_a_id=b, article_b_id=a))
    suggestions = list(
        rows.select_related("article_a__source", "article_b__source")
        .defer("article_a__body", "article_b__body", "article_a__search_vector", "article_b__search_vector")
        .order_by("-score", "pk")[:limit]
    )
    counts = {
        (relation, verdict): n
        for relation, verdict, n in Decision.objects.filter(story=story)
        .values_list("relation", "verdict")
        .annotate(n=Count("pk"))
        .values_list("relation", "verdict", "n")
    }
    by_relation = [
        RelationPrecision(value, counts.get((value, "accepted"), 0), counts.get((value, "dismissed"), 0))
        for value, _label in Suggestion._meta.get_field("relation").choices
    ]
    articles = list(
        story.articles.select_related("source")
        .only("pk", "title", "body_hash", "position", "source__name")
        .order_by("position", "pk")
    )
    hashes = {str(a.pk): a.body_hash for a in articles}
    stale = run is None or (run.status == SuggestionRun.Status.DONE and run.body_hashes != hashes)
    pairs = [
        (f"{x.pk}-{y.pk}" if x.pk < y.pk else f"{y.pk}-{x.pk}", f"{x.short_label} ↔ {y.short_label}")
        for n, x in enumerate(articles)
        for y in articles[n + 1 :]
    ]
    return Panel(
        run=run,
        suggestions=suggestions,
        stale=stale,
        accepted=sum(r.accepted for r in by_relation),
        dismissed=sum(r.dismissed for r in by_relation),
        filters=filters,
        by_relation=by_relation,
        pairs=pairs,
    )
