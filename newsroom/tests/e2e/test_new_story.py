"""A curator builds a three-article story in Debian's Chromium from a link (fetched in the
background from the local page server), a .docx file and pasted text, drops a line in the
preview, stores, and reads the story."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from articles.models import Article, Story
from teams.models import Membership
from tests.e2e.helpers import log_in
from tests.factories import make_team, make_user

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_password_hasher"),
]

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SHOTS = Path(os.environ["PARALLAX_SCREENSHOTS"]) if os.environ.get("PARALLAX_SCREENSHOTS") else None
PASTE = (
    "Vui lòng tắt trình chặn quảng cáo để tiếp tục đọc.\n\n"
    "Hội đồng thành phố đã thông qua cây cầu thứ hai bắc qua sông với 31 phiếu thuận.\n"
    "Công trình dự kiến khởi công vào tháng Ba, chi phí khoảng 1,2 tỷ USD.\n"
    "Một dòng ghi chú của người biên tập không thuộc bài.\n\n"
    "Theo: Financial Times\n"
)


def _shot(page, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / name), full_page=True)


def test_build_a_story_from_a_link_a_file_and_a_paste(live_server, page, page_server, settings):
    settings.NEWSROOM_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    curator = make_user(username="desk-curator", password="pw-e2e")
    make_team(name="Business desk", members={curator: Membership.Role.CURATOR})
    page.set_default_timeout(30_000)
    log_in(page, live_server.url, "desk-curator", "pw-e2e")

    page.get_by_role("link", name="New story").click()
    page.get_by_label("Title").fill("The bridge vote")
    page.get_by_label("Note").fill("How three outlets covered the council's bridge vote.")
    page.get_by_role("button", name="Create story and add articles").click()
    expect(page.get_by_role("heading", name="Add articles")).to_be_visible()

    page.get_by_label("Links, one per line").fill(f"{page_server}/pages/theguardian.com.academics.html")
    page.get_by_label("Files (.html, .txt, .md, .docx, .pdf)").set_input_files(str(SAMPLES / "article.docx"))
    page.get_by_label("Pasted text", exact=True).fill(PASTE)
    page.get_by_role("button", name="Add to preview").click()

    # The link is fetched in the background; its row polls until it is ready.
    expect(page.locator(".nr-item.status-ready")).to_have_count(3, timeout=30_000)
    expect(page.locator("#nr-progress")).to_contain_text("Links fetched: 1 of 1")
    paste = page.locator(".nr-item", has_text="Pasted text")
    ad = paste.locator(".nr-line", has_text="trình chặn quảng cáo")
    expect(ad.locator("input")).to_be_checked()  # flagged as an ad notice, struck through
    ad_text = ad.locator(".nr-line-text")
    expect(ad_text).to_have_css("text-decoration-line", "line-through")
    ad_text.click()  # one click keeps it: no longer struck through
    expect(ad.locator("input")).not_to_be_checked()
    expect(ad_text).to_have_css("text-decoration-line", "none")
    ad_text.click()  # and one more drops it again
    expect(ad.locator("input")).to_be_checked()
    expect(ad_text).to_have_css("text-decoration-line", "line-through")
    expect(paste.get_by_label("Translated from")).to_have_value("Financial Times")
    note = paste.locator(".nr-line", has_text="Một dòng ghi chú")
    expect(note.locator("input")).not_to_be_checked()
    note.locator(".nr-line-text").click()  # one click drops it
    expect(note.locator("input")).to_be_checked()
    _shot(page, "newsroom-preview-1440.png")

    page.get_by_role("button", name="Store the ready articles").click()
    story = Story.objects.get(title="The bridge vote")
    expect(page.locator("[data-article]")).to_have_count(3)
    expect(page.locator(".column-title").first).to_be_visible()
    _shot(page, "newsroom-reader-1440.png")
    texts = {a.title: a.body for a in Article.objects.filter(story=story)}
    pasted = next(body for body in texts.values() if "cây cầu" in body)
    assert "quảng cáo" not in pasted and "ghi chú" not in pasted
    assert any("casual" in body for body in texts.values())
    assert "Council approves the new river bridge" in texts
    assert "Hội đồng thành phố đã thông qua cây cầu thứ hai bắc qua sông với 31 phiếu thuận." in texts
