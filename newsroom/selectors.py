"""Reads for the newsroom: the claims an article edit moves, and what an edit would do to them."""

from __future__ import annotations

from annotations.models import CLAIM_MAX_CHARS, Claim
from articles.models import Article
from textkernel.anchoring import Anchor, plan_reanchor


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
