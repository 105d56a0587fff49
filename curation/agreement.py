"""Inter-annotator agreement on link relations.

A *unit* is a pair of places in two articles. Annotators highlight their own claims, so two
people's claims on the same words rarely have the same offsets: claims in one article whose spans
overlap count as one place (a "spot"). Each annotator's label on a unit is the relation of the
link they drew between the two spots. Units labelled by two or more people are compared:
Cohen's κ when exactly two annotators took part, Krippendorff's α (nominal) for more (α is also
given for two, and handles units not every annotator labelled).

Below ``MIN_UNITS`` shared pairs the figures say more about chance than about the annotators
(one pair gives κ = 0 or 1, or none at all): the page says "needs more data" instead, and shows
the figures only as provisional.

The formulas are written out here rather than taken from the ``krippendorff`` package, which
would bring numpy for a few lines of arithmetic; the tests check both against published worked
examples.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import permutations

from annotations.models import Claim, ClaimLink

#: Fewest pairs labelled by two or more people for κ and α to be shown as a result.
MIN_UNITS = 10


def cohen_kappa(pairs: Sequence[tuple[Hashable, Hashable]]) -> float | None:
    """Cohen's κ for two raters' labels on the same items; ``None`` if undefined (no items, or
    both raters always used one and the same label)."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(1 for a, b in pairs if a == b) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[label] * second[label] for label in first) / (n * n)
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


def krippendorff_alpha(units: Iterable[Sequence[Hashable]]) -> float | None:
    """Krippendorff's α for nominal data. ``units``: for each unit, the labels it got (one per
    annotator who labelled it; missing ones are simply absent). Units with fewer than two labels
    are not pairable and are ignored. ``None`` if undefined (fewer than two pairable values, or a
    single category overall)."""
    coincidences: dict[tuple[Hashable, Hashable], float] = defaultdict(float)
    for labels in units:
        m = len(labels)
        if m < 2:
            continue
        for c, k in permutations(labels, 2):
            coincidences[(c, k)] += 1 / (m - 1)
    totals: dict[Hashable, float] = defaultdict(float)
    for (c, _k), value in coincidences.items():
        totals[c] += value
    n = sum(totals.values())
    if n < 2:
        return None
    disagreeing = sum(v for (c, k), v in coincidences.items() if c != k)
    expected = sum(totals[c] * totals[k] for c in totals for k in totals if c != k)
    if expected == 0:
        return None
    return 1 - (n - 1) * disagreeing / expected


# --- the story's units ------------------------------------------------------------------------


@dataclass
class Unit:
    spots: tuple[int, int]
    labels: dict[int, ClaimLink] = field(default_factory=dict)  # annotator id -> their link

    @property
    def relations(self) -> list[str]:
        return [link.relation for link in self.labels.values()]

    @property
    def agreed(self) -> bool:
        return len(set(self.relations)) == 1

    @property
    def links(self) -> list[ClaimLink]:
        return sorted(self.labels.values(), key=lambda link: link.pk)


@dataclass
class Agreement:
    annotators: list  # users
    units: list[Unit]
    kappa: float | None
    alpha: float | None

    @property
    def disagreements(self) -> list[Unit]:
        return [unit for unit in self.units if not unit.agreed]

    @property
    def enough_data(self) -> bool:
        return len(self.units) >= MIN_UNITS

    @property
    def min_units(self) -> int:
        return MIN_UNITS

    @property
    def statistic(self) -> str:
        return "kappa" if len(self.annotators) == 2 else "alpha"


def _spots(claims: Iterable[Claim]) -> dict[int, int]:
    """Claim id → spot id: claims of one article whose spans overlap (transitively) share one."""
    spot_of: dict[int, int] = {}
    by_article: dict[int, list[Claim]] = defaultdict(list)
    for claim in claims:
        by_article[claim.article_id].append(claim)
    for article_claims in by_article.values():
        article_claims.sort(key=lambda c: (c.start, c.end, c.pk))
        current, reach = None, -1
        for claim in article_claims:
            if current is None or claim.start >= reach:
                current = claim.pk  # a new spot, named after its first claim
            reach = max(reach, claim.end)
            spot_of[claim.pk] = current
    return spot_of


def story_agreement(*, claims: Iterable[Claim], links: Iterable[ClaimLink]) -> Agreement:
    """Agreement over the units (spot pairs) that two or more annotators linked. No queries if
    the links' authors are loaded."""
    spot_of = _spots(claims)
    units: dict[tuple[int, int], Unit] = {}
    authors = {}
    for link in sorted(links, key=lambda link: link.pk):  # the latest link of an author wins
        a, b = spot_of.get(link.claim_a_id), spot_of.get(link.claim_b_id)
        if a is None or b is None:
            continue
        key = (min(a, b), max(a, b))
        units.setdefault(key, Unit(spots=key)).labels[link.author_id] = link
        authors[link.author_id] = link.author
    shared = [unit for unit in units.values() if len(unit.labels) >= 2]
    annotator_ids = sorted({pk for unit in shared for pk in unit.labels})
    kappa = None
    if len(annotator_ids) == 2:
        first, second = annotator_ids
        kappa = cohen_kappa(
            [(unit.labels[first].relation, unit.labels[second].relation) for unit in shared]
        )
    alpha = krippendorff_alpha(unit.relations for unit in shared)
    return Agreement(
        annotators=[authors[pk] for pk in annotator_ids], units=shared, kappa=kappa, alpha=alpha
    )
