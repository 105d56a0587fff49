"""Find spans in different articles that agree, contradict or qualify each other.

Pure functions over article bodies (no database): ``suggest(articles)`` returns scored pairs of
sentences with a reason a person can check.

1. Split each body into sentences (offsets are code-point indices into the body).
2. Tokens without diacritics ("chi phi dao tao" = "chi phí đào tạo"); weights are IDF over the
   story's sentences, so words every article repeats ("DeepSeek") count for little.
3. Candidates: only pairs sharing a rare token (document frequency ≤ ``RARE_DF``) or a measured
   thing (unit + topic) are scored, through inverted indexes, and each sentence keeps its best
   ``TOP_K`` partners. The work grows with the postings, not with sentences².
4. Relations: the same measured thing with the same value agrees; within rounding (≤ 15 %)
   qualifies; otherwise contradicts. Without comparable numbers, near-identical wording agrees.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable

from .quantities import (
    Quantity,
    close_value,
    find_quantities,
    same_value,
    strip_diacritics,
)
from .reasons import reason_text

RARE_DF = 0.08  # share of sentences a token may appear in and still pair sentences up
MAX_POSTING = 60  # ... and at most this many sentences, whatever the story's size
MAX_MEASURE_POSTING = 300  # sentences per measured thing (unit + topic) used as candidates
CANDIDATES = 40  # best candidates per sentence (by shared rare words) that get scored
TOP_K = 15  # partners kept per sentence
MIN_SIMILARITY = 0.05  # lexical cosine below which numbers alone do not make a pair
AGREE_SIMILARITY = 0.45  # wording this close agrees even without numbers
MIN_CHARS, MAX_CHARS = 25, 600

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’)\]]*\s+(?=[\"“‘(\[]?[A-ZÀ-Ỹ0-9Đ])|\n+")
_TOKEN = re.compile(r"\w+")
#: Very common Vietnamese function words; IDF would discount them anyway, this keeps the
#: inverted index small.
STOPWORDS = set(
    "va la cua co cho voi cac nhung mot nay duoc trong khi tu den da se thi ma de o nhu tai "
    "ve theo nam cung hon nhieu khong con rat boi vi do nen chi".split()
)


@dataclass
class Sentence:
    article: int
    index: int
    start: int
    end: int
    text: str
    tokens: Counter = field(default_factory=Counter)
    quantities: list[Quantity] = field(default_factory=list)
    vector: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Span:
    article: int
    start: int
    end: int
    quote: str


@dataclass(frozen=True)
class Suggestion:
    relation: str
    score: float
    reason: str
    a: Span
    b: Span
    #: The reason as data, rendered in the reader's language by ``reasons.reason_text``.
    reason_args: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> str:
        """Stable across recomputations while both spans keep their text and place."""
        return f"{self.a.article}:{self.a.start}:{self.a.end}|{self.b.article}:{self.b.start}:{self.b.end}|{self.relation}"


def split_sentences(article: int, body: str) -> list[Sentence]:
    sentences = []
    position = 0
    for match in [*_SENTENCE_END.finditer(body), None]:
        end = match.start() if match else len(body)
        chunk = body[position:end]
        stripped = chunk.strip()
        if stripped:
            start = position + (len(chunk) - len(chunk.lstrip()))
            stop = start + len(stripped)
            if MIN_CHARS <= len(stripped) <= MAX_CHARS:
                sentences.append(Sentence(article, len(sentences), start, stop, stripped))
        position = match.end() if match else len(body)
    return sentences


def tokens(text: str) -> Counter:
    words = [w for w in _TOKEN.findall(strip_diacritics(text.lower())) if w not in STOPWORDS]
    grams = Counter(words)
    grams.update(f"{a}_{b}" for a, b in zip(words, words[1:]))
    return grams


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


def _fmt(q: Quantity) -> str:
    return q.text.strip()


def _compare(a: Sentence, b: Sentence) -> tuple[str, str, float] | None:
    """The best numeric comparison between two sentences: (relation, reason data, strength)."""
    best = None
    for qa in a.quantities:
        if qa.unit in ("date", "year"):
            continue
        for qb in b.quantities:
            if not qa.topic or not qb.topic or qa.comparable_key != qb.comparable_key:
                continue
            # Name the more specific of the two topics ("the training cost" over "a cost").
            topic = qa.topic if qa.topic != "cost" else qb.topic
            values = {"topic": topic, "a": _fmt(qa), "b": _fmt(qb)}
            if same_value(qa.value, qb.value):
                found = ("agrees", {"kind": "same", **values}, 1.0)
            elif close_value(qa.value, qb.value):
                found = ("qualifies", {"kind": "rounded", **values}, 0.9)
            else:
                ratio = max(qa.value, qb.value) / max(min(qa.value, qb.value), 1e-9)
                if ratio > 5000:
                    continue  # dollars per token against a market value: not the same thing
                found = ("contradicts", {"kind": "differs", **values}, 0.8 + min(0.2, math.log10(ratio) / 20))
            if best is None or found[2] > best[2]:
                best = found
    return best


def index(sentences: list[Sentence]):
    """Fill in each sentence's tokens, quantities and TF-IDF vector, and return ``(idf, rare
    words -> sentence indexes, measured quantity -> sentence indexes)``: the lexical engine's
    index, shared with the hybrid engine."""
    df: Counter = Counter()
    for s in sentences:
        s.tokens = tokens(s.text)
        s.quantities = find_quantities(s.text)
        df.update(s.tokens.keys())
    n = max(len(sentences), 1)
    idf = {t: math.log((1 + n) / (1 + c)) + 1 for t, c in df.items()}
    rare_limit = max(2, min(int(RARE_DF * n), MAX_POSTING))
    by_token: dict[str, list[int]] = defaultdict(list)
    by_measure: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, s in enumerate(sentences):
        weights = {t: c * idf[t] for t, c in s.tokens.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        s.vector = {t: w / norm for t, w in weights.items()}
        for t in s.tokens:
            if df[t] <= rare_limit and "_" not in t:
                by_token[t].append(i)
        for q in s.quantities:
            if q.topic and q.unit not in ("date", "year"):
                by_measure[q.comparable_key].append(i)
    return idf, by_token, by_measure


def suggest(
    articles: Iterable[tuple[int, str]],
    *,
    limit: int | None = 200,
    progress: Callable[[float], None] | None = None,
) -> list[Suggestion]:
    """Suggestions for a story's ``articles`` (``(article id, body)`` pairs), best first."""
    sentences: list[Sentence] = []
    bodies = {}
    for article, body in articles:
        bodies[article] = body
        sentences.extend(split_sentences(article, body))
    if progress:
        progress(0.1)
    idf, by_token, by_measure = index(sentences)
    n = max(len(sentences), 1)
    if progress:
        progress(0.3)

    found: dict[tuple[int, int], Suggestion] = {}
    for i, s in enumerate(sentences):
        # Candidates by the rare words they share (each posting list is short, so this is
        # linear in the story's size), plus sentences measuring the same thing; only the best
        # CANDIDATES of them are scored.
        shared: dict[int, float] = defaultdict(float)
        for t in s.tokens:
            for j in by_token.get(t, ()):
                shared[j] += idf[t]
        for q in s.quantities:
            posting = by_measure.get(q.comparable_key, ())
            if len(posting) <= MAX_MEASURE_POSTING:
                for j in posting:
                    shared[j] += 1.0
        candidates = sorted(shared, key=shared.__getitem__, reverse=True)[:CANDIDATES]
        scored = []
        for j in candidates:
            if j <= i or sentences[j].article == s.article:
                continue
            other = sentences[j]
            similarity = _cosine(s.vector, other.vector)
            numeric = _compare(s, other)
            if numeric and similarity >= MIN_SIMILARITY:
                relation, reason, strength = numeric
                score = 0.5 * strength + 0.5 * min(1.0, similarity * 1.5)
            elif similarity >= AGREE_SIMILARITY:
                relation, reason = "agrees", {"kind": "words", "percent": f"{similarity * 100:.0f}"}
                score = similarity * 0.8
            else:
                continue
            scored.append((score, j, relation, reason))
        scored.sort(reverse=True)
        for score, j, relation, reason in scored[:TOP_K]:
            other = sentences[j]
            first, second = (s, other) if s.article < other.article else (other, s)
            found[(i, j)] = Suggestion(
                relation=relation,
                score=round(score, 4),
                reason=reason_text(reason, translate=False),
                reason_args=reason,
                a=Span(first.article, first.start, first.end, bodies[first.article][first.start : first.end]),
                b=Span(second.article, second.start, second.end, bodies[second.article][second.start : second.end]),
            )
        if progress and i % 50 == 0:
            progress(0.3 + 0.6 * i / n)
    ranked = sorted(found.values(), key=lambda x: (-x.score, x.a.article, x.a.start, x.b.article, x.b.start))
    if progress:
        progress(1.0)
    return ranked[:limit] if limit else ranked
