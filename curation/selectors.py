"""Reads for curation: the review queue, the claim matrix, orphans and history. Each runs a fixed
number of queries whatever the number of rows (the view tests pin them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from annotations import permissions
from annotations import selectors as annotation_selectors
from annotations.models import RELATION_ICONS, Claim, ClaimLink
from articles.models import Article, Story
from teams.models import Membership, Team
from textkernel.quotes import quote_candidates

from .models import CanonicalClaim, CanonicalMember, LinkReview, Verdict
from textkernel.params import parse_id

SILENT = "silent"
#: A stance's sign: contradicting and qualifying use the relations' signs.
STANCE_ICONS = {
    "asserts": "●",
    "contradicts": RELATION_ICONS["contradicts"],
    "qualifies": RELATION_ICONS["qualifies"],
    SILENT: "·",
}

_ARTICLE_HEAVY = ("article__body", "article__search_vector")


# --- review queue -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    story: Story | None = None
    team_id: int | None = None
    relation: str = ""
    status: str = "proposed"


def review_queue(*, user, filters: QueueFilters) -> QuerySet[ClaimLink]:
    """Links visible to ``user`` in the stories they curate, matching ``filters``, oldest first,
    with both claims, their articles and sources, the author, the verdict and the latest reviews
    joined or prefetched."""
    links = annotation_selectors.links_visible_to(user=user).filter(
        permissions.curated_q(user, "claim_a__article__story__")
    )
    if filters.story is not None:
        links = links.filter(claim_a__article__story=filters.story)
    if filters.relation:
        links = links.filter(relation=filters.relation)
    if filters.status:
        links = links.filter(status=filters.status)
    if filters.team_id:
        # Links made by the team's members.
        members = Membership.objects.filter(team_id=filters.team_id).values("user_id")
        links = links.filter(author_id__in=members)
    return (
        links.select_related(
            "author",
            "claim_a__article__source",
            "claim_a__article__story",
            "claim_b__article__source",
            "verdict",
        )
        .defer(
            "claim_a__article__body",
            "claim_a__article__search_vector",
            "claim_b__article__body",
            "claim_b__article__search_vector",
            "claim_a__article__story__note",
        )
        .prefetch_related(
            Prefetch(
                "reviews",
                queryset=LinkReview.objects.select_related("reviewer").order_by("-created_at"),
            )
        )
        .order_by("created_at", "pk")
    )


def links_get(*, user, pks: list[int]) -> list[ClaimLink]:
    """The links ``pks`` that ``user`` may see, with what the review service needs; 404 if any
    is missing or hidden."""
    links = list(
        annotation_selectors.links_visible_to(user=user)
        .filter(pk__in=pks)
        .select_related("claim_a__article__story")
        .defer(*(f"claim_a__{name}" for name in _ARTICLE_HEAVY))
    )
    if len(links) != len(set(pks)):
        raise Http404(_("No such link."))
    return links


def team_choices(*, user) -> list[tuple[int, str]]:
    """The teams the review queue can filter by: all for staff, else the user's own."""
    teams = Team.objects.order_by("name")
    if not user.is_staff:
        teams = teams.filter(memberships__user_id=user.pk)
    return list(teams.values_list("pk", "name"))


# --- matrix -----------------------------------------------------------------------------------


class MatrixClaim(NamedTuple):
    """What the matrix shows of a claim (read as a row: a 1,000-claim story would otherwise
    build 2,000 model instances per view)."""

    pk: int
    article_id: int
    exact: str


@dataclass
class MatrixCell:
    article: Article
    claims: list[MatrixClaim] = field(default_factory=list)
    stances: list[str] = field(default_factory=list)

    @property
    def stance(self) -> str:
        """The cell's stance: silent without a claim; otherwise the strongest stance shown."""
        if not self.stances:
            return SILENT
        for stance in ("contradicts", "qualifies", "asserts"):
            if stance in self.stances:
                return stance
        return SILENT

    @property
    def icon(self) -> str:
        return STANCE_ICONS[self.stance]

    @property
    def items(self) -> list[tuple[MatrixClaim, str]]:
        return list(zip(self.claims, self.stances, strict=True))


class _SilentCell(MatrixCell):
    """An empty cell shared by many rows: its lists cannot be appended to."""

    def __init__(self, article: Article):
        super().__init__(article=article, claims=(), stances=())  # type: ignore[arg-type]


@dataclass
class MatrixRow:
    canonical: CanonicalClaim | None
    cells: list[MatrixCell]
    conflict: bool = False
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def label(self) -> str:
        if self.canonical is not None:
            return self.canonical.statement
        claim = next(c for cell in self.cells for c in cell.claims)
        return claim.exact

    @property
    def claim(self) -> MatrixClaim | None:
        """The single claim of an unclustered row."""
        if self.canonical is not None:
            return None
        return next(c for cell in self.cells for c in cell.claims)


@dataclass
class Matrix:
    story: Story
    articles: list[Article]
    rows: list[MatrixRow]
    canonicals: list[CanonicalClaim]

    @property
    def canonical_rows(self) -> list[MatrixRow]:
        return [row for row in self.rows if row.canonical is not None]

    @property
    def unclustered_rows(self) -> list[MatrixRow]:
        return [row for row in self.rows if row.canonical is None]

    @property
    def conflict_count(self) -> int:
        return sum(1 for row in self.rows if row.conflict)


def story_matrix(*, story: Story, user) -> Matrix:
    """One row per canonical claim (its members' quotes and stances per source), then one row per
    claim not gathered yet. A row conflicts when its stances include both asserts and contradicts,
    or when two of its claims are linked as contradicting (unless that link was rejected).
    Four queries whatever the number of claims."""
    articles = list(
        Article.objects.filter(story=story)
        .select_related("source")
        .defer("body", "search_vector")
        .order_by("position", "pk")
    )
    canonicals = list(CanonicalClaim.objects.filter(story=story).order_by("pk"))
    claims = (
        annotation_selectors.claims_visible_to(user=user)
        .filter(article__story=story, status=Claim.Status.ACTIVE)
        .order_by("article_id", "start", "pk")
        .values_list(
            "pk", "article_id", "exact",
            "canonical_membership__canonical_id", "canonical_membership__stance",
        )
    )  # fmt: skip
    contradictions = list(
        ClaimLink.objects.filter(
            claim_a__article__story=story, relation=ClaimLink.Relation.CONTRADICTS
        )
        .exclude(status=ClaimLink.Status.REJECTED)
        .select_related("verdict")
        .only("pk", "claim_a_id", "claim_b_id", "status", "relation", "verdict__rating",
              "verdict__rated_claim_id", "verdict__evidence", "verdict__url", "verdict__id",
              "verdict__link_id")
    )
    column = {article.pk: i for i, article in enumerate(articles)}

    def empty_cells() -> list[MatrixCell]:
        return [MatrixCell(article=article) for article in articles]

    # An unclustered row has one claim in one cell: its other cells are shared, empty ones (most
    # of a 1,000-claim matrix's ~5,000 cells), never written to.
    silent_cells = tuple(_SilentCell(article=article) for article in articles)
    rows_by_canonical = {c.pk: MatrixRow(canonical=c, cells=empty_cells()) for c in canonicals}
    loose: list[MatrixRow] = []
    row_of_claim: dict[int, MatrixRow] = {}
    asserts = CanonicalMember.Stance.ASSERTS
    for pk, article_id, exact, canonical_id, stance in claims:
        at = column.get(article_id)
        if at is None:
            continue
        if canonical_id is not None and canonical_id in rows_by_canonical:
            row = rows_by_canonical[canonical_id]
            cell = row.cells[at]
            cell.claims.append(MatrixClaim(pk, article_id, exact))
            cell.stances.append(stance)
        else:
            cells = list(silent_cells)
            cells[at] = MatrixCell(articles[at], [MatrixClaim(pk, article_id, exact)], [asserts])
            row = MatrixRow(canonical=None, cells=cells)
            loose.append(row)
        row_of_claim[pk] = row
    for row in rows_by_canonical.values():
        stances = {s for cell in row.cells for s in cell.stances}
        row.conflict = {"asserts", "contradicts"} <= stances
    for link in contradictions:
        row_a, row_b = row_of_claim.get(link.claim_a_id), row_of_claim.get(link.claim_b_id)
        verdict = _verdict(link)
        for row in {id(r): r for r in (row_a, row_b) if r is not None}.values():
            if verdict is not None:
                row.verdicts.append(verdict)
        if row_a is not None and row_a is row_b:
            row_a.conflict = True
    return Matrix(
        story=story, articles=articles, rows=[*rows_by_canonical.values(), *loose],
        canonicals=canonicals,
    )


def _verdict(link: ClaimLink) -> Verdict | None:
    try:
        return link.verdict
    except Verdict.DoesNotExist:
        return None


def canonical_get(*, pk, story: Story | None = None) -> CanonicalClaim:
    pk = parse_id(pk)
    if pk is None:
        raise Http404(_("No such canonical claim."))
    found = CanonicalClaim.objects.select_related("story").filter(pk=pk)
    if story is not None:
        found = found.filter(story=story)
    canonical = found.first()
    if canonical is None:
        raise Http404(_("No such canonical claim."))
    return canonical


def canonical_members(*, canonical: CanonicalClaim, user) -> list[CanonicalMember]:
    """The members of ``canonical`` whose claims ``user`` may see, in column then offset order."""
    return list(
        canonical.members.filter(permissions.visible_q(user, "claim__"))
        .select_related("claim__article__source", "claim__author")
        .defer("claim__article__body", "claim__article__search_vector")
        .order_by("claim__article__position", "claim__start")
    )


def claims_for_ids(*, user, story: Story, pks: list[int]) -> list[Claim]:
    """The claims ``pks`` visible to ``user`` (any story: the service says if one is foreign);
    404 if one is missing."""
    claims = list(
        annotation_selectors.claims_visible_to(user=user)
        .filter(pk__in=pks)
        .select_related("article__story")
        .defer(*_ARTICLE_HEAVY)
    )
    if len(claims) != len(set(pks)):
        raise Http404(_("No such claim."))
    return claims


# --- verdicts in the reader -------------------------------------------------------------------


def verdicts_for_links(link_ids: list[int]) -> dict[int, Verdict]:
    """Verdicts of the given links by link id (one query)."""
    if not link_ids:
        return {}
    return {v.link_id: v for v in Verdict.objects.filter(link_id__in=link_ids)}


def verdict_link_ids(link_ids) -> frozenset[int]:
    """Which of ``link_ids`` carry a verdict (one query, none for no links). The reader marks
    their claims as settled; a verdict write changes the links' articles' annotation version
    (migration 0002), so what is cached under it stays right."""
    link_ids = list(link_ids)
    if not link_ids:
        return frozenset()
    return frozenset(
        Verdict.objects.filter(link_id__in=link_ids).order_by().values_list("link_id", flat=True)
    )


# --- orphans ----------------------------------------------------------------------------------


def story_orphans(*, story: Story, user) -> list[Claim]:
    """Orphaned claims of ``story`` that ``user`` may see, not yet dismissed, with their
    articles (one query)."""
    return list(
        annotation_selectors.claims_visible_to(user=user)
        .filter(article__story=story, status=Claim.Status.ORPHANED, orphan_dismissal__isnull=True)
        .select_related("article__source", "author")
        .order_by("article__position", "start", "pk")
    )


def orphan_candidates(*, claim: Claim, limit: int = 3) -> list[tuple[int, int, str, float]]:
    """Best guesses for where an orphan's words went, for the curator to pick from: spans of the
    current text most similar to the old quote, each ``(start, end, text, score)``."""
    body = claim.article.body
    return [
        (start, end, body[start:end], round(score, 1))
        for start, end, score in quote_candidates(body, claim.exact, limit=limit)
    ]


# --- history ----------------------------------------------------------------------------------


def _shown(user, events: list) -> list:
    """``events`` with ``before_shown``/``after_shown``: their snapshots as ``user`` may see them
    (a deleted claim's snapshot keeps its links; those ``user`` may not see are left out)."""
    teams = permissions.team_ids(user)
    for event in events:
        event.before_shown = permissions.visible_snapshot(user, event.before, teams=teams)
        event.after_shown = permissions.visible_snapshot(user, event.after, teams=teams)
    return events


def story_history(*, user, story: Story, limit: int = 200):
    """The latest ``limit`` events of ``story`` that ``user`` may see, newest first."""
    events = (
        permissions.visible_events(user)
        .filter(story=story)
        .select_related("actor")
        .order_by("-id")[:limit]
    )
    return _shown(user, list(events))


def object_history(*, user, object_type: str, object_id: int):
    """The events about one object that ``user`` may see, newest first."""
    events = (
        permissions.visible_events(user)
        .filter(object_type=object_type, object_id=object_id)
        .select_related("actor", "story")
        .order_by("-id")
    )
    return _shown(user, list(events))


def attach_verdicts(links: list[ClaimLink]) -> None:
    """Set ``link.curation_verdict`` (a Verdict or None) on each link, for the reader. One query,
    and none when no link is a contradiction (the only links verdicts settle)."""
    ids = [link.pk for link in links if link.relation == ClaimLink.Relation.CONTRADICTS]
    found = verdicts_for_links(ids) if ids else {}
    for link in links:
        link.curation_verdict = found.get(link.pk)
