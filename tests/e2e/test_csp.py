"""Issue 14: the main pages run under the strict Content-Security-Policy without a violation
(an inline script, style or eval anywhere would show as one in the console)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import DEMO_SLUG, load_demo, log_in, select_text

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_password_hasher"),
]


def test_main_pages_show_no_csp_violation(page, live_server, monkeypatch):
    articles = load_demo(monkeypatch)
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text)
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text
        else None,
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " console.error('Content Security Policy violation: ' + e.violatedDirective"
        " + ' ' + e.blockedURI))"
    )
    url = live_server.url
    log_in(page, url, "lan", next_url="/")
    for path in ["/", f"/stories/{DEMO_SLUG}/", "/search?q=DeepSeek", f"/stories/{DEMO_SLUG}/activity/",
                 "/teams/", "/annotations/tokens/"]:  # fmt: skip
        response = page.goto(url + path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        expect(page.locator("main")).to_be_visible(timeout=20_000)
    # The reader at work: select, highlight (htmx swaps a fragment in).
    page.goto(f"{url}/stories/{DEMO_SLUG}/")
    first = articles[0]
    phrase = " ".join(first.body.split("\n")[0].split()[:3])
    select_text(page, first.pk, phrase)
    page.locator(".highlight-popup button").click()
    expect(page.locator(f"#article-{first.pk} mark[data-claim]").first).to_be_visible(timeout=20_000)
    page.goto(f"{url}/stories/{DEMO_SLUG}/matrix/")
    expect(page.locator("main")).to_be_visible(timeout=20_000)
    assert violations == []
