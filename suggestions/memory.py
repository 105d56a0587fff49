"""The claim memory (issue 15): "has this been checked before?" For a selected claim, the most
similar claims of *other* stories, by meaning (e5 vectors) or by the same figure, with their links
and verdicts, filtered by the visibility rule (``annotations.permissions.visible_q``).

Storage: each claim's vector is a ``SentenceVector`` row (keyed by the hash of its text, shared
with the suggestion engine) reached through ``ClaimVector``; PostgreSQL is the only truth.

Index: pgvector is not packaged for this Debian release's PostgreSQL 15, so each app process
keeps a usearch HNSW index (``ClaimIndex``) over those rows, in memory. It is built on the first
lookup and catches up on every later one: one indexed query for the ``ClaimVector`` rows whose
``updated_at`` is past the index's watermark (a changed claim is removed and added again). With
several app servers every process has its own index and catches up the same way, so a claim
remembered through one server is found through any other at that server's next lookup; nothing
is shared but the database, and nothing has to be told. A deleted claim's key may linger in an
index until the process restarts; lookups read the claims back from PostgreSQL (with the
visibility rule), so it is never shown. Memory: 384 half-precision numbers per claim, about
0.8 KB (0.8 GB per million claims) plus the graph.

Claims get their vectors when they are saved (``remember_soon``, after the commit, in a thread),
when a story's suggestions are refreshed, on lookup for the selected claim itself, and with
``manage.py claim_memory``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from django.db import close_old_connections, transaction
from django.db.models import Q

from annotations.models import Claim, ClaimLink
from annotations.permissions import link_visible_q, visible_q

from . import embeddings
from .models import ClaimVector
from .quantities import find_quantities

log = logging.getLogger(__name__)

#: How many neighbours are asked of the index; the visibility filter and the other-stories rule
#: are applied afterwards, so this is larger than what is shown.
SEARCH_K = 50
SHOW = 5
MIN_SIMILARITY = 0.80  # raw e5 cosine below which a neighbour is not "similar" (0.75-0.95 band)


def claim_text(claim: Claim) -> str:
    return " ".join(claim.exact.split())


def remember(claims: list[Claim]) -> int:
    """Store vectors for ``claims`` (embedding only texts never seen) and point their
    ``ClaimVector`` rows at them. Returns how many rows changed."""
    claims = [c for c in claims if claim_text(c)]
    if not claims:
        return 0
    texts = [claim_text(c) for c in claims]
    embeddings.vectors_for(texts)
    current = dict(ClaimVector.objects.filter(claim__in=claims).values_list("claim_id", "sentence_id"))
    changed = 0
    for claim, text in zip(claims, texts):
        digest = embeddings.text_hash(text)
        if current.get(claim.pk) != digest:
            ClaimVector.objects.update_or_create(claim=claim, defaults={"sentence_id": digest})
            changed += 1
    return changed


def remember_story(story) -> int:
    return remember(list(Claim.objects.filter(article__story=story, status=Claim.Status.ACTIVE)))


def remember_soon(claim_id: int) -> None:
    """After the current transaction commits, store the claim's vector in a thread (unless
    background work is off: ``settings.SUGGESTIONS_AUTO_REFRESH``, as for suggestions)."""
    from django.conf import settings

    if not getattr(settings, "SUGGESTIONS_AUTO_REFRESH", True):
        return

    def work() -> None:
        try:
            claim = Claim.objects.filter(pk=claim_id).first()
            if claim is not None and embeddings.available():
                remember([claim])
        except Exception:  # the memory is a convenience: never break a save over it
            log.exception("Claim memory: could not remember claim %s", claim_id)
        finally:
            close_old_connections()

    transaction.on_commit(lambda: threading.Thread(target=work, name=f"memory-{claim_id}", daemon=True).start())


class ClaimIndex:
    """An in-memory usearch HNSW index over the stored claim vectors, caught up from PostgreSQL."""

    def __init__(self, *, dtype: str = "f16"):
        self.dtype = dtype
        self.index = None
        self.watermark: datetime | None = None
        self.lock = threading.Lock()

    def _new(self):
        from usearch.index import Index

        return Index(ndim=embeddings.DIM, metric="cos", dtype=self.dtype)

    def sync(self) -> int:
        """Add what changed since the last sync (one query). Returns the rows taken in."""
        with self.lock:
            if self.index is None:
                self.index = self._new()
            rows = ClaimVector.objects.order_by("updated_at")
            if self.watermark is not None:
                rows = rows.filter(updated_at__gte=self.watermark)
            rows = list(rows.values_list("claim_id", "sentence__vector", "updated_at"))
            if not rows:
                return 0
            keys = np.array([r[0] for r in rows], dtype=np.uint64)
            present = [k for k in keys.tolist() if self.index.contains(k)]
            if present:
                self.index.remove(present)
            vectors = np.stack([embeddings.from_bytes(r[1]) for r in rows])
            self.index.add(keys, vectors)
            self.watermark = rows[-1][2]
            return len(rows)

    def search(self, vector: np.ndarray, count: int = SEARCH_K) -> list[tuple[int, float]]:
        """``(claim id, cosine similarity)`` of the nearest stored claims, best first."""
        with self.lock:
            if self.index is None or len(self.index) == 0:
                return []
            found = self.index.search(vector, count=min(count, len(self.index)))
            return [(int(k), 1.0 - float(d)) for k, d in zip(found.keys, found.distances)]


_index = ClaimIndex()


def index() -> ClaimIndex:
    return _index


@dataclass
class Hit:
    claim: Claim
    similarity: float | None  # None when found by the figure alone
    same_figure: str = ""
    links: list = field(default_factory=list)

    @property
    def percent(self) -> int | None:
        return None if self.similarity is None else round(100 * self.similarity)


@dataclass
class Memory:
    ready: bool  # False: the model is not installed
    hits: list[Hit]


def _figures(text: str) -> list[str]:
    return [q.text.strip() for q in find_quantities(text) if q.topic and q.unit not in ("date", "year")]


def similar_claims(*, user, claim: Claim, show: int = SHOW) -> Memory:
    """Claims of other stories similar to ``claim`` that ``user`` may see, with their visible
    links (and verdicts). Queries: the claim's vector (plus an embedding the first time), the
    index's catch-up, the similar claims, the same-figure claims, their links."""
    if not embeddings.available():
        return Memory(ready=False, hits=[])
    vector = embeddings.vectors_for([claim_text(claim)])[0]
    if not ClaimVector.objects.filter(claim=claim).exists():
        remember([claim])
    idx = index()
    idx.sync()
    near = [(pk, sim) for pk, sim in idx.search(vector) if pk != claim.pk and sim >= MIN_SIMILARITY]
    story_id = claim.article.story_id
    base = (
        Claim.objects.filter(visible_q(user), status=Claim.Status.ACTIVE)
        .exclude(article__story_id=story_id)
        .select_related("article__story", "article__source")
        .defer("article__body", "article__search_vector")
    )
    similarity = dict(near)
    found = {c.pk: c for c in base.filter(pk__in=list(similarity))} if near else {}
    hits = [Hit(found[pk], similarity[pk]) for pk, _ in near if pk in found][:show]
    figures = _figures(claim.exact)
    if figures:
        by_figure = Q()
        for figure in figures:
            by_figure |= Q(exact__contains=figure)
        shown = {h.claim.pk for h in hits}
        for other in base.filter(by_figure).exclude(pk__in=shown).order_by("-pk")[:show]:
            figure = next((f for f in figures if f in other.exact), "")
            hits.append(Hit(other, None, same_figure=figure))
        for hit in hits:
            if not hit.same_figure:
                hit.same_figure = next((f for f in figures if f in hit.claim.exact), "")
    if hits:
        ids = [h.claim.pk for h in hits]
        links = (
            ClaimLink.objects.filter(link_visible_q(user))
            .filter(Q(claim_a_id__in=ids) | Q(claim_b_id__in=ids))
            .select_related("claim_a__article__source", "claim_b__article__source", "verdict")
            .defer("claim_a__article__body", "claim_b__article__body",
                   "claim_a__article__search_vector", "claim_b__article__search_vector")
        )  # fmt: skip
        by_claim: dict[int, list] = {}
        for link in links:
            for mine, other in ((link.claim_a, link.claim_b), (link.claim_b, link.claim_a)):
                by_claim.setdefault(mine.pk, []).append((link, other, getattr(link, "verdict", None)))
        for hit in hits:
            hit.links = by_claim.get(hit.claim.pk, [])
    return Memory(ready=True, hits=hits)
