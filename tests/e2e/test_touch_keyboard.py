"""Issue 13, phone and keyboard: highlighting by touch (a CDP tap, then the selection a long
press makes), the phone layout (text in the first third, tabs in step with the selected claim,
the history table and the review bar), linking from the keyboard within a key budget, Esc and
where focus goes back, shortcuts that act only in the text, the "?" dialog, whole-word
selections (Alt keeps the exact one)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from annotations.models import Claim, ClaimLink
from tests.factories import make_claim, make_link

from .helpers import DEMO_SLUG, load_demo, log_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_password_hasher"),
]

# Inside one paragraph of the first and the third demo column.
PHRASE_1 = "Tuần này, một phòng thí nghiệm trí tuệ nhân tạo nhỏ"
PHRASE_3 = "DeepSeek chỉ tốn 6 triệu USD"
READER = f"/stories/{DEMO_SLUG}/"


@pytest.fixture
def demo(live_server, monkeypatch):
    return load_demo(monkeypatch)


def _new_claims(before: set[int]) -> list[Claim]:
    return list(Claim.objects.exclude(pk__in=before))


def _select(page: Page, article_pk: int, text: str, *, mouseup: bool = True, alt: bool = False) -> None:
    """Select ``text`` in a column as a finger (no mouseup: the page hears only
    selectionchange) or a mouse (mouseup, with Alt held when ``alt``)."""
    page.locator(f"#article-{article_pk}").evaluate(
        """(root, [text, mouseup, alt]) => {
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const at = node.data.indexOf(text);
                if (at === -1) continue;
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + text.length);
                getSelection().removeAllRanges();
                getSelection().addRange(range);
                if (mouseup) node.parentElement.dispatchEvent(new MouseEvent("mouseup", {bubbles: true, altKey: alt}));
                return;
            }
            throw new Error("not found: " + text);
        }""",
        [text, mouseup, alt],
    )


def _tap(page: Page, cdp, locator) -> None:
    """A finger tap through CDP touch events at the middle of ``locator``'s first box (a mark
    that wraps onto two lines may have no text at the middle of its bounding box)."""
    expect(locator).to_be_visible()
    point = locator.evaluate(
        """(element) => {
            const box = element.getClientRects()[0];
            return {x: box.left + box.width / 2, y: box.top + box.height / 2};
        }"""
    )
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


# --- phone ----------------------------------------------------------------------------------


def test_touch_selection_offers_highlight_in_view_and_text_starts_in_the_first_third(
    phone_page, live_server, demo
):
    page = phone_page
    first = demo[0]
    log_in(page, live_server.url, "lan", next_url=READER)
    column = page.locator(f"#article-{first.pk}")
    expect(column).to_be_visible()
    # Header and tools fold away: the first paragraph starts in the top third of 390x844, once
    # the page has settled (styles and reader.js applied; a loaded machine gets there late).
    first_paragraph = f"#article-{first.pk} p[data-start]"
    try:
        page.wait_for_function(
            "(selector) => document.querySelector(selector).getBoundingClientRect().top < 844 / 3",
            arg=first_paragraph,
        )
    except PlaywrightTimeoutError:
        top = column.locator("p[data-start]").first.bounding_box()["y"]
        raise AssertionError(f"the text starts at {top}px") from None
    # The tools are one tap away.
    toggle = page.get_by_role("button", name="Overview and tools")
    expect(page.locator("#reader-toolbar")).to_be_hidden()
    toggle.click()
    expect(page.locator("#reader-toolbar")).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    toggle.click()
    expect(page.locator("#reader-toolbar")).to_be_hidden()

    cdp = page.context.new_cdp_session(page)
    paragraph = column.locator("p[data-start]").filter(has_text=PHRASE_1)
    paragraph.scroll_into_view_if_needed()
    _tap(page, cdp, paragraph)
    # A long press selects; the handles then grow it (mid-word here). No mouseup comes.
    before = set(Claim.objects.values_list("pk", flat=True))
    _select(page, first.pk, "phòng thí nghiệm trí t", mouseup=False)
    popup = page.locator("#highlight-popup")
    button = popup.get_by_role("button", name=re.compile("Highlight"))
    expect(button).to_be_visible()
    expect(popup).to_have_class(re.compile("is-docked"))
    box = button.bounding_box()
    assert 0 <= box["y"] and box["y"] + box["height"] <= 844 and box["height"] >= 32
    # The selection grew to whole words, on screen as on the wire.
    assert page.evaluate("getSelection().toString()") == "phòng thí nghiệm trí tuệ"

    _tap(page, cdp, button)
    expect(column.locator("mark[data-claim]").filter(has_text="phòng").first).to_be_visible()
    (claim,) = _new_claims(before)
    assert claim.exact == "phòng thí nghiệm trí tuệ"
    expect(popup).to_be_hidden()


def _in_view(page: Page, locator) -> bool:
    """Whether ``locator`` shows inside its column's scrolled body (not scrolled out of it)."""
    return locator.evaluate(
        """(mark) => {
            const body = mark.closest(".column-body").getBoundingClientRect();
            const box = mark.getBoundingClientRect();
            return box.height > 0 && box.top >= body.top && box.bottom <= body.bottom;
        }"""
    )


def test_a_link_is_made_by_touch_alone_and_its_other_end_stays_in_view(phone_page, live_server, demo):
    page = phone_page
    first, third = demo[0], demo[2]
    target = make_claim(article=third, text=PHRASE_3)
    log_in(page, live_server.url, "lan", next_url=READER)
    cdp = page.context.new_cdp_session(page)
    column = page.locator(f"#article-{first.pk}")
    paragraph = column.locator("p[data-start]").filter(has_text=PHRASE_1)
    paragraph.scroll_into_view_if_needed()
    _tap(page, cdp, paragraph)
    before = set(Claim.objects.values_list("pk", flat=True))
    _select(page, first.pk, "phòng thí nghiệm", mouseup=False)
    _tap(page, cdp, page.locator("#highlight-popup").get_by_role("button", name=re.compile("Highlight")))
    mark = column.locator("mark[data-claim]").filter(has_text="phòng thí nghiệm")
    expect(mark).to_be_visible()
    (source,) = _new_claims(before)
    expect(page.locator(f"#claim-{source.pk}")).to_be_focused()  # the page is done with it

    # Tap the new claim, then "Link…", then the other article's tab and a claim in it.
    _tap(page, cdp, mark)
    expect(page.locator(f'[data-panel-claim="{source.pk}"]')).to_be_visible()
    start = page.get_by_role("button", name=re.compile("Link to a claim in another column"))
    start.scroll_into_view_if_needed()
    _tap(page, cdp, start)
    expect(page.locator(".link-mode-hint").first).to_be_visible()
    _tap(page, cdp, page.locator(f"#tab-{third.pk}"))
    expect(page.locator(f"#col-{third.pk}")).to_be_visible()
    other = page.locator(f"#claim-{target.pk}")
    other.scroll_into_view_if_needed()
    _tap(page, cdp, other)
    form = page.locator(".link-form")
    expect(form).to_be_visible()
    for control in (form.locator('input[value="qualifies"]'), form.get_by_role("button", name="Create link")):
        control.scroll_into_view_if_needed()
        _tap(page, cdp, control)
    expect(page.locator(".link-item[data-link]")).to_contain_text("qualifies")
    link = ClaimLink.objects.get()
    assert (link.relation, {link.claim_a_id, link.claim_b_id}) == ("qualifies", {source.pk, target.pk})
    # The open tab is still the other article's, and its end of the new link is on screen in it
    # (lining it up with the source claim, whose column is folded away, scrolled it out of view).
    expect(page.locator(f"#tab-{third.pk}")).to_have_attribute("aria-selected", "true")
    expect(other).to_be_visible()
    assert _in_view(page, other), "the linked claim was scrolled out of its column"


def test_tabs_and_the_selected_claim_stay_in_step(phone_page, live_server, demo):
    page = phone_page
    first, third = demo[0], demo[2]
    lan_claim_3 = make_claim(article=third, text=PHRASE_3)
    claim_1 = make_claim(article=first, text=PHRASE_1, author=lan_claim_3.author)
    make_link(claim_a=claim_1, claim_b=lan_claim_3, relation="agrees")
    page.goto(f"{live_server.url}{READER}")
    expect(page.locator(f"#col-{first.pk}")).to_be_visible()

    # Switch to the third tab, tap a claim there: the third column stays open.
    page.locator(f"#tab-{third.pk}").click()
    mark = page.locator(f"#claim-{lan_claim_3.pk}")
    expect(mark).to_be_visible()
    mark.click()
    expect(page.locator(f'[data-panel-claim="{lan_claim_3.pk}"]')).to_be_visible()
    expect(page.locator(f"#col-{third.pk}")).to_be_visible()
    expect(page.locator(f"#tab-{third.pk}")).to_have_attribute("aria-selected", "true")
    expect(page).to_have_url(re.compile(rf"tab={third.pk}"))

    # Following the link to the other claim opens its tab.
    page.locator(".link-other").first.click()
    expect(page.locator(f'[data-panel-claim="{claim_1.pk}"]')).to_be_visible()
    expect(page.locator(f"#tab-{first.pk}")).to_have_attribute("aria-selected", "true")
    expect(page.locator(f"#col-{first.pk}")).to_be_visible()
    expect(page.locator(f"#claim-{claim_1.pk}")).to_be_visible()


def test_history_table_fits_and_review_bar_covers_no_item(phone_page, live_server, demo):
    page = phone_page
    first, third = demo[0], demo[2]
    for n, text in enumerate(["Tuần này", "phòng thí nghiệm", "trí tuệ nhân tạo", "nhỏ"]):
        a = make_claim(article=first, text=text)
        b = make_claim(article=third, text=PHRASE_3.split()[n % 5] if n else PHRASE_3)
        make_link(claim_a=a, claim_b=b, relation="contradicts")
    log_in(page, live_server.url, "curator", next_url=f"/stories/{DEMO_SLUG}/history/")
    for summary in page.locator(".history summary").all()[:6]:
        summary.click()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 391, f"the history page is {width}px wide"
    right = page.locator(".history").evaluate(
        "t => Math.max(...[...t.querySelectorAll('td, th')].map(c => c.getBoundingClientRect().right))"
    )
    assert right <= 391, f"a history cell reaches {right}px"

    page.goto(f"{live_server.url}/curation/review/?story={DEMO_SLUG}")
    boxes = page.locator(".queue-item input[type=checkbox]")
    expect(boxes.first).to_be_visible()
    boxes.first.check()
    bar = page.locator(".bulk")
    assert bar.bounding_box()["height"] < 844 * 0.25
    # Every item's checkbox, brought into view with the keyboard, is not under the bar.
    for i in range(boxes.count()):
        box = boxes.nth(i)
        box.focus()
        covered = box.evaluate(
            """(el) => {
                const r = el.getBoundingClientRect();
                const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                return !(hit === el || el.contains(hit) || hit?.control === el);
            }"""
        )
        assert not covered, f"item {i} is under the review bar"


# --- keyboard -------------------------------------------------------------------------------


def test_keyboard_linking_needs_at_most_five_keys_after_choosing_the_target(
    page, live_server, demo
):
    first, third = demo[0], demo[2]
    log_in(page, live_server.url, "lan", next_url=READER)
    from django.contrib.auth import get_user_model

    lan = get_user_model().objects.get(username="lan")
    claim_1 = make_claim(article=first, text=PHRASE_1, author=lan)
    claim_3 = make_claim(article=third, text=PHRASE_3, author=lan)
    page.goto(f"{live_server.url}{READER}?claim={claim_1.pk}")
    page.get_by_role("button", name=re.compile("Link to a claim in another column")).focus()
    page.keyboard.press("Enter")
    expect(page.locator(".link-mode-hint").first).to_be_visible()
    page.locator(f"#claim-{claim_3.pk}").focus()
    page.keyboard.press("Enter")  # the target is chosen; the budget starts now
    form = page.locator(".link-form")
    expect(form).to_be_visible()
    expect(form.locator('input[value="agrees"]')).to_be_focused()
    keys = ["ArrowDown", "Enter"]  # agrees -> contradicts, then create
    for key in keys:
        page.keyboard.press(key)
    expect(page.locator(".link-form")).to_have_count(0)
    assert len(keys) <= 5
    link = ClaimLink.objects.get()
    assert (link.relation, {link.claim_a_id, link.claim_b_id}) == ("contradicts", {claim_1.pk, claim_3.pk})
    # Focus is back on the claim, not lost on the page.
    expect(page.locator(f"#claim-{claim_1.pk}")).to_be_focused()


def test_esc_closes_popup_link_mode_and_panel_and_focus_goes_back(page, live_server, demo):
    first, third = demo[0], demo[2]
    log_in(page, live_server.url, "lan", next_url=READER)
    column = page.locator(f"#article-{first.pk}")
    column.focus()
    _select(page, first.pk, PHRASE_1)
    popup = page.locator("#highlight-popup")
    expect(popup).to_be_visible()
    page.keyboard.press("Escape")
    expect(popup).to_be_hidden()
    expect(column).to_be_focused()

    claim = make_claim(article=first, text="phòng thí nghiệm")
    make_claim(article=third, text=PHRASE_3)
    page.reload()
    mark = page.locator(f"#claim-{claim.pk}")
    mark.focus()
    page.keyboard.press("Enter")
    panel = page.locator("#side-panel")
    expect(panel).to_be_visible()
    # Link mode: Esc leaves it and focus goes back to the button that started it.
    start = page.get_by_role("button", name=re.compile("Link to a claim in another column"))
    start.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".link-mode-hint").first).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator(".link-mode-hint").first).to_be_hidden()
    expect(start).to_be_focused()
    # The panel: Esc closes it, focus goes back to the claim it was about.
    page.keyboard.press("Escape")
    expect(panel).to_have_count(0)
    expect(page.locator(f"#claim-{claim.pk}")).to_be_focused()
    assert "claim=" not in page.url

    # The Connections panel: Esc closes it and focus goes back to its button.
    connections = page.get_by_role("button", name=re.compile("Connections"))
    connections.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#side-panel")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#side-panel")).to_have_count(0)
    expect(page.locator('[data-focus-key="connections"]')).to_be_focused()


def test_letter_shortcuts_act_only_in_the_text_and_the_help_dialog_lists_them(
    page, live_server, demo
):
    first = demo[0]
    log_in(page, live_server.url, "lan", next_url=READER)
    chip = page.get_by_role("button", name=re.compile("Only contradictions"))
    chip.focus()
    page.keyboard.press("j")
    assert page.evaluate("getSelection().toString()") == ""
    expect(chip).to_be_focused()

    # "?" opens the list; Esc closes it and focus goes back.
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    for key in ("J", "K", "H", "Esc", "Alt"):
        expect(dialog.locator("kbd", has_text=re.compile(rf"^{re.escape(key)}$")).first).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(chip).to_be_focused()
    # The toolbar button opens it too.
    page.get_by_role("button", name="Keyboard shortcuts").click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()

    # In the text, J selects a sentence.
    page.locator(f"#article-{first.pk}").focus()
    page.keyboard.press("j")
    assert page.evaluate("getSelection().toString()").strip()


def test_selections_snap_to_whole_words_and_alt_keeps_the_exact_one(page, live_server, demo):
    first = demo[0]
    log_in(page, live_server.url, "lan", next_url=READER)
    column = page.locator(f"#article-{first.pk}")
    button = page.locator("#highlight-popup .highlight-button")

    before = set(Claim.objects.values_list("pk", flat=True))
    column.focus()
    _select(page, first.pk, "òng thí nghiệm trí t")
    expect(button).to_be_visible()
    button.click()
    expect(column.locator("mark[data-claim]").first).to_be_visible()
    (claim,) = _new_claims(before)
    assert claim.exact == "phòng thí nghiệm trí tuệ"
    # The page is done with this highlight (it clears the selection and closes the popup after
    # the swap settles, then focuses the new claim) before the next selection is made.
    expect(page.locator(f"#claim-{claim.pk}")).to_be_focused()

    before.add(claim.pk)
    _select(page, first.pk, "n tạo nh", alt=True)
    expect(button).to_be_visible()
    button.click()
    expect(page.locator("#highlight-popup")).to_be_hidden()
    (exact,) = _new_claims(before)
    assert exact.exact == "n tạo nh"


def test_anonymous_reader_sees_no_highlight_button(page, live_server, demo):
    first = demo[0]
    page.goto(f"{live_server.url}{READER}")
    page.locator(f"#article-{first.pk}").focus()
    _select(page, first.pk, PHRASE_1)
    popup = page.locator("#highlight-popup")
    expect(popup).to_be_visible()
    expect(popup.get_by_role("link", name="Log in")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Highlight"))).to_have_count(0)
    expect(page.locator(".highlight-button")).to_have_count(0)


# --- the smaller defects that only a browser shows ---------------------------------------------


def test_only_contradictions_dims_nested_claims_too(page, live_server, demo):
    first, third = demo[0], demo[2]
    outer = make_claim(article=first, text=PHRASE_1)
    make_link(claim_a=outer, claim_b=make_claim(article=third, text=PHRASE_3), relation="contradicts")
    nested = make_claim(article=first, text="phòng thí nghiệm")  # inside `outer`, not linked
    alone = make_claim(article=first, text="Markettimes")  # not nested, not linked
    page.goto(f"{live_server.url}{READER}?only=contradicts")
    # The nested claim's segment is one mark listing both claims, with the inner claim's look.
    inner = page.locator(f'mark.claim[data-claim="{outer.pk} {nested.pk}"]').first
    expect(inner).to_have_class(re.compile("is-dimmed"))
    single = page.locator(f'mark[data-claim~="{alone.pk}"]').first
    expect(single).to_have_class(re.compile("is-dimmed"))
    background = "el => getComputedStyle(el).backgroundColor"
    assert inner.evaluate(background) == single.evaluate(background)


def test_every_claim_on_a_shared_segment_can_be_reached_by_click_and_by_keyboard(page, live_server, demo):
    """Overlapping claims draw each run of text once (issue 18): one mark listing every claim
    covering it. A click picks the innermost claim, each further click on a segment of the
    selected claim the next one outwards, then round again; from the keyboard each claim keeps
    its own tab stop (a claim sharing its first character with a shorter one gets its anchor
    on a span around the mark)."""
    first = demo[0]
    outer = make_claim(article=first, text=PHRASE_1)
    same_start = make_claim(article=first, text="Tuần này, một phòng")  # starts with `outer`
    nested = make_claim(article=first, text="phòng thí nghiệm")  # inside `outer`
    page.goto(f"{live_server.url}{READER}")
    column = page.locator(f"#article-{first.pk}")
    expect(column.locator("mark[data-claim] mark")).to_have_count(0)
    shared = column.locator(f'mark[data-claim="{outer.pk} {same_start.pk} {nested.pk}"]')
    expect(shared).to_have_text("phòng")
    # Each claim's segments spell the claim, each run of text drawn once.
    for claim in (outer, same_start, nested):
        texts = column.locator(f'mark[data-claim~="{claim.pk}"]').all_text_contents()
        assert "".join(texts) == claim.exact
    for claim in (nested, same_start, outer, nested):
        shared.click()
        expect(page.locator(f'[data-panel-claim="{claim.pk}"]')).to_be_visible()
        expect(page).to_have_url(re.compile(rf"claim={claim.pk}\b"))
    # Keyboard: the anchors, in document order the longer claim first, as before.
    anchors = column.locator('[id^="claim-"][tabindex="0"]')
    expect(anchors).to_have_count(3)
    assert anchors.evaluate_all("els => els.map((el) => el.id)") == [
        f"claim-{outer.pk}", f"claim-{same_start.pk}", f"claim-{nested.pk}"
    ]
    expect(page.locator(f"span.claim-anchor#claim-{outer.pk}")).to_have_attribute("role", "button")
    page.locator(f"#claim-{outer.pk}").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f'[data-panel-claim="{outer.pk}"]')).to_be_visible()
    page.locator(f"#claim-{same_start.pk}").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f'[data-panel-claim="{same_start.pk}"]')).to_be_visible()


def test_sentence_picker_skips_ad_notices_and_image_markdown(page, live_server, demo):
    first, fourth = demo[0], demo[3]
    page.goto(f"{live_server.url}{READER}")
    picked = []
    for article, presses in ((first, 4), (fourth, 12)):
        page.locator(f"#article-{article.pk}").focus()
        for _ in range(presses):
            page.keyboard.press("j")
            picked.append(page.evaluate("getSelection().toString()"))
    # The first column opens with an ad-blocker notice; J starts at the headline instead.
    assert picked[0].startswith("Startup AI Trung Quốc")
    skipped = [p for p in picked if "quảng cáo" in p or "Cảm ơn bạn" in p or "![" in p]
    assert not skipped, skipped


def test_link_mode_offers_no_target_in_the_source_column(page, live_server, demo):
    first, third = demo[0], demo[2]
    log_in(page, live_server.url, "lan", next_url=READER)
    from django.contrib.auth import get_user_model

    lan = get_user_model().objects.get(username="lan")
    source = make_claim(article=first, text=PHRASE_1, author=lan)
    same = make_claim(article=first, text="Markettimes", author=lan)
    target = make_claim(article=third, text=PHRASE_3, author=lan)
    page.goto(f"{live_server.url}{READER}?claim={source.pk}")
    page.get_by_role("button", name=re.compile("Link to a claim in another column")).click()
    page.locator(f"#claim-{same.pk}").click()
    expect(page.locator(".link-mode-hint .link-mode-refused").first).to_be_visible()
    expect(page.locator(".link-form")).to_have_count(0)
    page.locator(f"#claim-{target.pk}").click()
    expect(page.locator(".link-form")).to_be_visible()
    expect(page.locator('.link-form input[name="other"]')).to_have_value(str(target.pk))
