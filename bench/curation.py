"""Curation benchmarks (issue 5): the claim matrix and re-anchoring claims after an article edit.

    .venv/bin/python bench/curation.py [--rounds 3 --duration 4 --fresh-db]
                                       [--database parallax_bench_curation --server gthread]

In the benchmark database (--database, default parallax_bench_curation), served by the WSGI
server that serves pages in production (1 worker, DEBUG off), load driven by wrk:

  1. Claim matrix. Copies of the demo story (5 articles) with 5 x 20 and 5 x 200 public claims,
     a third of them gathered into canonical claims of three sources (some contradicting), with
     contradiction links and verdicts. SQL queries per matrix page counted in-process for both
     sizes (they must be equal), then ``/stories/<slug>/matrix/`` of the 1,000-claim copy served
     against its in-memory baseline (wrk.compare: the same bytes from a view that does
     nothing), interleaved rounds, medians.
  2. Re-anchoring. One synthetic 10,000-word article (generate_articles) with 1,000 claims,
     edited three ways: its first paragraph cut (like the demo's ad notice), 50 words changed
     throughout, and both. For each: the planner alone (``textkernel.anchoring.plan_reanchor``,
     no database) and the whole ``newsroom.services.article_edit`` (lock, plan, write the claims,
     save, one history event per moved or orphaned claim) in a transaction that is rolled back,
     medians of --anchor-runs; plus how many claims were kept, moved, followed fuzzily or
     orphaned.

Writes bench/results/curation.json and prints markdown tables.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import wrk  # noqa: E402
from claims import story_copy, users  # noqa: E402

DATABASE = "parallax_bench_curation"
SIZES = {"bench-matrix-20": 20, "bench-matrix-200": 200}
ANCHOR_STORY = "bench-anchor-10k"
ANCHOR_WORDS = 10_000
ANCHOR_CLAIMS = 1_000


# --- data ---------------------------------------------------------------------------------------


def _spans(body: str, count: int, rng: random.Random) -> list[tuple[int, int]]:
    """``count`` non-overlapping spans of 20-120 characters, evenly spread, on word edges."""
    step = len(body) // count
    spans = []
    for i in range(count):
        lo = i * step
        start = lo + rng.randrange(0, max(1, step // 3))
        while start < len(body) and not body[start].isalnum():
            start += 1
        end = min(start + rng.randrange(20, min(120, max(21, step - step // 3))), lo + step - 1)
        while end > start and not body[end - 1].isalnum():
            end -= 1
        if end - start >= 8:
            spans.append((start, end))
    return spans


def claims_make(article, spans, author):
    from annotations.models import Claim
    from textkernel.quotes import quote_context

    body = article.body
    rows = []
    for s, e in spans:
        prefix, suffix = quote_context(body, s, e)
        rows.append(Claim(
            article=article, author=author, start=s, end=e, exact=body[s:e], prefix=prefix,
            suffix=suffix, body_hash=article.body_hash,
        ))  # fmt: skip
    return Claim.objects.bulk_create(
        rows,
        batch_size=500,
    )


def matrix_story(slug: str, per_article: int, seed: int = 5) -> None:
    """A demo copy with ``per_article`` claims per article, a third gathered (3 sources each)."""
    from annotations.models import ClaimLink
    from articles.models import Story
    from curation.models import CanonicalClaim, CanonicalMember, Verdict

    existing = Story.objects.filter(slug=slug).first()
    if existing and existing.canonical_claims.exists():
        from annotations.models import Claim

        if Claim.objects.filter(article__story=existing).count() == 5 * per_article:
            common.log(f"{slug} already built")
            return
    rng = random.Random(seed)
    story, articles = story_copy(slug=slug, title=f"DeepSeek R1 ({5 * per_article:,} claims)")
    author, curator = users(["bench-annotator", "bench-curator"])
    by_article = [claims_make(a, _spans(a.body, per_article, rng), author) for a in articles]
    groups = min(len(c) for c in by_article) // 3 * 3 // 3
    members, links, verdicts = [], [], []
    for g in range(groups):
        canonical = CanonicalClaim.objects.create(
            story=story, statement=f"Canonical claim {g + 1}", created_by=curator
        )
        picked = rng.sample(range(5), 3)
        trio = [by_article[i][g] for i in picked]
        stances = ["asserts", "asserts", "contradicts" if g % 4 == 0 else "qualifies"]
        members += [
            CanonicalMember(canonical=canonical, claim=c, stance=s, added_by=curator)
            for c, s in zip(trio, stances, strict=True)
        ]
        a, b = sorted([trio[0], trio[2]], key=lambda c: c.pk)
        links.append(ClaimLink(claim_a=a, claim_b=b, relation="contradicts", author=author))
    CanonicalMember.objects.bulk_create(members)
    made = ClaimLink.objects.bulk_create(links)
    for link in made[::2]:
        verdicts.append(
            Verdict(link=link, rated_claim_id=link.claim_a_id, rating="misleading",
                    evidence="Benchmark verdict.", author=curator)
        )
    Verdict.objects.bulk_create(verdicts)
    common.log(f"{slug}: {sum(map(len, by_article))} claims, {groups} canonical, {len(made)} links")


def matrix_queries() -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for slug in SIZES:
        client = Client(HTTP_HOST=common.HOST)
        client.get(f"/stories/{slug}/matrix/")
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/stories/{slug}/matrix/")
        if response.status_code != 200:
            raise SystemExit(f"matrix of {slug}: HTTP {response.status_code}")
        counts[slug] = len(captured.captured_queries)
    return counts


# --- re-anchoring -------------------------------------------------------------------------------


def anchor_data(env) -> tuple:
    from articles.models import Article

    common.story_ensure(env=env, slug=ANCHOR_STORY, articles=1, words=ANCHOR_WORDS,
                         progress=False)
    article = Article.objects.get(story__slug=ANCHOR_STORY)
    from annotations.models import Claim

    if Claim.objects.filter(article=article).count() != ANCHOR_CLAIMS:
        Claim.objects.filter(article=article).delete()
        rng = random.Random(11)
        spans = _spans(article.body, ANCHOR_CLAIMS, rng)
        (author,) = users(["bench-annotator"])
        claims_make(article, spans, author)
    return article


def edits(body: str) -> dict[str, str]:
    rng = random.Random(3)
    first_break = body.index("\n\n") + 2
    cut = body[first_break:]
    words = [m for m in __import__("re").finditer(r"\w{4,}", body)]
    chosen = sorted(rng.sample(words, 50), key=lambda m: m.start())
    pieces, last = [], 0
    for m in chosen:
        pieces += [body[last : m.start()], m.group()[::-1]]
        last = m.end()
    changed = "".join(pieces) + body[last:]
    return {
        "cut the first paragraph": cut,
        "50 words changed throughout": changed,
        "both": changed[changed.index("\n\n") + 2 :],
    }


def anchor_bench(article, runs: int) -> dict:
    from django.db import transaction

    from activity.models import Event
    from annotations.models import Claim
    from newsroom import services as newsroom_services
    from textkernel.anchoring import plan_reanchor
    from textkernel.text import normalize_body

    # Time the history events inside the edit: the same function, wrapped by a timer.
    recording = newsroom_services.record_events
    event_times: list[float] = []

    def timed_record_events(events):
        t = time.perf_counter()
        try:
            return recording(events)
        finally:
            event_times.append(time.perf_counter() - t)

    newsroom_services.record_events = timed_record_events
    claims = list(Claim.objects.filter(article=article))
    old = article.body
    results = {}
    for name, new in edits(old).items():
        new = normalize_body(new)
        plan_times, update_times, events = [], [], 0
        event_times.clear()
        for _ in range(runs):
            t = time.perf_counter()
            plan = plan_reanchor(old_body=old, new_body=new, claims=claims)
            plan_times.append(time.perf_counter() - t)
            with transaction.atomic():
                fresh = type(article).objects.get(pk=article.pk)
                first_event = Event.objects.order_by("-id").values_list("id", flat=True).first()
                t = time.perf_counter()
                newsroom_services.article_edit(user=None, article=fresh, body=new)
                update_times.append(time.perf_counter() - t)
                events = Event.objects.filter(id__gt=first_event or 0).count()
                transaction.set_rollback(True)
        outcomes = {k: plan.count(k) for k in ("kept", "moved", "fuzzy", "orphaned")}
        results[name] = {
            "plan_ms": round(statistics.median(plan_times) * 1000, 1),
            "article_edit_ms": round(statistics.median(update_times) * 1000, 1),
            "events": events,
            "events_ms": round(statistics.median(event_times) * 1000, 1),
            "outcomes": outcomes,
            "chars_before": len(old),
            "chars_after": len(new),
        }
        common.log(f"re-anchor {name}: {results[name]}")
    newsroom_services.record_events = recording
    return results


# --- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    wrk.common_arguments(parser, concurrency=8, duration=4.0, database=DATABASE)
    parser.add_argument("--server", choices=sorted(common.SERVERS), default=common.WSGI)
    parser.add_argument("--anchor-runs", type=int, default=5)
    args = parser.parse_args(argv)
    started = time.monotonic()
    with common.django_site(database=args.database, fresh_db=args.fresh_db) as env:
        common.manage("load_demo", "--no-progress", "--empty", env=env, quiet=True)
        common.django_setup(env)
        for slug, per_article in SIZES.items():
            matrix_story(slug, per_article)
        queries = matrix_queries()
        common.log(f"queries per matrix page: {queries}")
        article = anchor_data(env)
        anchoring = anchor_bench(article, args.anchor_runs)
        comparisons = []
        with common.Server(env, kind=args.server) as server:
            for slug in SIZES:
                comparisons.append(wrk.compare(
                    server, name=f"matrix {SIZES[slug] * 5:,} claims",
                    page=f"/stories/{slug}/matrix/", rounds=args.rounds,
                    concurrency=args.concurrency, duration=args.duration, warmup=args.warmup,
                ).__dict__)  # fmt: skip
            server_command = server.describe()
    result = {
        "settings": vars(args),
        "server": server_command,
        "matrix_queries": queries,
        "matrix": comparisons,
        "anchoring": anchoring,
        "machine": common.machine(),
        "seconds": round(time.monotonic() - started),
    }
    common.save("curation", result)
    print()
    print(report(result))
    return result


def report(r: dict) -> str:
    s = r["settings"]
    q = r["matrix_queries"]
    lines = [
        f"Matrix pages, {s['concurrency']} connections, {s['rounds']} interleaved rounds of"
        f" {s['duration']:g} s (medians); queries per page: "
        + ", ".join(f"{SIZES[k] * 5:,} claims {v}" for k, v in q.items()),
        "",
        wrk.comparison_table(r["matrix"], label="Matrix"),
        "",
        f"Re-anchoring {ANCHOR_CLAIMS:,} claims in a {ANCHOR_WORDS:,}-word article "
        f"(medians of {s['anchor_runs']}):",
        "",
        "| Edit | Planner alone | Whole article_edit (DB) | of which history events"
        " | kept / moved / fuzzy / orphaned | events |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for name, a in r["anchoring"].items():
        o = a["outcomes"]
        lines.append(
            f"| {name} | {a['plan_ms']:.1f} ms | {a['article_edit_ms']:.1f} ms"
            f" | {a['events_ms']:.1f} ms"
            f" | {o['kept']} / {o['moved']} / {o['fuzzy']} / {o['orphaned']} | {a['events']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
