"""Bringing one article's cached reader rows up to date after a write by reading only the rows
that write touched, instead of every visible row of the article again.

**Which rows a write touched.** Every claim, link, verdict or author-name write appends, in the
same (sub)transaction and so with the same ``xmin``, an ``AnnotationChange`` for each article it
touches (database triggers: annotations migration 0005, curation migration 0002). So the rows the
writes since a version wrote are the rows whose ``xmin`` is the ``xmin`` of one of the article's
changes newer than it: its claims (or their author's row: the name), the links touching it (or
either of their claims: the link's other end shows), and the verdicts on those links.

**Who may see them.** Each touched row comes with its visibility facts, and
``annotations.permissions.can_see`` (the rule book's rule on plain facts, which its tests hold
equal to ``visible_q``) decides, for the viewer, whether it shows: a claim by itself, a link with
both its claims. A row that became invisible is dropped.

**What cannot be seen: deletions.** A deleted row leaves nothing to read. So the same statement
counts every claim of the article, every link touching it and every verdict on those links
(whoever may see them; by index, no rows brought back), with the highest id of each. Rows never
change article and ids only grow, so with no deletion each count is the cached count plus the
touched rows above the cached highest id (the new ones). Any other count means a row is gone
(or a write raced the cached read): the caller reads every row again, as before.

One statement in all, against three (every visible claim, every visible link, their verdicts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import connection

from annotations import permissions
from annotations.models import AnnotationChange, Claim, ClaimLink
from annotations.selectors import ClaimRow, LinkRow
from curation.models import Verdict


@dataclass(frozen=True)
class ArticleRows:
    """One article's visible claims, and the visible links touching it seen from its claims,
    and which of those links carry a verdict (cached per annotation version and viewer)."""

    claims: tuple[ClaimRow, ...]
    links: tuple[LinkRow, ...]
    verdict_links: frozenset[int] = frozenset()


class Tally(NamedTuple):
    """Every claim of an article, link touching it and verdict on those links (visible or
    not): how many, and the highest id of each."""

    claims: int
    max_claim: int
    links: int
    max_link: int
    verdicts: int
    max_verdict: int


def _tables() -> dict[str, str]:
    user_model = get_user_model()
    return {
        "change": AnnotationChange._meta.db_table,
        "claim": Claim._meta.db_table,
        "link": ClaimLink._meta.db_table,
        "verdict": Verdict._meta.db_table,
        "users": user_model._meta.db_table,
        "username": user_model._meta.get_field(user_model.USERNAME_FIELD).column,
    }


def _links_cte(t: dict[str, str]) -> str:
    """Every link touching one of ``%(articles)s``, with its end there (``mine``). A link's two
    claims are in two different articles: one branch per end walks the articles' claims by
    index, and no link is listed twice for one article."""
    return " UNION ALL ".join(
        f"SELECT l.*, l.xmin AS link_xmin, mine.article_id AS mine_article_id, mine.id AS mine_id,"
        f" mine.xmin AS mine_xmin, mine.status AS mine_status, mine.visibility AS mine_visibility,"
        f" mine.team_id AS mine_team_id, mine.author_id AS mine_author_id"
        f" FROM {t['claim']} mine JOIN {t['link']} l ON l.claim_{end}_id = mine.id"
        f" WHERE mine.article_id = ANY(%(articles)s)"
        for end in ("a", "b")
    )


def _tally_columns(t: dict[str, str], article: str) -> str:
    """The ``Tally`` of ``article`` (an SQL expression) as six columns."""
    verdicts = f"{t['verdict']} v JOIN links l ON l.id = v.link_id AND l.mine_article_id = {article}"
    return f"""
  (SELECT count(*) FROM {t['claim']} WHERE article_id = {article}),
  (SELECT coalesce(max(id), 0) FROM {t['claim']} WHERE article_id = {article}),
  (SELECT count(*) FROM links WHERE mine_article_id = {article}),
  (SELECT coalesce(max(id), 0) FROM links WHERE mine_article_id = {article}),
  (SELECT count(*) FROM {verdicts}),
  (SELECT coalesce(max(v.id), 0) FROM {verdicts})"""


def tallies(*, article_ids) -> dict[int, Tally]:
    """Each article's ``Tally`` now (one query). Read it *before* the rows it goes with: a row
    deleted in between then shows as a miscount later, never as a count that matches."""
    t = _tables()
    sql = (
        f"WITH links AS ({_links_cte(t)})"
        f" SELECT a.id, {_tally_columns(t, 'a.id')} FROM unnest(%(articles)s::bigint[]) AS a(id)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"articles": list(article_ids)})
        return {row[0]: Tally(*row[1:]) for row in cursor.fetchall()}


def _delta_statement() -> str:
    t = _tables()
    return f"""
WITH writers AS (
    SELECT xmin AS x FROM {t['change']} WHERE article_id = %(article)s AND id > %(version)s
), links AS ({_links_cte(t)}),
touched_links AS (
    SELECT l.*, other.id AS other_id, other.article_id AS other_article_id,
           other.status AS other_status, other.visibility AS other_visibility,
           other.team_id AS other_team_id, other.author_id AS other_author_id,
           EXISTS (SELECT 1 FROM {t['verdict']} v WHERE v.link_id = l.id) AS has_verdict
      FROM links l
      JOIN {t['claim']} other
        ON other.id = CASE WHEN l.claim_a_id = l.mine_id THEN l.claim_b_id ELSE l.claim_a_id END
     WHERE l.link_xmin IN (SELECT x FROM writers) OR l.mine_xmin IN (SELECT x FROM writers)
        OR other.xmin IN (SELECT x FROM writers)
)
SELECT
  (SELECT coalesce(json_agg(json_build_array(
          c.id, c.article_id, c.start, c."end", c.exact, c.status, c.visibility, c.team_id,
          c.author_id, u."{t['username']}")), '[]')
     FROM {t['claim']} c JOIN "{t['users']}" u ON u.id = c.author_id
    WHERE c.article_id = %(article)s
      AND (c.xmin IN (SELECT x FROM writers) OR u.xmin IN (SELECT x FROM writers))),
  (SELECT coalesce(json_agg(json_build_array(
          id, relation, status, visibility, team_id, author_id, mine_id, other_id,
          other_article_id, other_status, other_visibility, other_team_id, other_author_id,
          mine_status, mine_visibility, mine_team_id, mine_author_id, has_verdict)), '[]')
     FROM touched_links),
  (SELECT coalesce(json_agg(json_build_array(v.id, v.link_id)), '[]')
     FROM {t['verdict']} v JOIN links l ON l.id = v.link_id
    WHERE v.xmin IN (SELECT x FROM writers)),
  {_tally_columns(t, '%(article)s')}
"""


def rows_since(*, rows, tally: Tally, article_id: int, version: int, user, team_ids):
    """``(rows, tally)`` brought from annotation ``version`` up to now, or None when that
    cannot be done (a row is gone): read every row then. ``rows`` is the article's
    ``ArticleRows`` as of ``version`` for ``user`` (a member of ``team_ids``). One
    query."""
    with connection.cursor() as cursor:
        cursor.execute(
            _delta_statement(), {"article": article_id, "articles": [article_id], "version": version}
        )
        touched_claims, touched_links, touched_verdicts, *now = cursor.fetchone()
    now = Tally(*now)
    teams = frozenset(team_ids)

    def sees(visibility, team_id, author_id) -> bool:
        facts = {"visibility": visibility, "team_id": team_id, "author_id": author_id}
        return permissions.can_see(user, facts, teams=teams)

    claims = {row.pk: row for row in rows.claims}
    for values in touched_claims:
        row = ClaimRow(*values)
        claims.pop(row.pk, None)
        if sees(row.visibility, row.team_id, row.author_id):
            claims[row.pk] = row

    links = {row.pk: row for row in rows.links}
    verdict_links = set(rows.verdict_links)
    for values in touched_links:
        row, mine, has_verdict = LinkRow(*values[:13]), values[13:17], values[17]
        links.pop(row.pk, None)
        verdict_links.discard(row.pk)
        if (
            sees(row.visibility, row.team_id, row.author_id)
            and sees(*mine[1:])
            and sees(row.other_visibility, row.other_team_id, row.other_author_id)
        ):
            links[row.pk] = row
            if has_verdict:
                verdict_links.add(row.pk)
    verdict_links.update(link_id for _verdict, link_id in touched_verdicts)

    expected = Tally(
        claims=tally.claims + sum(1 for values in touched_claims if values[0] > tally.max_claim),
        max_claim=now.max_claim,
        links=tally.links + sum(1 for values in touched_links if values[0] > tally.max_link),
        max_link=now.max_link,
        verdicts=tally.verdicts + sum(1 for pk, _link in touched_verdicts if pk > tally.max_verdict),
        max_verdict=now.max_verdict,
    )
    if expected != now:
        return None  # a row is gone: read every row
    contradictions = {pk for pk, link in links.items() if link.relation == ClaimLink.Relation.CONTRADICTS}
    updated = ArticleRows(
        claims=tuple(sorted(claims.values(), key=lambda c: (c.start, c.end, c.pk))),
        links=tuple(links[pk] for pk in sorted(links)),
        verdict_links=frozenset(verdict_links & contradictions),
    )
    return updated, now
