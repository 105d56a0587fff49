"""Hybrid suggestions (issue 15): three signals over a story's sentences, fused by rank.

Pure functions over article bodies and sentence vectors (no database, no model): the caller
hands in ``embed(texts) -> (n, d) float32 array of unit vectors``; ``suggestions.embeddings``
supplies one backed by PostgreSQL and the e5 model.

1. Sentences (``engine.split_sentences``) minus boilerplate lines (``textkernel.boilerplate``:
   ads, related-article lists, comment counters, image markdown, ...).
2. Three signals, each scoring candidate pairs of sentences in different articles:
   - **quantity**: the same measured thing (unit + topic) in both, compared (``engine._compare``),
     and the same date or year in both (``_same_date``);
   - **lexical**: diacritic-insensitive TF-IDF cosine (``engine.tokens``), candidates by shared
     rare words as in ``engine.suggest``;
   - **embedding**: cosine of multilingual-e5-small sentence vectors, each sentence's
     ``EMBED_K`` nearest sentences in other articles.
   Candidates are the union; every candidate is scored by all three signals, and gets each
   signal's mutual-neighbour rank (by meaning and by words) as a feature for the fusion.
3. Fusion: a small learned weighting, a logistic model over the signals' scores (``FEATURES``)
   fitted by bench/suggest_fusion_fit.py on the first labelled set and the tuning half of the second
   (suggestions/fusion.json). Reciprocal rank fusion (``fusion="rrf"``) and a fixed weighted sum
   (``fusion="weighted"``) are kept for the comparison; docs/benchmarks.md (issue 15) gives the
   figures behind the choice. With only one signal asked for, pairs are ranked by it alone.
4. One suggestion per pair of claims: sentences of one article that say the same thing (near-
   identical vectors or wording) form a group; a pair of groups is suggested once, the best pair
   standing for it and the others kept as ``variants``.
5. The relation comes from the numbers where both sides measure the same thing; otherwise the
   pair agrees (a paraphrase). The reason for a paraphrase names the closest phrases of the two
   sentences, found by the same vectors over their clauses.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from textkernel import boilerplate

from . import engine
from .engine import Sentence, Span
from .reasons import reason_text

SIGNALS = ("quantity", "lexical", "embedding")
EMBED_K = 16  # nearest sentences in other articles, per sentence, by embedding (8 left a
#: quarter of the tuning half's paraphrase pairs out of the pool; see docs/benchmarks.md)
LEXICAL_K = 8  # best lexical partners per sentence
RRF_K = 60  # the usual constant of reciprocal rank fusion (Cormack et al. 2009)
GROUP_SIMILARITY = 0.96  # sentences of one article this close are one claim said twice
#: Below these a signal's score is noise and the signal does not rank the pair.
MIN_LEXICAL = 0.05
MIN_EMBEDDING = -1.0
#: A quantity comparison counts only when the sentences are about the same thing.
QUANTITY_MIN_LEXICAL = 0.04
QUANTITY_MIN_EMBEDDING = 2.0
#: The same date or year on both sides ("năm 2023" / "năm 2023") is a shared fact too; a date
#: is common, so it pairs sentences only through short postings, and only the same value counts
#: (different dates are often different events, not a conflict).
COMPARE_DATES = True
MAX_DATE_POSTING = 30
EMBEDDING_MODE = "center"
PHRASE_MIN_WORDS, PHRASE_MAX_WORDS = 3, 12

Embed = Callable[[Sequence[str]], np.ndarray]


@dataclass
class Candidate:
    i: int
    j: int
    lexical: float = 0.0
    embedding: float = 0.0
    quantity: tuple | None = None  # (relation, reason args, strength)
    embedding_raw: float = 0.0  # the cosine before the story's mean is taken out
    mutual: float = 0.0  # 1 / (1 + the better of the two neighbour ranks, by embedding)
    mutual_lexical: float = 0.0  # the same by TF-IDF cosine, among each sentence's candidates
    date: bool = False  # the same date or year on both sides
    ranks: dict = field(default_factory=dict)
    fused: float = 0.0


@dataclass(frozen=True)
class HybridSuggestion(engine.Suggestion):
    """An ``engine.Suggestion`` with the signals behind it and the grouped near-duplicates."""

    signals: dict = field(default_factory=dict, compare=False, hash=False)
    variants: tuple = field(default=(), compare=False, hash=False)


@dataclass
class Prepared:
    sentences: list[Sentence]
    bodies: dict[int, str]
    idf: dict[str, float]
    by_token: dict
    by_measure: dict


def _boilerplate_spans(body: str) -> list[tuple[int, int]]:
    return [(f.start, f.end) for f in boilerplate.detect(body)]


def prepare(articles) -> Prepared:
    """Sentences of every article, boilerplate left out, with tokens, quantities and TF-IDF."""
    sentences: list[Sentence] = []
    bodies: dict[int, str] = {}
    for article, body in articles:
        bodies[article] = body
        flagged = _boilerplate_spans(body)
        for s in engine.split_sentences(article, body):
            if not any(s.start < end and start < s.end for start, end in flagged):
                sentences.append(s)
    idf, by_token, by_measure = engine.index(sentences)
    return Prepared(sentences, bodies, idf, by_token, by_measure)


def adjust(vectors: np.ndarray, *, mode: str = "center") -> np.ndarray:
    """Take out what every sentence of the story shares (its topic) before comparing.

    Raw e5 cosines between any two sentences of one story sit in 0.85-0.95: they all talk about
    the same company. ``center`` subtracts the story's mean vector and renormalises, so what is
    left is what a sentence says beyond the topic ("raw" keeps the vectors as they are).
    """
    if mode == "raw" or len(vectors) < 3:
        return vectors
    centred = vectors - vectors.mean(axis=0, keepdims=True)
    norms = np.linalg.norm(centred, axis=1, keepdims=True)
    return (centred / np.maximum(norms, 1e-9)).astype(np.float32)


def _pair(i: int, j: int) -> tuple[int, int]:
    return (i, j) if i < j else (j, i)


def _same_date(a: Sentence, b: Sentence) -> tuple | None:
    """The same date or year in both sentences, as a quantity comparison that agrees."""
    for qa in a.quantities:
        if qa.unit not in ("date", "year"):
            continue
        for qb in b.quantities:
            if qb.unit == qa.unit and qb.value == qa.value:
                values = {"topic": "date", "a": qa.text.strip(), "b": qb.text.strip()}
                return ("agrees", {"kind": "same", **values}, 0.7)
    return None


def _date_postings(sentences: list[Sentence]) -> dict:
    out: dict[tuple, list[int]] = defaultdict(list)
    for i, s in enumerate(sentences):
        for key in {(q.unit, q.value) for q in s.quantities if q.unit in ("date", "year")}:
            out[key].append(i)
    return out


def candidates(
    p: Prepared, vectors: np.ndarray | None, signals=SIGNALS, *, raw: np.ndarray | None = None
) -> dict[tuple[int, int], Candidate]:
    """The union of each signal's candidate pairs, each scored by every signal. ``vectors`` are
    the adjusted sentence vectors, ``raw`` the model's own (default: the same)."""
    sentences = p.sentences
    articles = np.array([s.article for s in sentences])
    pairs: set[tuple[int, int]] = set()
    if "quantity" in signals:
        postings = [x for x in p.by_measure.values() if len(x) <= engine.MAX_MEASURE_POSTING]
        if COMPARE_DATES:
            dates = _date_postings(sentences).values()
            postings += [x for x in dates if len(x) <= MAX_DATE_POSTING]
        for posting in postings:
            for x, i in enumerate(posting):
                for j in posting[x + 1 :]:
                    if sentences[i].article != sentences[j].article:
                        pairs.add(_pair(i, j))
    if "lexical" in signals:
        for i, s in enumerate(sentences):
            shared: dict[int, float] = defaultdict(float)
            for t in s.tokens:
                for j in p.by_token.get(t, ()):
                    shared[j] += p.idf[t]
            best = sorted(shared, key=shared.__getitem__, reverse=True)[: engine.CANDIDATES]
            scored = sorted(
                ((engine._cosine(s.vector, sentences[j].vector), j) for j in best
                 if sentences[j].article != s.article),
                reverse=True,
            )  # fmt: skip
            pairs.update(_pair(i, j) for _, j in scored[:LEXICAL_K])
    sims = raw_sims = neighbour_rank = None
    if vectors is not None and len(sentences):
        sims = vectors @ vectors.T
        raw_sims = raw @ raw.T if raw is not None else sims
        masked = np.where(articles[:, None] == articles[None, :], -2.0, sims)
        order = np.argsort(-masked, axis=1)
        neighbour_rank = np.empty_like(order)
        rows = np.arange(len(sentences))[:, None]
        neighbour_rank[rows, order] = np.arange(len(sentences))[None, :]
        if "embedding" in signals:
            k = min(EMBED_K, len(sentences) - 1)
            if k > 0:
                nearest = np.argpartition(-masked, k, axis=1)[:, :k]
                for i, row in enumerate(nearest):
                    pairs.update(_pair(i, int(j)) for j in row if masked[i, j] > -2)
    out = {}
    for i, j in pairs:
        c = Candidate(i, j)
        a, b = sentences[i], sentences[j]
        c.lexical = engine._cosine(a.vector, b.vector)
        if sims is not None:
            c.embedding = float(sims[i, j])
            c.embedding_raw = float(raw_sims[i, j])
            neighbours = min(int(neighbour_rank[i, j]), int(neighbour_rank[j, i]))
            c.mutual = 1.0 / (1 + neighbours)
        if "quantity" in signals:
            numeric = engine._compare(a, b)
            if numeric is None and COMPARE_DATES:
                numeric = _same_date(a, b)
                c.date = numeric is not None
            if numeric and (
                c.lexical >= QUANTITY_MIN_LEXICAL
                or (sims is not None and c.embedding >= QUANTITY_MIN_EMBEDDING)
            ):
                c.quantity = numeric
            else:
                c.date = False
        out[(i, j)] = c
    _lexical_neighbours(out)
    return out


def _lexical_neighbours(found: dict[tuple[int, int], Candidate]) -> None:
    """``mutual_lexical``: 1 / (1 + the better of the pair's two ranks among each sentence's
    candidate partners by TF-IDF cosine)."""
    partners: dict[int, list[tuple[float, tuple[int, int]]]] = defaultdict(list)
    for key, c in found.items():
        partners[c.i].append((c.lexical, key))
        partners[c.j].append((c.lexical, key))
    best: dict[tuple[int, int], int] = {}
    for row in partners.values():
        row.sort(key=lambda x: -x[0])
        for rank, (_, key) in enumerate(row):
            best[key] = min(best.get(key, rank), rank)
    for key, rank in best.items():
        found[key].mutual_lexical = 1.0 / (1 + rank)


def _ranks(values: dict[tuple[int, int], float]) -> dict[tuple[int, int], float]:
    """1-based ranks, best first; ties share their mean rank."""
    ordered = sorted(values.items(), key=lambda kv: -kv[1])
    ranks: dict[tuple[int, int], float] = {}
    x = 0
    while x < len(ordered):
        y = x
        while y + 1 < len(ordered) and ordered[y + 1][1] == ordered[x][1]:
            y += 1
        for key, _ in ordered[x : y + 1]:
            ranks[key] = (x + y) / 2 + 1
        x = y + 1
    return ranks


def signal_scores(found: dict[tuple[int, int], Candidate], signals=SIGNALS) -> dict[str, dict]:
    """Each signal's score for the pairs it ranks (pairs below its noise floor are unranked)."""
    out: dict[str, dict] = {}
    if "quantity" in signals:
        out["quantity"] = {k: c.quantity[2] + 0.01 * c.lexical for k, c in found.items() if c.quantity}
    if "lexical" in signals:
        out["lexical"] = {k: c.lexical for k, c in found.items() if c.lexical >= MIN_LEXICAL}
    if "embedding" in signals:
        out["embedding"] = {k: c.embedding for k, c in found.items() if c.embedding >= MIN_EMBEDDING}
    return out


def fuse_rrf(found, signals=SIGNALS, *, k: int = RRF_K) -> None:
    for name, values in signal_scores(found, signals).items():
        for key, rank in _ranks(values).items():
            found[key].ranks[name] = rank
            found[key].fused += 1.0 / (k + rank)


def fuse_weighted(found, weights: dict[str, float]) -> None:
    """The alternative measured against RRF: a weighted sum of each signal's score, rescaled to
    0..1 by its rank among the candidates (raw e5 cosines sit in a narrow band)."""
    for name, values in signal_scores(found, tuple(weights)).items():
        ranks = _ranks(values)
        n = max(len(ranks), 1)
        for key, rank in ranks.items():
            found[key].ranks[name] = rank
            found[key].fused += weights[name] * (1 - (rank - 1) / n)


FUSION_FILE = Path(__file__).resolve().parent / "fusion.json"
FEATURES = (
    "lexical", "embedding", "embedding_raw", "same", "rounded", "differs", "mutual", "sqrt_lexical",
    "date", "mutual_lexical", "lexical_x_embedding",
)  # fmt: skip


def _kind(c: Candidate) -> str | None:
    return c.quantity[1].get("kind") if c.quantity else None


#: Every feature the learned weighting may use, by name; fusion.json names those it was fitted on.
FEATURE_FUNCTIONS: dict[str, Callable[[Candidate], float]] = {
    "lexical": lambda c: c.lexical,
    "embedding": lambda c: c.embedding,
    "embedding_raw": lambda c: c.embedding_raw,
    "same": lambda c: float(_kind(c) == "same" and not c.date),
    "rounded": lambda c: float(_kind(c) == "rounded"),
    "differs": lambda c: float(_kind(c) == "differs"),
    "date": lambda c: float(c.date),
    "mutual": lambda c: c.mutual,
    "mutual_lexical": lambda c: c.mutual_lexical,
    "sqrt_lexical": lambda c: math.sqrt(max(c.lexical, 0.0)),
    "lexical_x_embedding": lambda c: math.sqrt(max(c.lexical, 0.0)) * max(c.embedding, 0.0),
}


def features(c: Candidate, names: Sequence[str] = FEATURES) -> list[float]:
    return [FEATURE_FUNCTIONS[name](c) for name in names]


@lru_cache(maxsize=1)
def fusion_model() -> dict:
    """The logistic weighting fitted by bench/suggest_fusion_fit.py (suggestions/fusion.json)."""
    return json.loads(FUSION_FILE.read_text(encoding="utf-8"))


def fuse_learned(found, model: dict | None = None, *, with_embedding: bool = True) -> None:
    """A small learned weighting: a logistic model over the three signals' scores (standardised
    features, ``FEATURES``), fitted on the first labelled set and the tuning half of the second.
    Without vectors the embedding features sit at their mean and add nothing."""
    model = model or fusion_model()
    mean, sd, coef = np.array(model["mean"]), np.array(model["sd"]), np.array(model["coef"])
    sd = np.where(sd > 0, sd, 1.0)  # a feature constant in training carries no weight
    keys = list(found)
    if not keys:
        return
    names = model.get("features", FEATURES)
    x = np.array([features(found[k], names) for k in keys])
    if not with_embedding:
        for name in ("embedding", "embedding_raw", "mutual", "lexical_x_embedding"):
            if name in names:
                x[:, names.index(name)] = mean[names.index(name)]
    z = model["bias"] + ((x - mean) / sd) @ coef
    for key, value in zip(keys, 1 / (1 + np.exp(-z))):
        found[key].fused = float(value)


def _groups(p: Prepared, vectors: np.ndarray | None) -> list[int]:
    """A group id per sentence: sentences of one article saying the same thing share one."""
    parent = list(range(len(p.sentences)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    by_article: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(p.sentences):
        by_article[s.article].append(i)
    for members in by_article.values():
        seen: dict[str, int] = {}
        for i in members:
            key = " ".join(engine.strip_diacritics(p.sentences[i].text.lower()).split())
            if key in seen:
                parent[find(i)] = find(seen[key])
            seen.setdefault(key, i)
        if vectors is not None and len(members) > 1:
            sub = vectors[members] @ vectors[members].T
            xs, ys = np.nonzero(np.triu(sub, 1) >= GROUP_SIMILARITY)
            for x, y in zip(xs, ys):
                parent[find(members[y])] = find(members[x])
    return [find(i) for i in range(len(p.sentences))]


_CLAUSE = re.compile(r"[,;:()\"“”‘’–—]|\s-\s|\s(?:và|nhưng|trong khi|khi|thay vì|với)\s")


def clauses(text: str) -> list[str]:
    """The pieces of a sentence a person would quote as "the same phrase"."""
    out = []

    def content(phrase: str) -> int:
        return sum(1 for t in engine.tokens(phrase) if "_" not in t)

    for piece in _CLAUSE.split(text):
        words = piece.strip(" .!?…").split()
        if PHRASE_MIN_WORDS <= len(words) <= PHRASE_MAX_WORDS:
            out.append(" ".join(words))
        elif len(words) > PHRASE_MAX_WORDS:  # long clause: overlapping windows
            step = PHRASE_MAX_WORDS // 2
            for x in range(0, len(words) - step, step):
                out.append(" ".join(words[x : x + PHRASE_MAX_WORDS]))
    out = [phrase for phrase in out if content(phrase) >= 2]  # not "Tuy nhiên", not "ông nói"
    return out or [text.strip()]


def closest_phrases(a: str, b: str, embed: Embed | None) -> tuple[str, str, float]:
    """The pair of clauses, one from each sentence, closest in meaning (or in words, without a
    model): what a person can check in place of a cosine."""
    ca, cb = clauses(a), clauses(b)
    if embed is not None:
        va, vb = embed(ca), embed(cb)
        sims = va @ vb.T
        x, y = np.unravel_index(int(np.argmax(sims)), sims.shape)
        return ca[x], cb[y], float(sims[x, y])
    best = ("", "", -1.0)
    for x in ca:
        tx = engine.tokens(x)
        for y in cb:
            ty = engine.tokens(y)
            shared = sum((tx & ty).values()) / max(1, min(sum(tx.values()), sum(ty.values())))
            if shared > best[2]:
                best = (x, y, shared)
    return best


def _span(p: Prepared, s: Sentence) -> Span:
    return Span(s.article, s.start, s.end, p.bodies[s.article][s.start : s.end])


def suggest(
    articles,
    *,
    embed: Embed | None = None,
    signals: Sequence[str] = SIGNALS,
    fusion: str = "learned",
    weights: dict[str, float] | None = None,
    limit: int | None = 200,
    phrases: int | None = 25,
    embedding_mode: str = EMBEDDING_MODE,
    progress: Callable[[float], None] | None = None,
) -> list[HybridSuggestion]:
    """Suggestions for a story's ``articles`` (``(article id, body)`` pairs), best first.

    Without ``embed`` (or without "embedding" in ``signals``) the embedding signal is left out.
    ``phrases``: how many of the best paraphrase suggestions get their closest phrases (each
    costs a few clause embeddings, stored like every vector).
    """
    p = prepare(articles)
    if progress:
        progress(0.1)
    vectors = raw = None
    if embed is not None and p.sentences and "embedding" in signals:
        raw = embed([s.text for s in p.sentences])
        vectors = adjust(raw, mode=embedding_mode)
    if progress:
        progress(0.6)
    found = candidates(p, vectors, signals, raw=raw)
    if fusion == "learned":
        fuse_learned(found, with_embedding=vectors is not None)
    elif fusion == "weighted":
        fuse_weighted(found, weights or {name: 1.0 for name in signals})
    else:
        fuse_rrf(found, signals)
    groups = _groups(p, vectors)
    ranked = sorted(
        (c for c in found.values() if c.fused > 0),
        key=lambda c: (-c.fused, p.sentences[c.i].article, p.sentences[c.i].start, p.sentences[c.j].start),
    )
    if progress:
        progress(0.75)
    kept: dict[tuple[int, int], list[Candidate]] = {}
    for c in ranked:
        kept.setdefault(tuple(sorted((groups[c.i], groups[c.j]))), []).append(c)
    out: list[HybridSuggestion] = []
    paraphrases = 0
    for members in kept.values():
        c = members[0]
        a, b = p.sentences[c.i], p.sentences[c.j]
        if a.article > b.article:
            a, b = b, a
        if c.quantity:
            relation, reason, _strength = c.quantity
        else:
            relation = "agrees"
            # The closest phrases by meaning for the best ``phrases`` paraphrases (their clauses
            # are embedded and stored), by shared words for the rest: never a bare cosine.
            by_meaning = embed is not None and vectors is not None and (phrases is None or paraphrases < phrases)
            pa, pb, _sim = closest_phrases(a.text, b.text, embed if by_meaning else None)
            reason = {"kind": "phrases", "a": pa, "b": pb}
            paraphrases += by_meaning
        out.append(
            HybridSuggestion(
                relation=relation,
                score=round(c.fused, 6),
                reason=reason_text(reason, translate=False),
                reason_args=reason,
                a=_span(p, a),
                b=_span(p, b),
                signals={
                    "lexical": round(c.lexical, 4),
                    "embedding": round(c.embedding, 4),
                    "quantity": c.quantity[0] if c.quantity else None,
                    "ranks": {k: v for k, v in c.ranks.items()},
                },
                variants=tuple(
                    (_span(p, p.sentences[v.i]), _span(p, p.sentences[v.j])) for v in members[1:4]
                ),
            )
        )
        if limit and len(out) >= limit:
            break
    if progress:
        progress(1.0)
    return out
