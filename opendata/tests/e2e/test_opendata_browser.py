"""In Chromium: the reader's Export menu downloads the story's annotations, and a person makes a
personal token that then works against the protocol container."""

from __future__ import annotations

import json
import os

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import DEMO_SLUG, load_demo, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("OPENDATA_SCREENSHOTS")  # a folder (outside the repo) to look at pages


def test_export_menu_downloads_w3c_json_and_csv(
    page, live_server, monkeypatch, fast_password_hasher
):
    load_demo(monkeypatch)
    page.goto(f"{live_server.url}/stories/{DEMO_SLUG}/")
    menu = page.locator(".export-menu")
    menu.get_by_text("Export").click()
    json_link = page.get_by_role("link", name="Annotations (W3C JSON-LD)")
    expect(json_link).to_be_visible()
    expect(page.get_by_role("link", name="API access (tokens)")).to_have_count(0)  # anonymous
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/reader-export-menu.png")
    with page.expect_download() as download:
        json_link.click()
    data = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert (
        data["type"] == "AnnotationCollection"
        and download.value.suggested_filename == f"{DEMO_SLUG}.jsonld"
    )
    with page.expect_download() as download:
        page.get_by_role("link", name="Links (CSV)").click()
    assert (
        open(download.value.path(), encoding="utf-8-sig").readline().startswith("link_id,relation")
    )


def test_make_a_token_and_use_it(page, phone_page, live_server, monkeypatch, fast_password_hasher):
    load_demo(monkeypatch)
    log_in(page, live_server.url, "lan", next_url=f"/stories/{DEMO_SLUG}/")
    page.locator(".export-menu").get_by_text("Export").click()
    page.get_by_role("link", name="API access (tokens)").click()
    expect(page.get_by_text("You have no tokens yet.")).to_be_visible()
    page.get_by_label("What is it for?").fill("My annotation client")
    page.get_by_role("button", name="Make token").click()
    token = page.get_by_label("New token")
    expect(token).to_be_visible()
    raw = token.input_value()
    assert raw.startswith("plx_")
    expect(page.get_by_role("button", name="Revoke “My annotation client”")).to_be_visible()
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/tokens-desktop.png", full_page=True)
    response = page.request.get(
        f"{live_server.url}/annotations/", headers={"Authorization": f"Bearer {raw}"}
    )
    assert response.status == 200 and response.headers["etag"]
    if SHOTS:
        log_in(phone_page, live_server.url, "lan", next_url="/annotations/tokens/")
        phone_page.screenshot(path=f"{SHOTS}/tokens-phone.png", full_page=True)
