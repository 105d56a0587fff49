"""Re-anchoring claims when an article body is edited (through ``article_update``, as the admin
does), and the pure planner behind it."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from annotations.models import Claim
from annotations.tests import factories
from articles.models import Article
from articles.services import article_update
from curation.anchoring import FUZZY, KEPT, MOVED, ORPHANED, plan_reanchor, reanchor_preview

BODY = (
    "Officials said 120 people attended the meeting on Monday.\n"
    "\n"
    "The mayor disputed the figure, saying fewer than 100 came.\n"
    "Organisers expect a second meeting next month.\n"
)


def _edit(article: Article, body: str) -> None:
    article_update(article=article, body=body)


def _fresh(claim: Claim) -> Claim:
    return Claim.objects.get(pk=claim.pk)


@pytest.fixture
def art(db):
    return factories.article_create(body=BODY)


def test_text_inserted_before_a_claim_moves_it_onto_the_same_words(art):
    claim = factories.claim_create(article=art, text="fewer than 100")
    _edit(art, "Breaking: an update.\n\n" + BODY)
    moved = _fresh(claim)
    art.refresh_from_db()
    assert moved.status == Claim.Status.ACTIVE
    assert moved.start == claim.start + len("Breaking: an update.\n\n")
    assert art.body[moved.start : moved.end] == "fewer than 100"
    assert moved.body_hash == art.body_hash
    assert moved.version == claim.version + 1


def test_claim_before_the_edit_keeps_its_offsets(art):
    claim = factories.claim_create(article=art, text="120 people")
    _edit(art, BODY.replace("next month", "in the spring"))
    kept = _fresh(claim)
    assert (kept.start, kept.end, kept.status) == (claim.start, claim.end, "active")
    assert kept.version == claim.version  # nothing about it changed


def test_a_claims_words_edited_slightly_follow_the_edit(art):
    claim = factories.claim_create(article=art, text="saying fewer than 100 came")
    _edit(art, BODY.replace("fewer than 100 came", "fewer than 110 came"))
    moved = _fresh(claim)
    art.refresh_from_db()
    assert moved.status == Claim.Status.ACTIVE
    assert moved.exact == "saying fewer than 110 came"
    assert art.body[moved.start : moved.end] == moved.exact


def test_a_claims_words_removed_orphan_it_and_keep_its_links(art):
    other = factories.article_create(story=art.story)
    claim = factories.claim_create(article=art, text="The mayor disputed the figure")
    link = factories.link_create(
        claim_a=claim, claim_b=factories.claim_create(article=other, text="120 people")
    )
    _edit(art, BODY.replace("The mayor disputed the figure, saying fewer than 100 came.\n", ""))
    orphan = _fresh(claim)
    assert orphan.status == Claim.Status.ORPHANED
    # Never silently moved: the old quote and offsets are kept for the curator.
    assert (orphan.exact, orphan.start, orphan.end) == (claim.exact, claim.start, claim.end)
    assert link.__class__.objects.filter(pk=link.pk).exists()


def test_the_same_quote_twice_is_told_apart_by_its_context(db):
    body = "Monday: the meeting was full. Tuesday: the meeting was full. Wednesday: quiet.\n"
    art = factories.article_create(body=body)
    second = factories.claim_create(article=art, text="the meeting was full", occurrence=1)
    _edit(art, "Sunday: rain. " + body)
    moved = _fresh(second)
    art.refresh_from_db()
    assert moved.status == Claim.Status.ACTIVE
    assert art.body[moved.start - len("Tuesday: ") : moved.start] == "Tuesday: "
    # And with the first occurrence's sentence cut, the second still stays put.
    first = factories.claim_create(article=art, text="the meeting was full", occurrence=0)
    _edit(art, art.body.replace("Monday: the meeting was full. ", ""))
    art.refresh_from_db()
    assert _fresh(first).status == Claim.Status.ORPHANED  # not moved onto Tuesday's words
    moved = _fresh(second)
    assert art.body[moved.start - len("Tuesday: ") : moved.end] == "Tuesday: the meeting was full"


def test_duplicate_quote_with_identical_context_is_not_guessed():
    class C:
        pk, start, end, exact, prefix, suffix = 1, 40, 50, "was full", "xx ", " yy"

    new_body = "aaa xx was full yy bbb " * 2
    # Old offsets unknown: two equally good candidates, nearest to the old place wins.
    plan = plan_reanchor(old_body=None, new_body=new_body, claims=[C()])
    assert plan.anchors[0].outcome in (MOVED, KEPT)
    assert new_body[plan.anchors[0].start : plan.anchors[0].end] == "was full"
    assert plan.anchors[0].start == new_body.index("was full", 20)


def test_planner_outcomes_are_reported():
    class C:
        def __init__(self, pk, body, text):
            self.pk, self.start = pk, body.index(text)
            self.end, self.exact = self.start + len(text), text
            self.prefix = body[max(0, self.start - 32) : self.start]
            self.suffix = body[self.end : self.end + 32]

    claims = [C(1, BODY, "120 people"), C(2, BODY, "fewer than 100"), C(3, BODY, "next month")]
    new_body = BODY.replace("fewer than 100", "fewer than 90").replace(
        "Organisers expect a second meeting next month.\n", ""
    )
    plan = plan_reanchor(old_body=BODY, new_body=new_body, claims=claims)
    assert [a.outcome for a in plan.anchors] == [KEPT, FUZZY, ORPHANED]
    assert plan.count(ORPHANED) == 1


def test_preview_counts_orphans_without_writing(art):
    claim = factories.claim_create(article=art, text="Organisers expect")
    plan = reanchor_preview(article=art, new_body=BODY.replace("Organisers expect", "Nobody"))
    assert [a.claim_id for a in plan.orphaned] == [claim.pk]
    assert _fresh(claim).status == Claim.Status.ACTIVE
    art.refresh_from_db()
    assert art.body == BODY


def _sentences(body: str) -> list[tuple[int, int]]:
    """Every sentence-ish span of the body (between . ! ? or line ends), trimmed."""
    spans = []
    for match in re.finditer(r"[^.!?\n]+", body):
        start, end = match.span()
        text = match.group()
        start += len(text) - len(text.lstrip())
        end -= len(text) - len(text.rstrip())
        if end - start >= 12:
            spans.append((start, end))
    return spans


def test_trimming_the_demo_boilerplate_keeps_every_claim_on_its_words(db, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "test-demo-password")
    call_command("load_demo", "--no-progress", stdout=io.StringIO(), stderr=io.StringIO())
    article = Article.objects.get(story__slug="deepseek-r1", source__name="Markettimes")
    author = factories.user_create()
    notice_end = article.body.index("Cảm ơn bạn!\n") + len("Cảm ơn bạn!\n")
    claims = []
    for start, end in _sentences(article.body):
        if start >= notice_end:
            claims.append(factories.claim_create(article=article, author=author, start=start, end=end))
    ad_claim = factories.claim_create(
        article=article, author=author, text="Vui lòng cho phép quảng cáo"
    )
    assert len(claims) > 50
    before = {c.pk: c.exact for c in claims}

    new_body = article.body[notice_end:].lstrip("\n")
    _edit(article, new_body)

    article.refresh_from_db()
    after = Claim.objects.filter(pk__in=before)
    assert {c.status for c in after} == {Claim.Status.ACTIVE}
    for claim in after:
        assert article.body[claim.start : claim.end] == before[claim.pk] == claim.exact
    # The ad notice itself is gone, so the claim on it is orphaned, not moved elsewhere.
    assert _fresh(ad_claim).status == Claim.Status.ORPHANED
