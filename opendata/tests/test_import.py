"""Import: the demo story's annotations leave and come back (into articles with other primary
keys) without loss; every problem is reported by item; nothing is half-imported."""

from __future__ import annotations

import copy
import io
import json

import pytest
from django.core.management import call_command

from annotations.models import Claim, ClaimLink
from articles.models import Article
from opendata import selectors, services
from opendata.jsonld import Site

from .conftest import counts

SITE = Site(base="http://testserver")


def _span(resource: dict) -> tuple:
    quote, position = resource["selector"]
    return (
        resource["source"]["px:sha256"],
        position["start"],
        position["end"],
        quote["exact"],
        quote.get("prefix", ""),
        quote.get("suffix", ""),
    )


def normalized(collection: dict) -> list:
    """What must survive a round trip: everything but ids, authors and times. A link's two spans
    form an unordered pair (the pair is stored in id order, which may flip)."""
    result = []
    for item in collection["first"]["items"]:
        if item["motivation"] == "linking":
            spans = frozenset([_span(item["target"]), _span(item["body"][0])])
            rest = [b for b in item["body"][1:]]
            result.append(
                (
                    "link",
                    spans,
                    json.dumps(rest, sort_keys=True),
                    item["px:status"],
                    item["px:visibility"],
                )
            )
        else:
            result.append(
                (
                    "claim",
                    _span(item["target"]),
                    item["motivation"],
                    json.dumps(item.get("body", []), sort_keys=True, ensure_ascii=False),
                    item["px:visibility"],
                )
            )
    return sorted(result, key=repr)


def test_round_trip_into_fresh_articles_is_equivalent(demo):
    curator = demo["users"]["curator"]
    lan = demo["users"]["lan"]
    before = selectors.story_collection(story=demo["story"], user=lan, site=SITE)
    assert len(before["first"]["items"]) == 7

    # "Another database": wipe the story's claims and links, delete the articles and load the
    # demo again, so the same texts come back under new primary keys.
    old_pks = {a.pk for a in demo["articles"]}
    Article.objects.filter(pk__in=old_pks).delete()
    assert Claim.objects.count() == 0
    call_command(
        "load_demo", no_progress=True, empty=True, stdout=io.StringIO(), stderr=io.StringIO()
    )
    assert not old_pks & set(Article.objects.values_list("pk", flat=True))

    # The curator imports (a curator may restore the review status).
    report = services.annotations_import(user=curator, data=before, site=SITE)
    assert report.ok and report.counts() == {
        "claims": 5,
        "links": 2,
        "created": 7,
        "existing": 0,
        "reanchored": 0,
        "orphaned": 0,
        "refused": 0,
        "errors": 0,
    }
    after = selectors.story_collection(story=demo["story"], user=curator, site=SITE)
    assert normalized(after) == normalized(before)
    # Item by item, each old id maps to its new one.
    assert [i.id for i in report.items] == [i["id"] for i in before["first"]["items"]]
    assert all(i.new_id and i.new_id != i.id for i in report.items)

    # Importing the same file again changes nothing and says so.
    again = services.annotations_import(user=curator, data=before, site=SITE)
    assert again.counts()["existing"] == 7 and counts() == (5, 2)


def test_the_private_claim_comes_back_private_for_its_author(demo):
    minh = demo["users"]["minh"]
    mine = selectors.story_collection(story=demo["story"], user=minh, site=SITE)
    private_id = SITE.claim(demo["private"].pk)
    Claim.objects.filter(author=minh).delete()
    services.annotations_import(user=minh, data=mine, site=SITE)
    restored = Claim.objects.get(author=minh, note__contains="secret")
    assert restored.visibility == "private" and restored.note == "minh's secret note"
    # Neither anonymous people nor lan see it in any export afterwards.
    for user in (None, demo["users"]["lan"]):
        text = json.dumps(selectors.story_collection(story=demo["story"], user=user, site=SITE))
        assert "secret" not in text and private_id not in text


def test_non_curator_import_keeps_links_proposed_with_a_warning(demo):
    lan = demo["users"]["lan"]
    data = selectors.story_collection(story=demo["story"], user=lan, site=SITE)
    ClaimLink.objects.all().delete()
    report = services.annotations_import(user=lan, data=data, site=SITE)
    assert set(ClaimLink.objects.values_list("status", flat=True)) == {"proposed"}
    warned = [i for i in report.items if i.warnings]
    assert len(warned) == 1 and "curators" in warned[0].warnings[0]


def _bad(data: dict, index: int, mutate) -> dict:
    data = copy.deepcopy(data)
    mutate(data["first"]["items"][index])
    return data


@pytest.mark.parametrize(
    "index, mutate, expected",
    [
        (
            1,
            lambda a: a["target"]["selector"].__setitem__(
                0, {"type": "TextQuoteSelector", "exact": "không có trong bài"}
            ),
            "do not match the article text",
        ),
        (
            2,
            lambda a: a["target"]["source"].update(
                {"px:sha256": "0" * 64, "id": "http://elsewhere/x/9"}
            ),
            "unknown article",
        ),
        (5, lambda a: a["body"][1].update({"value": "loves"}), "Unknown relation"),
        (
            3,
            lambda a: (
                a["target"]["selector"][1].update({"start": 10**6, "end": 10**6 + 5}),
                a["target"]["selector"][0].update({"exact": "Xin chào thế giới"}),
            ),
            "outside the article text",
        ),
    ],
    ids=["selector-mismatch", "unknown-article", "unknown-relation", "out-of-range"],
)
def test_a_bad_item_is_named_and_nothing_is_written(demo, index, mutate, expected):
    lan = demo["users"]["lan"]
    data = selectors.story_collection(story=demo["story"], user=lan, site=SITE)
    Claim.objects.filter(author=lan).delete()
    before = counts()
    with pytest.raises(services.ImportRejected) as rejected:
        services.annotations_import(user=lan, data=_bad(data, index, mutate), site=SITE)
    assert counts() == before  # nothing half-imported
    report = rejected.value.report
    bad = [item for item in report.items if item.errors]
    assert [item.index for item in bad] == [index]
    assert bad[0].id == data["first"]["items"][index]["id"]
    assert expected in bad[0].errors[0]
    assert f"item {index}" in report.summary()


def test_a_service_refusal_late_in_the_file_rolls_back_earlier_items(demo):
    lan = demo["users"]["lan"]
    data = selectors.story_collection(story=demo["story"], user=lan, site=SITE)
    Claim.objects.filter(author=lan).delete()
    before = counts()
    # The last item is a link between two spans of one article: link_create refuses it only
    # when it is written, after every claim before it was created.
    data = _bad(data, 6, lambda a: a.update(body=[copy.deepcopy(a["target"]), a["body"][1]]))
    with pytest.raises(services.ImportRejected) as rejected:
        services.annotations_import(user=lan, data=data, site=SITE)
    assert counts() == before
    assert [i.index for i in rejected.value.report.items if i.errors] == [6]


def test_a_moved_quote_is_found_by_its_context_with_a_warning(demo):
    lan = demo["users"]["lan"]
    data = selectors.story_collection(story=demo["story"], user=lan, site=SITE)
    Claim.objects.filter(author=lan).delete()
    claim = demo["claims"][1]
    data = _bad(
        data, 1, lambda a: a["target"]["selector"][1].update(start=0, end=claim.end - claim.start)
    )
    report = services.annotations_import(user=lan, data=data, site=SITE)
    assert Claim.objects.filter(author=lan, start=claim.start, end=claim.end).exists()
    assert "found at" in report.items[1].warnings[0]


def test_documents_that_are_not_annotations_are_refused(db, django_user_model):
    user = django_user_model.objects.create(username="u")
    for data, message in [
        ({"type": "Thing"}, "Expected a W3C Annotation"),
        ("text", "JSON object"),
        ({"type": "AnnotationCollection", "total": 5, "first": "http://x/page1"}, "embedded"),
    ]:
        with pytest.raises(services.ImportRejected) as rejected:
            services.annotations_import(user=user, data=data, site=SITE)
        assert message in rejected.value.report.summary()


def test_team_claims_and_links_keep_their_team_and_stay_inside_it(demo):
    from tests.factories import make_team

    lan, minh = demo["users"]["lan"], demo["users"]["minh"]
    team = make_team(name="Phòng tin", members={lan: "annotator"})
    a, b = demo["claims"][2], demo["claims"][3]
    from annotations import services as annotation_services

    team_a = annotation_services.claim_create(
        author=lan,
        article=a.article,
        start=a.start,
        end=a.end + 1,
        exact=a.article.body[a.start : a.end + 1],
        visibility="team",
        team=team,
    )
    link, _ = annotation_services.link_create(
        author=lan, claim_a=team_a, claim_b=b, relation="agrees", visibility="team", team=team
    )
    data = selectors.story_collection(story=demo["story"], user=lan, site=SITE)
    team_items = [i for i in data["first"]["items"] if i.get("px:visibility") == "team"]
    assert {i["px:team"] for i in team_items} == {team.slug} and len(team_items) == 2
    for outsider in (None, minh):
        text = json.dumps(selectors.story_collection(story=demo["story"], user=outsider, site=SITE))
        assert SITE.claim(team_a.pk) not in text and SITE.link(link.pk) not in text

    Claim.objects.filter(pk=team_a.pk).delete()
    report = services.annotations_import(user=lan, data=data, site=SITE)
    assert report.ok
    restored = Claim.objects.get(author=lan, start=a.start, end=a.end + 1)
    assert restored.visibility == "team" and restored.team_id == team.pk
    assert (
        ClaimLink.objects.get(
            claim_a=restored.pk if restored.pk < b.pk else b.pk,
            relation="agrees",
            visibility="team",
        ).team_id
        == team.pk
    )
    # minh is not in the team: importing the same file as minh is refused, and writes nothing.
    before = counts()
    with pytest.raises(services.ImportRejected) as rejected:
        services.annotations_import(user=minh, data=data, site=SITE)
    assert "not a member" in rejected.value.report.summary() and counts() == before
