"""Issue 15: the claim memory's lookup time as the archive grows, usearch HNSW against a
sequential scan, on synthetic vectors.

    .venv/bin/python bench/suggest_memory.py [--sizes 10000 100000 1000000] [--queries 200]

Vectors: 384-dimensional unit vectors drawn around 2,000 random centres (news claims cluster by
topic; uniform random vectors would be the worst case for any index), float32. The index is the
one the app uses (``memory.ClaimIndex``'s settings: cosine, half precision, usearch defaults);
the scan is numpy's matrix-vector product over the float32 matrix and an argpartition, which is
what a lookup without an index costs in-process (a scan in PostgreSQL without pgvector would be
slower still: every row's bytes travel to Python first). Queries are stored vectors with noise.
Reports p50/p95 per lookup (10 nearest), the build time, and the index's recall@10 against the
exact answer. No database (``--database`` is accepted for the common interface and unused).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from usearch.index import Index

PROJECT = Path(__file__).resolve().parent.parent
DIM = 384
THREADS = 2  # the machine has 2 cores; 0 (all) makes usearch spin against other processes


def vectors(n: int, rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        picks = rng.integers(0, len(centres), stop - start)
        chunk = centres[picks] + 0.35 * rng.standard_normal((stop - start, DIM), dtype=np.float32) / np.sqrt(DIM)
        out[start:stop] = chunk / np.linalg.norm(chunk, axis=1, keepdims=True)
    return out


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def run(n: int, queries: int, rng: np.random.Generator, centres: np.ndarray) -> dict:
    data = vectors(n, rng, centres)
    keys = np.arange(n, dtype=np.uint64)
    start = time.perf_counter()
    index = Index(ndim=DIM, metric="cos", dtype="f16")
    index.add(keys, data, threads=THREADS)
    build = time.perf_counter() - start
    picks = rng.integers(0, n, queries)
    noise = 0.2 * rng.standard_normal((queries, DIM), dtype=np.float32) / np.sqrt(DIM)
    qs = data[picks] + noise
    qs /= np.linalg.norm(qs, axis=1, keepdims=True)
    ann, scan, recall = [], [], []
    for q in qs:
        t = time.perf_counter()
        found = index.search(q, count=10, threads=1)
        ann.append(time.perf_counter() - t)
        t = time.perf_counter()
        sims = data @ q
        exact = np.argpartition(-sims, 10)[:10]
        scan.append(time.perf_counter() - t)
        recall.append(len(set(exact.tolist()) & set(int(k) for k in found.keys)) / 10)
    row = {
        "stored": n,
        "build_s": build,
        "ann_p50_ms": 1000 * pct(ann, 50),
        "ann_p95_ms": 1000 * pct(ann, 95),
        "scan_p50_ms": 1000 * pct(scan, 50),
        "scan_p95_ms": 1000 * pct(scan, 95),
        "recall@10": statistics.mean(recall),
        "index_mb": index.memory_usage / 1e6,
    }
    del index, data
    return row


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--database", default=None, help="unused: no database is touched")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(15)
    centres = rng.standard_normal((2000, DIM), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    rows = []
    for n in args.sizes:
        rows.append(run(n, args.queries, rng, centres))
        print(json.dumps(rows[-1]), flush=True)
    print("\n| Stored vectors | Build s | ANN p50 ms | ANN p95 ms | Scan p50 ms | Scan p95 ms | p95 scan / ANN | ANN recall@10 | Index MB |")
    print("|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for r in rows:
        print(f"| {r['stored']:,} | {r['build_s']:.1f} | {r['ann_p50_ms']:.2f} | {r['ann_p95_ms']:.2f} | "
              f"{r['scan_p50_ms']:.2f} | {r['scan_p95_ms']:.2f} | {r['scan_p95_ms'] / r['ann_p95_ms']:.0f}x | "
              f"{r['recall@10']:.2f} | {r['index_mb']:.0f} |")  # fmt: skip
    data = {"command": " ".join(["bench/suggest_memory.py", *(argv or sys.argv[1:])]), "rows": rows}
    out = PROJECT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "suggest_memory.json").write_text(json.dumps(data, indent=2))
    return data


if __name__ == "__main__":
    main()
