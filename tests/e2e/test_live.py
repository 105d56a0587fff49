"""Two people in two browsers annotate one story together and see each other live (issue 4).

The live stream is an async view, which pytest-django's (WSGI) live server cannot serve, so
these tests start the server ``make run`` starts (config/serve.py: pages on WSGI, the stream on
ASGI, one URL) against the test database (``asgi_server``).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotations.models import Claim, ClaimLink
from tests.factories import make_team
from conftest import BROWSER_WAIT_MS
from tests.servers import one_url_server

from .helpers import DEMO_SLUG, load_demo, log_in, select_text

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

@pytest.fixture
def asgi_server():
    """``python -m config.serve`` (as ``make run``) on a free port, against the test database."""
    with one_url_server() as url:
        yield url


@pytest.fixture
def two_readers(request, browser, asgi_server, monkeypatch):
    """Two logged-in people (in one team) with the demo story open in two browser contexts;
    the bare demo, or its annotated reading when parametrised (indirectly) with True."""
    articles = load_demo(monkeypatch, reading=getattr(request, "param", False))
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    make_team(
        name="Bàn tin sáng",
        members={users.get(username="lan"): "annotator", users.get(username="minh"): "annotator"},
    )
    pages = []
    for name in ("lan", "minh"):
        context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
        context.set_default_timeout(BROWSER_WAIT_MS)
        page = context.new_page()
        log_in(page, asgi_server, name, next_url=f"/stories/{DEMO_SLUG}/")
        expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
        pages.append(page)
    yield articles, pages
    for page in pages:
        page.context.close()


def _highlight(page, article_pk: int, text: str) -> None:
    select_text(page, article_pk, text)
    page.locator(".highlight-popup button").click()
    expect(page.locator(f"#article-{article_pk} mark[data-claim]").first).to_be_visible()


def test_two_people_see_each_other_live(two_readers):
    articles, (lan, minh) = two_readers
    first, second = articles[0], articles[1]

    # Presence: each sees both people.
    for page in (lan, minh):
        expect(page.locator("#presence-list")).to_contain_text("lan")
        expect(page.locator("#presence-list")).to_contain_text("minh")

    # Lan highlights a claim in the first column; Minh sees the mark appear without a reload.
    phrase_1 = first.body.split("\n")[0].split()[:3]
    phrase_1 = " ".join(phrase_1)
    _highlight(lan, first.pk, phrase_1)
    claim_1 = Claim.objects.get(article=first)
    expect(minh.locator(f'mark[data-claim~="{claim_1.pk}"]')).to_have_count(1)

    # A second claim, then a link between them: Minh sees the connection counted.
    phrase_2 = " ".join(second.body.split("\n")[0].split()[:3])
    _highlight(lan, second.pk, phrase_2)
    claim_2 = Claim.objects.get(article=second)
    expect(minh.locator(f'mark[data-claim~="{claim_2.pk}"]')).to_have_count(1)
    lan.goto(f"{lan.url.split('?')[0]}?claim={claim_1.pk}&link_to={claim_2.pk}")
    lan.locator('.link-form input[value="contradicts"]').check()
    lan.get_by_role("button", name="Create link").click()
    expect(lan.locator(".link-form")).to_have_count(0)
    assert ClaimLink.objects.count() == 1
    expect(minh.locator('[data-focus-key="connections"]')).to_contain_text("Connections (1)")

    # Minh's presence follows the column she reads.
    minh.locator(f"#article-{second.pk}").focus()
    minh_here = lan.locator("#presence-list li").filter(has_text="minh")
    expect(minh_here.locator(".presence-column")).to_contain_text(second.short_label)


def test_a_dropped_stream_resumes_and_catches_up(two_readers):
    articles, (lan, minh) = two_readers
    first = articles[0]
    # Minh's connection drops (as on a network blip): the page says it is not live.
    minh.evaluate("window.parallaxLive.close(); window.parallaxLive.dispatchEvent(new Event('error'))")
    expect(minh.locator("#live-status")).to_have_attribute("data-state", "offline")
    expect(minh.locator("#live-status")).to_contain_text("Not live")
    # Meanwhile Lan writes.
    phrase = " ".join(first.body.split("\n")[0].split()[:2])
    _highlight(lan, first.pk, phrase)
    claim = Claim.objects.get(article=first)
    expect(minh.locator(f'mark[data-claim~="{claim.pk}"]')).to_have_count(0)
    # The stream comes back (live.js reconnects with the last id it saw) and catches up.
    expect(minh.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(minh.locator(f'mark[data-claim~="{claim.pk}"]')).to_have_count(1)
