"""The W3C Web Annotation Protocol container at /annotations/: one test per requirement."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from annotations.models import Claim, ClaimLink
from tests import factories

from .conftest import counts, word_spans
from .w3c import must_failures

LD = "application/ld+json"
PROFILED = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
PREFER = 'return=representation;include="{}"'
IRIS = "http://www.w3.org/ns/oa#PreferContainedIRIs"
DESCRIPTIONS = "http://www.w3.org/ns/oa#PreferContainedDescriptions"
MINIMAL = "http://www.w3.org/ns/ldp#PreferMinimalContainer"
BASE = "http://testserver"


def _claim_body(article, start, end, note="", **extra) -> dict:
    body = article.body
    annotation = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "motivation": "commenting" if note else "highlighting",
        "target": {
            "source": {
                "id": f"{BASE}/annotations/articles/{article.pk}",
                "px:sha256": article.body_hash,
            },
            "selector": [
                {"type": "TextQuoteSelector", "exact": body[start:end]},
                {"type": "TextPositionSelector", "start": start, "end": end},
            ],
        },
        **extra,
    }
    if note:
        annotation["body"] = {"type": "TextualBody", "value": note, "purpose": "commenting"}
    return annotation


def post(client, data, content_type=PROFILED, **headers):
    return client.post("/annotations/", json.dumps(data), content_type=content_type, **headers)


# --- GET / HEAD / OPTIONS ---------------------------------------------------------------------


def test_container_get_headers_and_w3c_shape(demo):
    response = Client().get("/annotations/", HTTP_ACCEPT=PROFILED)
    assert response.status_code == 200
    assert response["Content-Type"] == PROFILED
    assert 'ldp#BasicContainer>; rel="type"' in response["Link"]
    assert "http://www.w3.org/ns/ldp#constrainedBy" in response["Link"]
    assert response["Allow"] == "GET, HEAD, OPTIONS, POST"
    vary = {v.strip() for v in response["Vary"].split(",")}
    assert {"Accept", "Prefer", "Authorization"} <= vary
    assert response["ETag"].startswith('"') and response["Accept-Post"] == PROFILED
    data = response.json()
    assert {"BasicContainer", "AnnotationCollection"} <= set(data["type"])
    assert data["total"] == 7  # 5 public claims and 2 links; not minh's private claim
    assert must_failures(data, "collection") == [] and must_failures(data, "page") == []


def test_head_has_the_headers_and_no_body(demo):
    get = Client().get("/annotations/")
    head = Client().head("/annotations/")
    assert head.status_code == 200 and head.content == b""
    assert head["ETag"] == get["ETag"] and head["Link"] == get["Link"]
    assert int(head["Content-Length"]) == len(get.content)


def test_options_lists_methods(demo):
    response = Client().options("/annotations/")
    assert response.status_code == 200
    assert response["Allow"] == "GET, HEAD, OPTIONS, POST"
    assert "BasicContainer" in response["Link"] and response["Accept-Post"] == PROFILED
    item = Client().options(f"/annotations/claim-{demo['claims'][0].pk}")
    assert item["Allow"] == "GET, HEAD, OPTIONS, PUT, DELETE"


def test_etag_answers_if_none_match_and_changes_with_content(demo):
    first = Client().get("/annotations/")
    again = Client().get("/annotations/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    factories.make_link(
        claim_a=demo["claims"][2], claim_b=demo["claims"][3], relation="qualifies"
    )
    changed = Client().get("/annotations/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


def test_every_client_gets_json_ld_whatever_it_accepts(demo):
    response = Client().get("/annotations/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and response["Content-Type"] == PROFILED


# --- paging and Prefer ------------------------------------------------------------------------


@pytest.fixture
def many(demo, settings):
    """33 more public claims, with a page size of 10: 5 pages (40 claims, 2 links visible)."""
    settings.OPENDATA_PAGE_SIZE = 10
    lan = demo["users"]["lan"]
    for article in demo["articles"][:3]:
        for start, end in word_spans(article, first=40, count=11):
            factories.make_claim(article=article, author=lan, start=start, end=end)
    return demo


@pytest.mark.parametrize("iris", [False, True])
def test_paging_reaches_exactly_total(many, iris):
    client = Client()
    prefer = PREFER.format(IRIS if iris else DESCRIPTIONS)
    container = client.get("/annotations/", HTTP_PREFER=prefer).json()
    total = container["total"]
    assert total == 5 + 33 + 2
    seen, url, index = [], container["first"]["id"], 0
    assert container["last"].endswith(f"page={(total - 1) // 10}")
    while url:
        page = client.get(url.removeprefix(BASE)).json()
        assert page["type"] == "AnnotationPage" and page["startIndex"] == index
        assert page["partOf"]["total"] == total
        assert must_failures(page, "page") == []
        for item in page["items"]:
            assert isinstance(item, str) if iris else item["type"] == "Annotation"
        seen += [i if iris else i["id"] for i in page["items"]]
        index += len(page["items"])
        url = page.get("next")
    assert len(seen) == len(set(seen)) == total
    assert client.get(f"/annotations/?page={total // 10 + 1}").status_code == 404


def test_prefer_minimal_container_embeds_no_page(many):
    response = Client().get("/annotations/", HTTP_PREFER=PREFER.format(MINIMAL))
    data = response.json()
    assert isinstance(data["first"], str) and "items" not in json.dumps(data)
    assert response["Preference-Applied"] == "return=representation"


def test_prefer_contained_iris_embeds_iris(many):
    data = Client().get("/annotations/", HTTP_PREFER=PREFER.format(IRIS)).json()
    assert all(
        isinstance(i, str) and i.startswith(f"{BASE}/annotations/") for i in data["first"]["items"]
    )
    assert "iris=1" in data["first"]["id"]
    default = Client().get("/annotations/").json()
    assert all(isinstance(i, dict) for i in default["first"]["items"])


def test_page_query_count_is_flat(many, settings, django_assert_num_queries):
    # Two counts, the page's claims, then articles, stories, users and provenance: 10 items or 30.
    with django_assert_num_queries(7):
        small = Client().get("/annotations/?page=0")
    settings.OPENDATA_PAGE_SIZE = 30
    with django_assert_num_queries(7):
        big = Client().get("/annotations/?page=0")
    assert len(small.json()["items"]) == 10 and len(big.json()["items"]) == 30
    # The last page mixes claims and links (links come with both their claims): one more query.
    settings.OPENDATA_PAGE_SIZE = 10
    with django_assert_num_queries(8):
        last = Client().get("/annotations/?page=3")
    kinds = [item["motivation"] for item in last.json()["items"]]
    assert len(kinds) == 10 and kinds.count("linking") == 2


def test_story_filter(demo):
    other = factories.make_claim()  # another story
    data = Client().get(f"/annotations/?story={demo['story'].slug}").json()
    assert data["total"] == 7  # the private claim is not visible
    assert f"claim-{other.pk}" not in json.dumps(data)
    assert Client().get("/annotations/?story=nope").status_code == 404


# --- visibility on every route ----------------------------------------------------------------


def test_private_claim_is_invisible_on_every_route(demo, token_client):
    private = demo["private"]
    iri = f"/annotations/claim-{private.pk}"
    anonymous, lan_session = Client(), Client()
    lan_session.force_login(demo["users"]["lan"])
    lan_token = token_client(demo["users"]["lan"])
    for client in (anonymous, lan_session, lan_token):
        assert client.get(iri).status_code == 404
        assert client.head(iri).status_code == 404
        for url in (
            "/annotations/",
            "/annotations/?iris=1&page=0",
            f"/annotations/stories/{demo['story'].slug}.jsonld",
            f"/annotations/stories/{demo['story'].slug}.csv",
        ):
            assert "secret" not in client.get(url).content.decode(), url
    assert lan_token.delete(iri).status_code == 404
    assert lan_token.put(iri, "{}", content_type=LD, HTTP_IF_MATCH='"x"').status_code == 404
    assert Claim.objects.filter(pk=private.pk).exists()
    minh = token_client(demo["users"]["minh"])
    assert minh.get(iri).json()["body"][0]["value"] == "minh's secret note"


# --- POST ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", [LD, PROFILED])
def test_post_creates_with_201_and_location(demo, token_client, content_type):
    article = demo["articles"][3]
    ((start, end),) = word_spans(article, first=60, count=1)
    client = token_client(demo["users"]["minh"])
    response = post(client, _claim_body(article, start, end, note="Đáng chú ý"), content_type)
    assert response.status_code == 201
    claim = Claim.objects.get(author=demo["users"]["minh"], start=start, article=article)
    assert response["Location"] == f"{BASE}/annotations/claim-{claim.pk}"
    assert response["ETag"] and response.json()["id"] == response["Location"]
    assert claim.note == "Đáng chú ý"
    fetched = client.get(response["Location"].removeprefix(BASE))
    assert fetched["ETag"] == response["ETag"]
    assert must_failures(fetched.json(), "annotation") == []


def test_post_a_linking_annotation_links_two_claims(demo, token_client):
    lan = demo["users"]["lan"]
    a, b = demo["claims"][3], demo["claims"][4]
    payload = _claim_body(a.article, a.start, a.end)
    payload["motivation"] = "linking"
    payload["body"] = [
        _claim_body(b.article, b.start, b.end)["target"],
        {"type": "TextualBody", "purpose": "classifying", "value": "qualifies"},
    ]
    response = post(token_client(lan), payload)
    assert response.status_code == 201, response.content
    link = ClaimLink.objects.get(relation="qualifies")
    assert {link.claim_a_id, link.claim_b_id} == {a.pk, b.pk}
    assert response["Location"].endswith(f"/annotations/link-{link.pk}")


@pytest.mark.parametrize(
    "body, content_type, status",
    [
        ("{not json", LD, 400),
        ('{"type": "Annotation"}', "text/plain", 415),
        ('{"type": "Annotation"}', "application/x-www-form-urlencoded", 415),
    ],
)
def test_post_bad_input(demo, token_client, body, content_type, status):
    before = counts()
    response = token_client(demo["users"]["lan"]).post(
        "/annotations/", body, content_type=content_type
    )
    assert response.status_code == status
    assert response.json()["detail"]
    assert counts() == before


def test_post_oversized_body_is_413(demo, token_client, settings):
    settings.OPENDATA_MAX_BODY_BYTES = 1000
    before = counts()
    payload = _claim_body(demo["articles"][0], 0, 5, note="x" * 2000)
    response = post(token_client(demo["users"]["lan"]), payload)
    assert response.status_code == 413 and counts() == before


def test_post_selector_mismatch_and_unknown_article_are_422_naming_the_problem(demo, token_client):
    client = token_client(demo["users"]["lan"])
    article = demo["articles"][0]
    before = counts()
    mismatch = _claim_body(article, 0, 5)
    mismatch["target"]["selector"][0]["exact"] = "không khớp"
    response = post(client, mismatch)
    assert response.status_code == 422
    assert "do not match the article text" in response.json()["items"][0]["errors"][0]
    unknown = _claim_body(article, 0, 5)
    unknown["target"]["source"] = {"id": "http://elsewhere.example/doc/1"}
    response = post(client, unknown)
    assert response.status_code == 422 and "unknown article" in response.json()["detail"]
    assert counts() == before


def test_post_needs_authentication(demo):
    response = post(Client(), _claim_body(demo["articles"][0], 0, 5))
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    bad = Client(HTTP_AUTHORIZATION="Bearer plx_wrong")
    assert post(bad, _claim_body(demo["articles"][0], 0, 5)).status_code == 401


def test_session_writes_need_the_csrf_token_token_writes_do_not(demo, token_client):
    article = demo["articles"][2]
    (s1, e1), (s2, e2) = word_spans(article, first=70, count=2)
    session = Client(enforce_csrf_checks=True)
    session.force_login(demo["users"]["lan"])
    refused = post(session, _claim_body(article, s1, e1))
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    session.get("/annotations/tokens/")  # sets the CSRF cookie
    token = session.cookies["csrftoken"].value
    assert post(session, _claim_body(article, s1, e1), HTTP_X_CSRFTOKEN=token).status_code == 201
    tokened = token_client(demo["users"]["lan"])
    tokened.handler.enforce_csrf_checks = True
    assert post(tokened, _claim_body(article, s2, e2)).status_code == 201


# --- PUT / DELETE -------------------------------------------------------------------------------


def test_put_with_if_match_replaces_and_a_stale_etag_is_412(demo, token_client):
    claim = demo["claims"][1]
    client = token_client(demo["users"]["lan"])
    url = f"/annotations/claim-{claim.pk}"
    current = client.get(url)
    data = current.json()
    data["motivation"] = "commenting"
    data["body"] = [
        {"type": "TextualBody", "purpose": "commenting", "value": "Ghi chú mới"},
        {"type": "TextualBody", "purpose": "tagging", "value": "nguồn"},
    ]
    response = client.put(
        url, json.dumps(data), content_type=PROFILED, HTTP_IF_MATCH=current["ETag"]
    )
    assert response.status_code == 200, response.content
    assert response["ETag"] != current["ETag"]
    claim.refresh_from_db()
    assert claim.note == "Ghi chú mới" and claim.tags == ["nguồn"]
    # The old ETag is stale now: 412 and nothing changes.
    data["body"][0]["value"] = "Ghi đè"
    stale = client.put(url, json.dumps(data), content_type=PROFILED, HTTP_IF_MATCH=current["ETag"])
    assert stale.status_code == 412
    claim.refresh_from_db()
    assert claim.note == "Ghi chú mới"
    missing = client.put(url, json.dumps(data), content_type=PROFILED)
    assert missing.status_code == 428


def test_put_cannot_move_the_target_or_touch_others_work(demo, token_client):
    claim = demo["claims"][1]
    url = f"/annotations/claim-{claim.pk}"
    lan = token_client(demo["users"]["lan"])
    current = lan.get(url)
    moved = current.json()
    moved["target"]["selector"][1]["start"] += 1
    moved["target"]["selector"][0]["exact"] = claim.article.body[claim.start + 1 : claim.end]
    response = lan.put(url, json.dumps(moved), content_type=LD, HTTP_IF_MATCH=current["ETag"])
    assert response.status_code == 422 and "target cannot change" in response.json()["detail"]
    minh = token_client(demo["users"]["minh"])
    response = minh.put(
        url, json.dumps(current.json()), content_type=LD, HTTP_IF_MATCH=current["ETag"]
    )
    assert response.status_code == 403


def test_put_link_changes_relation(demo, token_client):
    link = demo["links"][0]
    client = token_client(demo["users"]["lan"])
    url = f"/annotations/link-{link.pk}"
    current = client.get(url)
    data = current.json()
    data["body"][1]["value"] = "qualifies"
    response = client.put(url, json.dumps(data), content_type=LD, HTTP_IF_MATCH=current["ETag"])
    assert response.status_code == 200, response.content
    link.refresh_from_db()
    assert link.relation == "qualifies"


def test_delete_is_204_and_then_404(demo, token_client):
    claim = demo["claims"][4]
    url = f"/annotations/claim-{claim.pk}"
    assert token_client(demo["users"]["minh"]).delete(url).status_code == 403
    client = token_client(demo["users"]["lan"])
    assert client.delete(url, HTTP_IF_MATCH='"stale"').status_code == 412
    assert client.delete(url).status_code == 204
    assert not Claim.objects.filter(pk=claim.pk).exists()
    assert client.get(url).status_code == 404
    assert Client().delete(f"/annotations/link-{demo['links'][1].pk}").status_code == 401


def test_item_headers(demo):
    response = Client().get(f"/annotations/link-{demo['links'][0].pk}")
    assert response.status_code == 200
    assert response["Link"] == '<http://www.w3.org/ns/ldp#Resource>; rel="type"'
    assert response["Allow"] == "GET, HEAD, OPTIONS, PUT, DELETE"
    assert "Accept" in response["Vary"] and response["ETag"]
    assert response["Content-Type"] == PROFILED
    assert Client().get("/annotations/claim-999999").status_code == 404
