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

    .venv/bin/python bench/inprocess.py --database parallax_bench_claims \
        --page /stories/deepseek-r1/ --after-write /stories/bench-annotated/ [--runs 30]

``--after-write READER`` measures instead the reader ``READER`` right after a write: before each
of its requests one new public claim (a word, through ``annotations.services.claim_create``) goes
into its story's first article, as a colleague's highlight does; interleaved with the plain page
``--page`` (the baseline here), alternating which goes first; medians, and the ratio of the two.
The claims are deleted after. bench/claims.py builds both stories (1,000 claims, 1,000 links).
Writes bench/results/inprocess-after-write.json.
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


def after_write(plain: str, reader: str, *, runs: int, warmup: int = 3, profile: bool = False) -> dict:
    """The reader ``reader`` right after one new claim in its first column, against ``plain``
    (no write before it), interleaved; medians of CPU and wall time, and the queries of one
    view of each after a write."""
    import re

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from annotations import services
    from annotations.models import Claim
    from articles.models import Article

    slug = reader.strip("/").split("/")[-1]
    article = Article.objects.filter(story__slug=slug).order_by("position", "pk").first()
    if article is None:
        raise SystemExit(f"no story {slug!r} in this database (bench/claims.py builds it)")
    author, _created = get_user_model().objects.get_or_create(username="bench-after-write")
    words = [(m.start(), m.end()) for m in re.finditer(r"\w+", article.body)]
    client = Client(HTTP_HOST=common.HOST)
    times = {plain: ([], []), reader: ([], [])}

    def write(run: int) -> None:
        start, end = words[(run * 37) % len(words)]
        services.claim_create(author=author, article=article, start=start, end=end,
                              exact=article.body[start:end])  # fmt: skip

    queries = {}
    try:
        for run in range(warmup):
            write(run)
            _time(client, reader)
            _time(client, plain)
        for page in (reader, plain):
            write(warmup + len(queries))
            statements = []
            with connection.execute_wrapper(lambda run, sql, *a: statements.append(sql) or run(sql, *a)):
                client.get(page)
            queries[page] = len(statements)
        for run in range(runs):
            write(warmup + 2 + run)
            for page in (reader, plain) if run % 2 == 0 else (plain, reader):
                cpu, wall = _time(client, page)
                times[page][0].append(cpu)
                times[page][1].append(wall)
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0002)
            for run in range(20):
                write(warmup + 2 + runs + run)
                with profiler:
                    client.get(reader)
            print(profiler.output_text(unicode=True, color=False, show_all=False))
    finally:
        Claim.objects.filter(author=author, article=article).delete()
    row = {"plain": plain, "reader": reader, "runs": runs, "queries": queries}
    for page, name in ((plain, "plain"), (reader, "after_write")):
        row[f"{name}_cpu_ms"] = round(statistics.median(times[page][0]), 2)
        row[f"{name}_wall_ms"] = round(statistics.median(times[page][1]), 2)
    row["cpu_ratio"] = round(row["after_write_cpu_ms"] / row["plain_cpu_ms"], 2)
    row["wall_ratio"] = round(row["after_write_wall_ms"] / row["plain_wall_ms"], 2)
    common.log(f"after a write: {row}")
    return row


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
    parser.add_argument("--after-write", metavar="READER",
                        help="measure READER right after a write against --page (one page)")
    parser.add_argument("--cold", action="store_true",
                        help="empty Django's caches before each timed page request (not timed)")
    args = parser.parse_args(argv)
    url = common.database_url(args.database)
    # Per database, so a run never serves another checkout's static manifest (a missing entry is
    # a 500 with DEBUG off).
    static_root = Path(f"/tmp/parallax-bench-inprocess-static-{args.database}")
    env = common.server_env(url=url, static_root=str(static_root))
    if not (static_root / "staticfiles.json").exists():
        common.manage("collectstatic", "--noinput", "-v", "0", env=env)
    common.django_setup(env)
    load = Path("/proc/loadavg").read_text().strip()
    if args.after_write:
        if len(args.page) != 1:
            parser.error("--after-write takes one --page: the plain page it is compared with")
        row = after_write(args.page[0], args.after_write, runs=args.runs, profile=args.profile)
        load_after = Path("/proc/loadavg").read_text().strip()
        common.save("inprocess-after-write", {"settings": vars(args), "load_average": [load, load_after],
                                              "result": row, "machine": common.machine()})
        print(f"\nIn-process server time right after a write, {args.runs} interleaved runs, medians;"
              f" load average {load} (before), {load_after} (after)\n")
        print("| Page | Queries | CPU ms | Wall ms |\n|---|--:|--:|--:|")
        print(f"| `{row['plain']}` (plain) | {row['queries'][row['plain']]} | {row['plain_cpu_ms']:.1f}"
              f" | {row['plain_wall_ms']:.1f} |")
        print(f"| `{row['reader']}` right after a write | {row['queries'][row['reader']]}"
              f" | {row['after_write_cpu_ms']:.1f} | {row['after_write_wall_ms']:.1f} |")
        print(f"| **Ratio** | | **{row['cpu_ratio']}×** | **{row['wall_ratio']}×** |")
        return [row]
    rows = measure(args.page, runs=args.runs, profile=args.profile, cold=args.cold)
    common.save("inprocess-cold" if args.cold else "inprocess", {"settings": vars(args), "load_average": load, "pages": rows,
                              "machine": common.machine()})
    cold = ", caches emptied before each page request" if args.cold else ""
    print(f"\nIn-process server time{cold}, {args.runs} interleaved runs, medians; load average {load}\n")
    print(table(rows))
    return rows


if __name__ == "__main__":
    main()
