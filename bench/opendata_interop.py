"""Interoperability benchmarks (issue 17): importing a large Hypothesis export into a story, and
the import page.

    .venv/bin/python bench/opendata_interop.py [--annotations 2000 --repeats 3 --fresh-db]
                                               [--database parallax_bench_opendata]

In the benchmark database (default parallax_bench_opendata, DEBUG off), on bench/claims.py's
``bench-annotated`` story (the five demo bodies with 1,000 claims and 1,000 links). A Hypothesis
export of ``--annotations`` annotations is made from the story's claims the way Hypothesis
writes them: the page URL as source (one per article), a RangeSelector, a TextPositionSelector
into the *page's* text (offset by 500, so it never matches ours), a TextQuoteSelector with
32 characters of context, Markdown notes, tags, ``acct:`` users; 10% of the quotes have one word
changed (fuzzy re-anchoring) and 2% are words from no article (orphans).

  1. In-process, interleaved medians: ``annotations_import(story=…)`` of that export (as a user
     with no claims there; deleted after each run) against the baseline, issue 7's import of the
     same number of Parallax's own W3C annotations (exact offsets, own article IRIs). Then the
     dry run, and a second import of the same file (everything ``existing``).
  2. The import page: POST of the file to ``/stories/<slug>/import/`` (the check: a dry run plus
     the page) by Django's test client, against the service's dry run alone.

Writes bench/results/opendata_interop.json and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import claims as claims_bench  # noqa: E402
import common  # noqa: E402

DATABASE = "parallax_bench_opendata"
STORY = claims_bench.ANNOTATED
IMPORTER = "bench-interop-importer"
BASE = "http://127.0.0.1"


def interleaved(first, second, repeats: int):
    """Time ``first`` and ``second`` alternately (A B, B A, …) after one warm-up call each (as
    bench/opendata.py does, whose module name would shadow the opendata app here)."""
    results = [first(), second()]
    times: list[list[float]] = [[], []]
    for number in range(repeats):
        for index in (0, 1) if number % 2 == 0 else (1, 0):
            began = time.perf_counter()
            results[index] = (first, second)[index]()
            times[index].append(time.perf_counter() - began)
    return times[0], times[1], results[0], results[1]


def hypothesis_export(count: int, seed: int = 17) -> tuple[dict, dict]:
    """A Hypothesis client export of ``count`` annotations on the story's texts; and what it holds."""
    from annotations.models import Claim
    from articles.models import Article

    rng = random.Random(seed)
    articles = {a.pk: a for a in Article.objects.filter(story__slug=STORY)}
    claims = list(
        Claim.objects.filter(article__story__slug=STORY)
        .exclude(exact__regex=r"^\s|\s$")
        .order_by("pk")
        .values("article_id", "start", "end")
    )
    rows, kinds = [], {"exact": 0, "fuzzy": 0, "orphan": 0}
    # One annotation per distinct span: the same person's second annotation on the same words
    # would be "existing" (one highlight per person per span), which is not what is measured.
    for number in range(min(count, len(claims))):
        claim = claims[number]
        body = articles[claim["article_id"]].body
        start, end = claim["start"], claim["end"]
        exact = body[start:end]
        roll = rng.random()
        if roll < 0.02:
            exact, kind = f"words that no article holds, number {number}", "orphan"
        elif roll < 0.12 and " " in exact.strip() and len(exact) > 40:
            words = exact.split(" ")
            words[len(words) // 2] = "khác"
            exact, kind = " ".join(words), "fuzzy"
        else:
            kind = "exact"
        kinds[kind] += 1
        rows.append(
            {
                "id": f"bench{number:06d}",
                "created": "2016-02-24T10:00:00.000000+00:00",
                "updated": "2016-02-24T10:05:00.000000+00:00",
                "user": f"acct:reader{number % 40}@hypothes.is",
                "user_info": {"display_name": f"Reader {number % 40}"},
                "uri": f"https://news.example/{claim['article_id']}",
                "text": f"**Note** {number}" if number % 3 == 0 else "",
                "tags": ["bench"] if number % 5 == 0 else [],
                "target": [
                    {
                        "source": f"https://news.example/{claim['article_id']}",
                        "selector": [
                            {
                                "type": "RangeSelector",
                                "startContainer": "/main[1]/p[3]",
                                "startOffset": 0,
                                "endContainer": "/main[1]/p[3]",
                                "endOffset": len(exact),
                            },
                            {"type": "TextPositionSelector", "start": start + 500,
                             "end": start + 500 + len(exact)},
                            {
                                "type": "TextQuoteSelector",
                                "exact": exact,
                                "prefix": body[max(0, start - 32) : start],
                                "suffix": body[end : end + 32],
                            },
                        ],
                    }
                ],
                "links": {"html": f"https://hypothes.is/a/bench{number:06d}"},
            }
        )
    document = {"export_date": "2026-12-01T00:00:00Z", "export_userid": "acct:bench@hypothes.is",
                "client_version": "bench", "annotations": rows}
    return document, kinds


def own_export(count: int) -> dict:
    """``count`` of Parallax's own claim annotations of the story (issue 7's import path)."""
    from articles.models import Story
    from opendata import selectors
    from opendata.jsonld import Site

    story = Story.objects.get(slug=STORY)
    data = selectors.story_collection(story=story, user=None, site=Site(base=BASE))
    items = [i for i in data["first"]["items"] if i["motivation"] != "linking"][:count]
    for item in items:
        del item["id"]  # a new annotation for this database, not one of its own (those are existing)
    return {"type": "AnnotationPage", "id": "urn:bench", "items": items}


def _log_in(client, user) -> None:
    """A session for ``user`` without a login request (force_login's request has no client
    address, which django-axes must record)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common.database_argument(parser, DATABASE)
    parser.add_argument("--annotations", type=int, default=2000)
    parser.add_argument("--page-annotations", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    started = time.monotonic()
    with common.django_site(database=args.database, fresh_db=args.fresh_db) as env:
        common.manage("load_demo", "--no-progress", env=env, quiet=True)
        claims_bench.django_setup(env)
        claims_bench.stories_ensure(claims=1000, links=1000)

        from django.test import Client

        from annotations.models import Claim
        from articles.models import Story
        from opendata import services
        from opendata.jsonld import Site
        from opendata.models import OrphanedAnnotation

        story = Story.objects.get(slug=STORY)
        site = Site(base=BASE)
        (importer,) = claims_bench.users([IMPORTER])
        document, kinds = hypothesis_export(args.annotations)
        size = len(json.dumps(document).encode())
        own = own_export(args.annotations)

        def clean() -> None:
            Claim.objects.filter(author=importer).delete()
            OrphanedAnnotation.objects.filter(story=story).delete()

        def hypothesis_import() -> dict:
            clean()
            return services.annotations_import(
                user=importer, data=document, site=site, story=story
            ).counts()

        def own_import() -> dict:
            clean()
            return services.annotations_import(user=importer, data=own, site=site).counts()

        h_times, o_times, h_counts, o_counts = interleaved(
            hypothesis_import, own_import, args.repeats
        )
        clean()
        dry_started = time.perf_counter()
        dry = services.annotations_import(
            user=importer, data=document, site=site, story=story, dry_run=True
        ).counts()
        dry_s = time.perf_counter() - dry_started
        hypothesis_import()
        again_started = time.perf_counter()
        again = services.annotations_import(
            user=importer, data=document, site=site, story=story
        ).counts()
        again_s = time.perf_counter() - again_started
        clean()

        # The page: the check (dry run + the report page) against the service's dry run alone.
        small, _kinds = hypothesis_export(args.page_annotations, seed=3)
        body = json.dumps(small).encode()
        client = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="127.0.0.1")
        _log_in(client, importer)
        url = f"/stories/{STORY}/import/"

        def page_check() -> int:
            from django.core.files.uploadedfile import SimpleUploadedFile

            upload = SimpleUploadedFile("export.json", body, content_type="application/json")
            response = client.post(url, {"action": "check", "file": upload})
            assert response.status_code == 200, response.status_code
            return len(response.content)

        def service_dry_run() -> dict:
            return services.annotations_import(
                user=importer, data=json.loads(body), site=site, story=story, dry_run=True
            ).counts()

        p_times, s_times, page_bytes, _ = interleaved(page_check, service_dry_run, args.repeats)

        h_s, o_s = statistics.median(h_times), statistics.median(o_times)
        p_s, s_s = statistics.median(p_times), statistics.median(s_times)
        result = {
            "command": "bench/opendata_interop.py " + " ".join(argv or sys.argv[1:]),
            "machine": common.machine(),
            "file_bytes": size,
            "kinds": kinds,
            "hypothesis_import": {"median_s": round(h_s, 3), "runs": [round(t, 3) for t in h_times],
                                   "counts": h_counts},
            "own_w3c_import": {"median_s": round(o_s, 3), "runs": [round(t, 3) for t in o_times],
                               "counts": o_counts},
            "ratio": round(h_s / o_s, 2),
            "dry_run": {"s": round(dry_s, 3), "counts": dry},
            "reimport_all_existing": {"s": round(again_s, 3), "counts": again},
            "page_check": {"annotations": args.page_annotations, "median_s": round(p_s, 3),
                           "runs": [round(t, 3) for t in p_times], "bytes": page_bytes},
            "service_dry_run": {"median_s": round(s_s, 3), "runs": [round(t, 3) for t in s_times]},
            "page_ratio": round(p_s / s_s, 2),
            "seconds": round(time.monotonic() - started, 1),
        }
    path = common.save("opendata_interop", result)
    common.log(f"wrote {path}")
    print(report(result))
    return result


def report(r: dict) -> str:
    h, o = r["hypothesis_import"], r["own_w3c_import"]
    n = sum(r["kinds"].values())
    return "\n".join(
        [
            "| In-process (median) | Time | Baseline | Ratio |",
            "|---|--:|--:|--:|",
            f"| Import a Hypothesis export of {n:,} annotations into the story "
            f"({r['file_bytes'] / 1024:,.0f} KiB; counts {h['counts']}) vs {o['counts']['claims']:,} "
            f"of Parallax's own W3C claims | {h['median_s']:.2f} s | {o['median_s']:.2f} s | "
            f"**{r['ratio']}×** |",
            f"| Its dry run | {r['dry_run']['s']:.2f} s | | |",
            f"| The same file again (everything existing) | "
            f"{r['reimport_all_existing']['s']:.2f} s | | |",
            f"| Import page check, {r['page_check']['annotations']} annotations (upload, dry run, "
            f"report page) vs the service's dry run alone | {r['page_check']['median_s']:.2f} s | "
            f"{r['service_dry_run']['median_s']:.2f} s | **{r['page_ratio']}×** |",
        ]
    )


if __name__ == "__main__":
    main()
