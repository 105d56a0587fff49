"""Precision@k and recall of the engine against a hand-labelled set of sentence pairs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .engine import Suggestion

LABELLED_DEMO = Path(__file__).resolve().parent / "tests" / "labelled_demo.json"


@dataclass(frozen=True)
class Label:
    relation: str
    a: tuple[str, str]  # (file name, a piece of the sentence)
    b: tuple[str, str]


def labels_load(path: Path = LABELLED_DEMO) -> list[Label]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [Label(p["relation"], tuple(p["a"]), tuple(p["b"])) for p in data["pairs"]]


def _matches(s: Suggestion, label: Label, files: dict[int, str]) -> bool:
    sides = [(files.get(s.a.article), s.a.quote), (files.get(s.b.article), s.b.quote)]

    def has(side, want) -> bool:
        return side[0] == want[0] and want[1] in side[1]

    pair = (has(sides[0], label.a) and has(sides[1], label.b)) or (
        has(sides[0], label.b) and has(sides[1], label.a)
    )
    return pair and s.relation == label.relation


def evaluate(suggestions: list[Suggestion], labels: list[Label], files: dict[int, str], *, k: int = 10):
    """``(precision@k, recall)``: the share of the top ``k`` that match a label, and the share
    of labels that some suggestion matches."""
    top = suggestions[:k]
    hits = sum(any(_matches(s, label, files) for label in labels) for s in top)
    found = sum(any(_matches(s, label, files) for s in suggestions) for label in labels)
    return hits / max(len(top), 1), found / max(len(labels), 1)


# --- Issue 15: span overlap, recall@k, the second labelled set --------------------------------

LABELLED_DEMO_V2 = Path(__file__).resolve().parent / "tests" / "labelled_demo_v2.json"


@dataclass(frozen=True)
class SpanLabel:
    """A labelled pair located in the bodies: ``(article, start, end)`` for each side."""

    id: str
    relation: str
    kind: str  # "number" or "paraphrase" ("" for the first set)
    half: str  # "tuning" or "heldout" ("" for the first set)
    a: tuple[int, int, int]
    b: tuple[int, int, int]


def span_labels(path: Path, bodies: dict[int, str], files: dict[int, str]) -> list[SpanLabel]:
    """The labels of ``path`` located in ``bodies`` (first occurrence of each piece)."""
    by_file = {name: article for article, name in files.items()}
    data = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for n, p in enumerate(data["pairs"]):
        sides = []
        for name, piece in (p["a"], p["b"]):
            article = by_file[name]
            start = bodies[article].find(piece)
            if start < 0:
                raise ValueError(f"{path.name}: {piece!r} is not in {name}")
            sides.append((article, start, start + len(piece)))
        out.append(SpanLabel(p.get("id", f"o{n + 1:02d}"), p["relation"], p.get("kind", ""),
                             p.get("half", ""), sides[0], sides[1]))  # fmt: skip
    return out


def _overlaps(span, side) -> bool:
    article, start, end = side
    return span.article == article and span.start < end and start < span.end


def found_by(s, label: SpanLabel) -> bool:
    """A suggestion finds a label when its two spans overlap both labelled spans, either order."""
    return (_overlaps(s.a, label.a) and _overlaps(s.b, label.b)) or (
        _overlaps(s.a, label.b) and _overlaps(s.b, label.a)
    )


def scores(ranked: list, labels: list[SpanLabel], *, correct: list[SpanLabel] | None = None) -> dict:
    """recall@10, @25, @50, @100 and recall (all) of ``labels``; precision@10 against ``correct``
    (default ``labels``): the share of the top 10 that find some label there."""
    correct = labels if correct is None else correct

    def recall(k):
        top = ranked[:k] if k else ranked
        return sum(any(found_by(s, lab) for s in top) for lab in labels) / max(len(labels), 1)

    top10 = ranked[:10]
    return {
        "recall@10": recall(10),
        "recall@25": recall(25),
        "recall@50": recall(50),
        "recall@100": recall(100),
        "recall_all": recall(None),
        "precision@10": sum(any(found_by(s, lab) for lab in correct) for s in top10) / max(len(top10), 1),
        "suggestions": len(ranked),
        "labels": len(labels),
    }
