"""Issue 13 benchmark: the reader with the annotated demo against the bare demo, in Chromium, and
what the overview and minimaps cost at 1,000 claims.

    .venv/bin/python bench/reader_browser.py [--rounds 15] [--database parallax_bench_comparison]
                                             [--fresh-db] [--server make-run]

1. Browser. ``load_demo`` (the annotated demo reading, as ``make run`` shows it) and a copy of the
   demo's five articles with no annotations (what ``load_demo --empty`` shows), served by
   ``make run``'s server (DEBUG off), opened in Debian's Chromium by an anonymous reader,
   interleaved (annotated, bare, annotated, ...), a fresh browser context each time. Measured from
   the navigation's start: DOMContentLoaded, and *interactive*: the load event has fired and
   every column's minimap is drawn (minimap.js is the last of the reader's modules to act).
2. Server, in-process: the reader page of a copy of the demo with 1,000 public claims and 300
   links (bench/claims.py ``annotate``), with the overview and column summaries as built, and
   with both switched off (``story_overview`` returns nothing, ``Column.summary`` counts only),
   interleaved, cold (cache cleared before each request) and warm.
3. Minimap, in Chromium: drawing all five strips of that 1,000-claim page (``drawNow``).

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


def stories() -> None:
    from articles.models import Story

    if not Story.objects.filter(slug=BARE).exists():
        story_copy(slug=BARE, title="DeepSeek R1 (bare copy)")
    if not Story.objects.filter(slug=THOUSAND, articles__claims__isnull=False).exists():
        _story, articles = story_copy(slug=THOUSAND, title="DeepSeek R1 (1,000 claims)")
        annotate(articles=articles, claims=1000, links=300)


def browser_round(browser, url: str) -> dict:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    page = context.new_page()
    page.goto(url, wait_until="load")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.minimap')].every(m => m.querySelector('svg'))"
    )
    timing = page.evaluate(
        """() => {
            const nav = performance.getEntriesByType('navigation')[0];
            return {dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
                    interactive: performance.now(),
                    marks: document.querySelectorAll('mark[data-claim]').length};
        }"""
    )
    context.close()
    return timing


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
        for _ in range(rounds):
            for variant in ("with", "without"):
                switch(variant == "with")
                caches["default"].clear()
                if phase == "warm":
                    client.get(f"/stories/{THOUSAND}/")
                started = time.perf_counter()
                response = client.get(f"/stories/{THOUSAND}/")
                samples[variant].append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
                assert (b'id="overview"' in response.content) == (variant == "with")
        switch(True)
        with_ms, without_ms = (statistics.median(samples[v]) for v in ("with", "without"))
        results[phase] = {"with_ms": with_ms, "without_ms": without_ms, "ratio": with_ms / without_ms}
    return results


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common.database_argument(parser, DATABASE)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--server", choices=sorted(common.SERVERS), default="make-run")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with common.django_site(database=args.database, fresh_db=args.fresh_db) as env:
        common.manage("load_demo", "--no-progress", env=env, quiet=True)
        django_setup(env)
        stories()
        server_ms = server_times(args.rounds)
        pages = {"annotated": "/stories/deepseek-r1/", "bare": f"/stories/{BARE}/"}
        samples = {name: [] for name in pages}
        with common.Server(env, kind=args.server) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
            )
            for name, path in pages.items():  # warm the server and the cache once
                browser_round(browser, server.url + path)
            for _ in range(args.rounds):
                for name, path in pages.items():
                    samples[name].append(browser_round(browser, server.url + path))
            minimap_ms = {
                "demo": minimap_draw(browser, server.url + pages["annotated"], args.rounds),
                "1000 claims": minimap_draw(browser, f"{server.url}/stories/{THOUSAND}/", args.rounds),
            }
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
    print("| Reader, 1,000 claims, in-process, medians | With overview | Without | Ratio |")
    print("|---|---:|---:|---:|")
    for phase, row in server_ms.items():
        print(f"| {phase} | {row['with_ms']:.1f} ms | {row['without_ms']:.1f} ms | {row['ratio']:.2f}x |")
    print()
    print(f"Minimaps drawn (all five strips): demo {minimap_ms['demo']:.1f} ms,"
          f" 1,000 claims {minimap_ms['1000 claims']:.1f} ms (median of {args.rounds}).")
    return data


if __name__ == "__main__":
    main()
