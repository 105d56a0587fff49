"""README and docs screenshots: the demo story in the reader as ``make run`` shows it.

    .venv/bin/python bench/screenshot.py [--out-dir docs] [--database parallax_bench_screenshot]

Loads the demo story with its annotated reading (``load_demo``, as ``make run`` does) into its own
database, serves it on one URL as ``make run`` does (config/serve.py), and photographs the reader
in Debian's Chromium, logged in as the demo user ``lan`` (so her team and private claims show):

- ``screenshot-reader.png`` (the README's) and ``screenshots/reader-1440.png``: 1440 x 900, the
  overview's first conflict clicked, so its two spans sit side by side with the claim panel open;
- ``screenshots/reader-1440-overview.png``: 1440 x 900, nothing selected, the legend open;
- ``screenshots/reader-390.png``: a 390 x 844 phone, nothing selected;
- ``screenshot-reader-phone-highlight.png``: the phone, the first column's headline selected by
  touch (a tap, then the selection a long press makes), the Highlight button on offer;
- ``screenshot-reader-keyboard-shortcuts.png``: 1440 x 900, the "?" dialog open.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

DATABASE = "parallax_bench_screenshot"
DEMO = "deepseek-r1"


# A short paragraph of the first column (its headline), not highlighted in the demo reading.
PHONE_PARAGRAPH = "Startup AI Trung Quốc vừa công bố báo cáo"


def select_by_touch(page, text: str) -> None:
    """Tap the open column's paragraph that starts with ``text`` with a finger (CDP touch
    events), then select it as a long press would: the page hears selectionchange, no mouseup."""
    paragraph = page.locator(".column.is-active p[data-start]").filter(has_text=text).first
    paragraph.scroll_into_view_if_needed()
    box = paragraph.bounding_box()
    point = {"x": box["x"] + box["width"] / 2, "y": box["y"] + box["height"] / 2}
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    paragraph.select_text()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", default=str(common.PROJECT / "docs"))
    common.database_argument(parser, DATABASE)
    args = parser.parse_args(argv)
    out = Path(args.out_dir)
    (out / "screenshots").mkdir(parents=True, exist_ok=True)
    with common.django_site(database=args.database, fresh_db=args.fresh_db) as env:
        common.manage("load_demo", "--no-progress", env=env, quiet=True)
        from playwright.sync_api import sync_playwright

        sys.path.insert(0, str(common.PROJECT))
        from conftest import CHROMIUM, CHROMIUM_ARGS

        with common.Server(env, kind="make-run") as server, sync_playwright() as playwright:
            base = f"http://{common.HOST}:{server.port}"
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)

            def page_for(viewport: dict, **options):
                context = chromium.new_context(viewport=viewport, locale="en-US", **options)
                page = context.new_page()
                # Logged in through the login form, as a person would.
                page.goto(f"{base}/accounts/login/?next=/stories/{DEMO}/")
                page.fill("#id_username", "lan")
                page.fill("#id_password", env["DEMO_PASSWORD"])
                page.locator("#id_password").press("Enter")
                page.wait_for_selector(".whoami")
                page.goto(f"{base}/stories/{DEMO}/", wait_until="networkidle")
                page.evaluate("document.fonts.ready")
                page.wait_for_selector(".minimap svg rect")
                return page

            desktop = {"width": 1440, "height": 900}
            page = page_for(desktop)
            page.locator("#claim-legend summary").click()
            page.screenshot(path=str(out / "screenshots" / "reader-1440-overview.png"))
            page.context.close()

            page = page_for(desktop)
            page.locator("#overview .conflict .conflict-end").first.click()
            page.wait_for_selector("#side-panel")
            page.wait_for_selector("svg.connectors path")
            for name in ("screenshot-reader.png", "screenshots/reader-1440.png"):
                page.screenshot(path=str(out / name))
            page.context.close()

            page = page_for(desktop)
            page.locator("[data-open-shortcuts]").first.click()
            page.wait_for_selector("#shortcuts-dialog[open]")
            page.screenshot(path=str(out / "screenshot-reader-keyboard-shortcuts.png"))
            page.context.close()

            page = page_for({"width": 390, "height": 844}, is_mobile=True, has_touch=True)
            page.screenshot(path=str(out / "screenshots" / "reader-390.png"))
            select_by_touch(page, PHONE_PARAGRAPH)
            page.wait_for_selector("#highlight-popup:not([hidden]) button")
            page.screenshot(path=str(out / "screenshot-reader-phone-highlight.png"))
            page.context.close()
            chromium.close()
    common.log(f"wrote the screenshots in {out}")


if __name__ == "__main__":
    main()
