"""README screenshot: the demo story in the desktop reader, with a few claims and links.

    .venv/bin/python bench/screenshot.py [--out docs/screenshot-reader.png] [--width 1440 --height 900]

Loads the demo story into its own database (--database, default parallax_bench_screenshot), highlights a handful of
the cost figures the five articles quote (through the services, as a reader would), links them
(agrees / contradicts / qualifies), serves the site on one URL as ``make run`` does (config/serve.py) and photographs the reader in
Debian's Chromium, logged in as the demo user ``lan`` with one claim selected so its links show.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from claims import PLAIN, django_setup, sessions  # noqa: E402

DATABASE = "parallax_bench_screenshot"
#: (column index, quote) of each claim; the quotes are in the demo corpus verbatim.
CLAIMS = [
    (0, "5,6 triệu USD để huấn luyện một mô hình với 671 tỷ tham số"),
    (1, "chỉ dành ra vỏn vẹn hơn 5 triệu USD"),
    (2, "DeepSeek chỉ tốn 6 triệu USD"),
    (2, "DeepSeek đã đầu tư hơn 500 triệu USD vào phát triển AI kể từ khi thành lập"),
    (4, "không tốn hàng trăm triệu USD như các đối thủ"),
]
#: (claim index, claim index, relation, rationale)
LINKS = [
    (0, 1, "agrees", "Cùng con số, làm tròn xuống."),
    (0, 2, "qualifies", "5,6 triệu được làm tròn thành 6 triệu."),
    (0, 3, "contradicts", "Chi phí huấn luyện một lần so với tổng đầu tư."),
    (4, 1, "agrees", ""),
]


def annotate() -> int:
    from django.contrib.auth import get_user_model

    from annotations import services
    from annotations.models import Claim
    from articles.models import Article

    user = get_user_model().objects.get(username="lan")
    Claim.objects.filter(article__story__slug=PLAIN).delete()
    articles = list(Article.objects.filter(story__slug=PLAIN).order_by("position", "pk"))
    made = []
    for column, quote in CLAIMS:
        article = articles[column]
        start = article.body.find(quote)
        if start < 0:
            raise SystemExit(f"{quote!r} is not in {article.title!r}")
        made.append(
            services.claim_create(
                author=user, article=article, start=start, end=start + len(quote), exact=quote
            )
        )
    for a, b, relation, rationale in LINKS:
        services.link_create(
            author=user, claim_a=made[a], claim_b=made[b], relation=relation, rationale=rationale
        )
    return made[0].pk


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(common.PROJECT / "docs" / "screenshot-reader.png"))
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=900)
    common.database_argument(parser, DATABASE)
    args = parser.parse_args(argv)
    with common.django_site(database=args.database, fresh_db=args.fresh_db) as env:
        common.manage("load_demo", "--no-progress", env=env, quiet=True)
        django_setup(env)
        selected = annotate()
        (session,) = sessions(["lan"], page=f"/stories/{PLAIN}/")
        from playwright.sync_api import sync_playwright

        sys.path.insert(0, str(common.PROJECT))
        from conftest import CHROMIUM, CHROMIUM_ARGS

        with common.Server(env, kind="make-run") as server, sync_playwright() as playwright:
            base = f"http://{common.HOST}:{server.port}"
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            context = chromium.new_context(
                viewport={"width": args.width, "height": args.height}, locale="en-US"
            )
            context.add_cookies([{"name": "sessionid", "value": session["session"], "url": base}])
            page = context.new_page()
            page.goto(f"{base}/stories/{PLAIN}/?claim={selected}", wait_until="networkidle")
            page.evaluate("document.fonts.ready")
            page.wait_for_selector(f'mark[data-claim="{selected}"]')
            page.wait_for_timeout(500)  # let the columns finish scrolling to the linked claims
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=args.out)
            chromium.close()
    common.log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
