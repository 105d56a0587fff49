"""The annotated demo: the reading stored next to the corpus loads through the import and curation
services onto the demo story, all or nothing, and says what a journalist needs to see."""

from __future__ import annotations

import io
import json
import re
import shutil
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command

from activity.models import Event
from annotations.models import Claim, ClaimLink
from annotations.selectors import claims_visible_to, links_visible_to
from articles.models import Story
from curation.models import CanonicalClaim, CanonicalMember, LinkReview, Verdict
from newsroom.demo_reading import (
    CURATION_FILE,
    CURATION_SCHEMA_FILE,
    DEMO_DIR,
    READING_FILE,
    demo_reading_load,
)
from opendata.tests.w3c import must_failures

READING = json.loads((DEMO_DIR / READING_FILE).read_text(encoding="utf-8"))
CURATION = json.loads((DEMO_DIR / CURATION_FILE).read_text(encoding="utf-8"))
ITEMS = READING["first"]["items"]
WORD = re.compile(r"\w")


def spans_of(item: dict) -> list[dict]:
    if item["motivation"] == "linking":
        return [item["target"], item["body"][0]]
    return [item["target"]]


def selectors(span: dict) -> tuple[dict, dict]:
    quote, position = span["selector"]
    assert quote["type"] == "TextQuoteSelector" and position["type"] == "TextPositionSelector"
    return quote, position


def ref(item: dict) -> str:
    return item["id"].rsplit("#", 1)[1]


@pytest.fixture
def demo_story(db, fast_password_hasher, monkeypatch) -> Story:
    """The demo story and users as ``load_demo`` makes them (no reading)."""
    monkeypatch.setenv("DEMO_PASSWORD", "correct-horse-battery")
    call_command("load_demo", "--no-progress", "--empty", stdout=io.StringIO(), stderr=io.StringIO())
    return Story.objects.get(slug=READING["px:story"])


def rows() -> dict[str, int]:
    models = (Claim, ClaimLink, LinkReview, CanonicalClaim, CanonicalMember, Verdict, Event)
    return {model.__name__: model.objects.count() for model in models}


# --- the files ----------------------------------------------------------------------------------


def test_the_reading_passes_every_w3c_must_assertion():
    assert must_failures(READING, "collection") == []
    assert must_failures(READING, "page") == []
    for item in ITEMS:
        assert must_failures({"@context": READING["@context"], **item}, "annotation") == [], item[
            "id"
        ]


def test_the_files_are_stable_readable_json():
    # Re-serialising gives the same bytes: the reading diffs cleanly when it is edited.
    for name in (READING_FILE, CURATION_FILE, CURATION_SCHEMA_FILE):
        text = (DEMO_DIR / name).read_text(encoding="utf-8")
        assert text.endswith("}\n") and "\t" not in text, name
    text = (DEMO_DIR / READING_FILE).read_text(encoding="utf-8")
    assert json.dumps(READING, ensure_ascii=False, indent=2) + "\n" == text
    # Claims in reading order (article, then offset), then links; every id unique.
    claims = [i for i in ITEMS if i["motivation"] != "linking"]
    assert ITEMS[: len(claims)] == claims
    order = [(i["target"]["source"]["id"], selectors(i["target"])[1]["start"]) for i in claims]
    assert order == sorted(order)
    assert len({i["id"] for i in ITEMS}) == len(ITEMS) == READING["total"]


def test_every_span_in_the_file_selects_its_quote_in_the_stored_text(demo_story):
    bodies = dict(demo_story.articles.values_list("body_hash", "body"))
    assert len(bodies) == 5
    for item in ITEMS:
        for span in spans_of(item):
            body = bodies[span["source"]["px:sha256"]]
            quote, position = selectors(span)
            start, end = position["start"], position["end"]
            assert body[start:end] == quote["exact"], ref(item)
            assert body[:start].endswith(quote.get("prefix", "")), ref(item)
            assert body[end:].startswith(quote.get("suffix", "")), ref(item)
            # Tight spans of whole words: no blank at either end, no word cut in two.
            assert quote["exact"] == quote["exact"].strip(), ref(item)
            assert not (start and WORD.match(body[start - 1]) and WORD.match(body[start]))
            assert not (end < len(body) and WORD.match(body[end - 1]) and WORD.match(body[end]))


# --- loading ------------------------------------------------------------------------------------


def test_the_reading_loads_claims_links_and_curation(demo_story):
    loaded = demo_reading_load(story=demo_story)

    claims = list(Claim.objects.filter(article__story=demo_story).select_related("article"))
    assert len(claims) == len(loaded.claims) >= 25
    per_article = Counter(c.article.file_name for c in claims)
    assert len(per_article) == 5 and min(per_article.values()) >= 3, per_article
    for claim in claims:
        assert claim.article.body[claim.start : claim.end] == claim.exact
    assert {c.author.username for c in claims} == {"lan", "minh", "curator"}

    links = list(ClaimLink.objects.filter(claim_a__article__story=demo_story))
    assert len(links) == len(loaded.links) >= 15
    relations = Counter(link.relation for link in links)
    assert set(relations) == {"agrees", "contradicts", "qualifies"}
    assert min(relations.values()) >= 3, relations
    assert all(len(link.rationale) > 20 for link in links)
    assert all(link.claim_a.article_id != link.claim_b.article_id for link in links)
    statuses = Counter(link.status for link in links)
    assert statuses["confirmed"] >= 5 and statuses["proposed"] >= 5, statuses
    confirmed = {r.link_id for r in LinkReview.objects.filter(reviewer__username="curator")}
    assert confirmed == {link.pk for link in links if link.status == "confirmed"}

    canonicals = CanonicalClaim.objects.filter(story=demo_story)
    assert canonicals.count() == len(CURATION["canonical_claims"]) >= 4
    for canonical in canonicals:
        assert canonical.members.count() >= 2
    stances = Counter(
        CanonicalMember.objects.filter(canonical__story=demo_story).values_list("stance", flat=True)
    )
    assert set(stances) == {"asserts", "contradicts", "qualifies"}

    verdicts = list(Verdict.objects.select_related("link", "rated_claim"))
    assert len(verdicts) == 2
    assert {v.rating for v in verdicts} == {"misleading", "refuted"}
    for verdict in verdicts:
        assert verdict.link.relation == "contradicts" and verdict.link.status == "confirmed"
        assert verdict.rated_claim_id in (verdict.link.claim_a_id, verdict.link.claim_b_id)
        assert verdict.evidence and verdict.url.startswith("https://")
        assert verdict.author.username == "curator"

    # The layers show something: team work for the desk, private notes for their authors.
    team = [c for c in claims if c.visibility == "team"]
    private = [c for c in claims if c.visibility == "private"]
    assert len(team) >= 3 and {c.team.name for c in team} == {"Demo desk"}
    assert len(private) >= 3 and {c.author.username for c in private} >= {"lan", "minh"}
    assert all(c.note for c in private)
    assert ClaimLink.objects.filter(visibility="team").count() >= 1


def test_each_reader_sees_their_layers(demo_story):
    loaded = demo_reading_load(story=demo_story)
    users = {c.author.username: c.author for c in loaded.claims.values()}
    total = len(loaded.claims)
    public = Claim.objects.filter(visibility="public").count()
    team = Claim.objects.filter(visibility="team").count()
    assert claims_visible_to(user=None).count() == public
    for name, user in users.items():
        own_private = Claim.objects.filter(visibility="private", author=user).count()
        assert claims_visible_to(user=user).count() == public + team + own_private, name
    assert public < total
    assert links_visible_to(user=None).count() < len(loaded.links)
    assert links_visible_to(user=users["lan"]).count() == len(loaded.links)


def test_loading_twice_writes_nothing_new(demo_story):
    first = demo_reading_load(story=demo_story)
    before = rows()
    again = demo_reading_load(story=demo_story)
    assert rows() == before
    assert again.reviews == 0
    assert {r: c.pk for r, c in again.claims.items()} == {r: c.pk for r, c in first.claims.items()}
    assert {r: k.pk for r, k in again.links.items()} == {r: k.pk for r, k in first.links.items()}
    assert [c.pk for c in again.canonicals] == [c.pk for c in first.canonicals]


# --- bad data changes nothing --------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path):
    """A copy of the reading to spoil."""
    for name in (READING_FILE, CURATION_FILE, CURATION_SCHEMA_FILE):
        shutil.copy(DEMO_DIR / name, tmp_path / name)
    return tmp_path


def spoil(folder, name: str, change) -> None:
    """Apply ``change`` to the JSON of ``folder/name`` and write it back."""
    path = folder / name
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def refusal(story: Story, folder) -> str:
    """Load the spoiled reading: it must be refused, write nothing, and say why."""
    before = rows()
    with pytest.raises(ValidationError) as caught:
        demo_reading_load(story=story, folder=folder)
    assert rows() == before
    return "\n".join(caught.value.messages)


def test_a_span_that_misses_its_quote_is_named_and_nothing_is_written(demo_story, folder):
    item = ITEMS[3]

    def shift(reading):
        selectors(reading["first"]["items"][3]["target"])[1]["start"] += 1

    spoil(folder, READING_FILE, shift)
    text = refusal(demo_story, folder)
    assert f"#{ref(item)}: the TextPositionSelector does not select the quote" in text


def test_changed_article_text_is_reported(demo_story, folder):
    def rehash(reading):
        reading["first"]["items"][0]["target"]["source"]["px:sha256"] = "0" * 64

    spoil(folder, READING_FILE, rehash)
    assert "was the demo text changed" in refusal(demo_story, folder)


def test_unknown_and_inconsistent_curation_is_named(demo_story, folder):
    def confuse(curation):
        members = curation["canonical_claims"][0]["members"]
        members.append({"claim": "no-such-claim", "stance": "asserts"})
        curation["verdicts"][0]["link"] = "link-cost-mt-ft"  # an "agrees" link
        curation["reviews"].append({"link": "link-cost-6m", "decision": "rejected"})

    spoil(folder, CURATION_FILE, confuse)
    text = refusal(demo_story, folder)
    assert "no claim #no-such-claim" in text
    assert "#link-cost-mt-ft is not a contradiction" in text
    assert "a rejection needs a reason" in text


def test_curation_that_breaks_the_schema_is_refused(demo_story, folder):
    spoil(folder, CURATION_FILE, lambda curation: curation["verdicts"][1].update(rating="true"))
    assert "verdicts/1/rating" in refusal(demo_story, folder)


def test_a_refusal_after_the_import_rolls_it_back(demo_story, folder):
    # lan annotates but may not curate: the services refuse the reviews after the claims and
    # links were imported, and the import goes with them.
    spoil(folder, CURATION_FILE, lambda curation: curation.update(curator="lan"))
    assert "Only the curators of this story's desk" in refusal(demo_story, folder)


def test_missing_demo_users_are_named(demo_story):
    with pytest.raises(ValidationError, match="No demo user named “minh”"):
        demo_reading_load(
            story=demo_story,
            users={u.username: u for u in get_user_model().objects.exclude(username="minh")},
        )
    assert Claim.objects.count() == 0
