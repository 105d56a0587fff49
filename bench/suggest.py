"""Suggested connections: time for the demo story and for synthetic stories of 10, 20 and 50
articles, against the number of sentences, with the fitted growth exponent; and quality
(precision@10, recall) on the hand-labelled demo pairs.

    .venv/bin/python bench/suggest.py [--repeats 5] [--sizes 10 20 50]

The engine is pure Python over article bodies (suggestions/engine.py), so this runs in-process
with no database. Synthetic articles are drawn from the demo corpus's own sentences with their
numbers perturbed (so quantities still pair up and conflict), 60 sentences per article.
Writes bench/results/suggest.json and prints markdown tables.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import statistics
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

import os  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")  # in-process and local: the development settings
import django  # noqa: E402

django.setup()

from suggestions import engine  # noqa: E402
from suggestions.quality import evaluate, labels_load  # noqa: E402
from textkernel.text import normalize_body  # noqa: E402

DEMO = PROJECT / "articles" / "demo" / "deepseek-r1"


def demo_bodies():
    files = sorted(DEMO.glob("*.txt"))
    return [(i, normalize_body(f.read_text(encoding="utf-8"))) for i, f in enumerate(files)], {
        i: f.name for i, f in enumerate(files)
    }


def synthetic(articles: int, *, per_article: int = 60, seed: int = 11):
    rng = random.Random(seed)
    pool = [s.text for i, body in demo_bodies()[0] for s in engine.split_sentences(i, body)]

    def perturb(text: str) -> str:
        return re.sub(r"\d+", lambda m: str(max(1, int(m.group()) + rng.choice([0, 0, 1, -1, 7]))), text)

    return [
        (a, "\n".join(perturb(rng.choice(pool)) for _ in range(per_article)) + "\n")
        for a in range(articles)
    ]


def timed(bodies, repeats: int) -> tuple[float, int, int]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        found = engine.suggest(bodies, limit=None)
        times.append(time.perf_counter() - start)
    sentences = sum(len(engine.split_sentences(i, b)) for i, b in bodies)
    return statistics.median(times), sentences, len(found)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 20, 50])
    args = parser.parse_args(argv)

    bodies, files = demo_bodies()
    demo_time, demo_sentences, demo_found = timed(bodies, args.repeats)
    precision, recall = evaluate(engine.suggest(bodies, limit=None), labels_load(), files, k=10)
    rows = [{"story": "demo (5 articles)", "articles": 5, "sentences": demo_sentences,
             "seconds": demo_time, "suggestions": demo_found}]  # fmt: skip
    for size in args.sizes:
        seconds, sentences, found = timed(synthetic(size), args.repeats)
        rows.append({"story": f"synthetic ({size} articles)", "articles": size,
                     "sentences": sentences, "seconds": seconds, "suggestions": found})  # fmt: skip
    synth = [r for r in rows if r["story"].startswith("synthetic")]
    xs = [math.log(r["sentences"]) for r in synth]
    ys = [math.log(r["seconds"]) for r in synth]
    mx, my = statistics.mean(xs), statistics.mean(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    data = {"command": " ".join(["bench/suggest.py", *(argv or sys.argv[1:])]), "repeats": args.repeats,
            "rows": rows, "exponent": slope, "precision_at_10": precision, "recall": recall}  # fmt: skip
    out = PROJECT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "suggest.json").write_text(json.dumps(data, indent=2))
    print(f"\nSuggestions, median of {args.repeats} runs:\n")
    print("| Story | Sentences | Time s | Suggestions | Time per sentence ms |")
    print("|---|--:|--:|--:|--:|")
    for r in rows:
        print(f"| {r['story']} | {r['sentences']:,} | {r['seconds']:.3f} | {r['suggestions']} | "
              f"{1000 * r['seconds'] / r['sentences']:.2f} |")  # fmt: skip
    print(f"\nFitted growth (synthetic): time ∝ sentences^{slope:.2f} (2 would be all pairs).")
    print(f"Quality on the labelled demo pairs: precision@10 {precision:.2f}, recall {recall:.2f}.")
    return data


if __name__ == "__main__":
    main()
