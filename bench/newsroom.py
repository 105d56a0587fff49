"""Bring your own story (issue 16): the time to bring 20 saved news pages in through the browser
flow, against ``manage.py import_articles`` for the same texts.

    .venv/bin/python bench/newsroom.py --database parallax_bench_newsroom [--repeats 5]

Each repeat, on a new story:

1. *extract*: trafilatura + language + boilerplate on the 20 pages in this process, one after the
   other (no network), per page and in total;
2. *add + fetch*: ``items_add`` with the 20 links, served by the local page server on 127.0.0.1;
   the background threads (``NEWSROOM_FETCH_WORKERS``) fetch and extract them; timed until the
   last item is no longer pending (polled every 20 ms);
3. *preview*: the batch page rendered for a curator (GET through Django's test client);
4. *store*: the same POST the "Store" button sends, every item as extracted;
5. *import command*: the 20 texts the flow stored, written as .txt files, imported by
   ``import_articles`` into another new story.

Suggestions are not recomputed in either path (``SUGGESTIONS_AUTO_REFRESH`` off) so both measure
the same work. Writes bench/results/newsroom.json and prints a markdown table of medians.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bench.common import RESULTS, django_setup, django_site, log  # noqa: E402

PAGES = PROJECT / "newsroom" / "tests" / "pages"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="parallax_bench_newsroom")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--fresh-db", action="store_true")
    args = parser.parse_args()
    with django_site(database=args.database, fresh_db=args.fresh_db) as env:
        django_setup(env)
        run(repeats=args.repeats)


def run(*, repeats: int) -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from articles.models import Article
    from newsroom import extraction, intake
    from newsroom.models import IntakeItem
    from newsroom.tests.pageserver import serving

    settings.SUGGESTIONS_AUTO_REFRESH = False
    settings.AXES_ENABLED = False  # the test client's force_login has no client address to log
    settings.NEWSROOM_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.NEWSROOM_FETCH_BACKGROUND = True
    settings.ALLOWED_HOSTS = ["*"]
    pages = sorted(PAGES.glob("*.html"))[:20]
    assert len(pages) == 20, "expected 20 saved pages"
    user, _ = get_user_model().objects.get_or_create(
        username="bench-newsroom", defaults={"is_staff": True}
    )
    client = Client()
    client.force_login(user)
    extraction.detect_language("warm the detector up with a sentence of English text here")

    figures: dict[str, list[float]] = {
        "extract_total": [], "extract_page_median": [], "add_fetch": [], "preview": [],
        "store": [], "flow": [], "import_command": [],
    }  # fmt: skip
    with serving() as base:
        for repeat in range(repeats):
            per_page = []
            for page in pages:
                started = time.perf_counter()
                found = extraction.extract_html(page.read_bytes())
                extraction.detect_language(found.text)
                extraction.boilerplate_flags(found.text)
                per_page.append(time.perf_counter() - started)
            figures["extract_total"].append(sum(per_page))
            figures["extract_page_median"].append(statistics.median(per_page))

            story = intake.story_create(user=user, title=f"Bench newsroom {time.time_ns()}")
            batch = intake.intake_start(user=user, story=story)
            started = time.perf_counter()
            intake.items_add(
                user=user, intake=batch,
                additions=intake.Additions(links=[f"{base}/pages/{p.name}" for p in pages]),
            )  # fmt: skip
            while IntakeItem.objects.filter(intake=batch, status__in=["queued", "fetching"]).exists():
                time.sleep(0.02)
            add_fetch = time.perf_counter() - started
            failed = list(IntakeItem.objects.filter(intake=batch, status="failed").values_list("url", "error"))
            if failed:
                log(f"failed items: {failed}")

            url = reverse("newsroom:intake", args=[story.slug]) + f"?batch={batch.pk}"
            started = time.perf_counter()
            response = client.get(url, HTTP_HOST="127.0.0.1")
            preview = time.perf_counter() - started
            assert response.status_code == 200, response.status_code

            data = {"intake": batch.pk}
            for item in IntakeItem.objects.filter(intake=batch, status="ready"):
                data.update({
                    f"i{item.pk}-title": item.title, f"i{item.pk}-source": item.source_name,
                    f"i{item.pk}-author": item.author, f"i{item.pk}-language": item.language,
                    f"i{item.pk}-published_on": item.published_on.isoformat() if item.published_on else "",
                    f"i{item.pk}-translated_from": item.translated_from,
                    f"i{item.pk}-drop": [str(n) for n in item.drop],
                })  # fmt: skip
            started = time.perf_counter()
            response = client.post(reverse("newsroom:intake_store", args=[story.slug]), data, HTTP_HOST="127.0.0.1")
            store = time.perf_counter() - started
            stored = Article.objects.filter(story=story).count()
            assert stored == 20 - len(failed), (stored, response.status_code)

            with tempfile.TemporaryDirectory() as folder:
                for n, (title, body) in enumerate(Article.objects.filter(story=story).values_list("title", "body")):
                    Path(folder, f"{n:02d}.txt").write_text(title + "\n\n" + body, encoding="utf-8")
                started = time.perf_counter()
                call_command(
                    "import_articles", folder, "--story", f"bench-import-{time.time_ns()}",
                    "--no-progress", stdout=io.StringIO(), stderr=io.StringIO(),
                )  # fmt: skip
                figures["import_command"].append(time.perf_counter() - started)

            figures["add_fetch"].append(add_fetch)
            figures["preview"].append(preview)
            figures["store"].append(store)
            figures["flow"].append(add_fetch + preview + store)
            log(f"repeat {repeat + 1}/{repeats}: add+fetch {add_fetch:.2f} s, preview {preview:.3f} s, "
                f"store {store:.3f} s, import {figures['import_command'][-1]:.3f} s")  # fmt: skip

    medians = {name: statistics.median(values) for name, values in figures.items()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "newsroom.json").write_text(json.dumps({"repeats": repeats, "runs": figures, "medians": medians}, indent=2))
    base_line = medians["import_command"]
    rows = [
        ("Extract 20 saved pages in-process (trafilatura + language + boilerplate)", "extract_total"),
        ("  one page (median of the 20)", "extract_page_median"),
        ("Add 20 links → all fetched and extracted (background, 4 at once)", "add_fetch"),
        ("Preview page for the 20 (GET)", "preview"),
        ("Store the 20 (POST, one transaction each)", "store"),
        ("Whole flow: add + fetch + preview + store", "flow"),
        ("`import_articles` of the same 20 texts (baseline)", "import_command"),
    ]
    print(f"| step | median of {repeats} (s) | × import command |")
    print("|---|---:|---:|")
    for label, key in rows:
        print(f"| {label} | {medians[key]:.3f} | {medians[key] / base_line:.1f} |")


if __name__ == "__main__":
    main()
