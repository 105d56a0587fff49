"""Claims and links in Debian's Chromium: highlight in two columns, link them as contradicting,
reload and find the pairing again; the same with the keyboard only; errors next to the
selection; the Connections panel; and the phone layout."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from annotations.models import Claim, ClaimLink

from .helpers import DEMO_SLUG, load_demo, log_in, query_params, select_text

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_password_hasher"),
]

# Phrases inside one paragraph of the first and the third demo column.
PHRASE_1 = "Tuần này, một phòng thí nghiệm trí tuệ nhân tạo nhỏ"
PHRASE_3 = "DeepSeek chỉ tốn 6 triệu USD"


@pytest.fixture
def demo(live_server, monkeypatch):
    return load_demo(monkeypatch)


def _reader(page: Page, live_server, user: str = "lan") -> None:
    log_in(page, live_server.url, user, next_url=f"/stories/{DEMO_SLUG}/")
    expect(page.locator("[data-article]")).to_have_count(5)


def _highlight_with_mouse(page: Page, article_pk: int, text: str) -> Claim:
    select_text(page, article_pk, text)
    popup = page.locator(".highlight-popup button")
    expect(popup).to_be_visible()
    popup.click()
    mark = page.locator(f"#article-{article_pk} mark[data-claim]").filter(has_text=text.split()[0])
    expect(mark.first).to_be_visible()
    claim = Claim.objects.get(article_id=article_pk, exact=text)
    # The page is done with this highlight (after the swap settles it clears the selection,
    # closes the popup and focuses the new claim) before the test selects anything else: under
    # load, a selection made earlier was cleared by it and the next Highlight never showed.
    expect(page.locator(f"#claim-{claim.pk}")).to_be_focused()
    return claim


def test_highlight_two_columns_link_as_contradicts_and_find_it_after_reload(
    page, live_server, demo
):
    first, third = demo[0], demo[2]
    _reader(page, live_server)

    claim_1 = _highlight_with_mouse(page, first.pk, PHRASE_1)
    claim_3 = _highlight_with_mouse(page, third.pk, PHRASE_3)
    assert first.body[claim_1.start : claim_1.end] == PHRASE_1
    assert third.body[claim_3.start : claim_3.end] == PHRASE_3

    # Pick the first claim: its panel opens and the URL keeps it (a shareable selection).
    page.locator(f'mark[data-claim~="{claim_1.pk}"]').first.click()
    panel = page.locator(f'[data-panel-claim="{claim_1.pk}"]')
    expect(panel).to_be_visible()
    expect(page).to_have_url(re.compile(rf"claim={claim_1.pk}"))

    # Link mode, then the claim in the third column, then the relation.
    panel.get_by_role("button", name=re.compile("Link to a claim in another column")).click()
    page.locator(f'mark[data-claim~="{claim_3.pk}"]').first.click()
    form = page.locator(".link-form")
    expect(form).to_be_visible()
    form.locator('input[value="contradicts"]').check()
    form.locator("textarea[name=rationale]").fill("6 triệu USD chỉ là lần chạy cuối")
    form.get_by_role("button", name="Create link").click()
    expect(page.locator(".link-form")).to_have_count(0)

    link = ClaimLink.objects.get()
    assert (link.relation, {link.claim_a_id, link.claim_b_id}) == (
        "contradicts",
        {claim_1.pk, claim_3.pk},
    )
    item = page.locator(f'[data-panel-claim="{claim_1.pk}"] .link-item')
    expect(item).to_have_count(1)
    expect(item.locator(".rel")).to_contain_text("contradicts")  # text, not colour alone
    expect(item).to_contain_text(PHRASE_3)

    # A reload shows the same pairing from the URL alone.
    page.reload()
    expect(page.locator(f'[data-panel-claim="{claim_1.pk}"] .link-item')).to_contain_text(PHRASE_3)
    for claim in (claim_1, claim_3):
        anchor = page.locator(f"#claim-{claim.pk}")  # the claim's first segment
        expect(anchor).to_have_attribute("aria-label", re.compile("contradicts"))
    # The linked claim in the other column is scrolled into view.
    expect(page.locator(f'mark[data-claim~="{claim_3.pk}"]').first).to_be_in_viewport()

    # The Connections panel lists the link with both quotes and jumps to each span.
    page.get_by_role("button", name=re.compile(r"Connections \(1\)")).click()
    connections = page.locator(".connections")
    expect(connections).to_contain_text(PHRASE_1)
    expect(connections).to_contain_text(PHRASE_3)
    connections.locator(f'[data-jump-claim="{claim_3.pk}"]').first.click()
    expect(page.locator(f"#claim-{claim_3.pk}")).to_be_focused()

    # "Only contradictions" keeps the contradicting pair.
    page.get_by_role("button", name=re.compile("Only contradictions")).click()
    expect(page).to_have_url(re.compile("only=contradicts"))
    expect(page.locator(f'mark[data-claim~="{claim_1.pk}"]').first).to_be_visible()


def test_keyboard_only_highlight_and_link(page, live_server, demo):
    first, third = demo[0], demo[2]
    _reader(page, live_server)

    def highlight_first_sentence(article_pk: int) -> Claim:
        before = set(Claim.objects.values_list("pk", flat=True))
        page.locator(f"#article-{article_pk}").focus()
        page.keyboard.press("j")
        page.keyboard.press("h")
        expect(page.locator(f"#article-{article_pk} mark[data-claim]").first).to_be_visible()
        (claim,) = Claim.objects.exclude(pk__in=before)
        # Done with this highlight (the new claim focused) before the next column is focused:
        # under load, that late focus took the keys meant for the next column.
        expect(page.locator(f"#claim-{claim.pk}")).to_be_focused()
        return claim

    claim_1 = highlight_first_sentence(first.pk)
    claim_3 = highlight_first_sentence(third.pk)
    assert claim_1.article_id == first.pk and claim_3.article_id == third.pk

    # Enter on a focused mark selects it; the panel's link button is reached with the keyboard.
    page.locator(f"#claim-{claim_1.pk}").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f'[data-panel-claim="{claim_1.pk}"]')).to_be_visible()
    start_link = page.get_by_role("button", name=re.compile("Link to a claim in another column"))
    start_link.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".link-mode-hint").first).to_be_visible()
    page.locator(f"#claim-{claim_3.pk}").focus()
    page.keyboard.press("Enter")
    form = page.locator(".link-form")
    expect(form).to_be_visible()
    form.locator('input[value="contradicts"]').focus()
    page.keyboard.press("Space")
    expect(form.locator('input[value="contradicts"]')).to_be_checked()
    form.get_by_role("button", name="Create link").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".link-form")).to_have_count(0)
    assert ClaimLink.objects.filter(relation="contradicts").count() == 1

    # Marks and links have accessible names.
    expect(page.locator(f"#claim-{claim_1.pk}")).to_have_attribute(
        "aria-label", re.compile(r"Claim by lan.*contradicts", re.S)
    )


def test_whitespace_selection_error_shows_next_to_it_and_nothing_is_stored(
    page, live_server, demo
):
    first = demo[0]
    _reader(page, live_server)
    # A selection of only the gap between two words: the server refuses it, and says why.
    # (H acts while focus is in the article's text, as after selecting it with the mouse.)
    page.locator(f"#article-{first.pk}").focus()
    page.locator(f"#article-{first.pk}").evaluate(
        """(root) => {
            const p = root.querySelector("p[data-start]");
            const node = p.firstChild;
            const at = node.data.indexOf(" ");
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + 1);
            getSelection().removeAllRanges();
            getSelection().addRange(range);
            document.dispatchEvent(new Event("selectionchange"));
            p.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
        }"""
    )
    page.keyboard.press("h")
    error = page.locator(".highlight-popup [role=alert], .highlight-error")
    expect(error.first).to_contain_text("not just spaces")
    assert not Claim.objects.exists()


def test_author_edits_note_and_deletes_a_linked_claim_after_confirming(page, live_server, demo):
    first, third = demo[0], demo[2]
    _reader(page, live_server)
    claim_1 = _highlight_with_mouse(page, first.pk, PHRASE_1)
    claim_3 = _highlight_with_mouse(page, third.pk, PHRASE_3)
    page.goto(f"{live_server.url}/stories/{DEMO_SLUG}/?claim={claim_1.pk}&link_to={claim_3.pk}")
    page.locator('.link-form input[value="agrees"]').check()
    page.get_by_role("button", name="Create link").click()
    expect(page.locator(".link-form")).to_have_count(0)

    panel = page.locator(f'[data-panel-claim="{claim_1.pk}"]')
    panel.locator("summary").filter(has_text="Edit note and tags").click()
    panel.locator("textarea[name=note]").fill("Số liệu của Financial Times")
    panel.locator("input[name=tags]").fill("chi phí, FT")
    panel.get_by_role("button", name="Save").click()
    expect(page.locator(".claim-note")).to_have_text("Số liệu của Financial Times")
    claim_1.refresh_from_db()
    assert (claim_1.note, claim_1.tags) == ("Số liệu của Financial Times", ["chi phí", "ft"])

    # Deleting a linked claim asks first, then removes the claim and its link.
    page.locator(f'[data-panel-claim="{claim_1.pk}"]').get_by_role(
        "link", name=re.compile("Delete claim")
    ).click()
    confirm = page.locator(".confirm")
    expect(confirm).to_contain_text("1 link")
    assert Claim.objects.filter(pk=claim_1.pk).exists()
    confirm.get_by_role("button", name="Delete").click()
    expect(page.locator(f'mark[data-claim~="{claim_1.pk}"]')).to_have_count(0)
    assert not Claim.objects.filter(pk=claim_1.pk).exists()
    assert not ClaimLink.objects.exists()
    assert "claim" not in query_params(page.url)


def test_phone_layout_highlight_in_one_column_at_a_time(phone_page, live_server, demo):
    page = phone_page
    first = demo[0]
    log_in(page, live_server.url, "lan", next_url=f"/stories/{DEMO_SLUG}/")
    expect(page.locator(f"#col-{first.pk}")).to_be_visible()
    expect(page.locator(f"#col-{demo[1].pk}")).to_be_hidden()
    claim = _highlight_with_mouse(page, first.pk, PHRASE_1)
    page.locator(f'mark[data-claim~="{claim.pk}"]').first.click()
    expect(page.locator(f'[data-panel-claim="{claim.pk}"]')).to_be_visible()
    # Nothing sticks out sideways on a phone.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1


def test_a_highlight_redraws_its_paragraph_as_a_reload_would(page, live_server, demo):
    """Marks are drawn by the server only: Highlight swaps in the paragraph the server
    draws it (a new claim inside an older one splits it into more segments, the middle one
    drawn once and listing both claims), focuses the new mark, and a reload shows exactly the
    same marks."""
    first = demo[0]
    _reader(page, live_server)
    outer = _highlight_with_mouse(page, first.pk, PHRASE_1)
    assert "claim" not in query_params(page.url)  # the reader's view did not change
    inner_text = "phòng thí nghiệm"
    select_text(page, first.pk, inner_text)
    page.locator(".highlight-popup button").click()
    # The older claim is now three segments around the new one; the middle one is one mark
    # listing both (outermost first), not a mark inside a mark.
    expect(page.locator(f"#article-{first.pk} mark[data-claim~='{outer.pk}']")).to_have_count(3)
    expect(page.locator(f"#article-{first.pk} mark[data-claim] mark")).to_have_count(0)
    inner = Claim.objects.get(article_id=first.pk, exact=inner_text)

    def drawn() -> dict:
        return page.evaluate(
            """(ids) => Object.fromEntries(ids.map((id) => {
                const marks = [...document.querySelectorAll(`mark[data-claim~="${id}"]`)];
                const head = document.getElementById(`claim-${id}`);
                return [id, {
                    text: marks.map((m) => m.textContent).join(""),
                    shared: marks.map((m) => m.dataset.claim),
                    label: head?.getAttribute("aria-label"), role: head?.getAttribute("role"),
                    tab: head?.tabIndex,
                }];
            }))""",
            [str(outer.pk), str(inner.pk)],
        )

    in_page = drawn()
    assert in_page[str(outer.pk)]["text"] == PHRASE_1 == outer.exact
    assert in_page[str(inner.pk)]["text"] == inner_text == inner.exact
    # Inside the older claim: its one segment lists both claims, outermost first.
    assert in_page[str(inner.pk)]["shared"] == [f"{outer.pk} {inner.pk}"]
    assert in_page[str(outer.pk)]["shared"] == [str(outer.pk), f"{outer.pk} {inner.pk}", str(outer.pk)]
    expect(page.locator(f"#claim-{inner.pk}")).to_be_focused()
    page.reload()
    expect(page.locator(f"#claim-{inner.pk}")).to_be_attached()
    assert drawn() == in_page


def test_with_layers_chosen_a_highlight_shows_as_the_server_draws_it(page, live_server, demo):
    """Layer toggles decide what shows. With only the demo team's layer on, a new public claim
    is stored but not drawn: the page asks the server rather than marking the words itself."""
    from teams.models import Team

    team = Team.objects.get(name="Demo desk")
    first = demo[0]
    url = f"/stories/{DEMO_SLUG}/?layers=team:{team.pk}"
    log_in(page, live_server.url, "lan", next_url=url)
    expect(page.locator("[data-article]")).to_have_count(5)
    select_text(page, first.pk, PHRASE_1)
    page.locator(".highlight-popup button").click()
    expect(page.locator("#reader-status")).to_have_text("Claim highlighted.")
    claim = Claim.objects.get(article_id=first.pk, exact=PHRASE_1)
    assert claim.visibility == "public"
    expect(page.locator(f"#article-{first.pk}")).to_contain_text(PHRASE_1)
    expect(page.locator(f'mark[data-claim~="{claim.pk}"]')).to_have_count(0)
    assert query_params(page.url).get("layers") == f"team:{team.pk}"
