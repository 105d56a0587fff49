"""The comparison at a glance in Debian's Chromium: a fresh database with ``load_demo`` shows the
annotated story, its overview, minimaps, coloured claims and legend; five columns fit at 1440 px
with and without the claim panel; a conflict in the overview is one click from both its spans;
the minimap follows a new highlight."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from annotations.models import Claim, ClaimLink

from .helpers import load_demo, log_in, select_text

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_password_hasher"),
]


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
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Security Policy" in m.text else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " console.error('Content Security Policy violation: ' + e.violatedDirective))"
    )
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
    # All five columns fit at 1440 px, under the strict CSP (no inline style anywhere).
    assert _no_sideways_scroll(page)
    assert violations == []


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
    # "Compare side by side" keeps only the link's two columns, in the URL.
    page.locator(f'#side-panel .link-item:has([data-jump-claim="{other_claim}"])').get_by_text(
        "Compare side by side"
    ).click()
    expect(page.locator("section.column")).to_have_count(2)
    expect(page).to_have_url(re.compile(r"hide="))
    expect(related).to_be_in_viewport()
    page.reload()
    expect(page.locator("section.column")).to_have_count(2)


def test_the_minimap_follows_a_new_highlight_and_scrolls_its_column(page, demo, reader_url):
    log_in(page, reader_url.split("/stories")[0], "lan", next_url="/stories/deepseek-r1/")
    page.goto(reader_url)
    article = demo[3]
    strip = page.locator(f'.minimap[data-minimap="{article.pk}"]')
    expect(strip.locator("rect[data-claim]").first).to_be_attached()
    before = int(strip.get_attribute("data-claims"))
    column = [a.pk for a in demo].index(article.pk)
    cell = page.locator('#overview td[data-count="claims"]').nth(column)
    counted = int(cell.inner_text())
    select_text(page, article.pk, "Khoảnh khắc")
    page.locator(".highlight-button").click()
    expect(strip).to_have_attribute("data-claims", str(before + 1))
    # The overview redraws itself with the new claim counted; focus stays on the new mark.
    expect(page.locator('#overview td[data-count="claims"]').nth(column)).to_have_text(str(counted + 1))
    expect(page.locator(f"#article-{article.pk} mark.claim[id]:focus")).to_have_count(1)
    # A click on the strip's lower end scrolls the column down there.
    body = page.locator(f"#article-{article.pk}")
    body.evaluate("el => el.scrollTo(0, 0)")
    box = strip.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.9)
    page.wait_for_function(
        "el => el.scrollTop > el.scrollHeight * 0.5", arg=body.element_handle()
    )


def test_on_a_phone_the_overview_starts_closed_and_opens_on_a_tap(phone_page, demo, reader_url):
    page = phone_page
    page.goto(reader_url)
    overview = page.locator("#overview")
    expect(overview).not_to_have_attribute("open", "")
    expect(overview.locator("summary")).to_contain_text("conflicts")
    # The text of the first column starts on the first screen, its minimap beside it.
    first_text = page.locator(".column.is-active .column-body p").first
    expect(first_text).to_be_in_viewport()
    expect(page.locator(".column.is-active .minimap rect[data-claim]").first).to_be_attached()
    overview.locator("summary").tap()
    expect(overview.locator(".conflict").first).to_be_visible()
    # The choice holds across the reader's redraws.
    page.locator(".column.is-active mark.claim[id]").first.tap()
    expect(page.locator("#side-panel")).to_be_attached()
    expect(page.locator("#overview")).to_have_attribute("open", "")


def test_each_column_keeps_its_own_scroll_when_the_reader_is_redrawn(page, demo, reader_url):
    # The text sits in a wrapper beside its minimap: scroll positions are still kept per column.
    page.goto(reader_url)
    bodies = [page.locator(f"#article-{article.pk}") for article in demo[:3]]
    for body, top in zip(bodies, (300, 900, 0), strict=True):
        body.evaluate("(el, top) => el.scrollTo(0, top)", top)
    page.locator(".reader-toolbar a.chip", has_text="Connections").click()
    expect(page.locator("#side-panel")).to_be_visible()
    tops = [body.evaluate("el => Math.round(el.scrollTop)") for body in bodies]
    assert tops == [300, 900, 0]


def test_the_minimap_and_overview_follow_a_claim_made_live_by_someone_else(browser, monkeypatch):
    """Lan highlights; Minh's page, redrawn by the live stream, counts and marks the new claim.
    The live stream needs make run's server (config/serve.py), as in test_live.py."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from tests.servers import one_url_server

    from .helpers import DEMO_PASSWORD

    articles = load_demo(monkeypatch, reading=True)
    # That server checks passwords with the site's hashers, not this module's fast test one.
    for name in ("lan", "minh"):
        password = PBKDF2PasswordHasher().encode(DEMO_PASSWORD, PBKDF2PasswordHasher().salt())
        get_user_model().objects.filter(username=name).update(password=password)
    article = articles[3]
    with one_url_server() as url:
        pages = []
        for name in ("lan", "minh"):
            context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
            context.set_default_timeout(15_000)
            page = context.new_page()
            log_in(page, url, name, next_url="/stories/deepseek-r1/")
            expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
            pages.append(page)
        lan, minh = pages
        strip = minh.locator(f'.minimap[data-minimap="{article.pk}"]')
        expect(strip.locator("rect[data-claim]").first).to_be_attached()
        before = int(strip.get_attribute("data-claims"))
        cell = minh.locator('#overview td[data-count="claims"]').nth(3)
        counted = int(cell.inner_text())
        select_text(lan, article.pk, "Khoảnh khắc")
        lan.locator(".highlight-button").click()
        expect(lan.locator(f"#article-{article.pk} mark[data-claim]", has_text="Khoảnh khắc")).to_have_count(1)
        new = Claim.objects.get(article=article, exact="Khoảnh khắc")
        expect(minh.locator(f'mark[data-claim~="{new.pk}"]')).to_have_count(1, timeout=20_000)
        expect(strip).to_have_attribute("data-claims", str(before + 1))
        expect(minh.locator('#overview td[data-count="claims"]').nth(3)).to_have_text(str(counted + 1))
        for page in pages:
            page.context.close()


def test_the_reader_preloads_exactly_the_fonts_it_uses(page, demo, reader_url):
    """Every font file the annotated demo's reader uses is fetched with the page (preloaded:
    they are in before the columns' first layout, which is then not redone when they arrive),
    and nothing preloaded goes unused (templates/reader/_first_render.html)."""
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url.rsplit("/", 1)[-1]) if r.resource_type == "font" else None)
    page.goto(reader_url)
    expect(page.locator(".minimap svg").first).to_be_attached()
    page.evaluate("() => document.fonts.ready")
    preloaded = page.locator('link[rel="preload"][as="font"]').evaluate_all(
        "links => links.map(l => l.href.split('/').pop())"
    )
    assert sorted(preloaded) and sorted(set(requested)) == sorted(preloaded)


def test_the_minimaps_are_drawn_once_when_nothing_changed(page, demo, reader_url):
    """The first drawing is not redone by the columns' first resize notice or the fonts arriving
    (static/js/minimap.js: only a size change, or a change to the text, draws again)."""
    page.add_init_script(
        "window.__strips = 0; new MutationObserver(records => { for (const r of records)"
        " for (const n of r.addedNodes) if (n.nodeName === 'svg' && n.parentElement?.matches('.minimap'))"
        " window.__strips += 1; }).observe(document, {childList: true, subtree: true});"
    )
    page.goto(reader_url)
    expect(page.locator(".minimap svg")).to_have_count(5)
    page.evaluate("() => document.fonts.ready.then(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))))")
    assert page.evaluate("() => window.__strips") == 5
    # A change of size still draws them again.
    page.set_viewport_size({"width": 1200, "height": 900})
    page.wait_for_function("() => window.__strips > 5")
