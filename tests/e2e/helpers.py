"""Shared browser-test helpers (after Zulip's e2e helpers): load data, log in, select text,
and watch where the page sends requests. Wait with ``expect(locator)``, never with sleeps."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

from django.core.management import call_command
from playwright.sync_api import Page, expect

from articles.models import Article

DEMO_SLUG = "deepseek-r1"
DEMO_PASSWORD = "e2e-demo-password"


def load_demo(monkeypatch, *, reading: bool = False) -> list[Article]:
    """Load the demo story and users (password ``DEMO_PASSWORD``), with the annotated demo
    reading when ``reading`` (as ``make run`` does) or bare (``load_demo --empty``); return the
    story's articles in default column order. Tests run with DEBUG off, so the password must be
    set."""
    monkeypatch.setenv("DEMO_PASSWORD", DEMO_PASSWORD)
    options = ["--no-progress"] if reading else ["--no-progress", "--empty"]
    call_command("load_demo", *options, stdout=io.StringIO(), stderr=io.StringIO())
    return list(Article.objects.filter(story__slug=DEMO_SLUG).order_by("position", "pk"))


def log_in(
    page: Page,
    live_server_url: str,
    username: str,
    password: str = DEMO_PASSWORD,
    next_url: str = "/",
) -> None:
    """Log in through the real login form and wait until we are back on ``next_url``."""
    page.goto(f"{live_server_url}/accounts/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("#id_password").press("Enter")
    expect(page.locator(".whoami")).to_have_text(username)


def select_text(page: Page, article_pk: int, text: str, occurrence: int = 0) -> None:
    """Select ``text`` (its ``occurrence``-th match) inside the column of ``article_pk``, as a
    reader would with the mouse, so the page's selection handlers fire."""
    body = page.locator(f"#article-{article_pk}")
    expect(body).to_contain_text(text)
    found = body.evaluate(
        """(root, [text, occurrence]) => {
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            let seen = 0;
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                let at = node.data.indexOf(text);
                while (at !== -1) {
                    if (seen++ === occurrence) {
                        node.parentElement.scrollIntoView({block: "center"});
                        const range = document.createRange();
                        range.setStart(node, at);
                        range.setEnd(node, at + text.length);
                        const selection = window.getSelection();
                        selection.removeAllRanges();
                        selection.addRange(range);
                        const up = new MouseEvent("mouseup", {bubbles: true});
                        node.parentElement.dispatchEvent(up);
                        document.dispatchEvent(new Event("selectionchange"));
                        return true;
                    }
                    at = node.data.indexOf(text, at + 1);
                }
            }
            return false;
        }""",
        [text, occurrence],
    )
    assert found, (
        f"{text!r} (occurrence {occurrence}) is not inside one text node of article {article_pk}"
    )


def query_params(url: str) -> dict[str, str]:
    """The URL's query string as a dict of single values."""
    return {key: values[-1] for key, values in parse_qs(urlsplit(url).query).items()}


def column_ids(page: Page) -> list[int]:
    """Article ids of the reader's columns, in DOM order."""
    return [
        int(pk)
        for pk in page.locator("[data-article]").evaluate_all(
            "els => els.map(e => e.dataset.article)"
        )
    ]


class RequestLog:
    """Records every request a page makes (and each response's status), to prove nothing
    leaves the machine and that local assets such as fonts really load."""

    def __init__(self, page: Page):
        self.urls: list[str] = []
        self.statuses: dict[str, int] = {}
        page.on("request", lambda request: self.urls.append(request.url))
        page.on(
            "response", lambda response: self.statuses.__setitem__(response.url, response.status)
        )

    def external(self, allowed_hosts=("127.0.0.1",)) -> list[str]:
        return [
            url
            for url in self.urls
            if urlsplit(url).scheme not in ("data", "blob", "about")
            and urlsplit(url).hostname not in allowed_hosts
        ]
