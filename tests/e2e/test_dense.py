"""Dense columns in Chromium (issue 18): claims sent as data are drawn with the CSS Custom
Highlight API, a click on one opens its panel, and a claim someone else adds shows live."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from annotations.models import Claim

from tests import factories
from textkernel.text import paragraphs

from .helpers import DEMO_SLUG, load_demo, select_text
from .test_live import asgi_server, two_readers  # noqa: F401 - the two logged-in readers

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DRAWN = "() => window.parallaxDense && window.parallaxDense.drawn"
STATES = "['px-state-unlinked', 'px-state-agreed', 'px-state-contradicted']"


def _ranges(page) -> int:
    """Ranges in the claim-state highlights (each claim has one state; a look's claims merged)."""
    return page.evaluate(f"() => {STATES}.reduce((n, name) => n + (CSS.highlights.get(name)?.size ?? 0), 0)")


@pytest.mark.parametrize("two_readers", [True], indirect=True)  # the annotated demo
def test_dense_columns_draw_open_panels_and_show_new_claims_live(two_readers):
    articles, pages = two_readers
    lan, minh = pages
    shown = Claim.objects.filter(article__story__slug=DEMO_SLUG, visibility="public", status="active")
    for page in pages:
        page.goto(page.url.split("?")[0] + "?marks=dense")
        expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
        # The stream's backlog (the reading was loaded seconds ago) came before "live": let the
        # refresh it asked for finish, so it cannot swap away what a click opens.
        expect(page.locator("body[data-live-refreshing]")).to_have_count(0)
    # Drawn: every claim the viewer sees, as highlights, no <mark> at all.
    expect(minh.locator(".column-body > .claim-data")).to_have_count(len(articles))
    expect(minh.locator("mark[data-claim]")).to_have_count(0)
    minh.wait_for_function(f"{DRAWN} > 0")
    drawn = minh.evaluate(DRAWN)
    assert drawn >= shown.count() and 0 < _ranges(minh) <= drawn
    # The minimaps tick every claim, from the data.
    minh.wait_for_function(
        f"() => [...document.querySelectorAll('.minimap[data-claims]')]"
        f".reduce((n, m) => n + Number(m.dataset.claims), 0) === {drawn}"
    )

    # A click on highlighted text opens the panel of a claim under the pointer: the point is
    # taken from a drawn range once it is laid out in view (polled: a redraw replaces ranges).
    minh.evaluate(
        """() => %s.flatMap((name) => [...(CSS.highlights.get(name) ?? [])])
            .find((r) => r.startContainer.parentElement.closest('.column-body[data-dense]'))
            .startContainer.parentElement.scrollIntoView({block: 'center', behavior: 'instant'})"""
        % STATES
    )
    point = minh.wait_for_function(
        """() => {
            for (const range of %s.flatMap((name) => [...(CSS.highlights.get(name) ?? [])])) {
                const body = range.startContainer.parentElement?.closest('.column-body[data-dense]');
                const rect = body && [...range.getClientRects()].find((r) => r.width > 4
                    && r.top > 0 && r.bottom < window.innerHeight);
                if (!rect) continue;
                const x = rect.left + Math.min(rect.width / 2, 6), y = rect.top + rect.height / 2;
                const caret = document.caretPositionFromPoint(x, y);
                const p = caret?.offsetNode.parentElement?.closest('p[data-start]');
                if (!p || !body.contains(p)) continue;
                const before = document.createRange();
                before.selectNodeContents(p);
                before.setEnd(caret.offsetNode, caret.offset);
                const at = Number(p.dataset.start) + [...before.toString()].length;
                const ids = window.parallaxDense.claimsAt(body, at);
                if (ids.length) return {x, y, ids};
            }
            return null;
        }"""
        % STATES
    ).json_value()
    assert point["ids"], point
    minh.mouse.click(point["x"], point["y"])
    panel = minh.locator("#side-panel .claim-panel")
    expect(panel).to_be_visible()
    chosen = int(panel.get_attribute("data-panel-claim"))
    assert chosen in point["ids"]
    expect(minh).to_have_url(re.compile(rf"claim={chosen}.*marks=dense|marks=dense.*claim={chosen}"))
    # The selected claim has its anchor (jump, alignment, connectors) and stays drawn.
    expect(minh.locator(f"#claim-{chosen}")).to_have_count(1)
    minh.wait_for_function(f"{DRAWN} === {drawn}")

    # The accessible list: one link per claim of the column, named as its mark would be.
    column = articles[1]
    count = minh.evaluate(
        "(pk) => window.parallaxDense.ticks(document.getElementById(`article-${pk}`)).length", column.pk
    )
    minh.locator(f'details[data-claim-list="{column.pk}"] > summary').click()
    listed = minh.locator(f"#claim-list-{column.pk} a[data-claim]")
    expect(listed).to_have_count(count)
    expect(listed.first).to_contain_text("Claim by")

    # Lan highlights in a dense column: her column and Minh's redraw from the new data; the
    # other columns keep what they drew (the very same ranges).
    lan.wait_for_function(f"{DRAWN} > 0")
    lan_drawn = lan.evaluate(DRAWN)
    first = articles[0]
    keep = """(pk) => { window.keptRanges = %s.flatMap((name) => [...(CSS.highlights.get(name) ?? [])])
        .filter((r) => r.startContainer.parentElement.closest(`#article-${pk}`)); return window.keptRanges.length; }"""
    assert lan.evaluate(keep % STATES, articles[1].pk) > 0
    phrase = " ".join(first.body.split("\n")[0].split()[:3])
    select_text(lan, first.pk, phrase)
    lan.locator(".highlight-popup button").click()
    lan.wait_for_function(f"{DRAWN} === {lan_drawn + 1}")
    assert lan.evaluate(
        """() => { const all = new Set(%s.flatMap((name) => [...(CSS.highlights.get(name) ?? [])]));
            return window.keptRanges.every((r) => all.has(r)); }""" % STATES
    ), "a new highlight redrew a column it is not in"
    new = Claim.objects.filter(article=first, author__username="lan").latest("pk")
    minh.wait_for_function(f"{DRAWN} === {drawn + 1}")
    assert _ranges(minh) > 0
    ids = minh.evaluate(
        """(start) => window.parallaxDense.claimsAt(document.querySelector('#article-%d'), start)"""
        % first.pk,
        new.start,
    )
    assert new.pk in ids


def test_a_dense_column_draws_a_paragraph_when_it_scrolls_near(page, live_server, monkeypatch):
    """Only the paragraphs within a column height of what a dense column shows get highlight
    ranges when it is drawn (painting highlights is what they cost); the others get theirs as
    the column scrolls to them."""
    articles = load_demo(monkeypatch)
    article = max(articles, key=lambda a: len(a.body))
    lines = [(start, line) for start, line in paragraphs(article.body) if len(line) > 20]
    author = factories.make_user(username="reader-lazy")
    in_paragraph = """([pk, start]) => %s.flatMap((name) => [...(CSS.highlights.get(name) ?? [])])
        .filter((r) => r.startContainer.parentElement.closest(`#article-${pk} p[data-start="${start}"]`)).length"""
    body = page.locator(f"#article-{article.pk}")
    page.goto(f"{live_server.url}/stories/{DEMO_SLUG}/?marks=dense")
    assert body.evaluate("b => b.scrollHeight > 4 * b.clientHeight"), "the column must scroll far"
    # A paragraph below the view, within a column height of it: drawn without scrolling.
    below = body.evaluate(
        """(b) => { const h = b.clientHeight; const p = [...b.querySelectorAll("p[data-start]")].find(
            (p) => p.offsetTop > 1.2 * h && p.offsetTop < 1.8 * h && p.textContent.length > 20);
            return p ? Number(p.dataset.start) : null; }"""
    )
    assert below is not None and below not in (lines[0][0], lines[-1][0])
    for start in (lines[0][0], below, lines[-1][0]):
        factories.make_claim(article=article, author=author, start=start, end=start + 20, visibility="public")
    page.goto(f"{live_server.url}/stories/{DEMO_SLUG}/?marks=dense")
    page.wait_for_function(f"{DRAWN} === 3")
    assert page.evaluate(in_paragraph % STATES, [article.pk, lines[0][0]]) == 1
    page.wait_for_function(f"args => ({in_paragraph % STATES})(args) === 1", arg=[article.pk, below])
    assert page.evaluate(in_paragraph % STATES, [article.pk, lines[-1][0]]) == 0
    body.evaluate("b => { b.scrollTop = b.scrollHeight; }")
    page.wait_for_function(f"args => ({in_paragraph % STATES})(args) === 1", arg=[article.pk, lines[-1][0]])
    # The minimap ticks every claim from the data, drawn or not.
    expect(page.locator(f'.minimap[data-minimap="{article.pk}"]')).to_have_attribute("data-claims", "3")
