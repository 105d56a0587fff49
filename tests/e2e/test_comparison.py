"""The comparison at a glance in Debian's Chromium: a fresh database with ``load_demo`` shows the
annotated story, its overview, minimaps, coloured claims and legend; five columns fit at 1440 px
with and without the claim panel; a conflict in the overview is one click from both its spans;
the minimap follows a new highlight."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from annotations.models import Claim, ClaimLink

from .helpers import load_demo, log_in, select_text

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_password_hasher"),
]

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture
def demo(live_server, monkeypatch):
    """The annotated demo, as ``make run`` loads it."""
    return load_demo(monkeypatch, reading=True)


@pytest.fixture
def reader_url(live_server):
    return f"{live_server.url}/stories/deepseek-r1/"


def _no_sideways_scroll(page) -> bool:
    return page.locator(".columns").evaluate("el => el.scrollWidth <= el.clientWidth + 1")


def test_a_fresh_demo_shows_the_annotated_story_at_a_glance(page, demo, reader_url):
    assert Claim.objects.count() >= 25 and ClaimLink.objects.count() >= 15
    page.goto(reader_url)
    # Coloured claims, each state with its class, in all five columns.
    for article in demo:
        expect(page.locator(f"#article-{article.pk} mark.claim").first).to_be_attached()
    for state in ("state-contradicted", "state-agreed", "is-settled"):
        expect(page.locator(f"mark.claim.{state}").first).to_be_attached()
    contradicted = page.locator("mark.claim.state-contradicted[id]").first
    expect(contradicted).to_have_attribute("aria-label", re.compile(r", public: .*contradicted somewhere"))
    # The overview: five sources with their counts, and the main conflicts.
    overview = page.locator("#overview")
    expect(overview).to_be_visible()
    expect(overview.locator("thead th a")).to_have_count(5)
    counts = [int(n) for n in overview.locator('td[data-count="claims"]').all_text_contents()]
    assert len(counts) == 5 and all(n > 0 for n in counts)
    expect(overview.locator(".conflict")).to_have_count(4)
    # A minimap per column, marking its claims and, in red, its conflicts.
    for article in demo:
        strip = page.locator(f'.minimap[data-minimap="{article.pk}"]')
        expect(strip.locator("rect[data-claim]").first).to_be_attached()
        expect(strip).to_be_visible()
    expect(page.locator(".minimap rect.mm-contradicted").first).to_be_attached()
    # The legend, once.
    page.locator("#claim-legend summary").click()
    legend = page.locator("#claim-legend .legend-items")
    expect(legend).to_be_visible()
    expect(legend).to_contain_text("contradicted somewhere")
    expect(legend).to_contain_text("Private")
    # All five columns fit at 1440 px.
    assert _no_sideways_scroll(page)
    if os.environ.get("PARALLAX_SCREENSHOTS") == "1":
        page.keyboard.press("Escape")
        page.locator("#claim-legend summary").click()
        page.screenshot(path=str(DOCS / "screenshot-reader.png"))


def test_a_conflict_is_one_click_from_both_spans_and_the_panel_hides_no_column(
    page, demo, reader_url
):
    page.goto(reader_url)
    conflict = page.locator("#overview .conflict").first
    first, second = conflict.locator(".conflict-end").all()
    other_claim = second.get_attribute("data-jump-claim")
    first.click()
    expect(page.locator("#side-panel")).to_be_visible()
    selected = page.locator(f"#claim-{first.get_attribute('data-jump-claim')}")
    expect(selected).to_have_class(re.compile("is-selected"))
    related = page.locator(f"#claim-{other_claim}")
    expect(related).to_have_class(re.compile("is-related"))
    # Both spans are on screen, and no column sits under the panel or off to the side.
    expect(selected).to_be_in_viewport()
    expect(related).to_be_in_viewport()
    assert _no_sideways_scroll(page)
    panel_left = page.locator("#side-panel").bounding_box()["x"]
    for column in page.locator("section.column").all():
        box = column.bounding_box()
        assert box["x"] + box["width"] <= panel_left + 1


def test_the_minimap_follows_a_new_highlight_and_scrolls_its_column(page, demo, reader_url):
    log_in(page, reader_url.split("/stories")[0], "lan", next_url="/stories/deepseek-r1/")
    page.goto(reader_url)
    article = demo[3]
    strip = page.locator(f'.minimap[data-minimap="{article.pk}"]')
    expect(strip.locator("rect[data-claim]").first).to_be_attached()
    before = int(strip.get_attribute("data-claims"))
    select_text(page, article.pk, "Khoảnh khắc")
    page.locator(".highlight-button").click()
    expect(strip).to_have_attribute("data-claims", str(before + 1))
    # A click on the strip's lower end scrolls the column down there.
    body = page.locator(f"#article-{article.pk}")
    body.evaluate("el => el.scrollTo(0, 0)")
    box = strip.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.9)
    page.wait_for_function(
        "el => el.scrollTop > el.scrollHeight * 0.5", arg=body.element_handle()
    )
