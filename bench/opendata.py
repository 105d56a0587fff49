"""Open-data benchmarks (issue 7): W3C export and import of a big story, and the protocol container.

    .venv/bin/python bench/opendata.py [--rounds 3 --duration 4 --repeats 5 --fresh-db]
                                       [--database parallax_bench_opendata --server gthread]

All in the benchmark database (--database, default parallax_bench_opendata; DEBUG off), on a copy of the demo story
(``bench-annotated``: the five demo bodies) carrying 1,000 public claims and 1,000 links, made
by bench/claims.py's generator.

  1. Export, in-process: ``opendata.selectors.story_collection`` + ``json.dumps`` (the whole
     AnnotationCollection, 2,000 annotations) against a baseline that fetches the same rows with
     ``.values()`` and ``json.dumps`` them as they are. Median of --repeats runs each.
  2. Import, in-process: ``opendata.services.annotations_import`` of that export (as another user,
     so every claim and link is new; deleted again after each run) against a baseline that
     ``bulk_create``s the same number of claim and link rows without any checks.
  3. Over HTTP (the production WSGI server, one worker; load by wrk): a container page ``/annotations/?story=…&page=0`` (100
     descriptions), the same page as IRIs, and the full export ``/annotations/stories/….jsonld``,
     each against the bench baseline (the same bytes served from memory by the same stack),
     interleaved rounds, medians.

Writes bench/results/opendata.json and prints markdown tables.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import claims as claims_bench  # noqa: E402  (its story copy and generator)
import common  # noqa: E402
import wrk  # noqa: E402

DATABASE = "parallax_bench_opendata"
STORY = claims_bench.ANNOTATED
IMPORTER = "bench-importer"
BASE = "http://127.0.0.1"


def interleaved(first, second, repeats: int) -> tuple[list[float], list[float], object, object]:
    """Time ``first`` and ``second`` alternately (A B, B A, ...) after one warm-up call each, so
    load from other processes on a shared machine falls on both; seconds of each run, and each
    function's last result."""
    results = [first(), second()]
    times: list[list[float]] = [[], []]
    for number in range(repeats):
        order = (0, 1) if number % 2 == 0 else (1, 0)
        for index in order:
            started = time.perf_counter()
            results[index] = (first, second)[index]()
            times[index].append(time.perf_counter() - started)
    return times[0], times[1], results[0], results[1]


def _runs(times: list[float]) -> list[float]:
    return [round(t, 4) for t in times]


def export_vs_values(repeats: int) -> dict:
    from annotations.models import Claim, ClaimLink
    from articles.models import Story
    from opendata import selectors
    from opendata.jsonld import Site

    story = Story.objects.get(slug=STORY)
    site = Site(base=BASE)

    def export() -> int:
        payload = selectors.story_collection(story=story, user=None, site=site)
        return len(json.dumps(payload, ensure_ascii=False))

    def values() -> int:
        rows = {
            "claims": list(
                Claim.objects.filter(article__story=story, visibility="public").values()
            ),
            "links": list(
                ClaimLink.objects.filter(
                    claim_a__article__story=story, visibility="public"
                ).values()
            ),
        }
        return len(json.dumps(rows, ensure_ascii=False, default=str))

    export_times, values_times, export_bytes, values_bytes = interleaved(export, values, repeats)
    export_s, values_s = statistics.median(export_times), statistics.median(values_times)
    result = {
        "annotations": selectors.story_collection(story=story, user=None, site=site)["total"],
        "export_s": round(export_s, 4),
        "export_runs": _runs(export_times),
        "export_bytes": export_bytes,
        "baseline_values_s": round(values_s, 4),
        "baseline_runs": _runs(values_times),
        "baseline_bytes": values_bytes,
        "ratio": round(export_s / values_s, 2),
    }
    common.log(f"export: {result}")
    return result


def import_vs_bulk(repeats: int) -> dict:
    from annotations.models import Claim, ClaimLink
    from articles.models import Story
    from opendata import selectors, services
    from opendata.jsonld import Site

    story = Story.objects.get(slug=STORY)
    site = Site(base=BASE)
    data = selectors.story_collection(story=story, user=None, site=site)
    (importer,) = claims_bench.users([IMPORTER])
    source_claims = list(Claim.objects.filter(article__story=story).exclude(author=importer))
    source_links = list(
        ClaimLink.objects.filter(claim_a__article__story=story).exclude(author=importer)
    )

    def clean() -> None:
        Claim.objects.filter(author=importer).delete()

    def run_import() -> dict:
        clean()
        report = services.annotations_import(user=importer, data=data, site=site)
        return report.counts()

    def bulk() -> int:
        clean()
        made = Claim.objects.bulk_create(
            [
                Claim(
                    article_id=c.article_id,
                    author=importer,
                    start=c.start,
                    end=c.end,
                    exact=c.exact,
                    prefix=c.prefix,
                    suffix=c.suffix,
                    body_hash=c.body_hash,
                    note=c.note,
                    tags=c.tags,
                )
                for c in source_claims
            ],
            batch_size=500,
        )
        new_id = {old.pk: new.pk for old, new in zip(source_claims, made, strict=True)}
        links = []
        for link in source_links:
            a, b = sorted((new_id[link.claim_a_id], new_id[link.claim_b_id]))
            links.append(
                ClaimLink(
                    claim_a_id=a,
                    claim_b_id=b,
                    relation=link.relation,
                    rationale=link.rationale,
                    author=importer,
                )
            )
        ClaimLink.objects.bulk_create(links, batch_size=500)
        return len(made) + len(links)

    import_times, bulk_times, counts, _ = interleaved(run_import, bulk, repeats)
    import_s, bulk_s = statistics.median(import_times), statistics.median(bulk_times)
    import_runs, bulk_runs = _runs(import_times), _runs(bulk_times)
    clean()
    result = {
        "counts": counts,
        "import_s": round(import_s, 3),
        "import_runs": import_runs,
        "baseline_bulk_create_s": round(bulk_s, 4),
        "baseline_runs": bulk_runs,
        "ratio": round(import_s / bulk_s, 1),
        "per_annotation_ms": round(1000 * import_s / max(1, counts["claims"] + counts["links"]), 3),
    }
    common.log(f"import: {result}")
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    wrk.common_arguments(parser, concurrency=8, duration=4.0, database=DATABASE)
    parser.add_argument("--server", choices=sorted(common.SERVERS), default=common.WSGI)
    parser.add_argument("--claims", type=int, default=1000)
    parser.add_argument("--links", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of export and import")
    args = parser.parse_args(argv)
    started = time.monotonic()
    with common.django_site(database=args.database, fresh_db=args.fresh_db) as env:
        common.manage("load_demo", "--no-progress", "--empty", env=env, quiet=True)
        claims_bench.django_setup(env)
        claims_bench.stories_ensure(claims=args.claims, links=args.links)
        export = export_vs_values(args.repeats)
        imported = import_vs_bulk(max(2, args.repeats // 2))
        pages = {
            "container page (100 descriptions)": f"/annotations/?story={STORY}&page=0",
            "container page (100 IRIs)": f"/annotations/?story={STORY}&iris=1&page=0",
            "story export (2,000 annotations)": f"/annotations/stories/{STORY}.jsonld",
        }
        comparisons = []
        with common.Server(env, kind=args.server) as server:
            for name, path in pages.items():
                comparison = wrk.compare(
                    server, name=name, page=path, rounds=args.rounds,
                    concurrency=args.concurrency, duration=args.duration, warmup=args.warmup,
                )  # fmt: skip
                comparisons.append(asdict(comparison))
    result = {
        "claims": args.claims,
        "links": args.links,
        "export": export,
        "import": imported,
        "http": comparisons,
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    common.save("opendata", result)
    print(
        "| In-process (median of runs) | Parallax | Baseline | Ratio |\n|---|--:|--:|--:|\n"
        f"| Export {export['annotations']:,} annotations (JSON-LD vs .values() + json.dumps) | "
        f"{export['export_s'] * 1000:.0f} ms | {export['baseline_values_s'] * 1000:.0f} ms | "
        f"**{export['ratio']}×** |\n"
        f"| Import {imported['counts']['claims']:,} claims + {imported['counts']['links']:,} links "
        f"(services vs bulk_create) | {imported['import_s']:.2f} s | "
        f"{imported['baseline_bulk_create_s'] * 1000:.0f} ms | **{imported['ratio']}×** |\n"
    )
    print(wrk.comparison_table(comparisons, label="Resource"))
    return result


if __name__ == "__main__":
    main()
