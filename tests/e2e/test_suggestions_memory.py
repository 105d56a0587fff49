"""Issue 15 in Chromium: the suggestions page worked from the keyboard (J to move, A to accept,
D to dismiss, focus kept on the list), its filters, and the claim memory in the reader's panel."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from annotations.models import ClaimLink
from articles.models import Story
from suggestions import memory, services
from suggestions.models import Decision, Suggestion
from tests.factories import make_article, make_claim, make_story

from .helpers import DEMO_SLUG, load_demo, log_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_password_hasher"),
]


@pytest.fixture(scope="module", autouse=True)
def _vectors():
    """The real model embeds the demo story once per session; PARALLAX_E5_CACHE preloads the
    same numbers (see suggestions/tests/conftest.py)."""
    from suggestions.tests.conftest import preload

    preload()


@pytest.fixture
def demo(live_server, monkeypatch):
    articles = load_demo(monkeypatch)
    services.run_execute(services.run_create(story=Story.objects.get(slug=DEMO_SLUG)))
    return articles


def test_accept_and_dismiss_from_the_keyboard(page, live_server, demo):
    log_in(page, live_server.url, "lan", next_url=f"/stories/{DEMO_SLUG}/suggestions/")
    items = page.locator("#suggestions [data-suggestion]")
    expect(items.first).to_be_visible(timeout=30_000)
    first = items.nth(0).get_attribute("data-suggestion")
    second = items.nth(1).get_attribute("data-suggestion")

    page.locator("body").press("j")  # focus the first suggestion
    expect(items.first).to_be_focused()
    page.keyboard.press("a")  # accept it
    expect(page.locator(f'[data-suggestion="{first}"]')).to_have_count(0, timeout=30_000)
    expect(page.locator(".sg-precision")).to_contain_text("1 accepted")
    assert ClaimLink.objects.count() == 1
    # Focus is back on the list, on the suggestion now first: D dismisses it.
    expect(page.locator(f'[data-suggestion="{second}"]')).to_be_focused()
    page.keyboard.press("d")
    expect(page.locator(f'[data-suggestion="{second}"]')).to_have_count(0, timeout=30_000)
    assert Decision.objects.filter(verdict="dismissed").count() == 1
    expect(page.locator(".sg-precision-by-relation")).to_contain_text("%")

    # The status filter shows what was accepted, by URL too.
    page.select_option("#sg-status", "accepted")
    expect(page.locator(f'[data-suggestion="{first}"]')).to_be_visible(timeout=30_000)
    expect(page).to_have_url(re.compile(r"status=accepted"))
    expect(page.locator("#suggestions [data-suggestion]")).to_have_count(1)


def test_relation_filter_keeps_only_that_relation(page, live_server, demo):
    page.goto(f"{live_server.url}/stories/{DEMO_SLUG}/suggestions/?relation=contradicts")
    items = page.locator("#suggestions [data-suggestion]")
    expect(items.first).to_be_visible(timeout=30_000)
    expected = Suggestion.objects.filter(relation="contradicts").count()
    expect(items).to_have_count(min(expected, 30))
    expect(page.locator("#suggestions .sg-item.rel-agrees")).to_have_count(0)


def test_claim_memory_in_the_reader(page, live_server, demo, settings):
    story = Story.objects.get(slug=DEMO_SLUG)
    here_article = story.articles.order_by("position", "pk").first()
    here = make_claim(article=here_article, text="DeepSeek không kêu gọi vốn từ các quỹ bên ngoài")
    elsewhere_story = make_story(title="An earlier story")
    body = "Nhắc lại: công ty DeepSeek không huy động bất kỳ nguồn vốn bên ngoài nào.\n"
    elsewhere = make_claim(
        article=make_article(story=elsewhere_story, body=body),
        text="công ty DeepSeek không huy động bất kỳ nguồn vốn bên ngoài nào",
    )
    private = make_claim(
        article=make_article(story=elsewhere_story, body="Ghi chú riêng: DeepSeek không gọi vốn bên ngoài.\n"),
        text="DeepSeek không gọi vốn bên ngoài",
        visibility="private",
    )
    memory.remember([here, elsewhere, private])

    page.goto(f"{live_server.url}/stories/{DEMO_SLUG}/?claim={here.pk}")
    panel = page.locator(f'[data-panel-claim="{here.pk}"] .claim-memory')
    expect(panel).to_be_visible(timeout=30_000)
    expect(panel).to_contain_text("Checked before?")
    expect(panel.locator(f'[data-memory-claim="{elsewhere.pk}"]')).to_contain_text("An earlier story")
    expect(panel.locator(f'[data-memory-claim="{private.pk}"]')).to_have_count(0)
