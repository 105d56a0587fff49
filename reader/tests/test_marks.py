"""Issue 18 item 2: one mark per segment. Each run of text covered by the same claims is drawn
once, as ``<mark data-claim="<ids, outermost first>">``, so ``mark[data-claim~="<pk>"]`` finds
every segment of a claim (docs/page-hooks.md); each claim keeps one anchor (id, tab stop,
accessible name)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from django.test import Client

from reader.marks import MarkStyle, draw_column
from tests import factories


@dataclass
class Row:
    pk: int
    start: int
    end: int
    exact: str = ""
    author_name: str = "ana"
    visibility: str = "public"


def rows(body: str, spans: dict[int, tuple[int, int]]) -> list[Row]:
    found = [Row(pk, s, e, body[s:e]) for pk, (s, e) in spans.items()]
    return sorted(found, key=lambda r: (r.start, r.end, r.pk))


class Drawn(HTMLParser):
    """The marks and anchors of drawn paragraphs: each mark's claim ids, classes and text, and
    whether any mark sits inside another."""

    def __init__(self):
        super().__init__()
        self.marks: list[dict] = []
        self.anchors: list[dict] = []
        self.open_marks = 0
        self.nested = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id", "").startswith("claim-"):
            self.anchors.append({"tag": tag, **attrs})
        if tag == "mark":
            self.nested |= self.open_marks > 0
            self.open_marks += 1
            self.marks.append({
                "ids": attrs["data-claim"].split(), "classes": set(attrs["class"].split()),
                "text": "", "badges": attrs.get("data-badges"), "id": attrs.get("id"),
            })

    def handle_endtag(self, tag):
        if tag == "mark":
            self.open_marks -= 1

    def handle_data(self, data):
        if self.open_marks:
            self.marks[-1]["text"] += data


def draw(body: str, claims: list[Row], **style) -> Drawn:
    style.setdefault("counts", {})
    parser = Drawn()
    for _start, html in draw_column(body=body, claims=claims, style=MarkStyle(**style)):
        parser.feed(html)
    parser.close()
    return parser


def test_overlapping_claims_draw_each_segment_once_and_spell_every_claim():
    rng = random.Random(18)
    body = " ".join(f"từ{k}" for k in range(400))
    spans = {}
    for pk in range(1, 121):
        start = rng.randrange(0, len(body) - 30)
        spans[pk] = (start, start + rng.randint(5, 300))
    claims = rows(body, spans)
    drawn = draw(body, claims)
    assert not drawn.nested
    # At most 2n + 1 segments for n claims (here, one paragraph), however deep the overlaps;
    # drawn one mark per claim and segment, the same claims took several times as many.
    assert len(drawn.marks) <= 2 * len(claims) + 1
    assert sum(len(m["ids"]) for m in drawn.marks) > 4 * len(drawn.marks)
    for claim in claims:
        segments = [m for m in drawn.marks if str(claim.pk) in m["ids"]]
        assert "".join(m["text"] for m in segments) == claim.exact
    # One anchor per claim, on its first segment or around it.
    assert sorted(a["id"] for a in drawn.anchors) == sorted(f"claim-{c.pk}" for c in claims)
    assert all(a["tabindex"] == "0" and a["role"] == "button" and a["aria-label"] for a in drawn.anchors)


def test_a_shared_segment_shows_its_innermost_claim_and_the_overlap_depth():
    body = "Officials said 120 people attended the meeting on Monday."
    outer, inner, third = (1, 2, 3)
    claims = rows(body, {outer: (0, 46), inner: (15, 25), third: (19, 34)})
    drawn = draw(body, claims, counts={outer: {"contradicts": 1}})
    by_text = {m["text"]: m for m in drawn.marks}
    assert list(by_text) == ["Officials said ", "120 ", "people", " attended", " the meeting"]
    assert by_text["Officials said "]["ids"] == ["1"]
    assert {"state-contradicted", "has-contradicts"} <= by_text["Officials said "]["classes"]
    assert not {"overlap-2", "overlap-3"} & by_text["Officials said "]["classes"]
    assert by_text["120 "]["ids"] == ["1", "2"]
    assert {"state-unlinked", "overlap-2"} <= by_text["120 "]["classes"]
    assert by_text["people"]["ids"] == ["1", "2", "3"]  # outermost first
    assert {"state-unlinked", "overlap-3"} <= by_text["people"]["classes"]
    # The badge of the contradicted claim sits on its last segment.
    assert by_text[" the meeting"]["badges"] == "✗1"


def test_the_selected_claim_shows_on_every_segment_and_the_filter_dims_by_innermost():
    body = "Officials said 120 people attended the meeting on Monday."
    claims = rows(body, {1: (0, 46), 2: (15, 25)})
    drawn = draw(body, claims, selected_id=1)
    assert all("is-selected" in m["classes"] for m in drawn.marks)
    drawn = draw(body, claims, selected_id=2, related_ids=frozenset())
    assert ["is-selected" in m["classes"] for m in drawn.marks] == [False, True, False]
    drawn = draw(body, claims, related_ids=frozenset({1}))
    assert all("is-related" in m["classes"] for m in drawn.marks)
    # "Only contradictions": the outer claim contradicts, the inner one does not.
    drawn = draw(body, claims, counts={1: {"contradicts": 1}}, only="contradicts")
    assert ["is-dimmed" in m["classes"] for m in drawn.marks] == [False, True, False]


def test_claims_starting_together_each_keep_an_anchor_longest_first():
    body = "Officials said 120 people attended the meeting on Monday."
    claims = rows(body, {7: (15, 25), 8: (15, 46), 9: (15, 18)})
    (start, html), = draw_column(body=body, claims=claims, style=MarkStyle(counts={}))
    drawn = draw(body, claims)
    assert drawn.marks[0] == {
        "ids": ["8", "7", "9"], "classes": {"claim", "state-unlinked", "vis-public", "overlap-3"},
        "text": "120", "badges": None, "id": "claim-9",
    }
    # Longer claims' anchors wrap the mark (document and tab order as before: longest first).
    assert [a["id"] for a in drawn.anchors] == ["claim-8", "claim-7", "claim-9"]
    assert [a["tag"] for a in drawn.anchors] == ["span", "span", "mark"]
    assert html.startswith('Officials said <span class="claim-anchor state-unlinked vis-public" id="claim-8"')


@pytest.mark.django_db
def test_a_segment_whose_claims_are_all_hidden_by_the_layers_shows_no_highlight():
    ana, bao = factories.make_user(username="ana"), factories.make_user(username="bao")
    story = factories.make_story(slug="layers-marks")
    article = factories.make_article(story=story)
    public = factories.make_claim(article=article, author=bao, text="120 people attended")
    private = factories.make_claim(article=article, author=ana, text="people attended the meeting",
                                   visibility="private")  # fmt: skip
    client = Client()
    client.force_login(ana)

    def marks(**params) -> list[list[str]]:
        parser = Drawn()
        parser.feed(client.get(f"/stories/{story.slug}/", params).content.decode())
        return [m["ids"] for m in parser.marks]

    assert marks() == [[str(public.pk)], [str(public.pk), str(private.pk)], [str(private.pk)]]
    assert marks(layers="public") == [[str(public.pk)]]
    assert marks(layers="mine") == [[str(private.pk)]]
    assert marks(layers="none") == []


def test_dense_data_after_a_write_redoes_only_the_claims_it_changed():
    """A dense column's data after a write (``claim_data(earlier=..., changed=...)``) is the
    data drawn from nothing, when ``changed`` names what the write changed; the other claims'
    parts are taken from before (naming too few shows the old look: reuse really happens)."""
    from reader.marks import claim_data

    body = "Chi phí đào tạo DeepSeek R1 là 5,6 triệu USD. " * 40
    spans = {pk: (pk * 7 % 1500, pk * 7 % 1500 + 12 + pk % 9) for pk in range(1, 220)}
    before_rows = rows(body, spans)
    before_style = MarkStyle(counts={3: {"agrees": 1}, 5: {"contradicts": 2}}, settled=frozenset({5}))
    before = claim_data(claims=before_rows, style=before_style)
    # The write: claim 3 turns private and gains a qualifying link, claim 7 goes, 300 is new.
    after_rows = [r for r in before_rows if r.pk != 7]
    after_rows = [Row(r.pk, r.start, r.end, r.exact, visibility="private") if r.pk == 3 else r for r in after_rows]
    after_rows.append(Row(300, 40, 52, body[40:52]))
    after_style = MarkStyle(counts={3: {"agrees": 1, "qualifies": 1}, 5: {"contradicts": 2}}, settled=frozenset({5}))
    fresh = claim_data(claims=after_rows, style=after_style)

    reused = claim_data(claims=after_rows, style=after_style, earlier=before.parts, changed=frozenset({3, 7, 300}))

    assert (reused.styles, reused.records) == (fresh.styles, fresh.records)
    assert reused.parts == fresh.parts
    assert len(fresh.records.split()) == 219
    stale = claim_data(claims=after_rows, style=after_style, earlier=before.parts, changed=frozenset({7, 300}))
    assert (stale.styles, stale.records) != (fresh.styles, fresh.records)
