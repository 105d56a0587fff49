"""Bringing one article's cached reader rows up to date after a write by reading only the rows
that write touched, instead of every visible row of the article again.

**Which rows a write touched.** Every claim, link, verdict or author-name write appends, in the
same statement, an ``AnnotationChange`` for each article it touches (database triggers:
annotations migrations 0005 and 0006, curation migrations 0002 and 0003) naming the rows it
wrote: ``claim_ids`` (claims written, or whose author was renamed) and ``link_ids`` (links
written, or whose verdict was, or whose claim's visibility, team or status was: a link shows
both its ends). So the rows the writes since a version touched are, by id: those claims of the
article, and those links that touch it.

**Who may see them.** Each touched row comes with its visibility facts, and
``annotations.permissions.sees`` (the rule book's rule on plain facts, which its tests hold
equal to ``visible_q``) decides, for the viewer, whether it shows: a claim by itself, a link with
both its claims. A row that became invisible is dropped.

**Deletions** are named like any other write: a touched id that is no longer there is dropped.
A change written before the ids were kept (both null) cannot be applied: the caller reads every
row again, as it does after ``presenters.DELTAS_BEFORE_READ`` deltas (a safety net).

**Commit order.** A change's id is taken when it is written, so a write can commit after a later
one whose id a reader already saw as the article's version. Each change also keeps its
transaction's id (``xid``), and each read keeps the xmin of the snapshot it was made under; the
next delta asks for the changes newer than the version *or* written by a transaction at or after
that xmin, so such a write is applied at the next view after any later write to the article.
(Until then the version does not move, and the cached view shows the article without it.)

One statement by index and primary key, whatever the size of the article (two when the writes
named links).
"""

from __future__ import annotations

import functools
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


#: What the delta reads of each end of a link (``LinkRow``'s ``other_*`` and the end's own).
_END = ("id", "article_id", "status", "visibility", "team_id", "author_id")


@functools.cache
def _statements() -> tuple[str, str]:
    """The changes since a version with the claims they name, then (only when they name links)
    those links with both their claims. Two plain statements, by index and primary key: one
    statement doing both took longer to plan than to run, and a new claim (the common write)
    names no link."""
    t = _tables()
    # Newer than the version, or written by another transaction that was still running when
    # the rows were read (it may have committed since, with an older id; this transaction's own
    # writes were visible to that read); applying a change again is harmless (the rows are read
    # as they are now).
    changes = (
        f"{t['change']} WHERE article_id = %(article)s"
        f" AND (id > %(version)s OR (xid >= (%(snapshot)s::bigint)::text::xid8"
        f" AND xid IS DISTINCT FROM pg_current_xact_id_if_assigned()))"
    )
    claims = f"""
SELECT 'x', json_build_array(claim_ids, link_ids) FROM {changes}
UNION ALL
SELECT 'c', json_build_array(c.id, c.article_id, c.start, c."end", c.exact, c.status, c.visibility,
       c.team_id, c.author_id, u."{t['username']}")
  FROM {t['claim']} c JOIN "{t['users']}" u ON u.id = c.author_id
 WHERE c.id = ANY(ARRAY(SELECT unnest(claim_ids) FROM {changes})) AND c.article_id = %(article)s
"""
    ends = ", ".join(f"{end}.{name}" for end in ("a", "b") for name in _END)
    links = f"""
SELECT l.id, l.relation, l.status, l.visibility, l.team_id, l.author_id, {ends},
       EXISTS (SELECT 1 FROM {t['verdict']} v WHERE v.link_id = l.id)
  FROM {t['link']} l JOIN {t['claim']} a ON a.id = l.claim_a_id JOIN {t['claim']} b ON b.id = l.claim_b_id
 WHERE l.id = ANY(%(links)s)
"""
    return claims, links


def _claim_order(claim: ClaimRow) -> tuple[int, int, int]:
    return claim.start, claim.end, claim.pk  # claim_rows' order


class Delta(NamedTuple):
    """An article's rows brought up to date, and the ids of its claims whose drawing the writes
    may have changed: their own rows, or the links that show from them (``presenters.Column``
    and ``drawcache.draw`` redo only those)."""

    rows: ArticleRows
    claims: frozenset[int]


def rows_since(
    *, rows: ArticleRows, article_id: int, version: int, snapshot: int | None, user, team_ids
) -> Delta | None:
    """``rows`` brought from annotation ``version`` up to now, or None when that cannot be done
    (a change that does not name its rows): read every row then. ``rows`` is the article's
    ``ArticleRows`` as of ``version`` for ``user`` (a member of ``team_ids``), read after
    ``snapshot`` (``annotations.selectors.SNAPSHOT_XMIN`` then; None if unknown). One query,
    two when the writes named links."""
    claims_sql, links_sql = _statements()
    claim_ids, link_ids, touched_claims, touched_links = set(), set(), [], []
    with connection.cursor() as cursor:
        cursor.execute(claims_sql, {"article": article_id, "version": version, "snapshot": snapshot})
        for kind, values in cursor.fetchall():
            if kind == "c":
                touched_claims.append(values)
            elif values[0] is None or values[1] is None:
                return None  # a change that does not say which rows it touched
            else:
                claim_ids.update(values[0])
                link_ids.update(values[1])
        if link_ids:
            cursor.execute(links_sql, {"links": sorted(link_ids)})
            touched_links = [row for row in cursor.fetchall() if article_id in (row[7], row[13])]
    teams = frozenset(team_ids)
    user_id = user.pk if permissions.signed_in(user) else None

    def sees(visibility, team_id, author_id) -> bool:
        return permissions.sees(
            visibility=visibility, owner_id=author_id, team_id=team_id, user_id=user_id, team_ids=teams
        )

    claims = rows.claims
    if claim_ids:
        kept = [row for row in rows.claims if row.pk not in claim_ids]
        for values in touched_claims:
            row = ClaimRow(*values)
            if sees(row.visibility, row.team_id, row.author_id):
                kept.append(row)
        claims = tuple(sorted(kept, key=_claim_order))
    changed = set(claim_ids)
    if not link_ids:  # the common write, a new claim: the links are as they were
        return Delta(ArticleRows(claims, rows.links, rows.verdict_links), frozenset(changed))

    # Every link named is as the statement found it (or gone).
    links = {}
    for row in rows.links:
        if row.pk in link_ids:
            changed.add(row.claim_id)
        else:
            links[row.pk] = row
    verdict_links = {pk for pk in rows.verdict_links if pk in links}
    for values in touched_links:
        own, a, b, has_verdict = values[:6], values[6:12], values[12:18], values[18]
        mine, other = (a, b) if a[1] == article_id else (b, a)
        row = LinkRow(*own, mine[0], other[0], *other[1:])
        changed.add(row.claim_id)
        if (
            sees(row.visibility, row.team_id, row.author_id)
            and sees(*mine[3:])
            and sees(*other[3:])
        ):
            links[row.pk] = row
            if has_verdict:
                verdict_links.add(row.pk)
    contradicts = str(ClaimLink.Relation.CONTRADICTS)
    updated = ArticleRows(
        claims=claims,
        links=tuple(links[pk] for pk in sorted(links)),
        verdict_links=frozenset(pk for pk in verdict_links if links[pk].relation == contradicts),
    )
    return Delta(updated, frozenset(changed))
