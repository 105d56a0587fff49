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
