"""The re-anchoring planner and quote finding, on plain strings (no database)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from textkernel.anchoring import FUZZY, KEPT, MOVED, ORPHANED, orphan_anchor, plan_reanchor
from textkernel.quotes import (
    CONTEXT_CHARS,
    find_quote,
    occurrences,
    quote_candidates,
    quote_context,
    refine_span,
)

BODY = (
    "Officials said 120 people attended the meeting on Monday.\n"
    "\n"
    "The mayor disputed the figure, saying fewer than 100 came.\n"
    "Organisers expect a second meeting next month.\n"
)


@dataclass
class C:
    """A claim as the planner sees it."""

    pk: int
    start: int
    end: int
    exact: str
    prefix: str
    suffix: str

    @classmethod
    def on(cls, pk: int, body: str, text: str, occurrence: int = 0) -> C:
        start = occurrences(body, text)[occurrence]
        end = start + len(text)
        return cls(pk, start, end, text, *quote_context(body, start, end))


# --- quote context and finding ------------------------------------------------------------------


def test_quote_context_is_at_most_context_chars_each_side():
    start = BODY.index("fewer")
    end = start + len("fewer than 100")
    prefix, suffix = quote_context(BODY, start, end)
    assert len(prefix) == len(suffix) == CONTEXT_CHARS == 32
    assert BODY[start - 32 : start] == prefix and prefix.endswith("saying ")
    assert BODY[end : end + 32] == suffix and suffix.startswith(" came.")
    assert quote_context(BODY, 0, 9) == ("", BODY[9:41])
    assert quote_context(BODY, len(BODY) - 3, len(BODY)) == (BODY[-35:-3], "")


def test_occurrences_include_overlapping_ones_and_stop_at_the_limit():
    assert occurrences("aaaa", "aa") == [0, 1, 2]
    assert occurrences("aaaa", "aa", limit=2) == [0, 1]
    assert occurrences("abc", "") == []


def test_find_quote_needs_the_exact_context_on_both_sides():
    body = "one: the meeting was full. two: the meeting was full. three"
    assert find_quote(body, "the meeting was full") == [5, 32]
    assert find_quote(body, "the meeting was full", prefix="two: ") == [32]
    assert find_quote(body, "the meeting was full", suffix=". three") == [32]
    assert find_quote(body, "the meeting was full", prefix="one: ", suffix=". three") == []
    # A prefix longer than the text before the quote cannot match (no wrap-around).
    assert find_quote(body, "one", prefix="xx") == []
    assert find_quote(body, "the meeting was full", limit=1) == [5]


def test_quote_candidates_finds_changed_words_best_first_and_distinct():
    body = BODY.replace("fewer than 100 came", "fewer than 110 came") + (
        "Elsewhere, saying fewer than 10 people came.\n"
    )
    found = quote_candidates(body, "saying fewer than 100 came", limit=3)
    assert found, "at least the edited sentence"
    start, end, score = found[0]
    assert body[start:end] == "saying fewer than 110 came"
    assert score > 90
    assert len({(s, e) for s, e, _ in found}) == len(found)
    assert [s for _s, _e, s in found] == sorted((s for _s, _e, s in found), reverse=True)


def test_quote_candidates_of_unrelated_text_are_none():
    assert quote_candidates("Completely different words here.", "zyxw qvjk", cutoff=50) == []


def test_refine_span_trims_to_whole_words():
    body = "He said the cost was six million dollars in total."
    start = body.index("e cost")  # a fixed-width alignment that cut a word
    end = start + len("e cost was six milli")
    a, b, score = refine_span(body, start, end, "the cost was six million")
    assert body[a:b] == "the cost was six million"
    assert score == 100


# --- the planner --------------------------------------------------------------------------------


def test_duplicate_quote_with_identical_context_is_not_guessed():
    claim = C(1, 40, 50, "was full", "xx ", " yy")
    new_body = "aaa xx was full yy bbb " * 2
    # Old offsets unknown: two equally good candidates, nearest to the old place wins.
    plan = plan_reanchor(old_body=None, new_body=new_body, claims=[claim])
    assert plan.anchors[0].outcome in (MOVED, KEPT)
    assert new_body[plan.anchors[0].start : plan.anchors[0].end] == "was full"
    assert plan.anchors[0].start == new_body.index("was full", 20)


def test_planner_outcomes_are_reported():
    claims = [
        C.on(1, BODY, "120 people"), C.on(2, BODY, "fewer than 100"), C.on(3, BODY, "next month")
    ]
    new_body = BODY.replace("fewer than 100", "fewer than 90").replace(
        "Organisers expect a second meeting next month.\n", ""
    )
    plan = plan_reanchor(old_body=BODY, new_body=new_body, claims=claims)
    assert [a.outcome for a in plan.anchors] == [KEPT, FUZZY, ORPHANED]
    assert plan.count(ORPHANED) == 1
    fuzzy = plan.anchors[1]
    assert new_body[fuzzy.start : fuzzy.end] == fuzzy.exact == "fewer than 90"
    assert (fuzzy.prefix, fuzzy.suffix) == quote_context(new_body, fuzzy.start, fuzzy.end)


def test_text_inserted_before_claims_moves_them_by_its_length():
    claims = [C.on(1, BODY, "120 people"), C.on(2, BODY, "next month")]
    new_body = "Breaking.\n\n" + BODY
    plan = plan_reanchor(old_body=BODY, new_body=new_body, claims=claims)
    assert [a.outcome for a in plan.anchors] == [MOVED, MOVED]
    for claim, anchor in zip(claims, plan.anchors, strict=True):
        assert anchor.start == claim.start + len("Breaking.\n\n")
        assert new_body[anchor.start : anchor.end] == claim.exact


def test_an_orphan_keeps_its_old_place_and_words():
    claim = C.on(7, BODY, "The mayor disputed")
    anchor = orphan_anchor(claim)
    assert (anchor.claim_id, anchor.outcome, anchor.found) == (7, ORPHANED, False)
    assert (anchor.start, anchor.end, anchor.exact) == (claim.start, claim.end, claim.exact)


def test_max_span_bounds_a_fuzzy_follow():
    claim = C.on(1, BODY, "saying fewer than 100 came")
    new_body = BODY.replace("fewer than 100 came", "fewer than 110 came")
    followed = plan_reanchor(old_body=BODY, new_body=new_body, claims=[claim])
    assert followed.anchors[0].outcome == FUZZY
    bounded = plan_reanchor(old_body=BODY, new_body=new_body, claims=[claim], max_span=10)
    assert bounded.anchors[0].outcome == ORPHANED


@pytest.mark.parametrize("old_body", [BODY, None])
def test_an_unchanged_body_keeps_every_claim(old_body):
    claims = [C.on(1, BODY, "120 people"), C.on(2, BODY, "fewer than 100")]
    plan = plan_reanchor(old_body=old_body, new_body=BODY, claims=claims)
    assert [a.outcome for a in plan.anchors] == [KEPT, KEPT]
