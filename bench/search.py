"""Search benchmark: /search?q= with 10,000 articles, against the same bytes served from memory.

    .venv/bin/python bench/search.py [--rounds 3 --concurrency 1 --duration 4 --fresh-db]
                                     [--database parallax_bench_search --server gthread]

Generates 10 synthetic stories x 1,000 articles x 300 words (once; reused while the parameters
match), runs VACUUM ANALYZE, then:
  * prints EXPLAIN (ANALYZE, BUFFERS) of the SQL that ``articles.selectors.article_search`` runs
    for each query and checks the plan reads articles_article through the GIN index (a Bitmap
    Index Scan on article_search_gin) and never by a Seq Scan;
  * EXPLAINs the same statement with index scans switched off (the no-index baseline);
  * measures each query page through the HTTP endpoint against its in-memory baseline.
The index check is reported; --strict makes a failed check exit 1.
Queries are typed without diacritics, as users do. Writes bench/results/search.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import urllib.parse
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import wrk  # noqa: E402

DATABASE = "parallax_bench_search"

STORIES = 10
ARTICLES_PER_STORY = 1000
WORDS = 300
#: Query -> what it shows. The generator puts each marker
#: ("chi phí đào tạo", "Nvidia", "R1") into 2-3 % of the articles; the single syllables of
#: "chi phi dao tao" are common on their own, so without quotes (every word, anywhere) that query
#: matches about a third of the articles. An index only pays for queries that match few rows, so
#: the check applies to those (under 10 % of the articles).
QUERIES = {
    '"chi phi dao tao"': "quoted phrase, ~2 % of articles",
    "nvidia": "one word, ~3 % of articles",
    "deepseek r1": "two words, ~2 % of articles",
    "chi phi dao tao": "four common syllables, each anywhere: ~30 % of articles",
    "trung quoc": "broad: ~90 % of articles",
}
SELECTIVE_SHARE = 0.10
GIN_INDEX = "article_search_gin"
#: The usual setting for data on SSD or in RAM (PostgreSQL's default, 4, models spinning disks).
SSD_RANDOM_PAGE_COST = "1.1"


def _walk(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _walk(child)


def _plan(cursor, statement: str, repeats: int) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) ``statement``: text plan, node facts and median timings."""
    cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) " + statement)
    text = "\n".join(row[0] for row in cursor.fetchall())
    timings = []
    for _ in range(repeats):
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement)
        doc = cursor.fetchone()[0]
        doc = doc[0] if isinstance(doc, list) else doc
        timings.append((doc["Planning Time"], doc["Execution Time"]))
    nodes = list(_walk(doc["Plan"]))
    return {
        "uses_gin_index": any(
            n["Node Type"] == "Bitmap Index Scan" and n.get("Index Name") == GIN_INDEX for n in nodes
        ),
        "seq_scan_on_articles": any(
            n["Node Type"] == "Seq Scan" and n.get("Relation Name") == "articles_article"
            for n in nodes
        ),
        "planning_ms_median": round(statistics.median(t[0] for t in timings), 3),
        "execution_ms_median": round(statistics.median(t[1] for t in timings), 3),
        "shared_hit_blocks": doc["Plan"].get("Shared Hit Blocks"),
        "shared_read_blocks": doc["Plan"].get("Shared Read Blocks"),
        "plan": text,
    }


def explain(*, env: dict[str, str], queries: list[str], repeats: int = 5) -> dict[str, dict]:
    """EXPLAIN the SQL that ``article_search`` runs for each query, through the app's connection.

    Each query is explained with the connection's settings (what the site gets) and, for
    comparison, with random_page_cost set to the usual SSD value.
    """
    os.environ.update(env)
    sys.path.insert(0, str(common.PROJECT))
    import django

    django.setup()
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from articles import selectors

    results = {}
    for query in queries:
        with CaptureQueriesContext(connection) as captured:
            hits = selectors.article_search(query=query)
        statements = [q["sql"] for q in captured.captured_queries if "@@" in q["sql"]]
        if len(statements) != 1:
            raise SystemExit(f"expected one search statement for {query!r}, got {len(statements)}")
        statement = statements[0]
        with connection.cursor() as cursor:
            cursor.execute("SHOW random_page_cost")
            page_cost = cursor.fetchone()[0]
            cursor.execute(
                "SELECT count(*), (SELECT count(*) FROM articles_article) FROM articles_article"
                " WHERE search_vector @@ websearch_to_tsquery(%s, %s)",
                ["parallax_unaccent", query],
            )
            matching, total = cursor.fetchone()
            default = _plan(cursor, statement, repeats)
            with transaction.atomic():
                cursor.execute(f"SET LOCAL random_page_cost = {SSD_RANDOM_PAGE_COST}")
                ssd = _plan(cursor, statement, repeats)
            with transaction.atomic():  # the baseline: the same statement without any index
                cursor.execute("SET LOCAL enable_bitmapscan = off")
                cursor.execute("SET LOCAL enable_indexscan = off")
                no_index = _plan(cursor, statement, repeats)
        results[query] = {
            "matching_rows": matching,
            "matching_share": round(matching / total, 4),
            "hits_returned": len(hits),
            "index_expected": matching / total < SELECTIVE_SHARE,
            "random_page_cost": page_cost,
            **default,
            "with_ssd_page_cost": {k: v for k, v in ssd.items() if k != "plan"}
            | {"random_page_cost": SSD_RANDOM_PAGE_COST, "summary": plan_summary(ssd["plan"])},
            "without_index": {k: v for k, v in no_index.items() if k != "plan"},
            "sql": statement,
        }
    return results


def plan_summary(plan: str) -> str:
    """The plan's node lines without their costs, for a short record."""
    keep = []
    for line in plan.splitlines():
        stripped = line.strip().removeprefix("->").strip()
        if not stripped or stripped.startswith(("Buffers", "Planning:", "Output")):
            continue
        if "(cost=" in stripped or stripped.startswith(("Recheck Cond", "Index Cond", "Sort Key", "Filter")):
            keep.append(line.split("  (cost=")[0].rstrip())
    return "\n".join(keep)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    wrk.common_arguments(parser, concurrency=1, duration=4.0, database=DATABASE)
    parser.add_argument("--server", choices=sorted(common.SERVERS), default=common.WSGI)
    parser.add_argument("--strict", action="store_true", help="exit 1 when the index check fails")
    args = parser.parse_args(argv)
    with common.django_site(database=args.database, fresh_db=args.fresh_db) as env:
        for number in range(STORIES):
            common.story_ensure(
                env=env,
                slug=f"bench-search-{number:02d}",
                articles=ARTICLES_PER_STORY,
                words=WORDS,
                seed=100 + number,
                progress=not args.no_progress,
            )
        url = env["DATABASE_URL"]
        common.log("VACUUM ANALYZE articles_article")
        common.sql(url, "VACUUM ANALYZE articles_article")
        total = common.sql(url, "SELECT count(*) FROM articles_article")[0][0]
        plans = explain(env=env, queries=list(QUERIES))
        for query, info in plans.items():
            print(f"\n-- EXPLAIN (ANALYZE, BUFFERS) article_search(query={query!r}):"
                  f" {info['matching_rows']} matching rows of {total}"
                  f" (random_page_cost {info['random_page_cost']})\n{info['plan']}")
        failures = [
            q for q, info in plans.items()
            if info["index_expected"] and (info["seq_scan_on_articles"] or not info["uses_gin_index"])
        ]  # fmt: skip
        with common.Server(env, kind=args.server) as server:
            comparisons = [
                wrk.compare(
                    server,
                    name=f"`{query}` ({plans[query]['matching_rows']} hits)",
                    page="/search?" + urllib.parse.urlencode({"q": query}),
                    rounds=args.rounds,
                    concurrency=args.concurrency,
                    duration=args.duration,
                    warmup=args.warmup,
                )
                for query in QUERIES
            ]
    data = {
        "settings": vars(args),
        "articles_in_db": total,
        "queries": QUERIES,
        "explain": {
            q: {k: v for k, v in info.items() if k != "sql"} | {"summary": plan_summary(info["plan"])}
            for q, info in plans.items()
        },
        "comparisons": [asdict(c) for c in comparisons],
    }
    data["index_check"] = {"failures": failures, "rule": f"queries matching under "
                           f"{SELECTIVE_SHARE:.0%} of articles use {GIN_INDEX} and no Seq Scan"}
    common.save("search", data)
    print(f"\nSearch over {total} articles, {args.concurrency} connection(s), {args.rounds} interleaved"
          f" rounds of {args.duration:g} s (medians):\n")
    print(wrk.comparison_table(data["comparisons"], label="Query"))
    print()
    print(explain_table(data))
    if failures:
        print(f"\nINDEX CHECK FAILED: a Seq Scan on articles_article for selective queries {failures}",
              file=sys.stderr)  # fmt: skip
        if args.strict:
            raise SystemExit(1)
        return data
    print(f"\nOK: every query matching under {SELECTIVE_SHARE:.0%} of articles used {GIN_INDEX}.")
    return data


def _access(info: dict) -> str:
    if info["seq_scan_on_articles"]:
        return "Seq Scan"
    return "Bitmap Index Scan (GIN)" if info["uses_gin_index"] else "other"


def explain_table(data: dict) -> str:
    first = next(iter(data["explain"].values()))
    lines = [
        f"| Query | Matching rows | Plan (random_page_cost {first['random_page_cost']}) | Execution ms"
        f" | Plan (random_page_cost {SSD_RANDOM_PAGE_COST}) | Execution ms"
        " | Baseline: Seq Scan forced, ms | **Baseline / default plan** |",
        "|---|--:|---|--:|---|--:|--:|--:|",
    ]
    for query, info in data["explain"].items():
        ssd = info["with_ssd_page_cost"]
        seq = info.get("without_index", {}).get("execution_ms_median", float("nan"))
        lines.append(
            f"| `{query}` | {info['matching_rows']} ({info['matching_share']:.0%})"
            f" | {_access(info)} | {info['execution_ms_median']:.1f}"
            f" | {_access(ssd)} | {ssd['execution_ms_median']:.1f}"
            f" | {seq:.1f} | **{seq / info['execution_ms_median']:.1f}×** |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
