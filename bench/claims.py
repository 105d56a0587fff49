"""Claims benchmarks (issue 3): what annotations cost the reader, claim writes, and the browser.

    .venv/bin/python bench/claims.py [--rounds 3 --duration 4 --browser-runs 7 --fresh-db]
                                     [--database parallax_bench_claims --server gthread]

In the benchmark database (--database, default parallax_bench_claims), served by the WSGI server
that serves pages in production (one worker, DEBUG off; --server picks another set-up), load
driven by wrk (bench/wrk.py):

  1. Reader cost of annotations. The demo story (5 articles, no claims) against a copy of it
     (``bench-annotated``, the same five bodies) carrying 1,000 public claims and 1,000 links,
     both through HTTP with --concurrency connections in interleaved rounds; plus the number of
     SQL queries each page runs (anonymous and logged in; first and repeat view), counted
     in-process, and the time of a first view (nothing cached, as after any change), in-process.
  2. Write throughput. --write-concurrency clients (16), each logged in as its own user with its
     session and CSRF cookies (one wrk connection each, bench/wrk/replay.lua), POST new claims
     (``/articles/<pk>/claims/``) as the reader's Highlight button sends them: htmx aimed at the
     writer's column (``HX-Target: article-<pk>``), answered with that column's text redrawn by
     the server (marks are drawn by the server only) against ``POST /bench/bare-insert/``
     (config/bench_urls.py: the same stack, one INSERT, no rendering). Every request highlights a
     new span; the story's claims are deleted before each phase so all phases start alike.
  3. In Chromium (Playwright, /usr/bin/chromium): page load of the annotated story (1,000 marks)
     against the plain one, and the time from clicking Highlight to the new mark being on screen
     (DOM changed, then two animation frames) on each page. Medians over --browser-runs.

Writes bench/results/claims.json and prints markdown tables.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import wrk  # noqa: E402

DATABASE = "parallax_bench_claims"
PLAIN = "deepseek-r1"
ANNOTATED = "bench-annotated"
WRITES = "bench-writes"
DEMO_USERS = ["lan", "minh", "curator"]
BROWSER_USER = "bench-browser"
WRITER = "bench-writer-{:02d}"
SPAN_STEP = 11  # characters between the starts of one writer's successive spans
SPAN_LENGTH = 40


# --- data ---------------------------------------------------------------------------------------


#: Kept under this name for the scripts that import it from here.
django_setup = common.django_setup


def story_copy(*, slug: str, title: str):
    """A fresh copy of the demo story's articles (same bodies and order) under ``slug``."""
    from articles.models import Article, Story

    Story.objects.filter(slug=slug).delete()
    demo = Story.objects.get(slug=PLAIN)
    story = Story.objects.create(slug=slug, title=title, note=demo.note, language=demo.language)
    for article in demo.articles.order_by("position", "pk"):
        article.pk = article.id = None
        article._state.adding = True
        article.story = story
        article.save()
    return story, list(Article.objects.filter(story=story).order_by("position", "pk"))


def users(names: list[str]):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    found = []
    for name in names:
        user, created = User.objects.get_or_create(username=name)
        if created:
            user.set_unusable_password()
            user.save()
        found.append(user)
    return found


def annotate(*, articles, claims: int, links: int, seed: int = 7) -> tuple[int, int]:
    """``claims`` public claims spread evenly over ``articles`` (by the demo users, 20-200
    characters, some crossing paragraphs or overlapping) and ``links`` links between claims of
    different articles with random relations."""
    from annotations.models import Claim, ClaimLink
    from textkernel.quotes import quote_context

    rng = random.Random(seed)
    authors = users(DEMO_USERS)
    rows, seen = [], set()
    for number in range(claims):
        article = articles[number % len(articles)]
        body = article.body
        while True:
            start = rng.randrange(0, len(body) - 20)
            end = min(len(body), start + rng.randint(20, 200))
            author = authors[number % len(authors)]
            key = (article.pk, author.pk, start, end)
            if body[start:end].strip() and key not in seen:
                seen.add(key)
                break
        prefix, suffix = quote_context(body, start, end)
        rows.append(
            Claim(
                article=article,
                author=author,
                start=start,
                end=end,
                exact=body[start:end],
                prefix=prefix,
                suffix=suffix,
                body_hash=article.body_hash,
                note=rng.choice(["", "", "Con số này cần kiểm chứng.", "Nguồn: báo cáo gốc."]),
                tags=rng.choice([[], [], ["chi-phí"], ["nguồn", "số-liệu"]]),
            )
        )
    made = Claim.objects.bulk_create(rows, batch_size=500)
    by_article: dict[int, list[int]] = {}
    for claim in made:
        by_article.setdefault(claim.article_id, []).append(claim.pk)
    article_ids = list(by_article)
    relations = [r for r, _ in ClaimLink.Relation.choices]
    pairs, link_rows = set(), []
    while len(link_rows) < links:
        first, second = rng.sample(article_ids, 2)
        a, b = sorted((rng.choice(by_article[first]), rng.choice(by_article[second])))
        relation = rng.choice(relations)
        if (a, b, relation) in pairs:
            continue
        pairs.add((a, b, relation))
        link_rows.append(
            ClaimLink(
                claim_a_id=a,
                claim_b_id=b,
                relation=relation,
                rationale=rng.choice(["", "Khác số liệu.", "Cùng nguồn."]),
                author=authors[len(link_rows) % len(authors)],
            )
        )
    ClaimLink.objects.bulk_create(link_rows, batch_size=500)
    return len(made), len(link_rows)


def stories_ensure(*, claims: int, links: int) -> dict:
    """The annotated copy (rebuilt unless it already has exactly these counts) and the writes
    copy; returns their article ids and bodies."""
    from annotations.models import Claim, ClaimLink
    from articles.models import Article

    have = (
        Claim.objects.filter(article__story__slug=ANNOTATED).count(),
        ClaimLink.objects.filter(claim_a__article__story__slug=ANNOTATED).count(),
    )
    if have != (claims, links) or not Article.objects.filter(story__slug=ANNOTATED).exists():
        common.log(f"annotating {ANNOTATED}: {claims} claims, {links} links")
        _, articles = story_copy(slug=ANNOTATED, title=f"DeepSeek R1 ({claims:,} claims)")
        annotate(articles=articles, claims=claims, links=links)
    if not Article.objects.filter(story__slug=WRITES).exists():
        story_copy(slug=WRITES, title="DeepSeek R1 (write benchmark)")
    writes = list(Article.objects.filter(story__slug=WRITES).order_by("position", "pk"))
    return {"writes": [(a.pk, a.body) for a in writes]}


def query_counts() -> dict:
    """SQL queries of each reader page, anonymous and logged in, on a first view (nothing
    cached: as after any change to the story's annotations) and on a repeat view (in-process,
    same settings)."""
    from django.core.cache import caches
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    (user,) = users([DEMO_USERS[0]])
    counts = {}
    for who in ("anonymous", "logged in"):
        client = Client(HTTP_HOST=common.HOST)
        if who == "logged in":
            client.force_login(user)
        for slug in (PLAIN, ANNOTATED):
            client.get(f"/stories/{slug}/")  # warm what is not the reader's (translations, templates)
            caches["default"].clear()
            for view in ("first", "repeat"):
                with CaptureQueriesContext(connection) as captured:
                    response = client.get(f"/stories/{slug}/")
                if response.status_code != 200:
                    raise SystemExit(f"/stories/{slug}/ answered {response.status_code}")
                counts[f"{slug} ({who}, {view})"] = len(captured.captured_queries)
    return counts


def _medians(times: dict[str, list[float]], runs: int) -> dict:
    medians = {slug: statistics.median(values) for slug, values in times.items()}
    return {
        "runs": runs,
        "plain_ms": medians[PLAIN],
        "annotated_ms": medians[ANNOTATED],
        "ratio": medians[ANNOTATED] / medians[PLAIN],
    }


def first_views(runs: int) -> dict:
    """In-process time of a first view of each reader page (the cache emptied before each: what
    the first reader after any change to the story's annotations waits), interleaved; medians."""
    from django.core.cache import caches
    from django.test import Client

    client = Client(HTTP_HOST=common.HOST)
    times: dict[str, list[float]] = {PLAIN: [], ANNOTATED: []}
    for slug in times:
        client.get(f"/stories/{slug}/")
    for _ in range(runs):
        for slug in times:
            caches["default"].clear()
            start = time.perf_counter()
            client.get(f"/stories/{slug}/")
            times[slug].append((time.perf_counter() - start) * 1000)
    return _medians(times, runs)


def after_one_change(runs: int) -> dict:
    """In-process time of the annotated reader right after one new claim in one of its columns
    (what every reader waits for after a colleague's highlight: one column to draw again),
    interleaved with the plain page as it is served; medians. The claims are removed after."""
    from django.test import Client

    from annotations import services
    from annotations.models import Claim
    from articles.models import Article

    (author,) = users([BROWSER_USER])
    article = Article.objects.filter(story__slug=ANNOTATED).order_by("position", "pk").first()
    client = Client(HTTP_HOST=common.HOST)
    times: dict[str, list[float]] = {PLAIN: [], ANNOTATED: []}
    for slug in times:
        client.get(f"/stories/{slug}/")
    words = [(m.start(), m.end()) for m in re.finditer(r"\w+", article.body)]
    try:
        for run in range(runs):
            start, end = words[(run * 37) % len(words)]
            services.claim_create(
                author=author, article=article, start=start, end=end, exact=article.body[start:end]
            )
            for slug in (ANNOTATED, PLAIN) if run % 2 == 0 else (PLAIN, ANNOTATED):
                began = time.perf_counter()
                client.get(f"/stories/{slug}/")
                times[slug].append((time.perf_counter() - began) * 1000)
    finally:
        Claim.objects.filter(author=author, article=article).delete()
    return _medians(times, runs)


def sessions(names: list[str], *, page: str = f"/stories/{WRITES}/") -> list[dict]:
    """A logged-in session and a CSRF cookie for each user, the way a browser gets them."""
    from django.test import Client

    found = []
    for user in users(names):
        client = Client(HTTP_HOST=common.HOST)
        client.force_login(user)
        client.get(page)
        found.append(
            {
                "user": user.username,
                "session": client.cookies["sessionid"].value,
                "csrf": client.cookies["csrftoken"].value,
            }
        )
    return found


def claims_delete(article_ids: list[int]) -> None:
    from annotations.models import Claim

    Claim.objects.filter(article_id__in=article_ids).delete()


# --- 1. the reader ------------------------------------------------------------------------------


# --- 2. writes ----------------------------------------------------------------------------------


def span(number: int, article: tuple[int, str]) -> tuple[int, int, int, str]:
    """The ``number``-th span a writer highlights in its column: stepping along the text."""
    pk, body = article
    start = number * SPAN_STEP % (len(body) - SPAN_LENGTH)
    end = start + SPAN_LENGTH
    return pk, start, end, body[start:end]


def write_requests(sessions: list[dict], articles: list[tuple[int, str]], *, kind: str,
                   duration: float, warmup: float) -> wrk.Requests:  # fmt: skip
    """Each writer's POSTs for one phase: a new span per request (claims are deleted before
    each phase, so every phase may send the same spans). ``kind``: claim_create or bare_insert.
    Room for 80 requests per writer per second; past that a writer starts again (409s)."""
    warm, measured = int(warmup * 80) + 20, int(duration * 80) + 50
    per_connection = []
    for index, who in enumerate(sessions):
        # Each writer highlights in one column, as the reader's Highlight button sends a claim:
        # htmx aimed at that column, answered with its text redrawn by the server.
        article = articles[index % len(articles)]
        headers = {
            **wrk.session_headers(who, referer=f"http://{common.HOST}/stories/{WRITES}/"),
            "HX-Target": f"article-{article[0]}",
        }
        items = []
        for number in range(warm + measured):
            pk, start, end, exact = span(number + index * 37, article)
            if kind == "claim_create":
                fields = {"start": start, "end": end, "exact": exact, "offsets": "codepoint"}
                items.append(("POST", f"/articles/{pk}/claims/", fields))
            else:
                fields = {"article": pk, "start": start, "end": end, "exact": exact}
                items.append(("POST", "/bench/bare-insert/", fields))
        per_connection.append((headers, items))
    return wrk.requests_write(per_connection, warmup=warm)


# --- 3. the browser -----------------------------------------------------------------------------

NAVIGATION = """() => {
  const t = performance.getEntriesByType("navigation")[0];
  return {response_end: t.responseEnd, dom_interactive: t.domInteractive,
          dom_content_loaded: t.domContentLoadedEventEnd, load: t.loadEventEnd,
          marks: document.querySelectorAll("mark[data-claim]").length,
          bytes: t.transferSize};
}"""

SELECT = """([column, paragraph]) => {
  const body = document.querySelectorAll("[data-article] .column-body")[column]
            ?? document.querySelectorAll("[data-article]")[column];
  const paragraphs = body.querySelectorAll("p[data-start]");
  const p = paragraphs[paragraph % paragraphs.length];
  const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.search(/\\S/);
    if (at < 0 || node.data.length - at < 25) continue;
    const range = document.createRange();
    range.setStart(node, at);
    range.setEnd(node, at + 20 + (paragraph % 5));
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    node.parentElement.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
    document.dispatchEvent(new Event("selectionchange"));
    return range.toString();
  }
  return null;
}"""

#: The Highlight button next to a selection (fallback: the H shortcut).
BUTTON = ".highlight-popup:not([hidden]) .highlight-button"

HIGHLIGHT = """(useKey) => new Promise((resolve) => {
  // Each drawn claim has one anchor, id="claim-<pk>" (docs/page-hooks.md): a new claim is a new
  // anchor; in a dense column (claims drawn as highlights, static/js/dense.js), one more claim drawn.
  const anchors = () => [...document.querySelectorAll('[data-article] [id^="claim-"][tabindex]')];
  const seen = new Set(anchors().map((m) => m.id));
  const dense = () => window.parallaxDense?.drawn ?? 0;
  const denseBefore = dense();
  const button = [...document.querySelectorAll(
    ".highlight-popup:not([hidden]) .highlight-button, button[aria-keyshortcuts='h']"
  )].find((b) => b.offsetParent !== null);
  if (!button && !useKey) return resolve({error: "no visible Highlight button"});
  let done = false;
  const finish = (result) => {
    if (!done) { done = true; observer.disconnect(); document.removeEventListener("parallax:dense-drawn", check); resolve(result); }
  };
  const check = () => {
    const fresh = dense() > denseBefore || anchors().some((m) => !seen.has(m.id));
    if (!fresh || done) return;
    const dom = performance.now() - t0;
    requestAnimationFrame(() => requestAnimationFrame(() => {
      const posts = performance.getEntriesByType("resource").filter((e) => e.name.includes("/claims/"));
      const post = posts[posts.length - 1];
      finish({dom_ms: dom, painted_ms: performance.now() - t0, request_ms: post ? post.responseEnd - post.startTime : null});
    }));
  };
  const observer = new MutationObserver(check);
  document.addEventListener("parallax:dense-drawn", check);
  observer.observe(document.body, {childList: true, subtree: true});
  setTimeout(() => finish({error: "no new mark within 15 s"}), 15000);
  const t0 = performance.now();
  if (button) button.click();
  else document.dispatchEvent(new KeyboardEvent("keydown", {key: "h", bubbles: true}));
})"""


def browser(server, *, session: str, runs: int, article_counts: dict[str, int]) -> dict:
    """Page loads and Highlight clicks in Chromium, alternating the plain and annotated story."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(common.PROJECT))
    from conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP

    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing (apt-get install chromium), or pass --no-browser")
    base = f"http://{common.HOST}:{server.port}"
    results = {slug: {"load": [], "highlight": []} for slug in (PLAIN, ANNOTATED)}
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = chromium.new_context(viewport=DESKTOP, locale="en-US")
        context.set_default_timeout(30_000)
        context.add_cookies([{"name": "sessionid", "value": session, "url": base}])
        for slug in (PLAIN, ANNOTATED):  # warm the server and the browser's cache of static files
            warm = context.new_page()
            warm.goto(f"{base}/stories/{slug}/", wait_until="load")
            warm.close()
        for number in range(runs):
            for slug in (PLAIN, ANNOTATED) if number % 2 == 0 else (ANNOTATED, PLAIN):
                page = context.new_page()
                page.goto(f"{base}/stories/{slug}/", wait_until="load")
                timing = page.evaluate(NAVIGATION)
                results[slug]["load"].append(timing)
                column = number % article_counts[slug]
                text = page.evaluate(SELECT, [column, number + 1])
                if not text:
                    raise SystemExit(f"{slug}: found no text to select in column {column}")
                try:
                    page.wait_for_selector(BUTTON, timeout=5_000)
                    use_key = False
                except PlaywrightTimeout:
                    use_key = True
                outcome = page.evaluate(HIGHLIGHT, use_key)
                outcome["via"] = "H key" if use_key else "button"
                if "error" in outcome:
                    raise SystemExit(f"{slug}: Highlight failed: {outcome['error']}")
                results[slug]["highlight"].append(outcome)
                common.log(
                    f"browser run {number + 1} {slug:16}: DOMContentLoaded {timing['dom_content_loaded']:6.0f} ms,"
                    f" load {timing['load']:6.0f} ms, {timing['marks']} marks;"
                    f" Highlight -> mark painted {outcome['painted_ms']:6.0f} ms"
                    f" (request {outcome['request_ms'] or 0:.0f} ms, via {outcome['via']})"
                )
                page.close()
        context.close()
        chromium.close()
    summary = {}
    for slug, data in results.items():
        med = lambda rows, key: round(statistics.median(r[key] for r in rows), 1)  # noqa: E731
        summary[slug] = {
            "marks": data["load"][0]["marks"],
            "load": {k: med(data["load"], k) for k in ("response_end", "dom_interactive", "dom_content_loaded", "load")},
            "highlight": {k: med(data["highlight"], k) for k in ("dom_ms", "painted_ms", "request_ms")},
        }  # fmt: skip
    summary["ratio"] = {
        "dom_content_loaded": round(
            summary[ANNOTATED]["load"]["dom_content_loaded"] / summary[PLAIN]["load"]["dom_content_loaded"], 2
        ),
        "load": round(summary[ANNOTATED]["load"]["load"] / summary[PLAIN]["load"]["load"], 2),
        "highlight_painted": round(
            summary[ANNOTATED]["highlight"]["painted_ms"] / summary[PLAIN]["highlight"]["painted_ms"], 2
        ),
    }
    return {"runs": runs, "summary": summary, "raw": results}


# --- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    wrk.common_arguments(parser, concurrency=8, duration=4.0, database=DATABASE)
    parser.add_argument("--write-concurrency", type=int, default=16)
    parser.add_argument("--claims", type=int, default=1000)
    parser.add_argument("--links", type=int, default=1000)
    parser.add_argument("--browser-runs", type=int, default=7, help="page loads / clicks per story")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--server", choices=sorted(common.SERVERS), default=common.WSGI,
                        help=f"server set-up (default {common.WSGI}, what serves pages in production)")
    parser.add_argument("--first-view-runs", type=int, default=15, help="in-process first views")
    args = parser.parse_args(argv)
    started = time.monotonic()
    with common.django_site(database=args.database, fresh_db=args.fresh_db) as env:
        common.manage("load_demo", "--no-progress", "--empty", env=env, quiet=True)
        django_setup(env)
        data = stories_ensure(claims=args.claims, links=args.links)
        write_ids = [pk for pk, _ in data["writes"]]
        claims_delete(write_ids)
        (browser_user,) = users([BROWSER_USER])
        from annotations.models import Claim

        Claim.objects.filter(author=browser_user).delete()
        counts = query_counts()
        common.log(f"queries per reader page: {counts}")
        first = first_views(args.first_view_runs)
        common.log(
            f"first views: plain {first['plain_ms']:.1f} ms, annotated {first['annotated_ms']:.1f} ms"
            f" ({first['ratio']:.2f}x)"
        )
        changed = after_one_change(args.first_view_runs)
        common.log(
            f"after one new claim: plain {changed['plain_ms']:.1f} ms, annotated"
            f" {changed['annotated_ms']:.1f} ms ({changed['ratio']:.2f}x)"
        )
        writer_sessions = sessions([WRITER.format(n) for n in range(args.write_concurrency)])
        (browser_session,) = sessions([BROWSER_USER])
        load = {"duration": args.duration, "warmup": args.warmup}
        with common.Server(env, kind=args.server) as server:
            for slug in (PLAIN, ANNOTATED):
                status, _ = common.fetch(server.port, f"/stories/{slug}/")
                if status != 200:
                    raise SystemExit(f"/stories/{slug}/: HTTP {status}\n{server.log_tail()}")
            pages = {"annotated": {"path": f"/stories/{ANNOTATED}/"}, "plain": {"path": f"/stories/{PLAIN}/"}}
            reader = wrk.interleaved(server, pages, rounds=args.rounds, label="reader",
                                     concurrency=args.concurrency, **load)  # fmt: skip
            reader["ratio"] = wrk.ratios(reader["annotated"]["summary"], reader["plain"]["summary"])
            # One connection too: the time of a single view, with no queueing behind others.
            single = wrk.interleaved(server, pages, rounds=args.rounds, label="reader, 1 connection",
                                     concurrency=1, **load)  # fmt: skip
            single["ratio"] = wrk.ratios(single["annotated"]["summary"], single["plain"]["summary"])
            reader["one_connection"] = single

            claim_counts: dict[str, list[int]] = {"claim_create": [], "bare_insert": []}
            last = [""]

            def fresh(kind: str):
                def before() -> None:
                    if last[0]:
                        claim_counts[last[0]].append(
                            Claim.objects.filter(article_id__in=write_ids).count()
                        )
                    claims_delete(write_ids)
                    last[0] = kind

                return before

            lists = {
                kind: write_requests(writer_sessions, data["writes"], kind=kind,
                                     duration=args.duration, warmup=args.warmup)
                for kind in ("claim_create", "bare_insert")
            }  # fmt: skip
            try:
                writes = wrk.interleaved(
                    server,
                    {
                        "claim_create": {
                            "path": "POST /articles/<pk>/claims/",
                            "before": fresh("claim_create"),
                            "load": {"requests": lists["claim_create"]},
                        },
                        "bare_insert": {
                            "path": "POST /bench/bare-insert/",
                            "before": fresh("bare_insert"),
                            "load": {"requests": lists["bare_insert"]},
                        },
                    },
                    rounds=args.rounds, label="writes", concurrency=args.write_concurrency, **load,
                )  # fmt: skip
            finally:
                for made in lists.values():
                    made.remove()
            claim_counts[last[0]].append(Claim.objects.filter(article_id__in=write_ids).count())
            claims_delete(write_ids)
            writes["ratio"] = wrk.ratios(writes["claim_create"]["summary"], writes["bare_insert"]["summary"])
            writes["claims_per_phase"] = claim_counts

            in_browser = None
            if not args.no_browser:
                from articles.models import Article

                in_browser = browser(
                    server,
                    session=browser_session["session"],
                    runs=args.browser_runs,
                    article_counts={
                        slug: Article.objects.filter(story__slug=slug).count()
                        for slug in (PLAIN, ANNOTATED)
                    },
                )
                Claim.objects.filter(author=browser_user).delete()
            server_command = server.describe()
    result = {
        "settings": vars(args),
        "server": server_command,
        "queries": counts,
        "first_views": first,
        "after_one_change": changed,
        "reader": reader,
        "writes": writes,
        "browser": in_browser,
        "seconds": round(time.monotonic() - started),
    }
    common.save("claims", result)
    print()
    print(report(result))
    return result


def report(r: dict) -> str:
    s = r["settings"]
    q = r["queries"]
    rd, wr = r["reader"], r["writes"]
    a, p = rd["annotated"]["summary"], rd["plain"]["summary"]
    lines = [
        f"Reader, {s['concurrency']} connections, {s['rounds']} interleaved rounds of {s['duration']:g} s"
        f" (medians); SQL queries counted in-process:",
        "",
        "| Reader page | Size | Queries (anon / logged in) | req/s | p50 / p95 / p99 ms |",
        "|---|--:|--:|--:|--:|",
    ]
    def queries(slug: str, who: str) -> str:
        return f"{q[f'{slug} ({who}, first)']} → {q[f'{slug} ({who}, repeat)']}"

    for label, slug, m in (
        (f"{s['claims']:,} claims + {s['links']:,} links", ANNOTATED, a),
        ("same story, no claims", PLAIN, p),
    ):
        lines.append(
            f"| {label} | {m['response_bytes'] / 1024:.0f} KiB | {queries(slug, 'anonymous')} / {queries(slug, 'logged in')}"
            f" | {m['rps']:.1f} | {m['p50_ms']:.1f} / {m['p95_ms']:.1f} / {m['p99_ms']:.1f} |"
        )
    x = rd["ratio"]
    f = r["first_views"]
    c = r["after_one_change"]
    lines.append(
        f"| **annotated / plain** | | | **{x['rps']:.2f}×** | **{x['p50']:.2f}× / {x['p95']:.2f}× / {x['p99']:.2f}×** |"
    )
    one = rd.get("one_connection")
    if one:
        for label, key in (("1 connection: annotated", "annotated"), ("1 connection: plain", "plain")):
            m = one[key]["summary"]
            lines.append(
                f"| {label} | | | {m['rps']:.1f} | {m['p50_ms']:.1f} / {m['p95_ms']:.1f} / {m['p99_ms']:.1f} |"
            )
        x = one["ratio"]
        lines.append(
            f"| **1 connection: annotated / plain** | | | **{x['rps']:.2f}×** | **{x['p50']:.2f}× / {x['p95']:.2f}× / {x['p99']:.2f}×** |"
        )
    lines += [
        "",
        "Queries: first view → repeat view (the reader reuses what it drew while the annotation rows are"
        " unchanged). First view (cache emptied before each request, in-process, median of"
        f" {f['runs']}): plain {f['plain_ms']:.1f} ms, annotated {f['annotated_ms']:.1f} ms,"
        f" **{f['ratio']:.2f}×**. Right after one new claim in one column (in-process, median of"
        f" {c['runs']}): annotated {c['annotated_ms']:.1f} ms, the plain page {c['plain_ms']:.1f} ms,"
        f" **{c['ratio']:.2f}×**.",
        "",
        f"Claim writes, {s['write_concurrency']} logged-in clients, {s['rounds']} interleaved rounds of"
        f" {s['duration']:g} s (medians):",
        "",
        "| Endpoint | req/s | p50 / p95 / p99 ms | Errors | Claims after each phase |",
        "|---|--:|--:|--:|--:|",
    ]
    for label, key in (
        ("`POST /articles/<pk>/claims/` (Highlight button: id and name back)", "claim_create"),
        ("`POST /bench/bare-insert/` (one INSERT)", "bare_insert"),
    ):
        m = wr[key]["summary"]
        lines.append(
            f"| {label} | {m['rps']:.1f} | {m['p50_ms']:.1f} / {m['p95_ms']:.1f} / {m['p99_ms']:.1f}"
            f" | {m['errors']} | {', '.join(map(str, wr['claims_per_phase'][key]))} |"
        )
    x = wr["ratio"]
    lines.append(
        f"| **claim create / bare insert** | **{x['rps']:.2f}×** | **{x['p50']:.2f}× / {x['p95']:.2f}× / {x['p99']:.2f}×** | | |"
    )
    b = r.get("browser")
    if b:
        bs = b["summary"]
        lines += [
            "",
            f"Chromium (headless, 1440×900, logged in), medians of {b['runs']} alternating runs:",
            "",
            "| Page | Marks | Response end ms | DOMContentLoaded ms | Load ms"
            " | Highlight → mark painted ms | of which the POST ms |",
            "|---|--:|--:|--:|--:|--:|--:|",
        ]
        for label, slug in (("1,000 claims + links", ANNOTATED), ("no claims", PLAIN)):
            m = bs[slug]
            lines.append(
                f"| {label} | {m['marks']} | {m['load']['response_end']:.0f} | {m['load']['dom_content_loaded']:.0f}"
                f" | {m['load']['load']:.0f} | {m['highlight']['painted_ms']:.0f} | {m['highlight']['request_ms']:.0f} |"
            )
        x = bs["ratio"]
        lines.append(
            f"| **annotated / plain** | | | **{x['dom_content_loaded']:.2f}×** | **{x['load']:.2f}×**"
            f" | **{x['highlight_painted']:.2f}×** | |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
