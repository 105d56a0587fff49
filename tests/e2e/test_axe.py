"""Accessibility: axe-core (through axe-playwright-python, which ships axe-core and injects it
with Playwright) finds no serious or critical violation on the main pages, at desktop (1440 px)
and phone (390 px) sizes, with claims and links on the page."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.factories import make_claim, make_link

from .helpers import DEMO_SLUG, load_demo, log_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_password_hasher"),
]

PAGES = {
    "home": "/",
    "reader": f"/stories/{DEMO_SLUG}/",
    "reader with a claim": f"/stories/{DEMO_SLUG}/?claim={{claim}}",
    "reader connections": f"/stories/{DEMO_SLUG}/?panel=connections",
    "matrix": f"/stories/{DEMO_SLUG}/matrix/",
    "review": f"/curation/review/?story={DEMO_SLUG}",
    "suggestions": f"/stories/{DEMO_SLUG}/suggestions/",
    "teams": "/teams/",
    "team": "/teams/{team}/",
    "agreement": f"/stories/{DEMO_SLUG}/agreement/",
    "history": f"/stories/{DEMO_SLUG}/history/",
}
SEVERE = {"serious", "critical"}


@pytest.fixture
def annotated_demo(live_server, monkeypatch):
    """The demo as ``make run`` shows it (the annotated reading: states, overview, minimaps),
    plus a claim with a link of our own."""
    articles = load_demo(monkeypatch, reading=True)
    from django.contrib.auth import get_user_model

    from teams.models import Team

    lan = get_user_model().objects.get(username="lan")
    a = make_claim(article=articles[0], author=lan, text="Tuần này, một phòng thí nghiệm")
    b = make_claim(article=articles[2], author=lan, text="DeepSeek chỉ tốn 6 triệu USD")
    make_link(claim_a=a, claim_b=b, relation="contradicts", rationale="6 triệu USD là lần chạy cuối")
    return {"claim": a.pk, "team": Team.objects.first().slug}


def _violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] if node["target"] else "?" for node in v["nodes"][:5])
        for v in results.response["violations"]
        if v["impact"] in SEVERE
    ]


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_no_serious_or_critical_axe_violations(request, size, live_server, annotated_demo):
    page = request.getfixturevalue("page" if size == "desktop" else "phone_page")
    log_in(page, live_server.url, "curator")
    found = {}
    for name, path in PAGES.items():
        page.goto(live_server.url + path.format(**annotated_demo))
        expect(page.locator("main")).to_be_visible()
        problems = _violations(page)
        if problems:
            found[name] = problems
    # The reader with what opens on it: the tools (folded on a phone), the shortcuts dialog.
    page.goto(live_server.url + PAGES["reader"])
    if size == "phone":
        page.get_by_role("button", name="Overview and tools").click()
    expect(page.locator("#reader-toolbar")).to_be_visible()
    found["reader, tools open"] = _violations(page)
    page.get_by_role("button", name="Keyboard shortcuts").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    found["reader, shortcuts dialog"] = _violations(page)
    found = {name: problems for name, problems in found.items() if problems}
    assert not found, found
