"""Curation in Debian's Chromium: a curator confirms a proposed link in the review queue, gathers
claims from three sources under one canonical claim, sees the matrix (desktop and phone) and
jumps from a cell to the span in the reader."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from annotations import services as annotation_services
from annotations.models import ClaimLink

from .helpers import load_demo, log_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_password_hasher"),
]

#: Where to write screenshots, if anywhere (never into the repository by default).
SHOTS = Path(os.environ.get("PARALLAX_SCREENSHOTS", "")) if os.environ.get("PARALLAX_SCREENSHOTS") else None

#: The training-cost figure as three sources give it.
COST_QUOTES = [(0, "5,6 triệu USD"), (2, "chỉ tốn 6 triệu USD"), (4, "chỉ tốn 5.6 triệu USD")]


def _shot(page, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / name), full_page=False)


@pytest.fixture
def demo_claims(live_server, monkeypatch):
    """The demo story with Lan's claims on the training cost in three sources and a proposed
    link between the first two."""
    articles = load_demo(monkeypatch)
    lan = get_user_model().objects.get(username="lan")
    claims = []
    for index, text in COST_QUOTES:
        article = articles[index]
        start = article.body.index(text)
        claims.append(
            annotation_services.claim_create(
                author=lan, article=article, start=start, end=start + len(text), exact=text
            )
        )
    link, _ = annotation_services.link_create(
        author=lan, claim_a=claims[0], claim_b=claims[1], relation="qualifies"
    )
    return articles, claims, link


def test_curator_confirms_a_link_gathers_claims_and_reads_the_matrix(page, live_server, demo_claims):
    articles, claims, link = demo_claims
    log_in(page, live_server.url, "curator", next_url="/curation/review/?story=deepseek-r1")

    # Review queue: the proposed link is listed; tick it and confirm (htmx swaps the list).
    item = page.locator(f'[data-link="{link.pk}"]')
    expect(item).to_contain_text("5,6 triệu USD")
    expect(item.locator(".status")).to_have_text(re.compile("proposed", re.I))
    _shot(page, "curation-review-queue.png")
    item.locator('input[name="links"]').check()
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#queue [role=status]")).to_contain_text("1 link(s) marked confirmed")
    expect(page.locator(f'[data-link="{link.pk}"]')).to_have_count(0)  # left the "proposed" view
    assert ClaimLink.objects.get(pk=link.pk).status == "confirmed"

    # Matrix: gather the three claims under one statement.
    page.goto(f"{live_server.url}/stories/deepseek-r1/matrix/")
    for claim in claims:
        page.locator(f"#pick-{claim.pk}").check()
    page.get_by_label("New canonical claim").fill("The final training run cost about 5.6 million USD")
    page.get_by_role("button", name="Gather").click()
    row = page.locator("tr[data-canonical]")
    expect(row).to_have_count(1)
    expect(row.locator("th")).to_contain_text("The final training run cost about 5.6 million USD")
    expect(row.locator("a.m-quote")).to_have_count(3)
    expect(row.locator("td.stance-silent")).to_have_count(2)  # two sources say nothing of it
    _shot(page, "curation-matrix-desktop.png")

    # A cell jumps to its span in the reader.
    row.locator(f'a[data-claim-link="{claims[2].pk}"]').click()
    expect(page).to_have_url(re.compile(rf"/stories/deepseek-r1/\?claim={claims[2].pk}"))
    expect(page.locator(f'mark[data-claim~="{claims[2].pk}"]').first).to_have_class(
        re.compile("is-selected")
    )


def test_matrix_on_a_phone(phone_page, live_server, demo_claims):
    page = phone_page
    page.goto(f"{live_server.url}/stories/deepseek-r1/matrix/")
    table = page.locator("table.matrix")
    expect(table).to_be_visible()
    expect(page.locator("tr.m-row")).to_have_count(3)
    # The table scrolls inside its own box; the page itself does not scroll sideways.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    _shot(page, "curation-matrix-phone.png")

    # The review queue holds on a phone too.
    _articles, _claims, link = demo_claims
    log_in(page, live_server.url, "curator", next_url="/curation/review/?story=deepseek-r1")
    expect(page.locator(f'[data-link="{link.pk}"]')).to_be_visible()
    expect(page.get_by_role("button", name="Confirm")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    _shot(page, "curation-review-queue-phone.png")


def test_curator_settles_a_contradiction_and_the_reader_shows_the_verdict(
    page, live_server, demo_claims
):
    articles, claims, _link = demo_claims
    lan = get_user_model().objects.get(username="lan")
    text = "đã đầu tư hơn 500 triệu USD"
    start = articles[2].body.index(text)
    invested = annotation_services.claim_create(
        author=lan, article=articles[2], start=start, end=start + len(text), exact=text
    )
    contradiction, _ = annotation_services.link_create(
        author=lan, claim_a=claims[0], claim_b=invested, relation="contradicts"
    )
    log_in(page, live_server.url, "curator", next_url=f"/links/{contradiction.pk}/verdict/")
    page.get_by_label("Markettimes").check()
    page.get_by_label("Rating").select_option("misleading")
    page.get_by_label("Evidence", exact=True).fill(
        "5.6 million USD covers only the final training run, not the hardware or research."
    )
    page.get_by_role("button", name="Save verdict").click()
    expect(page).to_have_url(re.compile(rf"\?claim={claims[0].pk}"))
    verdict = page.locator(f'.claim-panel [data-link="{contradiction.pk}"] .link-verdict')
    expect(verdict).to_contain_text("misleading")
    expect(verdict).to_contain_text("only the final training run")
    expect(page.locator(f'.claim-panel [data-link="{contradiction.pk}"] .link-status')).to_have_text(
        re.compile("proposed", re.I)
    )
    _shot(page, "curation-reader-verdict.png")

    # The story's history has the verdict, who gave it and what it says.
    page.goto(f"{live_server.url}/stories/deepseek-r1/history/")
    row = page.locator("tr", has_text="verdict #").first
    expect(row).to_contain_text("curator")
    expect(row).to_contain_text("created")
    _shot(page, "curation-history.png")


def test_admin_trims_the_ad_notice_and_a_sentence_then_the_curator_reattaches_the_orphan(
    page, live_server, demo_claims
):
    articles, claims, _link = demo_claims
    markettimes = articles[0]
    lan = get_user_model().objects.get(username="lan")
    gone = "Tuần này, một phòng thí nghiệm trí tuệ nhân tạo nhỏ tại Trung Quốc"
    start = markettimes.body.index(gone)
    doomed = annotation_services.claim_create(
        author=lan, article=markettimes, start=start, end=start + len(gone), exact=gone
    )
    notice_end = markettimes.body.index("Cảm ơn bạn!\n") + len("Cảm ơn bạn!\n")
    sentence_end = markettimes.body.index(".", start) + 1
    new_body = (
        markettimes.body[notice_end:start].lstrip("\n")
        + "Một phòng thí nghiệm AI nhỏ của Trung Quốc"
        + markettimes.body[start + len(gone) : sentence_end]
        + markettimes.body[sentence_end:]
    )

    log_in(page, live_server.url, "curator")
    page.goto(f"{live_server.url}/admin/articles/article/{markettimes.pk}/change/")
    page.locator("#id_body").fill(new_body)
    page.locator("input[name=_save]").click()
    warning = page.locator(".errorlist.nonfield")
    expect(warning).to_contain_text("would orphan 1 claim")
    expect(warning).to_contain_text("Tuần này")
    _shot(page, "curation-admin-orphan-warning.png")
    page.locator("#id_orphan_ok").check()
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist")).to_contain_text("changed successfully")

    # Every other claim is still on its words; the one whose words went is an orphan.
    for claim in claims:
        claim.refresh_from_db()
        article = claim.article
        article.refresh_from_db()
        assert article.body[claim.start : claim.end] == claim.exact
    page.goto(f"{live_server.url}/stories/deepseek-r1/orphans/")
    orphan = page.locator(f'[data-orphan="{doomed.pk}"]')
    expect(orphan).to_contain_text("Tuần này")
    _shot(page, "curation-orphans.png")
    orphan.get_by_role("button", name="Re-attach here").first.click()
    expect(page.locator(f'[data-orphan="{doomed.pk}"]')).to_have_count(0)
    doomed.refresh_from_db()
    assert doomed.status == "active" and "phòng thí nghiệm AI nhỏ" in doomed.exact
