"""schemathesis against the server, driven by the OpenAPI description it serves: every documented
operation with generated valid and invalid requests (a personal token sent), every response
checked against the description (status, media type, headers, schema) and never a 5xx.

Bounded to stay near two minutes on the shared machine (``SCHEMATHESIS_EXAMPLES`` per operation,
25 by default). Check configuration (see docs/opendata-protocol.md):

- ``positive_data_acceptance`` also accepts 422: a well-formed annotation that names an article
  this database does not have, or words its text does not hold, is rightly refused with the
  reason (only the writes ever answer 422);
- ``missing_required_header`` also accepts 428 (RFC 6585 "Precondition Required"), the answer
  to a PUT without If-Match.
"""

from __future__ import annotations

import os
from urllib.parse import unquote

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, given, settings
from schemathesis.generation import GenerationMode

from opendata import services
from tests import factories

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))
POSITIVE = ["2xx", "3xx", "401", "403", "404", "409"]


@pytest.fixture
def api_schema(db, settings):
    settings.ALLOWED_HOSTS = ["*"]
    # In-process WSGI inside the test's transaction: keep the connection open between requests,
    # as Django's test client does.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    story, _articles, claims, _links = factories.make_story_with_annotations(
        articles=3, claims_per_article=2, links=2
    )
    user = claims[0].author
    _token, raw = services.token_create(user=user, name="schemathesis")
    schema = schemathesis.openapi.from_wsgi("/annotations/openapi.json", get_wsgi_application())
    schema.config.update(headers={"Authorization": f"Bearer {raw}"})
    checks = schema.config.checks
    checks.positive_data_acceptance.expected_statuses = [*POSITIVE, "422"]
    checks.missing_required_header.expected_statuses = [
        *checks.missing_required_header.expected_statuses,
        "428",
    ]
    yield schema
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


#: A valid value of each path parameter, to find the view an operation is served by.
_PLACEHOLDERS = {"annotation_id": "claim-1", "slug": "demo", "pk": "1"}


def _served_by(path: str) -> str | None:
    try:
        return resolve(unquote(path)).url_name
    except Resolver404:
        return None


def _same_resource(operation):
    """Keep the cases whose URL is still the operation's resource (or no resource: the JSON
    404). Negative cases break the path parameter's pattern on purpose, and one that spells a
    sibling's name (``/annotations/import``, ``/annotations/openapi.json``) is a request to that
    resource. OpenAPI matches concrete paths before templated ones, so the answer (a 405, or the
    description itself) is the sibling's, rightly; schemathesis would check it against this
    operation. Which strings it tries depends on the constants Hypothesis collects from the
    modules imported so far, so such a case shows up only in some runs."""
    expected = _served_by(operation.path.format(**_PLACEHOLDERS))
    assert expected not in (None, "not_found"), operation.path

    def keep(case) -> bool:
        return _served_by(case.formatted_path) in (expected, "not_found")

    return keep


def _run(operation, mode) -> list[str]:
    """Generated cases for one operation in one mode; the failures, as text."""
    failures: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode).filter(_same_resource(operation)))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case):
        try:
            case.call_and_validate()
        except Exception as failure:  # noqa: BLE001 - collect every operation's failures
            failures.append(f"{operation.label} [{mode.value}]: {str(failure)[:600]}")

    run()
    return failures


def test_the_api_answers_as_described(api_schema):
    # schemathesis' own pytest plugin does not load under pytest 9; its strategies and checks do.
    failures, operations = [], 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += _run(operation, mode)
    assert operations == 9
    assert not failures, "\n\n".join(dict.fromkeys(failures))


def test_a_case_naming_a_sibling_resource_is_left_to_that_resource(api_schema, client):
    """The filter above drops exactly the cases that leave the operation's resource, and what
    such a request gets is still a documented JSON answer of the sibling's."""
    operation = api_schema["/annotations/{annotation_id}"]["GET"]
    keep = _same_resource(operation)
    assert keep(operation.Case(path_parameters={"annotation_id": "claim-7"}))
    assert keep(operation.Case(path_parameters={"annotation_id": "anything-else"}))  # JSON 404
    assert not keep(operation.Case(path_parameters={"annotation_id": "import"}))
    assert not keep(operation.Case(path_parameters={"annotation_id": "openapi.json"}))
    answer = client.get("/annotations/import")
    assert answer.status_code == 405 and "POST" in answer["Allow"]
    assert answer.json()["status"] == 405
