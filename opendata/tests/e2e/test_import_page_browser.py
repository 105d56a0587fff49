"""In Chromium: a person uploads a Hypothesis export on a story's import page, reads the dry-run
report, confirms, and finds the imported claim in the reader with where it came from."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from annotations.models import Claim
from opendata.tests.test_interop import SAMPLES, WIKI_BODY
from tests import factories
from tests.e2e.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("OPENDATA_SCREENSHOTS")  # a folder to look at the pages in
PASSWORD = "pw-for-tests-only"


def test_upload_check_confirm_and_read(page, phone_page, live_server, fast_password_hasher):
    story = factories.make_story(slug="regression", title="Regression testing")
    factories.make_article(
        story=story, body=WIKI_BODY, title="Regression testing (Wikipedia)", position=0
    )
    lan = factories.make_user(username="lan")
    lan.set_password(PASSWORD)  # with this test's hasher (the factory caches its hash)
    lan.save(update_fields=["password"])
    log_in(page, live_server.url, "lan", password=PASSWORD, next_url=f"/stories/{story.slug}/")
    page.locator(".export-menu").get_by_text("Export").click()
    page.get_by_role("link", name="Import annotations…").click()
    expect(page.get_by_role("heading", name="Import annotations")).to_be_visible()

    page.get_by_label("Annotation file (.json, .jsonld)").set_input_files(
        str(SAMPLES / "hypothesis-wikipedia-regression-testing.json")
    )
    page.get_by_role("button", name="Check the file").click()
    result = page.locator("#import-result")
    expect(result.get_by_role("heading", name="What the import would do")).to_be_visible(
        timeout=30_000
    )
    expect(result.locator('[data-count="created"] strong')).to_have_text("4")
    expect(result.locator('[data-count="orphaned"] strong')).to_have_text("1")
    expect(result.locator(".import-item.status-orphaned")).to_have_count(1)
    assert Claim.objects.count() == 0  # only checked
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/import-check-desktop.png", full_page=True)

    result.get_by_role("button", name="Import").click()
    expect(result.get_by_text("Done. The annotations are in the story now.")).to_be_visible(
        timeout=30_000
    )
    assert Claim.objects.count() == 4

    claim = Claim.objects.get(note="Quote")
    page.goto(f"{live_server.url}/stories/{story.slug}/?claim={claim.pk}")
    origin = page.locator(f'[data-claim-origin="{claim.pk}"]')
    expect(origin).to_contain_text("imported from Hypothesis")
    expect(origin).to_contain_text("acct:mark@localhost")
    expect(origin).to_contain_text("2016-12-16")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/reader-provenance-desktop.png")

    if SHOTS:
        log_in(phone_page, live_server.url, "lan", password=PASSWORD,
               next_url=f"/stories/{story.slug}/import/")
        phone_page.goto(f"{live_server.url}/stories/{story.slug}/import/")
        phone_page.get_by_label("Annotation file (.json, .jsonld)").set_input_files(
            str(SAMPLES / "hypothesis-wikipedia-regression-testing.json")
        )
        phone_page.get_by_role("button", name="Check the file").click()
        expect(phone_page.locator('[data-count="existing"] strong')).to_have_text(
            "5", timeout=30_000
        )
        expect(phone_page.get_by_text("there is nothing to import")).to_be_visible()
        expect(phone_page.get_by_role("button", name="Import")).to_have_count(0)
        phone_page.screenshot(path=f"{SHOTS}/import-check-phone.png", full_page=True)
