"""Importing other tools' annotations without losing what they carried (issue 17): provenance,
re-imports that never duplicate, Hypothesis's own JSON with fuzzy re-anchoring and orphans,
truthful refusals, Markdown notes, and the protocol's create/replace answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client

from annotations.models import Claim
from opendata import selectors, services
from opendata.jsonld import Site
from opendata.jsonld import iso as jsonld_iso
from opendata.models import OrphanedAnnotation, Provenance
from tests import factories

from .w3c import must_failures

SAMPLES = Path(__file__).parent / "samples"
SITE = Site(base="http://testserver")

# The Wikipedia passages the Hypothesis sample quotes, as a Parallax article would hold them:
# plain text, other line breaks, one sentence reworded ("far more" → "much more") and the page
# footer ("last modified on 11 November 2016") not part of the article at all.
WIKI_BODY = (
    "Regression testing\n"
    "From Wikipedia, the free encyclopedia\n"
    "Regression testing is a type of software testing that verifies that software previously "
    "developed and tested still performs correctly after it was changed or interfaced with "
    "other software, such as enhancements, patches or configuration changes, in the "
    "functional areas of the system.\n"
    "The purpose of regression testing is to ensure that changes such as those mentioned above "
    "have not introduced new faults.[1] One of the main reasons for regression testing is to "
    "determine whether a change in one part of the software affects other parts.\n"
    "Sometimes re-testing is needed when changes in architecture are made in the redesign.\n"
    "Therefore, in most software development situations, it is considered good coding "
    "practice, when a bug is located and fixed, to record a test that exposes the bug and "
    "re-run that test regularly after subsequent changes to the program.[3] Although this may "
    "be done through manual testing procedures, it is often done using automated tools that "
    "execute the test suite cases.\n"
    "Also as a consequence of the introduction of new bugs, program maintenance requires much "
    "more system testing per statement written than any other programming. Theoretically, "
    "after each fix one must run the entire batch of test cases previously run.\n"
)
RECOGITO_BODY = "The village had hoped she would marry him. But as years went by, nothing came."
# The opening of Butler's Odyssey (Project Gutenberg #1727, public domain), where Recogito's test
# page made the highlights of its own export sample.
ODYSSEY_BODY = (
    "Tell me, O muse, of that ingenious hero who travelled far and wide after he had sacked the "
    "famous town of Troy.\n"
    "So now all who escaped death in battle or by shipwreck had got safely home except Ulysses, "
    "and he, though he was longing to return to his wife and country, was detained by the "
    "goddess Calypso, who had got him into a large cave and wanted to marry him. But as years "
    "went by, there came a time when the gods settled that he should go back to Ithaca; even "
    "then, however, when he was among his own people, his troubles were not yet over; "
    "nevertheless all the gods had now begun to pity him except Neptune, who still persecuted "
    "him without ceasing and would not let him get home.\n"
    "Now Neptune had gone off to the Ethiopians, who are at the world's end, and lie in two "
    "halves, the one looking West and the other East. He had gone there to accept a hecatomb of "
    "sheep and oxen, and was enjoying himself at his festival.\n"
)


def _sample(name: str):
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


@pytest.fixture
def wiki(db):
    story = factories.make_story(slug="regression", title="Regression testing")
    other = factories.make_article(story=story, body="Một bài khác, không liên quan.", position=0)
    article = factories.make_article(
        story=story, body=WIKI_BODY, position=1, title="Regression testing (Wikipedia)"
    )
    return {"story": story, "article": article, "other": other, "lan": factories.make_user()}


def test_hypothesis_export_imports_with_provenance_reanchoring_and_an_orphan(wiki):
    data = _sample("hypothesis-wikipedia-regression-testing.json")
    report = services.annotations_import(
        user=wiki["lan"], data=data, site=SITE, story=wiki["story"]
    )
    by_id = {item.id.rsplit("/", 1)[1]: item for item in report.items}
    # Offsets index the web page, not our text: every claim is found by its words.
    assert by_id["Ic6rNsOCEeaQl--ofD7IUg"].status == "reanchored"  # same words, other place
    assert by_id["wy1stsOBEeaQlychltExbg"].status == "reanchored"
    assert by_id["rvTr_MOBEeaQl9tXcHfSkw"].status == "reanchored"
    reworded = by_id["0v-8NMOBEeaQl88x78UnFQ"]
    assert reworded.status == "reanchored" and any("differ slightly" in w for w in reworded.warnings)
    footer = by_id["LOCXbsOCEeaQl6f6fQh87Q"]
    assert footer.status == "orphaned" and not footer.errors
    counts = report.counts()
    assert (counts["created"], counts["reanchored"], counts["orphaned"]) == (4, 4, 1)
    # The XPath-based RangeSelector is kept and said so, never dropped silently.
    assert all(any("RangeSelector" in w for w in i.warnings) for i in report.items if i.new_id)
    assert "Regression testing" in " ".join(report.warnings)  # the page → the article

    claim = Claim.objects.get(note="Quote")
    assert claim.article == wiki["article"] and claim.author == wiki["lan"]
    assert claim.exact.startswith("Also as a consequence") and "much more" in claim.exact
    origin = Provenance.objects.get(claim=claim)
    assert origin.tool == "Hypothesis" and origin.creator_iri == "acct:mark@localhost"
    assert origin.created.isoformat().startswith("2016-12-16T11:21:43")
    assert origin.original_id == "http://localhost:5000/a/0v-8NMOBEeaQl88x78UnFQ"
    assert origin.note_format == "text/markdown"
    assert origin.kept_selectors[0]["type"] == "RangeSelector"
    orphan = OrphanedAnnotation.objects.get(story=wiki["story"])
    assert orphan.quote == "11 November 2016" and orphan.data["creator"]["id"].startswith("acct:")

    # The export gives it all back.
    exported = selectors.story_collection(story=wiki["story"], user=None, site=SITE)
    item = next(i for i in exported["first"]["items"] if i["id"] == SITE.claim(claim.pk))
    assert item["creator"] == {"type": "Person", "id": "acct:mark@localhost"}
    assert item["created"] == "2016-12-16T11:21:43Z"
    assert item["via"] == "http://localhost:5000/a/0v-8NMOBEeaQl88x78UnFQ"
    assert item["generator"]["name"] == "Hypothesis"
    assert must_failures({"@context": exported["@context"], **item}, "annotation") == []
    assert must_failures(exported, "collection") == []
    assert must_failures({"@context": exported["@context"], **exported["first"]}, "page") == []
    assert item["body"][0]["format"] == "text/markdown"
    assert {s["type"] for s in item["target"]["selector"]} == {
        "TextQuoteSelector",
        "TextPositionSelector",
        "RangeSelector",
    }

    # Anyone importing the same file again, or our export of it: nothing new, nobody changed.
    minh = factories.make_user()
    before = list(Claim.objects.values_list("pk", "author_id", "note").order_by("pk"))
    for document in (data, exported):
        again = services.annotations_import(
            user=minh, data=document, site=SITE, story=wiki["story"]
        )
        assert {i.status for i in again.items} == {"existing"}
    assert list(Claim.objects.values_list("pk", "author_id", "note").order_by("pk")) == before
    assert OrphanedAnnotation.objects.count() == 1 and Provenance.objects.count() == 4


def test_hypothesis_client_export_file_shape_is_read(wiki):
    rows = _sample("hypothesis-wikipedia-regression-testing.json")["rows"]
    document = {
        "export_date": "2024-05-01T10:00:00Z",
        "export_userid": "acct:mark@localhost",
        "client_version": "1.1400.0",
        "annotations": rows[1:2],
    }
    report = services.annotations_import(
        user=wiki["lan"], data=document, site=SITE, story=wiki["story"], dry_run=True
    )
    assert report.dry_run and report.counts()["created"] == 1
    assert Claim.objects.count() == 0 and Provenance.objects.count() == 0  # a dry run


def test_recogito_annotation_keeps_its_creator_and_date(db):
    story = factories.make_story()
    article = factories.make_article(story=story, body=RECOGITO_BODY)
    user = factories.make_user()
    report = services.annotations_import(
        user=user, data=_sample("recogito-text-annotation.json"), site=SITE, story=story
    )
    assert report.counts()["created"] == 1
    claim = Claim.objects.get()
    assert claim.exact == "But as years" and claim.note == "A comment about a content"
    origin = claim.provenance
    assert (origin.creator_iri, origin.creator_name) == ("qn7zdU8XD6ZPDBMXdc7w", "Oleksandr")
    exported = selectors.annotation_json(site=SITE, obj=claim)
    assert exported["creator"]["name"] == "Oleksandr" and exported["created"] == "2023-01-28T12:00:00Z"
    assert exported["via"].endswith("ccf99248-e2a0-4fea-9869-46da99390a9b")
    assert must_failures(exported, "annotation") == []
    assert article.pk == claim.article_id

    # Someone else importing the file again, or its export: nothing new, nobody changed.
    other = factories.make_user()
    for document in (_sample("recogito-text-annotation.json"), exported):
        again = services.annotations_import(user=other, data=document, site=SITE, story=story)
        assert [i.status for i in again.items] == ["existing"]
    assert list(Claim.objects.values_list("pk", "author_id")) == [(claim.pk, user.pk)]
    assert Provenance.objects.get().creator_name == "Oleksandr"


def test_recogito_export_unchanged_imports_exports_and_reimports_without_duplicates(db):
    """Recogito's own W3C export, as its text annotator wrote it: five highlights by two
    people, overlapping, on two source IRIs and with offsets of the web page."""
    story = factories.make_story(slug="odyssey")
    article = factories.make_article(story=story, body=ODYSSEY_BODY, title="The Odyssey, Book I")
    lan = factories.make_user()
    data = _sample("recogito-text-annotator-odyssey.w3c.json")
    report = services.annotations_import(user=lan, data=data, site=SITE, story=story)
    assert report.counts()["created"] == 5 and report.ok
    unkept = [[w for w in item.warnings if "the target's" in w] for item in report.items]
    assert [w[0].rsplit(": the target's ", 1)[1] for w in unkept] == [  # said, not kept
        "id, annotation.", "id, annotation.", "id, annotation.", "annotation.", "annotation."
    ]
    assert sum("creator.isGuest" in w for i in report.items for w in i.warnings) == 2
    claims = {c.provenance.original_id: c for c in Claim.objects.select_related("provenance")}
    assert set(claims) == {a["id"] for a in data}
    for annotation in data:
        claim = claims[annotation["id"]]
        target = annotation["target"]
        exact = (target[0] if isinstance(target, list) else target)["selector"][0]["exact"]
        assert article.body[claim.start:claim.end] == claim.exact == exact
        assert claim.author == lan
        assert claim.provenance.creator_iri == annotation["creator"]["id"]
        assert jsonld_iso(claim.provenance.created) == annotation["created"][:19] + "Z"

    exported = selectors.story_collection(story=story, user=None, site=SITE)
    items = exported["first"]["items"]
    assert {i["via"] for i in items} == set(claims)
    assert {i["creator"]["id"] for i in items} == {
        "ktKoKXUSAY88XxClOvGp",
        "htjjQ0q46ZxyQajyl__F",
    }
    assert must_failures(exported, "collection") == []

    minh = factories.make_user()
    before = sorted(Claim.objects.values_list("pk", "author_id", "start", "end"))
    for document in (data, exported):
        again = services.annotations_import(user=minh, data=document, site=SITE, story=story)
        assert [i.status for i in again.items] == ["existing"] * 5
    assert sorted(Claim.objects.values_list("pk", "author_id", "start", "end")) == before
    assert Provenance.objects.count() == 5


def test_unknown_source_without_a_story_still_says_unknown_article(db):
    user = factories.make_user()
    with pytest.raises(services.ImportRejected) as rejected:
        services.annotations_import(
            user=user, data=_sample("recogito-text-annotation.json"), site=SITE
        )
    assert "unknown article" in rejected.value.report.summary()


# --- truthful refusals --------------------------------------------------------------------------

_TARGET = {
    "source": "http://example.org/page1",
    "selector": {"type": "TextQuoteSelector", "exact": "words"},
}


@pytest.mark.parametrize(
    "annotation, expected",
    [
        (
            {"body": {"id": "http://example.org/a.mp3", "type": "Sound"}, "target": _TARGET},
            "Bodies of type Sound are not supported",
        ),
        (
            {
                "body": {"type": "Choice", "items": [{"type": "TextualBody", "value": "a"}]},
                "target": _TARGET,
            },
            "Choice bodies are not supported",
        ),
        (
            {"target": {"type": "Composite", "items": [_TARGET, _TARGET]}},
            "Composite targets are not supported; split them into one annotation per target",
        ),
        (
            {"target": {"type": "List", "items": [_TARGET, _TARGET]}},
            "List targets are not supported; split them into one annotation per target",
        ),
        ({"target": "http://example.org/page1"}, "without a selector"),
        (
            {
                "target": {
                    "source": "http://example.org/page1",
                    "selector": {"type": "XPathSelector", "value": "/p[2]"},
                }
            },
            "XPathSelector cannot be resolved",
        ),
        ({"motivation": "replying", "target": _TARGET}, "Replies annotate another annotation"),
    ],
)
def test_refusals_name_the_real_problem(db, annotation, expected):
    user = factories.make_user()
    data = {"@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation", **annotation}
    with pytest.raises(services.ImportRejected) as rejected:
        services.annotations_import(user=user, data=data, site=SITE)
    assert expected in rejected.value.report.summary()


def test_xpath_with_a_refined_quote_is_used_and_kept(db):
    story = factories.make_story()
    article = factories.make_article(story=story, body=RECOGITO_BODY)
    data = {
        "type": "Annotation",
        "id": "urn:uuid:1",
        "target": {
            "source": "http://example.org/page1",
            "selector": {
                "type": "XPathSelector",
                "value": "/body/p[1]",
                "refinedBy": {"type": "TextQuoteSelector", "exact": "years went by"},
            },
        },
    }
    report = services.annotations_import(
        user=factories.make_user(), data=data, site=SITE, story=story
    )
    assert "XPathSelector cannot be used" in report.items[0].warnings[0]
    claim = Claim.objects.get(article=article)
    assert claim.exact == "years went by"
    assert claim.provenance.kept_selectors[0]["type"] == "XPathSelector"


# --- Markdown notes, shown safely -----------------------------------------------------------------


def test_markdown_note_is_kept_and_rendered_without_script(db):
    from opendata.rendering import note_html

    html = note_html("**bold** and [a link](https://example.org)<script>alert(1)</script>",
                     "text/markdown")
    assert "<strong>bold</strong>" in html and 'href="https://example.org"' in html
    assert "<script" not in html
    assert "href" not in note_html("[x](javascript:alert(1))", "text/markdown")
    assert "href" not in note_html('<a href="javascript:alert(1)">x</a>', "text/html")
    assert note_html("a\nb <b>", "") == "a<br>b &lt;b&gt;"


def test_the_reader_shows_where_an_imported_claim_came_from(wiki, client):
    data = _sample("hypothesis-wikipedia-regression-testing.json")
    services.annotations_import(user=wiki["lan"], data=data, site=SITE, story=wiki["story"])
    claim = Claim.objects.get(note="Quote")
    response = client.get(f"/stories/{wiki['story'].slug}/?claim={claim.pk}")
    assert response.status_code == 200
    text = response.content.decode()
    assert "imported from Hypothesis" in text
    assert "acct:mark@localhost" in text and "2016-12-16" in text


# --- the protocol's answers -------------------------------------------------------------------------


def test_post_keeps_client_id_as_via_and_a_second_post_creates_nothing(wiki, token_client):
    client = token_client(wiki["lan"])
    article = wiki["article"]
    start = article.body.index("The purpose")
    annotation = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "id": "urn:uuid:client-side-1",
        "canonical": "urn:uuid:canonical-1",
        "target": {
            "source": f"http://testserver/annotations/articles/{article.pk}",
            "selector": {"type": "TextPositionSelector", "start": start, "end": start + 11},
        },
    }
    first = client.post("/annotations/", json.dumps(annotation), content_type="application/ld+json")
    assert first.status_code == 201
    body = first.json()
    assert body["via"] == "urn:uuid:client-side-1" and body["canonical"] == "urn:uuid:canonical-1"
    assert first["Content-Location"] == body["id"] == first["Location"]
    second = client.post("/annotations/", json.dumps(annotation), content_type="application/ld+json")
    assert second.status_code == 200 and second["Location"] == body["id"]
    assert Claim.objects.count() == 1


def test_put_without_if_match_says_how_to_get_the_etag(wiki, token_client):
    claim = factories.make_claim(article=wiki["article"], author=wiki["lan"])
    client = token_client(wiki["lan"])
    current = Client().get(f"/annotations/claim-{claim.pk}").json()
    response = client.put(
        f"/annotations/claim-{claim.pk}", json.dumps(current), content_type="application/ld+json"
    )
    assert response.status_code == 428
    problem = response.json()
    assert "ETag" in problem["detail"] and "If-Match" in problem["detail"]
    assert problem["etag_from"] == f"http://testserver/annotations/claim-{claim.pk}"


# --- request validation from the published schemas ----------------------------------------------


def _nested(depth: int):
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def test_bad_parameters_and_bodies_are_clear_4xx_in_json(wiki, token_client):
    client = token_client(wiki["lan"])
    for url, status in (
        ("/annotations/?page=-1", 400),
        ("/annotations/?page=abc", 400),
        ("/annotations/?page=99999999999999999999", 400),
        ("/annotations/?iris=yes", 400),
        ("/annotations/?story=%00", 400),  # a NUL in any query: 400 (textkernel, issue 14)
        ("/annotations/articles/99999999999999999999", 404),
        (f"/annotations/articles/{wiki['article'].pk + 1000}", 404),
    ):
        response = client.get(url)
        assert response.status_code == status, url
        assert response["Content-Type"] in ("application/json", "application/problem+json"), url
    before = Claim.objects.count()
    for body, message, status in (
        ({"type": "Annotation", "target": {"source": None}}, "target", 422),
        ({"type": "Annotation", "target": "x", "bodyValue": "a\x00b"}, "NUL", 422),
        ({"type": "Annotation", "target": "x", "body": _nested(80)}, "nested", 400),
        ({"target": "x"}, "type", 422),
    ):
        response = client.post(
            "/annotations/", json.dumps(body), content_type="application/ld+json"
        )
        assert response.status_code == status, body
        assert message in json.dumps(response.json()), response.json()
    assert Claim.objects.count() == before


def test_the_description_publishes_the_schemas_the_server_enforces(db):
    from opendata import openapi

    document = Client().get("/annotations/openapi.json").json()
    for name, schema in openapi.REQUEST_SCHEMAS.items():
        assert document["components"]["schemas"][name] == json.loads(json.dumps(schema))
    post = document["paths"]["/annotations/"]["post"]["requestBody"]["content"]
    assert all(v["schema"]["$ref"].endswith("/AnnotationIn") for v in post.values())
    assert openapi.request_problem("AnnotationIn", {"type": "Annotation", "target": "x"}) is None


def test_reimporting_an_export_of_other_peoples_claims_changes_nothing(demo):
    lan, minh = demo["users"]["lan"], demo["users"]["minh"]
    exported = selectors.story_collection(story=demo["story"], user=minh, site=SITE)
    before = sorted(Claim.objects.values_list("pk", "author_id", "note"))
    report = services.annotations_import(user=minh, data=exported, site=SITE)
    assert {i.status for i in report.items} == {"existing"}
    assert sorted(Claim.objects.values_list("pk", "author_id", "note")) == before
    assert Claim.objects.filter(author=lan).count() == 5


# --- what is not kept is said ------------------------------------------------------------------


def test_properties_parallax_does_not_keep_are_named_in_the_report(db):
    story = factories.make_story()
    factories.make_article(story=story, body=RECOGITO_BODY)
    annotation = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "id": "urn:uuid:kept-and-not",
        "rights": "https://creativecommons.org/licenses/by/4.0/",
        "audience": {"type": "schema:EducationalAudience"},
        "creator": [
            {"id": "https://example.org/ann", "name": "Ann", "email": "mailto:ann@example.org"},
            {"id": "https://example.org/bob"},
        ],
        "body": [
            {"type": "TextualBody", "value": "Un commentaire", "language": "fr",
             "purpose": "describing"},
            {"type": "TextualBody", "value": "village", "purpose": "tagging"},
        ],
        "target": {
            "source": "http://example.org/page1",
            "styleClass": "red",
            "state": {"type": "TimeState", "sourceDate": "2016-01-01T00:00:00Z"},
            "selector": {"type": "TextQuoteSelector", "exact": "years went by"},
        },
    }
    report = services.annotations_import(
        user=factories.make_user(), data=annotation, site=SITE, story=story
    )
    assert report.counts()["created"] == 1
    warnings = [w for w in report.items[0].warnings if w.startswith("Not kept")]
    assert warnings == [
        "Not kept by Parallax (not imported, not exported again): the annotation's "
        "creator.email, creator (all but the first), rights, audience.",
        "Not kept by Parallax (not imported, not exported again): the body's language, "
        "purpose “describing”.",
        "Not kept by Parallax (not imported, not exported again): the target's styleClass, "
        "state.",
    ]
    claim = Claim.objects.get()
    assert claim.exact == "years went by" and claim.tags == ["village"]
    assert claim.provenance.creator_name == "Ann"


def test_parallax_exports_and_the_samples_have_nothing_unkept(demo):
    """Only what Parallax cannot keep is named: its own export (claims and links) and the
    Hypothesis and Recogito samples give no such warning."""
    from opendata import hypothesis, jsonld

    lan = demo["users"]["lan"]
    exported = selectors.story_collection(story=demo["story"], user=lan, site=SITE)
    items = exported["first"]["items"]
    assert {i["motivation"] for i in items} >= {"linking", "commenting"}
    samples = hypothesis.convert(_sample("hypothesis-wikipedia-regression-testing.json")["rows"])
    for item in [*items, *samples, *_sample("recogito-text-annotation.json")]:
        assert not any(jsonld.parse_annotation(item).origin.unkept.values()), item["id"]


def test_a_hypothesis_annotation_not_shared_with_the_world_is_imported_private(wiki):
    rows = _sample("hypothesis-wikipedia-regression-testing.json")["rows"]
    private = {**rows[1], "group": "3kLmNpQr", "hidden": True,
               "permissions": {"read": ["group:3kLmNpQr"]}}
    report = services.annotations_import(
        user=wiki["lan"], data={"rows": [private]}, site=SITE, story=wiki["story"]
    )
    assert report.counts()["created"] == 1
    assert any("annotation's group, hidden." in w for w in report.items[0].warnings)
    assert any("it is imported private" in w for w in report.items[0].warnings)
    claim = Claim.objects.get()
    assert claim.visibility == Claim.Visibility.PRIVATE and claim.author == wiki["lan"]
    assert Client().get(f"/annotations/claim-{claim.pk}").status_code == 404


# --- the 43 examples of the W3C Recommendation -------------------------------------------------

W3C_EXAMPLES = SAMPLES / "w3c-model-examples"
_LINK_BODY = "Bodies that are links to other resources ("
_WHOLE = "is a whole resource ("
_SPECIFIC_BODY = "A SpecificResource body is only read on a linking annotation"
_AS_IMPORTED = {
    **dict.fromkeys([1, 2, 4, 11, 12, 13, 14, 16, 17, *range(21, 38)], _LINK_BODY),
    3: "Bodies of type Video are not supported",
    **dict.fromkeys([5, 6, 7, 8, 42, 43], _WHOLE),
    9: "Several targets are not supported; split them into one annotation per target",
    10: "Choice bodies are not supported",
    38: "Choice bodies are not supported",
    15: "Unsupported motivation bookmarking",
    **dict.fromkeys([18, 19, 20], _SPECIFIC_BODY),
    39: "Composite targets are not supported; split them into one annotation per target",
    40: "List targets are not supported; split them into one annotation per target",
    41: "Unsupported motivation classifying",
}
_NO_SELECTOR = "needs a TextQuoteSelector or a TextPositionSelector"
_TARGET_ONLY = {
    **dict.fromkeys([1, 2, 3, 5, 6, 7, 8, 10, 11, 12, 13, 15, 16, 17, 20, 42, 43], _WHOLE),
    4: "is of type Image, which is not supported",
    14: "is of type Video, which is not supported",
    18: "is of type Image, which is not supported",
    9: "Several targets are not supported",
    19: "a selector given by reference (http://example.org/dataselector1) cannot be resolved",
    36: "a selector given by reference (http://example.org/selectors/html-selector1) cannot be",
    21: "CssSelector cannot be resolved against the article's text",
    22: "XPathSelector cannot be resolved against the article's text",
    25: "DataPositionSelector cannot be resolved against the article's text",
    26: "SvgSelector cannot be resolved against the article's text",
    27: "SvgSelector cannot be resolved against the article's text",
    28: "RangeSelector cannot be resolved against the article's text",
    38: "FragmentSelector cannot be resolved against the article's text",
    **dict.fromkeys([30, 31, 32, 33, 34, 35, 37], _NO_SELECTOR),
    39: "Composite targets are not supported",
    40: "List targets are not supported",
    41: "Independents targets are not supported",
}


def _w3c_example(number: int) -> dict:
    return json.loads((W3C_EXAMPLES / f"anno{number}.json").read_text(encoding="utf-8"))


def test_the_43_w3c_examples_are_refused_naming_the_real_problem(db):
    """None of the Recommendation's examples can be a claim here (images, audio, other
    resources as bodies, whole resources, …); each refusal says which. The misleading messages
    the issue saw ("A TextualBody value must be a string." for audio and Choice bodies, "The
    target has no source IRI." for Composite/List targets) are never given."""
    examples = [_w3c_example(n) for n in range(1, 44)]
    with pytest.raises(services.ImportRejected) as rejected:
        services.annotations_import(user=factories.make_user(), data=examples, site=SITE)
    report = rejected.value.report
    assert len(report.items) == 43 and Claim.objects.count() == 0
    for number, item in enumerate(report.items, start=1):
        message = " ".join(item.errors)
        assert _AS_IMPORTED[number] in message, (number, message)
        assert "must be a string" not in message and "no source IRI" not in message

    # Their targets alone (bodies, bodyValue and motivation taken away): what is wrong with each
    # target is named too, and the three text targets are read.
    from opendata import jsonld

    read = {}
    for number in range(1, 44):
        example = _w3c_example(number)
        for key in ("body", "bodyValue", "motivation"):
            example.pop(key, None)
        if number in (23, 24, 29):  # TextQuote, TextPosition, a quote refined by a fragment
            spec = jsonld.parse_annotation(example)
            read[number] = (spec.span.exact, spec.span.start, spec.origin.kept_selectors)
            continue
        with pytest.raises(jsonld.ParseError) as refused:
            jsonld.parse_annotation(example)
        assert _TARGET_ONLY[number] in str(refused.value), (number, str(refused.value))
    assert read[23][:2] == ("anotation", None) and read[24][1] == 412
    assert read[29][0] == "Selected Text"
    assert [s["type"] for s in read[29][2]] == ["FragmentSelector"]  # kept (and warned about)
