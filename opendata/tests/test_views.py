"""CSV, article texts, the OpenAPI description, the tokens page and the backup commands."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import resolve

from annotations.models import Claim
from opendata import openapi
from opendata.models import ApiToken

from .conftest import counts


def test_csv_of_links_has_both_quotes_sources_relation_and_status(demo, django_assert_num_queries):
    slug = demo["story"].slug
    with django_assert_num_queries(2):  # the story, the links with both claims and sources
        response = Client().get(f"/annotations/stories/{slug}.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2
    link = demo["links"][0]
    row = next(r for r in rows if r["link_id"] == str(link.pk))
    assert row["relation"] == "contradicts" and row["status"] == "proposed"
    assert row["quote_a"] == link.claim_a.exact and row["quote_b"] == link.claim_b.exact
    assert row["source_a"] == link.claim_a.article.source.name
    assert row["source_b"] == link.claim_b.article.source.name
    assert {r["status"] for r in rows} == {"proposed", "confirmed"}


def test_csv_neutralises_formulas(demo):
    demo["links"][0].rationale = '=HYPERLINK("http://x")'
    demo["links"][0].save()
    text = (
        Client().get(f"/annotations/stories/{demo['story'].slug}.csv").content.decode("utf-8-sig")
    )
    assert "'=HYPERLINK" in text


def test_csv_query_count_is_flat(demo, django_assert_num_queries):
    from tests import factories

    for a, b in zip(demo["claims"][:-2], demo["claims"][2:], strict=True):
        factories.make_link(claim_a=a, claim_b=b, relation="qualifies")
    with django_assert_num_queries(2):
        response = Client().get(f"/annotations/stories/{demo['story'].slug}.csv")
    assert response.content.decode("utf-8-sig").count("qualifies") == 3


def test_article_text_is_the_body_the_offsets_index(demo):
    article = demo["articles"][0]
    response = Client().get(f"/annotations/articles/{article.pk}")
    assert response.status_code == 200
    assert response.content.decode() == article.body
    assert response["ETag"] == f'"{article.body_hash}"'
    assert response["Content-Language"] == article.language


def test_story_export_download(demo):
    response = Client().get(f"/annotations/stories/{demo['story'].slug}.jsonld?download=1")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert response.json()["total"] == 7
    assert Client().get("/annotations/stories/nope.jsonld").status_code == 404


def test_import_endpoint_201_and_422_with_report(demo, token_client):
    lan = demo["users"]["lan"]
    data = Client().get(f"/annotations/stories/{demo['story'].slug}.jsonld").json()
    Claim.objects.filter(author=lan).delete()
    client = token_client(lan)
    broken = json.loads(json.dumps(data))
    broken["first"]["items"][2]["target"]["selector"][0]["exact"] = "không khớp"
    broken["first"]["items"][2]["target"]["selector"][1]["start"] = 0
    before = counts()
    response = client.post(
        "/annotations/import", json.dumps(broken), content_type="application/ld+json"
    )
    assert response.status_code == 422
    assert [i["index"] for i in response.json()["items"] if i["errors"]] == [2]
    assert counts() == before
    response = client.post(
        "/annotations/import", json.dumps(data), content_type="application/ld+json"
    )
    assert response.status_code == 201
    got = response.json()["counts"]
    assert (got["claims"], got["links"], got["existing"], got["errors"]) == (5, 2, 0, 0)


# --- OpenAPI ------------------------------------------------------------------------------------


def test_openapi_description_is_valid_3_1_and_matches_the_urls(db):
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation import OpenAPIV31SpecValidator

    response = Client().get("/annotations/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    validate(document, cls=OpenAPIV31SpecValidator)
    for path in document["paths"]:
        concrete = (
            path.replace("{annotation_id}", "claim-1").replace("{slug}", "s").replace("{pk}", "1")
        )
        assert resolve(concrete).url_name != "not_found", path  # every documented path is served
    assert resolve("/annotations/nothing-here").url_name == "not_found"  # a JSON 404
    assert openapi.description()["servers"] == [{"url": "/"}]


_API_PATHS = (
    "/annotations/",
    "/annotations/claim-999999",
    "/annotations/link-0",
    "/annotations/claim-abc",
    "/annotations/articles/999999",
    "/annotations/articles/",
    "/annotations/stories/nope.jsonld",
    "/annotations/stories/nope.csv",
    "/annotations/stories/",
    "/annotations/import",
    "/annotations/openapi.json",
    "/annotations/x/y/z",
    "/annotations/%ff",
)


@pytest.mark.parametrize("method", ["get", "head", "post", "put", "patch", "delete", "options"])
def test_every_error_under_annotations_is_json(db, method):
    """4xx answers of the API, whatever the method or path (404s and 405s included), are JSON
    problems. (``/annotations/tokens/`` is a page for people, not the API.)"""
    client = Client()
    for path in _API_PATHS:
        response = getattr(client, method)(path)
        if response.status_code >= 400 or response.content:
            assert response["Content-Type"] in (
                "application/json",
                "application/problem+json",
                'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"',
            ), (method, path, response.status_code, response["Content-Type"])
        if response.status_code == 405:
            assert response["Allow"], (method, path)


# --- tokens -------------------------------------------------------------------------------------


def test_tokens_page_makes_shows_once_and_revokes(db, django_user_model):
    user = django_user_model.objects.create(username="ana")
    client = Client()
    assert client.get("/annotations/tokens/").status_code == 302  # login first
    client.force_login(user)
    page = client.get("/annotations/tokens/")
    assert "You have no tokens yet" in page.content.decode()
    response = client.post(
        "/annotations/tokens/", {"action": "create", "name": "Hypothesis-like client"}
    )
    assert response.status_code == 302
    shown = client.get("/annotations/tokens/").content.decode()
    token = ApiToken.objects.get(user=user)
    raw = shown.split('id="new-token"')[1].split('value="')[1].split('"')[0]
    assert raw.startswith("plx_") and token.hint == raw[:10]
    assert raw not in client.get("/annotations/tokens/").content.decode()  # shown once
    assert raw not in token.key_hash and len(token.key_hash) == 64  # stored hashed
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/annotations/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    client.post("/annotations/tokens/", {"action": "revoke", "token": token.pk})
    assert not ApiToken.objects.exists()
    assert api.get("/annotations/").status_code == 401


def test_tokens_page_refuses_an_empty_name_and_others_tokens(db, django_user_model):
    ana = django_user_model.objects.create(username="ana")
    bao = django_user_model.objects.create(username="bao")
    from opendata import services

    bao_token, _raw = services.token_create(user=bao, name="bao's")
    client = Client()
    client.force_login(ana)
    response = client.post("/annotations/tokens/", {"action": "create", "name": "  "}, follow=True)
    assert "Name the token" in response.content.decode()
    response = client.post(
        "/annotations/tokens/", {"action": "revoke", "token": bao_token.pk}, follow=True
    )
    assert "No such token" in response.content.decode()
    assert ApiToken.objects.filter(pk=bao_token.pk).exists()
    assert not ApiToken.objects.filter(user=ana).exists()


# --- commands -----------------------------------------------------------------------------------


def test_export_and_import_story_commands_round_trip(demo, tmp_path):
    out = tmp_path / "backup.jsonld"
    call_command(
        "export_story",
        demo["story"].slug,
        "-o",
        str(out),
        "--user",
        "lan",
        "--base-url",
        "http://testserver",
        "--no-progress",
        stderr=io.StringIO(),
    )
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["total"] == 7
    Claim.objects.filter(author=demo["users"]["lan"]).delete()
    stdout = io.StringIO()
    call_command(
        "import_story",
        str(out),
        "--user",
        "curator",
        "--no-progress",
        stdout=stdout,
        stderr=io.StringIO(),
    )
    assert "Imported 5 claims and 2 links" in stdout.getvalue()
    assert Claim.objects.filter(author__username="curator").count() == 5


def test_import_story_command_reports_by_item_and_writes_nothing(demo, tmp_path):
    data = Client().get(f"/annotations/stories/{demo['story'].slug}.jsonld").json()
    data["first"]["items"][4]["target"]["source"] = {"id": "http://elsewhere.example/a"}
    path = tmp_path / "bad.jsonld"
    path.write_text(json.dumps(data), encoding="utf-8")
    before = counts()
    with pytest.raises(CommandError, match="item 4 .*unknown article"):
        call_command(
            "import_story",
            str(path),
            "--user",
            "curator",
            "--no-progress",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert counts() == before
    path.write_text("{nope", encoding="utf-8")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("import_story", str(path), "--user", "curator", "--no-progress")


def test_create_api_token_command(db, django_user_model):
    django_user_model.objects.create(username="ana")
    stdout = io.StringIO()
    call_command("create_api_token", "ana", "--name", "ci", stdout=stdout)
    raw = stdout.getvalue().strip()
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/annotations/").status_code == 200
    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody")
