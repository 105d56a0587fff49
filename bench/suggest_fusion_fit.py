"""Fit the fused engine's small learned weighting (issue 15) and write suggestions/fusion.json.

    .venv/bin/python bench/suggest_fusion_fit.py [--cache /tmp/e5-demo.npz]

Training data: the demo story's candidate pairs (``hybrid.candidates``, all three signals), a
pair positive when it finds a label of the first labelled set (suggestions/tests/labelled_demo.json,
already tuned on) or of the TUNING half of the second (labelled_demo_v2.json). The held-out half
is never read here: ``span_labels`` rows with ``half == "heldout"`` are dropped before anything.

Model: logistic regression on standardised ``hybrid.FEATURES``, positives weighted up to balance
the classes, a small L2 penalty, plain gradient descent (numpy; eleven numbers are fitted, a
library would add a dependency for nothing). No database: vectors come from the model through an
in-memory cache (``--cache`` keeps it between runs).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from suggest import demo_bodies  # noqa: E402  (sets up Django and the project path)

from suggestions import hybrid  # noqa: E402
from suggestions.embeddings import Embedder  # noqa: E402
from suggestions.engine import Span  # noqa: E402
from suggestions.quality import LABELLED_DEMO, LABELLED_DEMO_V2, found_by, span_labels  # noqa: E402

L2 = 0.01
STEPS = 3000
RATE = 0.5


class _Pair:
    def __init__(self, a, b):
        self.a, self.b = a, b


def training_data(embed):
    bodies, files = demo_bodies()
    text = dict(bodies)
    labels = span_labels(LABELLED_DEMO, text, files) + [
        label for label in span_labels(LABELLED_DEMO_V2, text, files) if label.half == "tuning"
    ]
    p = hybrid.prepare(bodies)
    raw = embed([s.text for s in p.sentences])
    found = hybrid.candidates(p, hybrid.adjust(raw), raw=raw)
    keys = list(found)
    x = np.array([hybrid.features(found[k], hybrid.FEATURES) for k in keys])
    y = np.zeros(len(keys))
    for n, (i, j) in enumerate(keys):
        a, b = p.sentences[i], p.sentences[j]
        pair = _Pair(Span(a.article, a.start, a.end, ""), Span(b.article, b.start, b.end, ""))
        y[n] = float(any(found_by(pair, label) for label in labels))
    return x, y


def fit(x: np.ndarray, y: np.ndarray) -> dict:
    mean, sd = x.mean(axis=0), x.std(axis=0) + 1e-9
    xs = (x - mean) / sd
    weight = np.where(y > 0, (len(y) - y.sum()) / max(y.sum(), 1), 1.0)
    coef, bias = np.zeros(x.shape[1]), 0.0
    for _ in range(STEPS):
        p = 1 / (1 + np.exp(-(xs @ coef + bias)))
        g = (p - y) * weight / len(y)
        coef -= RATE * (xs.T @ g + L2 * coef)
        bias -= RATE * g.sum()
    return {
        "features": list(hybrid.FEATURES),
        "mean": [round(v, 6) for v in mean],
        "sd": [round(v, 6) for v in sd],
        "coef": [round(v, 6) for v in coef],
        "bias": round(float(bias), 6),
        "trained_on": "labelled_demo.json (all 22) + labelled_demo_v2.json tuning half; never the held-out half",
        "candidates": int(len(y)),
        "positives": int(y.sum()),
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=None, help="an .npz file to keep vectors in")
    parser.add_argument("--out", type=Path, default=hybrid.FUSION_FILE)
    args = parser.parse_args(argv)
    x, y = training_data(Embedder(args.cache))
    model = fit(x, y)
    args.out.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(model, indent=1))
    return model


if __name__ == "__main__":
    main()
