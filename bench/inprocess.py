"""Server time of pages, measured inside one Django process: no HTTP server, no client, no
network between them, so what remains is the time the Django process spends on one request.

    .venv/bin/python bench/inprocess.py --database parallax_bench_search \
        --page "/search?q=nvidia" [--page ...] [--runs 30] [--profile]

For each page, ``--runs`` requests through Django's test client (the whole middleware stack and
the view; DEBUG off, config.bench_settings), interleaved with the same number of requests for
its baseline (``/bench/static-bytes/?of=<page>``: the same bytes from memory, through the same
stack). Medians of CPU time (``time.process_time``) and wall time per request, and the ratio to
the baseline; plus the SQL queries of one request. The database must already hold the data
(the HTTP benchmarks, bench/search.py and bench/curation.py, build it). ``--profile`` prints a
pyinstrument profile of one more request per page. Writes bench/results/inprocess.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402


def _clear() -> None:
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()


def _time(client, path: str, *, cold: bool = False) -> tuple[float, float]:
    if cold:
        _clear()
    cpu, wall = time.process_time(), time.perf_counter()
    response = client.get(path)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if response.status_code != 200:
        raise SystemExit(f"{path}: HTTP {response.status_code}")
    return cpu * 1000, wall * 1000


def measure(
    pages: list[str], *, runs: int, warmup: int = 3, profile: bool = False, cold: bool = False
) -> list[dict]:
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST=common.HOST)
    results = []
    for page in pages:
        baseline = common.BASELINE + page
        for _ in range(warmup):
            _time(client, page)
            _time(client, baseline)
        statements = []
        if cold:
            _clear()
        with connection.execute_wrapper(lambda run, sql, *args: statements.append(sql) or run(sql, *args)):
            client.get(page)
        page_cpu, page_wall, base_cpu, base_wall = [], [], [], []
        for _ in range(runs):
            cpu, wall = _time(client, page, cold=cold)
            page_cpu.append(cpu)
            page_wall.append(wall)
            cpu, wall = _time(client, baseline)
            base_cpu.append(cpu)
            base_wall.append(wall)
        row = {
            "page": page,
            "bytes": len(client.get(page).content),
            "queries": len(statements),
            "runs": runs,
            "page_cpu_ms": round(statistics.median(page_cpu), 2),
            "page_wall_ms": round(statistics.median(page_wall), 2),
            "baseline_cpu_ms": round(statistics.median(base_cpu), 3),
            "baseline_wall_ms": round(statistics.median(base_wall), 3),
        }
        row["cpu_ratio"] = round(row["page_cpu_ms"] / row["baseline_cpu_ms"], 1)
        row["wall_ratio"] = round(row["page_wall_ms"] / row["baseline_wall_ms"], 1)
        results.append(row)
        common.log(f"{page}: {row}")
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            for _ in range(5):
                if cold:
                    _clear()
                with profiler:
                    client.get(page)
            print(profiler.output_text(unicode=True, color=False, show_all=False))
    return results


def table(rows: list[dict]) -> str:
    lines = [
        "| Page | Size | Queries | Server CPU ms, median | Baseline CPU ms | **CPU ratio** "
        "| Server wall ms, median | Baseline wall ms | **Wall ratio** |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        lines.append(
            f"| `{r['page']}` | {r['bytes'] / 1024:.0f} KiB | {r['queries']} | {r['page_cpu_ms']:.1f}"
            f" | {r['baseline_cpu_ms']:.2f} | **{r['cpu_ratio']}×** | {r['page_wall_ms']:.1f}"
            f" | {r['baseline_wall_ms']:.2f} | **{r['wall_ratio']}×** |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--page", action="append", required=True)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--cold", action="store_true",
                        help="empty Django's caches before each timed page request (not timed)")
    args = parser.parse_args(argv)
    url = common.database_url(args.database)
    static_root = Path("/tmp/parallax-bench-inprocess-static")
    env = common.server_env(url=url, static_root=str(static_root))
    if not (static_root / "staticfiles.json").exists():
        common.manage("collectstatic", "--noinput", "-v", "0", env=env)
    common.django_setup(env)
    load = Path("/proc/loadavg").read_text().strip()
    rows = measure(args.page, runs=args.runs, profile=args.profile, cold=args.cold)
    common.save("inprocess-cold" if args.cold else "inprocess", {"settings": vars(args), "load_average": load, "pages": rows,
                              "machine": common.machine()})
    cold = ", caches emptied before each page request" if args.cold else ""
    print(f"\nIn-process server time{cold}, {args.runs} interleaved runs, medians; load average {load}\n")
    print(table(rows))
    return rows


if __name__ == "__main__":
    main()
