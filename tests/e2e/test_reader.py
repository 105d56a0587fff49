"""The reader and search in Debian's Chromium: the demo story, columns that hide and move with
the view kept in the URL, phone tabs, keyboard moves, local Vietnamese fonts, and search."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .helpers import RequestLog, column_ids, load_demo, log_in, query_params, select_text

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_password_hasher"),
]

MARKETTIMES_TITLE = (
    "Startup AI Trung Quốc vừa công bố báo cáo khiến giới công nghệ toàn thế giới sốc"
)


@pytest.fixture
def demo(live_server, monkeypatch):
    """The demo story's articles, loaded into the database the live server reads."""
    return load_demo(monkeypatch)


@pytest.fixture
def reader_url(live_server):
    return f"{live_server.url}/stories/deepseek-r1/"


def test_demo_story_five_columns_local_fonts_no_external_requests(page, demo, reader_url):
    log = RequestLog(page)
    page.goto(reader_url)

    columns = page.locator("[data-article]")
    expect(columns).to_have_count(5)
    assert column_ids(page) == [a.pk for a in demo]
    for article in demo:
        title = page.locator(f"#col-{article.pk} .column-title")
        expect(title).to_be_visible()
        expect(title).to_have_text(article.title)
    expect(page.locator(f"#col-{demo[0].pk} .column-title")).to_have_text(MARKETTIMES_TITLE)
    expect(page.locator(f"#col-{demo[0].pk} .column-source")).to_have_text(
        re.compile("Markettimes", re.I)
    )
    expect(page.locator(f"#col-{demo[4].pk} .column-meta")).to_contain_text("Thái Linh")
    expect(page.locator(f"#col-{demo[4].pk} .column-meta")).to_contain_text("Financial Times")
    expect(page.locator(f"#article-{demo[0].pk}")).to_have_attribute("lang", "vi")
    expect(page.locator(f"#article-{demo[0].pk} p[data-start]").first).to_be_visible()

    # Each column scrolls on its own: scrolling one leaves its neighbour where it was.
    first, second = page.locator(f"#article-{demo[0].pk}"), page.locator(f"#article-{demo[1].pk}")
    first.evaluate("el => el.scrollTo(0, 400)")
    assert first.evaluate("el => el.scrollTop") > 0
    assert second.evaluate("el => el.scrollTop") == 0

    # The Vietnamese subset of Noto Serif is served locally and covers the text.
    assert page.evaluate(
        """async () => {
            await document.fonts.ready;
            return document.fonts.check('16px "Noto Serif"', 'Chi phí đào tạo');
        }"""
    )
    fonts = [url for url in log.urls if url.endswith(".woff2")]
    assert any("noto-serif-vietnamese" in url for url in fonts), fonts
    assert all(log.statuses.get(url) == 200 for url in fonts), log.statuses
    assert log.external() == [], log.external()


def test_hide_a_column_survives_reload_and_the_chip_shows_it_again(page, demo, reader_url):
    page.goto(reader_url)
    columns = page.locator("[data-article]")
    expect(columns).to_have_count(5)
    second = demo[1]

    # The ✕ control of the second column.
    hide = page.locator(f"#col-{second.pk} .column-controls").get_by_role(
        "link", name=re.compile("^Hide ")
    )
    expect(hide).to_have_text(re.compile("✕"))
    hide.click()
    expect(columns).to_have_count(4)
    expect(page.locator(f"#col-{second.pk}")).to_have_count(0)
    expect(page).to_have_url(re.compile(rf"[?&]hide={second.pk}(&|$)"))
    assert column_ids(page) == [a.pk for a in demo if a.pk != second.pk]

    page.reload()
    expect(columns).to_have_count(4)
    expect(page.locator(f"#col-{second.pk}")).to_have_count(0)

    chip = page.get_by_role("link", name=f"Show {second.short_label}")
    expect(chip).to_be_visible()
    chip.click()
    expect(columns).to_have_count(5)
    expect(page.locator(f"#col-{second.pk}")).to_be_visible()
    assert "hide" not in query_params(page.url)
    # (It comes back at the end, not in its old place: see test_views'
    # test_reader_showing_a_hidden_column_restores_its_place.)
    assert sorted(column_ids(page)) == sorted(a.pk for a in demo)


def test_reorder_with_the_arrow_keeps_order_in_dom_and_url(page, demo, reader_url):
    page.goto(reader_url)
    first = demo[0]
    page.locator(f"#col-{first.pk} .column-controls").get_by_role(
        "link", name=f"Move {first.short_label} right"
    ).click()
    expected = [demo[1].pk, first.pk, *[a.pk for a in demo[2:]]]
    expect(page.locator("[data-article]").nth(1)).to_have_attribute("data-article", str(first.pk))
    assert column_ids(page) == expected
    expect(page).to_have_url(re.compile(r"[?&]order="))
    assert query_params(page.url)["order"] == ",".join(map(str, expected))

    # Keyboard focus stays on the moved column's control after the swap.
    expect(page.locator(f'[data-focus-key="right-{first.pk}"]')).to_be_focused()

    page.reload()
    assert column_ids(page) == expected
    page.locator(f"#col-{first.pk} .column-controls").get_by_role(
        "link", name=f"Move {first.short_label} left"
    ).click()
    expect(page.locator("[data-article]").first).to_have_attribute("data-article", str(first.pk))
    assert column_ids(page) == [a.pk for a in demo]


def test_keyboard_brackets_move_between_columns(page, demo, reader_url):
    page.goto(reader_url)
    expect(page.locator("[data-article]")).to_have_count(5)
    page.keyboard.press("]")
    expect(page.locator(f"#article-{demo[0].pk}")).to_be_focused()
    page.keyboard.press("]")
    expect(page.locator(f"#article-{demo[1].pk}")).to_be_focused()
    page.keyboard.press("[")
    expect(page.locator(f"#article-{demo[0].pk}")).to_be_focused()


def test_logged_in_reader_and_text_selection_helpers(page, demo, live_server, reader_url):
    log_in(page, live_server.url, "lan", next_url="/stories/deepseek-r1/")
    expect(page).to_have_url(reader_url)
    expect(page.locator(".toolbar-hint")).to_contain_text("Select text")
    target = next(a for a in demo if "chi phí đào tạo" in a.body)
    select_text(page, target.pk, "chi phí đào tạo")
    assert page.evaluate("window.getSelection().toString()") == "chi phí đào tạo"


def test_phone_shows_one_column_with_tabs(phone_page, demo, reader_url):
    page = phone_page
    page.goto(reader_url)
    tabs = page.get_by_role("tab")
    expect(tabs).to_have_count(5)
    expect(tabs.first).to_be_visible()
    expect(tabs.first).to_have_attribute("aria-selected", "true")
    visible = page.locator("[data-article]").filter(visible=True)
    expect(visible).to_have_count(1)
    expect(visible).to_have_attribute("data-article", str(demo[0].pk))

    third = demo[2]
    page.locator(f"#tab-{third.pk}").click()
    expect(page.locator(f"#col-{third.pk}")).to_be_visible()
    expect(visible).to_have_count(1)
    expect(page.locator(f"#col-{demo[0].pk}")).to_be_hidden()
    expect(page.locator(f"#tab-{third.pk}")).to_have_attribute("aria-selected", "true")
    expect(page).to_have_url(re.compile(rf"[?&]tab={third.pk}(&|$)"))

    # Arrow keys move along the tabs (ARIA tabs pattern).
    page.locator(f"#tab-{third.pk}").press("ArrowRight")
    expect(page.locator(f"#col-{demo[3].pk}")).to_be_visible()
    expect(page.locator(f"#tab-{demo[3].pk}")).to_be_focused()

    # The tab is in the URL, so a reload opens the same column.
    page.reload()
    expect(page.locator("[data-article]").filter(visible=True)).to_have_attribute(
        "data-article", str(demo[3].pk)
    )


def test_search_without_diacritics_and_open_a_result(page, demo, live_server):
    log = RequestLog(page)
    page.goto(f"{live_server.url}/")
    box = page.locator("#site-q")
    box.fill("chi phi dao tao")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=chi(\+|%20)phi(\+|%20)dao(\+|%20)tao"))

    results = page.locator(".search-result")
    expect(results.first).to_be_visible()
    marks = results.first.locator("mark")
    expect(marks.first).to_be_visible()
    marked = set(marks.all_inner_texts())
    assert {"phí", "đào", "tạo"} <= {word.lower() for word in marked}, marked

    link = results.first.locator("a.result-title")
    pk = int(query_params(link.get_attribute("href"))["tab"])
    by_pk = {a.pk: a for a in demo}
    assert "chi phí đào tạo" in by_pk[pk].body.lower()  # the exact phrase ranks first
    link.click()

    expect(page).to_have_url(re.compile(rf"/stories/deepseek-r1/\?tab={pk}#article-{pk}$"))
    column = page.locator(f"#col-{pk}")
    expect(column).to_be_visible()
    expect(column).to_be_in_viewport()
    expect(column.locator(".column-title")).to_have_text(by_pk[pk].title)
    expect(page.locator("[data-article]")).to_have_count(5)
    assert log.external() == [], log.external()


def test_unknown_story_shows_the_404_page(page, live_server):
    response = page.goto(f"{live_server.url}/stories/does-not-exist/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("We could not find that page")
    page.get_by_role("link", name="See all stories").click()
    expect(page).to_have_url(f"{live_server.url}/")
