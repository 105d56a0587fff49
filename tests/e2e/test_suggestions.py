"""Suggested connections in Chromium: open the panel from the reader, accept one and see the
link in the reader, dismiss one and it stays gone after a reload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from annotations.models import ClaimLink
from articles.models import Story
from suggestions import services
from suggestions.models import Suggestion

from .helpers import DEMO_SLUG, load_demo, log_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_password_hasher"),
]


@pytest.fixture
def demo(live_server, monkeypatch):
    articles = load_demo(monkeypatch)
    services.run_execute(services.run_create(story=Story.objects.get(slug=DEMO_SLUG)))
    return articles


def test_accept_and_dismiss_from_the_panel(page, live_server, demo):
    log_in(page, live_server.url, "lan", next_url=f"/stories/{DEMO_SLUG}/")
    page.get_by_role("link", name=re.compile("Suggestions")).click()
    items = page.locator("[data-suggestion]")
    expect(items.first).to_be_visible()
    first = Suggestion.objects.order_by("-score", "pk").first()
    expect(items.first).to_contain_text(first.reason)

    # Accept the best one: both claims and the link now exist, and the reader shows the link.
    items.first.get_by_role("button", name="Accept").click()
    expect(page.locator(f'[data-suggestion="{first.pk}"]')).to_have_count(0)
    expect(page.locator(".sg-precision")).to_contain_text("1 accepted")
    link = ClaimLink.objects.get()
    page.goto(f"{live_server.url}/stories/{DEMO_SLUG}/?claim={link.claim_a_id}")
    expect(page.locator(f'[data-panel-claim="{link.claim_a_id}"] .link-item')).to_contain_text(
        first.relation
    )

    # Dismiss the next one: gone, and still gone after a reload.
    page.goto(f"{live_server.url}/stories/{DEMO_SLUG}/suggestions/")
    second = page.locator("[data-suggestion]").first
    second_pk = second.get_attribute("data-suggestion")
    second.get_by_role("button", name="Dismiss").click()
    expect(page.locator(f'[data-suggestion="{second_pk}"]')).to_have_count(0)
    page.reload()
    expect(page.locator("[data-suggestion]").first).to_be_visible()
    expect(page.locator(f'[data-suggestion="{second_pk}"]')).to_have_count(0)
    assert ClaimLink.objects.count() == 1


def test_panel_on_a_phone(phone_page, live_server, demo):
    phone_page.goto(f"{live_server.url}/stories/{DEMO_SLUG}/suggestions/")
    expect(phone_page.locator("[data-suggestion]").first).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 391
