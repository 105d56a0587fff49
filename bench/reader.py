"""Reader benchmark: /stories/<slug>/ against the same bytes served from memory.

    .venv/bin/python bench/reader.py [--rounds 3 --concurrency 8 --duration 8 --fresh-db]
                                     [--database parallax_bench_reader --server gthread]

Stories: the demo (5 real articles) and a synthetic one of 20 articles x 5,000 words. Both run in
the benchmark database (--database), served by the WSGI server that serves pages in production
(1 worker, DEBUG off; --server picks another set-up), load driven by wrk. Writes
bench/results/reader.json and prints a markdown table.
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
    args = parser.parse_args(argv)
    with common.django_site(database=args.database, fresh_db=args.fresh_db) as env:
        common.manage("load_demo", "--no-progress", "--empty", env=env, quiet=True)
        common.story_ensure(env=env, **SYNTHETIC, progress=not args.no_progress)
        pages = {
            "Demo story (5 articles)": "/stories/deepseek-r1/",
            "Synthetic story (20 × 5,000 words)": f"/stories/{SYNTHETIC['slug']}/",
        }
        with common.Server(env, kind=args.server) as server:
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
    }
    common.save("reader", data)
    print(f"\nReader, {args.concurrency} connections, {args.rounds} interleaved rounds of "
          f"{args.duration:g} s (medians):\n")
    print(wrk.comparison_table(data["comparisons"], label="Reader page"))
    return data


if __name__ == "__main__":
    main()
