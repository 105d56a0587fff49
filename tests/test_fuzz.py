"""Issue 14: property-based fuzzing. No input gets a 5xx.

- Hypothesis over every route of the site that takes parameters or a body: path parameters,
  query strings and form bodies of hostile text (NUL, lone surrogates, huge and negative
  numbers, control and bidi characters), as an anonymous visitor and as a signed-in curator.
- schemathesis against the API's OpenAPI description (/annotations/openapi.json), with a
  personal token, checking only for server errors (whether answers match the description is
  opendata's own tests' business).

Bounded to run in well under two minutes on a loaded machine.
"""

from __future__ import annotations

import json
import re

import pytest
import schemathesis
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.wsgi import application
from opendata import services as opendata_services
from tests import factories

FUZZ = settings(
    max_examples=8, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip

#: Routes not fuzzed here, and why.
SKIPPED = {
    "reader:story_stream": "an async stream (tests/test_hardening_inputs.py covers its parameters)",
    "set_language": "Django's own view",
}

HOSTILE = st.one_of(
    st.text(max_size=30),
    st.sampled_from([
        "", "-1", "0", "99999999999999999999", "9223372036854775808", "1e9", "0x10", "١٢",
        "\x00", "a\x00b", "\ud800", "\u202eevil", "\x07", "%00", "../../etc", "'", "\"", "<x>",
        "team:99999999999999999999", "team:-1", "mine,public,none", "1,2,3", " 5 ", "claim-1",
    ]),
)  # fmt: skip
PARAMS = [
    "page", "story", "claim", "link_to", "layers", "order", "hide", "tab", "since", "after",
    "article", "q", "iris", "download", "next", "status", "relation", "source", "team", "sort",
    "canonical", "claims", "statement", "note", "tags", "rationale", "start", "end", "exact",
    "visibility", "name", "role", "username", "action", "token", "decision", "stance", "links",
]  # fmt: skip


def _routes() -> list[tuple[str, str, list[str]]]:
    """(name, regex, converter names) of every site route that takes parameters or a body."""
    found = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            regex = prefix + pattern.pattern.regex.pattern.lstrip("^").rstrip("$").rstrip("\\Z")
            if isinstance(pattern, URLResolver):
                if "admin" in str(pattern.pattern):
                    continue  # Django's admin
                ns = f"{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, regex, ns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = namespace + pattern.name
                if name not in SKIPPED:
                    found.append((name, regex))

    walk(get_resolver().url_patterns, "", "")
    return found


ROUTES = _routes()


def _path(regex: str, values: list[str]) -> str:
    """The regex's groups filled with ``values`` (percent-encoded as a browser would)."""
    parts = iter(values)
    path = re.sub(r"\(\?P<\w+>[^)]*\)", lambda _m: _quote(next(parts, "1")), regex)
    return "/" + path.replace("\\", "")


def _quote(value: str) -> str:
    # A lone surrogate goes on the wire as the bytes a careless client would send.
    from urllib.parse import quote

    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def _encode(query: dict[str, str]) -> str:
    return "&".join(f"{_quote(k)}={_quote(v)}" for k, v in query.items())


@pytest.fixture
def world(db):
    story, articles, claims, links = _story()
    curator = factories.make_user(username="fuzzer", is_staff=True)
    client = Client()
    client.force_login(curator)
    return {"story": story, "claims": claims, "links": links, "client": client}


def _story():
    made = factories.make_story_with_annotations(articles=2, claims_per_article=2, links=1)
    return made


def test_every_route_with_parameters_is_fuzzed():
    names = {name for name, _regex in ROUTES}
    assert {"reader:story_read", "opendata:container", "curation:matrix", "reader:claim_create"} <= names


@pytest.mark.parametrize("name,regex", ROUTES, ids=[name for name, _r in ROUTES])
def test_no_input_gets_a_server_error(world, name, regex):
    groups = re.findall(r"\(\?P<(\w+)>", regex)
    story = world["story"]
    plausible = {"slug": story.slug, "pk": str(world["claims"][0].pk),
                 "article_pk": str(world["claims"][0].article_id),
                 "annotation_id": f"claim-{world['claims'][0].pk}"}  # fmt: skip

    @FUZZ
    @given(
        path_values=st.lists(st.one_of(st.sampled_from(list(plausible.values())), HOSTILE),
                             min_size=len(groups), max_size=len(groups)),
        query=st.dictionaries(st.sampled_from(PARAMS), HOSTILE, max_size=4),
        method=st.sampled_from(["GET", "POST"]),
        signed_in=st.booleans(),
    )  # fmt: skip
    def run(path_values, query, method, signed_in):
        values = [plausible.get(g, v) if i % 2 == 0 else v for i, (g, v) in enumerate(zip(groups, path_values))]
        path = _path(regex, values)
        client = world["client"] if signed_in else Client()
        if method == "GET":
            response = client.get(f"{path}?{_encode(query)}")
        else:
            response = client.post(
                path, _encode(query), content_type="application/x-www-form-urlencoded"
            )
        assert response.status_code < 500, (method, path, query, response.status_code)

    run()


# --- the API, from its OpenAPI description -------------------------------------------------

schema = schemathesis.openapi.from_wsgi("/annotations/openapi.json", application)


@pytest.fixture
def token(db):
    factories.make_story_with_annotations(articles=2, claims_per_article=2, links=1)
    user = factories.make_user(username="api-fuzzer")
    return opendata_services.token_create(user=user, name="fuzz")[1]


@schema.parametrize()
@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))  # fmt: skip
def test_the_api_never_answers_a_server_error(case, token):
    # Sent through Django's test client, inside the test's transaction (schemathesis' own WSGI
    # transport would close the connection after each request, as a server does).
    headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
    body = case.body
    if case.media_type and "json" in case.media_type and not isinstance(body, (str, bytes)):
        body = json.dumps(body, ensure_ascii=True)
    elif body is None or not isinstance(body, (str, bytes)):
        body = ""
    query = _encode({str(k): str(v) for k, v in (case.query or {}).items()})
    response = Client().generic(
        case.method, f"{case.formatted_path}?{query}", body,
        content_type=case.media_type or "application/octet-stream",
        headers={k: str(v) for k, v in headers.items() if k.lower() != "content-type"},
    )  # fmt: skip
    assert response.status_code < 500, (case.method, case.formatted_path, response.status_code)
