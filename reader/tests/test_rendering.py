from __future__ import annotations

import random
import time
from dataclasses import dataclass
from itertools import pairwise

from reader.rendering import render_paragraphs
from textkernel.text import paragraphs


@dataclass
class Span:
    pk: int
    start: int
    end: int


BODY = "First paragraph here.\n\nSecond one is longer.\nThird.\n"


def assert_covers_body(body, rendered):
    """The stable-hook invariant: each paragraph's segments concatenate to exactly its text."""
    expected = [(start, line) for start, line in paragraphs(body)]
    assert [(p.start, p.text) for p in rendered] == expected
    for p in rendered:
        assert "".join(s.text for s in p.segments) == body[p.start : p.start + len(p.text)]
        assert p.segments[0].start == p.start
        for left, right in pairwise(p.segments):
            assert left.end == right.start
        assert all(s.text for s in p.segments)


def coverage(rendered):
    """{offset: set of claim ids} as the segments say."""
    return {
        s.start + k: set(s.claim_ids)
        for p in rendered
        for s in p.segments
        for k in range(len(s.text))
    }


def test_paragraphs_skip_empty_lines_and_keep_offsets():
    rendered = render_paragraphs(body=BODY, claims=[])
    assert [(p.start, p.text) for p in rendered] == [
        (0, "First paragraph here."),
        (23, "Second one is longer."),
        (45, "Third."),
    ]
    assert all(len(p.segments) == 1 and p.segments[0].claim_ids == () for p in rendered)
    assert_covers_body(BODY, rendered)


def test_claim_inside_one_paragraph():
    start = BODY.index("paragraph")
    rendered = render_paragraphs(body=BODY, claims=[Span(7, start, start + len("paragraph"))])
    first = rendered[0]
    assert [(s.text, s.claim_ids) for s in first.segments] == [
        ("First ", ()),
        ("paragraph", (7,)),
        (" here.", ()),
    ]
    assert first.segments[1].starts == (7,)
    assert first.segments[1].ends == (7,)
    assert_covers_body(BODY, rendered)


def test_overlapping_claims_split_into_segments():
    body = "abcdefghijklmnopqrst"
    rendered = render_paragraphs(body=body, claims=[Span(2, 5, 15), Span(1, 0, 10)])
    segments = rendered[0].segments
    assert [(s.text, s.claim_ids) for s in segments] == [
        ("abcde", (1,)),
        ("fghij", (1, 2)),
        ("klmno", (2,)),
        ("pqrst", ()),
    ]
    assert [s.starts for s in segments] == [(1,), (2,), (), ()]
    assert [s.ends for s in segments] == [(), (1,), (2,), ()]


def test_nested_claims_are_ordered_outermost_first():
    body = "0123456789"
    # Same start: the longer claim is the outer one, whatever the input order or ids.
    rendered = render_paragraphs(body=body, claims=[Span(1, 2, 4), Span(9, 2, 8), Span(5, 0, 10)])
    assert [(s.text, s.claim_ids) for s in rendered[0].segments] == [
        ("01", (5,)),
        ("23", (5, 9, 1)),
        ("4567", (5, 9)),
        ("89", (5,)),
    ]


def test_touching_claims_do_not_share_a_segment():
    rendered = render_paragraphs(body="aaabbb", claims=[Span(1, 0, 3), Span(2, 3, 6)])
    assert [(s.text, s.claim_ids) for s in rendered[0].segments] == [("aaa", (1,)), ("bbb", (2,))]


def test_claim_across_paragraphs():
    start = BODY.index("here")
    end = BODY.index("one") + len("one")
    rendered = render_paragraphs(body=BODY, claims=[Span(3, start, end)])
    first, second, third = rendered
    assert [(s.text, s.claim_ids) for s in first.segments] == [
        ("First paragraph ", ()),
        ("here.", (3,)),
    ]
    assert [(s.text, s.claim_ids) for s in second.segments] == [
        ("Second one", (3,)),
        (" is longer.", ()),
    ]
    assert third.segments[0].claim_ids == ()
    # The anchor goes on the first segment and the badge on the last, nowhere else.
    assert first.segments[1].starts == (3,) and first.segments[1].ends == ()
    assert second.segments[0].starts == () and second.segments[0].ends == (3,)
    assert_covers_body(BODY, rendered)


def test_claim_starting_on_a_line_break_starts_in_the_next_paragraph():
    start = BODY.index("\n")  # the break after the first paragraph
    end = BODY.index("Second") + len("Second")
    rendered = render_paragraphs(body=BODY, claims=[Span(4, start, end)])
    assert all(s.claim_ids == () for s in rendered[0].segments)
    assert rendered[1].segments[0].text == "Second"
    assert rendered[1].segments[0].starts == (4,)
    assert rendered[1].segments[0].ends == (4,)


def test_claims_outside_the_body_are_clamped_or_ignored():
    body = "short text"
    rendered = render_paragraphs(
        body=body, claims=[Span(1, 6, 999), Span(2, 50, 60), Span(3, 4, 4), Span(4, -5, 2)]
    )
    assert [(s.text, s.claim_ids) for s in rendered[0].segments] == [
        ("sh", (4,)),
        ("ort ", ()),
        ("text", (1,)),
    ]


def test_astral_characters_are_single_code_points():
    body = "a😀b𝐀c"
    rendered = render_paragraphs(body=body, claims=[Span(1, 1, 4)])
    assert [(s.text, s.claim_ids) for s in rendered[0].segments] == [
        ("a", ()),
        ("😀b𝐀", (1,)),
        ("c", ()),
    ]


def test_matches_a_brute_force_reference_on_random_claims():
    rng = random.Random(1234)
    body = "\n".join(
        " ".join(rng.choice(["word", "lời", "😀x", "a"]) for _ in range(rng.randint(0, 30)))
        for _ in range(40)
    )
    claims = []
    for pk in range(1, 301):
        start = rng.randrange(len(body))
        claims.append(Span(pk, start, min(len(body), start + rng.randint(1, 200))))
    rendered = render_paragraphs(body=body, claims=claims)
    assert_covers_body(body, rendered)
    got = coverage(rendered)
    for offset, ids in got.items():
        assert ids == {c.pk for c in claims if c.start <= offset < c.end}
    # Every claim covering any visible character starts exactly once and ends exactly once.
    starts = [c for p in rendered for s in p.segments for c in s.starts]
    ends = [c for p in rendered for s in p.segments for c in s.ends]
    visible = {c for ids in got.values() for c in ids}
    assert sorted(starts) == sorted(visible) == sorted(ends)
    # Segments are maximal: neighbours in one paragraph never carry the same claims.
    for p in rendered:
        for left, right in pairwise(p.segments):
            assert set(left.claim_ids) != set(right.claim_ids)


def test_a_thousand_claims_on_a_long_body_is_quick():
    rng = random.Random(99)
    line = "Bộ Giáo dục cho biết chi phí đào tạo tăng 12% trong năm nay, theo báo cáo mới. "
    body = "\n".join(line * 2 for _ in range(82))  # about 13,000 characters
    assert 12_500 < len(body) < 14_000
    claims = []
    for pk in range(1, 1001):
        start = rng.randrange(len(body) - 300)
        claims.append(Span(pk, start, start + rng.randint(5, 300)))
    started = time.perf_counter()
    rendered = render_paragraphs(body=body, claims=claims)
    elapsed = time.perf_counter() - started
    assert_covers_body(body, rendered)
    assert elapsed < 0.5, f"rendering took {elapsed:.3f}s"
