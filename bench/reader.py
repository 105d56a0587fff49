"""Reader benchmark: /stories/<slug>/ against the same bytes served from memory.

    .venv/bin/python bench/reader.py [--rounds 3 --concurrency 8 --duration 8 --fresh-db]
                                     [--database parallax_bench_reader --server gthread]
                                     [--claims 1000 5000]

Stories: the demo (5 real articles) and a synthetic one of 20 articles x 5,000 words. Both run in
the benchmark database (--database), served by the WSGI server that serves pages in production
(1 worker, DEBUG off; --server picks another set-up), load driven by wrk. Writes
bench/results/reader.json and prints a markdown table.

With ``--claims`` (issue 18 item 2), also copies of the demo with that many public claims (as
bench/reader_browser.py makes them) against the bare copy, interleaved: page bytes, req/s and
latency, each as a ratio of the bare page's.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import wrk  # noqa: E402

DATABASE = "parallax_bench_reader"

SYNTHETIC = {"slug": "bench-20x5000", "articles": 20, "words": 5000}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    wrk.common_arguments(parser, concurrency=8, duration=8.0, database=DATABASE)
    parser.add_argument("--server", choices=sorted(common.SERVERS), default=common.WSGI)
    parser.add_argument("--claims", type=int, nargs="*", default=[],
                        help="also the demo with this many claims against its bare copy (e.g. 1000 5000)")
    args = parser.parse_args(argv)
    with common.django_site(database=args.database, fresh_db=args.fresh_db) as env:
        common.manage("load_demo", "--no-progress", "--empty", env=env, quiet=True)
        common.story_ensure(env=env, **SYNTHETIC, progress=not args.no_progress)
        pages = {
            "Demo story (5 articles)": "/stories/deepseek-r1/",
            "Synthetic story (20 × 5,000 words)": f"/stories/{SYNTHETIC['slug']}/",
        }
        if args.claims:
            import reader_browser

            common.django_setup(env)
            reader_browser.stories(args.claims)
        with common.Server(env, kind=args.server) as server:
            scaling = claims_scaling(server, args) if args.claims else {}
            comparisons = [
                wrk.compare(
                    server,
                    name=name,
                    page=page,
                    rounds=args.rounds,
                    concurrency=args.concurrency,
                    duration=args.duration,
                    warmup=args.warmup,
                )
                for name, page in pages.items()
            ]
            server_command = server.describe()
    data = {
        "settings": vars(args),
        "server": server_command,
        "comparisons": [asdict(c) for c in comparisons],
        "claims_scaling": scaling,
    }
    common.save("reader", data)
    print(f"\nReader, {args.concurrency} connections, {args.rounds} interleaved rounds of "
          f"{args.duration:g} s (medians):\n")
    print(wrk.comparison_table(data["comparisons"], label="Reader page"))
    if scaling:
        print("\n| Reader page (server) | Bytes | req/s | p50 / p95 ms | Bytes ratio | **p50 ratio** | Throughput ratio |")
        print("|---|--:|--:|--:|--:|--:|--:|")
        for name, row in scaling.items():
            s, r = row["summary"], row["ratios"]
            print(f"| {name} | {row['bytes'] / 1024:.0f} KiB | {s['rps']:.1f} | {s['p50_ms']:.1f} / {s['p95_ms']:.1f}"
                  f" | {r['bytes']:.2f}x | **{r['p50']:.2f}x** | {r['rps']:.3f} |")
    return data


def claims_scaling(server, args) -> dict:
    """The bare demo copy and each ``--claims`` copy, interleaved through wrk."""
    import reader_browser

    pair = {"bare demo": {"path": f"/stories/{reader_browser.BARE}/"}} | {
        f"{n:,} claims": {"path": f"/stories/{reader_browser.scale_slug(n)}/"} for n in args.claims
    }
    sizes = {}
    for name, page in pair.items():
        status, body = common.fetch(server.port, page["path"])
        if status != 200:
            raise SystemExit(f"{page['path']}: HTTP {status}\n{server.log_tail()}")
        sizes[name] = len(body)
    found = wrk.interleaved(server, pair, rounds=args.rounds, label="claims", concurrency=args.concurrency,
                            duration=args.duration, warmup=args.warmup)  # fmt: skip
    bare = found["bare demo"]["summary"]
    return {
        name: {
            "bytes": sizes[name], "summary": row["summary"],
            "ratios": {"bytes": sizes[name] / sizes["bare demo"]} | wrk.ratios(row["summary"], bare),
        }
        for name, row in found.items()
    }


if __name__ == "__main__":
    main()
