"""Issue 13 benchmark: the reader with the annotated demo against the bare demo, in Chromium, and
what the overview and minimaps cost at 1,000 claims.

    .venv/bin/python bench/reader_browser.py [--rounds 15] [--database parallax_bench_comparison]
                                             [--fresh-db] [--server make-run] [--claims 1000 5000]
                                             [--only-claims] [--marks server dense]

1. Browser. ``load_demo`` (the annotated demo reading, as ``make run`` shows it) and a copy of the
   demo's five articles with no annotations (what ``load_demo --empty`` shows), served by
   ``make run``'s server (DEBUG off), opened in Debian's Chromium by an anonymous reader,
   interleaved (annotated, bare, annotated, ...), a fresh browser context each time. Measured from
   the navigation's start: DOMContentLoaded, and *interactive*: the load event has fired and
   every column's minimap is drawn (minimap.js is the last of the reader's modules to act), and
   dense columns have drawn what they show; *in-page ready*: the page's own clock when that first
   held (polled every frame), without the driver's round trip.
2. Server, in-process: the reader page of a copy of the demo with 1,000 public claims and 300
   links (bench/claims.py ``annotate``), with the overview and column summaries as built, and
   with both switched off (``story_overview`` returns nothing, ``Column.summary`` counts only),
   interleaved, cold (cache cleared before each request) and warm.
3. Minimap, in Chromium: drawing all five strips of that 1,000-claim page (``drawNow``).
4. Claims at scale (issue 18 item 2), in Chromium: copies of the demo with 1,000 and 5,000 public
   claims (``--claims``; 3 links per 10 claims) against the bare copy, interleaved in each round
   (bare, 1,000, 5,000, then the other way round), a fresh context each time: page bytes,
   ``<mark>`` elements, DOMContentLoaded and interactive, each as a ratio of the bare page's.

Writes bench/results/reader_browser.json and prints a markdown table. Medians throughout.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from claims import annotate, django_setup, story_copy  # noqa: E402

DATABASE = "parallax_bench_comparison"
BARE = "bench-demo-bare"
THOUSAND = "bench-demo-1000"


def scale_slug(claims: int) -> str:
    return THOUSAND if claims == 1000 else f"bench-demo-{claims}"


def stories(claim_counts=(1000,)) -> None:
    """The bare copy, and a copy of the demo per claim count with that many public claims and
    3 links per 10 claims (rebuilt unless it holds exactly that many claims)."""
    from annotations.models import Claim
    from articles.models import Story

    if not Story.objects.filter(slug=BARE).exists():
        story_copy(slug=BARE, title="DeepSeek R1 (bare copy)")
    for claims in {1000, *claim_counts}:
        slug = scale_slug(claims)
        if Claim.objects.filter(article__story__slug=slug).count() != claims:
            _story, articles = story_copy(slug=slug, title=f"DeepSeek R1 ({claims:,} claims)")
            annotate(articles=articles, claims=claims, links=claims * 3 // 10)


def drawn_claims(body: bytes) -> bool:
    """Whether a reader page carries claims: server-drawn marks, or a dense column's data."""
    return b"<mark data-claim" in body or b'class="claim-data"' in body


def browser_round(browser, url: str) -> dict:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    page = context.new_page()
    page.goto(url, wait_until="load")
    # Interactive: minimaps drawn, and dense columns' claims drawn as highlights (static/js/dense.js
    # sets data-dense-drawn on <html> once it has drawn them; pages without dense columns too).
    # "ready": the page's own clock when the predicate first held (polled every frame), without
    # the driver's round trip that "interactive" includes.
    ready = page.wait_for_function(
        "() => [...document.querySelectorAll('.minimap')].every(m => m.querySelector('svg'))"
        " && (!document.querySelector('.claim-data') || document.documentElement.dataset.denseDrawn)"
        " && performance.now()",
        polling="raf",
    ).json_value()
    timing = page.evaluate(
        """() => {
            const nav = performance.getEntriesByType('navigation')[0];
            return {dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
                    interactive: performance.now(),
                    marks: document.querySelectorAll('mark[data-claim]').length,
                    ranges: Number(document.documentElement.dataset.denseDrawn || 0)};  // claims drawn as highlights
        }"""
    )
    context.close()
    return timing | {"ready": ready}


def claims_scaling(browser, server, *, counts: list[int], rounds: int, marks: tuple[str, ...] = ()) -> dict:
    """Issue 18 item 2: the bare copy and each ``counts`` copy, interleaved, in Chromium; each
    copy also drawn as each of ``marks`` forces (``?marks=server``: every claim a server-drawn
    mark, what the page is without JavaScript; ``?marks=dense``: every column dense), beside
    what the threshold picks."""
    pages = {"bare": f"/stories/{BARE}/"} | {str(n): f"/stories/{scale_slug(n)}/" for n in counts}
    pages |= {f"{n} {mode}": f"/stories/{scale_slug(n)}/?marks={mode}" for mode in marks for n in counts}
    sizes = {}
    for name, path in pages.items():
        status, body = common.fetch(server.port, path)
        if status != 200 or (name != "bare" and not drawn_claims(body)):
            raise SystemExit(f"{path}: HTTP {status}, no marks\n{server.log_tail()}")
        sizes[name] = len(body)
        browser_round(browser, server.url + path)  # warm the server's cache once
    samples = {name: [] for name in pages}
    order = list(pages)
    for number in range(rounds):
        for name in order if number % 2 == 0 else order[::-1]:
            samples[name].append(browser_round(browser, server.url + pages[name]))
    result = {}
    for name, runs in samples.items():
        row = {key: statistics.median(r[key] for r in runs) for key in ("dcl", "load", "interactive", "ready")}
        row |= {"bytes": sizes[name], "marks": runs[0]["marks"], "ranges": runs[0]["ranges"]}
        result[name] = row
    bare = result["bare"]
    for row in result.values():
        row["ratios"] = {
            "bytes": row["bytes"] / bare["bytes"], "dcl": row["dcl"] / bare["dcl"],
            "interactive": row["interactive"] / bare["interactive"], "ready": row["ready"] / bare["ready"],
        }
    return result


def minimap_draw(browser, url: str, runs: int) -> float:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(url, wait_until="load")
    times = page.evaluate(
        """async (runs) => {
            const module = await import('/static/js/minimap.js');
            const out = [];
            for (let i = 0; i < runs; i++) { const t = performance.now(); module.drawNow(); out.push(performance.now() - t); }
            return out;
        }""",
        runs,
    )
    context.close()
    return statistics.median(times)


def server_times(rounds: int) -> dict:
    from django.core.cache import caches
    from django.test import Client

    from reader import presenters

    client = Client(HTTP_HOST="127.0.0.1")
    built_overview, built_summary = presenters.story_overview, presenters.Column.summary

    def bare_summary(column):
        return presenters.ColumnSummary(len(column.claims), len(column.links))

    def switch(on: bool) -> None:
        presenters.story_overview = built_overview if on else (lambda *a, **k: None)
        presenters.Column.summary = built_summary if on else bare_summary

    results = {}
    for phase in ("cold", "warm"):
        samples = {"with": [], "without": []}
        cpu_samples = {"with": [], "without": []}
        for _ in range(rounds):
            for variant in ("with", "without"):
                switch(variant == "with")
                caches["default"].clear()
                if phase == "warm":
                    client.get(f"/stories/{THOUSAND}/")
                started, cpu = time.perf_counter(), time.process_time()
                response = client.get(f"/stories/{THOUSAND}/")
                samples[variant].append((time.perf_counter() - started) * 1000)
                cpu_samples[variant].append((time.process_time() - cpu) * 1000)
                assert response.status_code == 200
                assert (b'id="overview"' in response.content) == (variant == "with")
        switch(True)
        with_ms, without_ms = (statistics.median(samples[v]) for v in ("with", "without"))
        with_cpu, without_cpu = (statistics.median(cpu_samples[v]) for v in ("with", "without"))
        results[phase] = {
            "with_ms": with_ms, "without_ms": without_ms, "ratio": with_ms / without_ms,
            "with_cpu_ms": with_cpu, "without_cpu_ms": without_cpu, "cpu_ratio": with_cpu / without_cpu,
        }
    return results


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common.database_argument(parser, DATABASE)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--server", choices=sorted(common.SERVERS), default="make-run")
    parser.add_argument("--claims", type=int, nargs="*", default=[1000, 5000],
                        help="claim counts for the scaling comparison (default 1000 5000; none: skip it)")
    parser.add_argument("--only-claims", action="store_true",
                        help="run only the scaling comparison (part 4)")
    parser.add_argument("--marks", nargs="*", choices=("server", "dense"), default=[],
                        help="part 4 also opens each copy with ?marks=server (all server-drawn marks)"
                             " and/or ?marks=dense (all columns dense)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with common.django_site(database=args.database, fresh_db=args.fresh_db) as env:
        common.manage("load_demo", "--no-progress", env=env, quiet=True)
        django_setup(env)
        stories(args.claims)
        if args.only_claims:
            return scaling_only(env, args)
        server_ms = server_times(args.rounds)
        pages = {"annotated": "/stories/deepseek-r1/", "bare": f"/stories/{BARE}/"}
        samples = {name: [] for name in pages}
        with common.Server(env, kind=args.server) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
            )
            for name, path in {**pages, "1000": f"/stories/{THOUSAND}/"}.items():
                status, body = common.fetch(server.port, path)
                if status != 200 or (name != "bare" and not drawn_claims(body)):
                    raise SystemExit(f"{path}: HTTP {status}, no marks\n{server.log_tail()}")
                browser_round(browser, server.url + path)  # warm the server and the cache once
            for _ in range(args.rounds):
                for name, path in pages.items():
                    samples[name].append(browser_round(browser, server.url + path))
            minimap_ms = {
                "demo": minimap_draw(browser, server.url + pages["annotated"], args.rounds),
                "1000 claims": minimap_draw(browser, f"{server.url}/stories/{THOUSAND}/", args.rounds),
            }
            scaling = claims_scaling(browser, server, counts=args.claims, rounds=args.rounds,
                                     marks=tuple(args.marks)) if args.claims else {}
            browser.close()
    browser_ms = {
        name: {
            key: statistics.median(s[key] for s in runs) for key in ("dcl", "load", "interactive")
        }
        | {"marks": runs[0]["marks"]}
        for name, runs in samples.items()
    }
    data = {
        "machine": common.machine(),
        "rounds": args.rounds,
        "server": args.server,
        "browser_ms": browser_ms,
        "ratios": {
            key: browser_ms["annotated"][key] / browser_ms["bare"][key] for key in ("dcl", "interactive")
        },
        "server_1000_claims_ms": server_ms,
        "minimap_draw_ms": minimap_ms,
        "claims_scaling": scaling,
    }
    common.save("reader_browser", data)
    a, b = browser_ms["annotated"], browser_ms["bare"]
    print("| Reader in Chromium (1440x900), medians | Annotated demo | Bare demo | Ratio |")
    print("|---|---:|---:|---:|")
    print(f"| DOMContentLoaded | {a['dcl']:.0f} ms | {b['dcl']:.0f} ms | {a['dcl'] / b['dcl']:.2f}x |")
    print(f"| Interactive (load + minimaps drawn) | {a['interactive']:.0f} ms | {b['interactive']:.0f} ms"
          f" | {a['interactive'] / b['interactive']:.2f}x |")
    print(f"| Marks on the page | {a['marks']} | {b['marks']} | |")
    print()
    print("| Reader, 1,000 claims, in-process, medians | With overview | Without | Ratio"
          " | CPU with | CPU without | CPU ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for phase, row in server_ms.items():
        print(f"| {phase} | {row['with_ms']:.1f} ms | {row['without_ms']:.1f} ms | {row['ratio']:.2f}x"
              f" | {row['with_cpu_ms']:.1f} ms | {row['without_cpu_ms']:.1f} ms | {row['cpu_ratio']:.2f}x |")
    print()
    print(f"Minimaps drawn (all five strips): demo {minimap_ms['demo']:.1f} ms,"
          f" 1,000 claims {minimap_ms['1000 claims']:.1f} ms (median of {args.rounds}).")
    if scaling:
        print()
        print(scaling_table(scaling))
    return data


def scaling_table(scaling: dict) -> str:
    lines = [
        "| Reader in Chromium (1440x900), medians | Bytes | Marks | Claims drawn as highlights | DOMContentLoaded"
        " | Interactive | In-page ready | Bytes ratio | DCL ratio | **Interactive ratio** | In-page ready ratio |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for name, row in scaling.items():
        count, _, mode = name.partition(" ")
        label = "bare demo (no claims)" if name == "bare" else f"{int(count):,} claims" + (
            f" (`?marks={mode}`)" if mode else "")
        r = row["ratios"]
        lines.append(
            f"| {label} | {row['bytes'] / 1024:.0f} KiB | {row['marks']} | {row.get('ranges', 0)} | {row['dcl']:.0f} ms"
            f" | {row['interactive']:.0f} ms | {row['ready']:.0f} ms | {r['bytes']:.2f}x | {r['dcl']:.2f}x"
            f" | **{r['interactive']:.2f}x** | {r['ready']:.2f}x |"
        )
    return "\n".join(lines)


def scaling_only(env, args) -> dict:
    """Part 4 alone (``--only-claims``): writes bench/results/reader_browser_claims.json."""
    from playwright.sync_api import sync_playwright

    with common.Server(env, kind=args.server) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        scaling = claims_scaling(browser, server, counts=args.claims, rounds=args.rounds,
                                 marks=tuple(args.marks))
        browser.close()
    data = {"machine": common.machine(), "rounds": args.rounds, "server": args.server,
            "claims_scaling": scaling}  # fmt: skip
    common.save("reader_browser_claims", data)
    print(scaling_table(scaling))
    return data


if __name__ == "__main__":
    main()
