"""Issue 14: every CSV export is safe in a spreadsheet; text fields refuse control characters
and bidirectional overrides the same way on the form and API routes."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client
from django.urls import get_resolver

from annotations.models import Claim
from curation import services as curation_services
from tests import factories

pytestmark = pytest.mark.django_db

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Every CSV export, by URL name; a new one must be added here (the test below checks that).
CSV_EXPORTS = {"curation:matrix_csv", "opendata:story_csv"}


def _csv_url_names() -> set[str]:
    names = set()

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns, f"{pattern.namespace}:" if pattern.namespace else prefix)
            elif "csv" in str(pattern.pattern) and pattern.name:
                names.add(prefix + pattern.name)

    walk(get_resolver().url_patterns)
    return names


def test_the_list_of_csv_exports_is_complete():
    assert _csv_url_names() == CSV_EXPORTS


@pytest.fixture
def hostile_story():
    """A story whose every text that reaches a CSV starts like a formula."""
    story = factories.make_story(slug="hostile")
    body = "=HYPERLINK(\"http://x\") 120 people came.\n@SUM(A1) fewer than 100 came."
    a1 = factories.make_article(story=story, body=body, source=factories.make_source(name="+Evil"))
    a2 = factories.make_article(story=story, body=body, source=factories.make_source(name="-Bad"))
    c1 = factories.make_claim(article=a1, text='=HYPERLINK("http://x")')
    c2 = factories.make_claim(article=a2, text="@SUM(A1)")
    factories.make_link(claim_a=c1, claim_b=c2, rationale="=1+1")
    curator = factories.make_user(username="boss", is_staff=True)
    curation_services.canonical_create(user=curator, story=story, statement="-2+3", claims=[c1, c2])
    return story


def test_every_csv_export_neutralises_every_cell(hostile_story):
    client = Client()
    client.force_login(factories.make_user(username="reader", is_staff=True))
    for name in CSV_EXPORTS:
        from django.urls import reverse

        response = client.get(reverse(name, kwargs={"slug": hostile_story.slug}))
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        cells = [cell for row in rows for cell in row]
        assert len(rows) >= 2, name
        assert not [cell for cell in cells if cell.startswith(FORMULA_START)], name
        # The hostile values are there, quoted, not dropped.
        assert any(cell.startswith("'=") or cell.startswith("'@") for cell in cells), name


BAD_TEXT = ["a\u202eb", "bell\x07", "esc\x1b[31m", "null\x00"]


@pytest.mark.parametrize("bad", BAD_TEXT)
def test_a_note_with_control_or_bidi_characters_is_refused_on_the_form(bad):
    user = factories.make_user()
    claim = factories.make_claim(author=user)
    client = Client()
    client.force_login(user)
    response = client.post(f"/claims/{claim.pk}/edit/", {"note": bad, "tags": ""})
    assert 400 <= response.status_code < 500
    claim.refresh_from_db()
    assert claim.note == ""


@pytest.mark.parametrize("bad", BAD_TEXT)
def test_a_note_with_control_or_bidi_characters_is_refused_by_the_api(bad):
    user = factories.make_user()
    article = factories.make_article()
    client = Client()
    client.force_login(user)
    word = article.body.split()[0]
    annotation = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "motivation": "commenting",
        "body": {"type": "TextualBody", "value": bad, "purpose": "commenting"},
        "target": {
            "source": f"http://testserver/annotations/articles/{article.pk}",
            "selector": {"type": "TextPositionSelector", "start": 0, "end": len(word)},
        },
    }
    response = client.post("/annotations/", json.dumps(annotation), content_type="application/ld+json")
    assert response.status_code in (400, 422), response.content[:200]
    assert not Claim.objects.exists()


@pytest.mark.parametrize("bad", ["\u202eevil", "x\x01"])
def test_statements_rationales_team_and_token_names_refuse_them_too(bad):
    from django.core.exceptions import ValidationError

    from annotations import services as annotation_services
    from opendata import services as opendata_services
    from teams import services as team_services

    user = factories.make_user(is_staff=True)
    story = factories.make_story()
    with pytest.raises(ValidationError):
        curation_services.canonical_create(user=user, story=story, statement=bad)
    with pytest.raises(ValidationError):
        team_services.team_create(creator=user, name=bad)
    with pytest.raises(ValidationError):
        opendata_services.token_create(user=user, name=bad)
    link = factories.make_link()
    with pytest.raises(ValidationError):
        annotation_services.link_update(user=link.author, link=link, rationale=bad)
    # Tab and newline are text.
    assert factories.make_claim(note="one\ttwo\nthree").note == "one\ttwo\nthree"
