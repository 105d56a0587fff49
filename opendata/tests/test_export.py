"""Export: every collection, page and annotation passes the W3C MUST assertions, claims and links
map as documented, and private work never leaks."""

from __future__ import annotations

import json

import pytest

from opendata import selectors
from opendata.jsonld import Site

from .conftest import word_spans
from .w3c import assertion_count, must_failures

SITE = Site(base="http://testserver")


def with_context(item: dict, context) -> dict:
    return item if "@context" in item else {"@context": context, **item}


def export(demo, user=None) -> dict:
    return selectors.story_collection(story=demo["story"], user=user, site=SITE)


def test_schema_checker_rejects_what_it_should():
    # The checker is only worth something if it fails bad documents.
    assert assertion_count("annotation") > 50
    assert "annotations/3.1-annotationContextValidated.json" in must_failures(
        {"id": "http://x/1", "type": "Annotation", "target": "http://x"}, "annotation"
    )
    assert must_failures({"@context": "http://www.w3.org/ns/anno.jsonld"}, "collection")
    assert must_failures({"type": "AnnotationPage", "items": 3}, "page")


def test_story_export_passes_every_must_assertion(demo):
    collection = export(demo, demo["users"]["lan"])
    assert must_failures(collection, "collection") == []
    assert must_failures(collection, "page") == []  # the collection with its embedded page
    items = collection["first"]["items"]
    assert collection["total"] == len(items) == len(demo["claims"]) + len(demo["links"])
    for item in items:
        assert must_failures(with_context(item, collection["@context"]), "annotation") == [], item[
            "id"
        ]


def test_claims_map_to_highlighting_or_commenting_with_both_selectors(demo):
    items = {i["id"]: i for i in export(demo)["first"]["items"]}
    noted = items[SITE.claim(demo["claims"][0].pk)]
    plain = items[SITE.claim(demo["claims"][1].pk)]
    assert noted["motivation"] == "commenting"
    assert plain["motivation"] == "highlighting" and "body" not in plain
    comment = [b for b in noted["body"] if b["purpose"] == "commenting"]
    assert comment[0]["type"] == "TextualBody"
    assert comment[0]["value"] == demo["claims"][0].note
    assert sorted(b["value"] for b in noted["body"] if b["purpose"] == "tagging") == [
        "chi phí",
        "gpu",
    ]
    claim = demo["claims"][0]
    target = noted["target"]
    quote, position = target["selector"]
    assert target["source"]["id"] == SITE.article(claim.article_id)
    assert target["source"]["px:sha256"] == claim.article.body_hash
    assert quote == {
        "type": "TextQuoteSelector",
        "exact": claim.exact,
        "prefix": claim.prefix,
        "suffix": claim.suffix,
    }
    assert position == {"type": "TextPositionSelector", "start": claim.start, "end": claim.end}
    assert claim.article.body[position["start"] : position["end"]] == quote["exact"]


def test_links_map_to_linking_with_span_body_and_classifying_relation(demo):
    items = {i["id"]: i for i in export(demo)["first"]["items"]}
    link = demo["links"][0]
    annotation = items[SITE.link(link.pk)]
    assert annotation["motivation"] == "linking"
    span, relation, rationale = annotation["body"]
    assert span["type"] == "SpecificResource"
    assert [s["type"] for s in span["selector"]] == ["TextQuoteSelector", "TextPositionSelector"]
    assert relation == {"type": "TextualBody", "purpose": "classifying", "value": link.relation}
    assert rationale["purpose"] == "commenting" and rationale["value"] == link.rationale
    assert annotation["target"]["selector"][1]["start"] == link.claim_a.start
    assert span["selector"][1]["start"] == link.claim_b.start
    assert items[SITE.link(demo["links"][1].pk)]["px:status"] == "confirmed"


@pytest.mark.parametrize("who", ["anonymous", "lan"])
def test_private_claim_does_not_leak_into_exports(demo, who):
    user = None if who == "anonymous" else demo["users"][who]
    text = json.dumps(export(demo, user), ensure_ascii=False)
    assert "minh's secret note" not in text
    assert SITE.claim(demo["private"].pk) not in text
    # ... but its author gets it back.
    mine = json.dumps(export(demo, demo["users"]["minh"]), ensure_ascii=False)
    assert "minh's secret note" in mine


def test_export_query_count_does_not_grow_with_rows(demo, django_assert_num_queries):
    # claims, links, articles, stories, users, provenance: six queries for 7 or 70 annotations
    # (a seventh, for team slugs, only when team annotations are present).
    with django_assert_num_queries(6):
        small = export(demo)
    from tests import factories

    lan = demo["users"]["lan"]
    for article in demo["articles"]:
        for start, end in word_spans(article, first=30, count=12):
            factories.make_claim(article=article, author=lan, start=start, end=end)
    with django_assert_num_queries(6):
        big = export(demo)
    assert big["total"] > small["total"] + 50


def test_empty_story_exports_a_valid_collection_without_pages(db):
    from tests import factories

    story = factories.make_story()
    collection = selectors.story_collection(story=story, user=None, site=SITE)
    assert collection["total"] == 0 and "first" not in collection
    assert must_failures(collection, "collection") == []
