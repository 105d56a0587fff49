"""The import page: upload, dry-run report, confirm (all or nothing)."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from annotations.models import Claim
from opendata.models import OrphanedAnnotation
from tests import factories

from .test_interop import SAMPLES, WIKI_BODY


def _upload(name="hypothesis.json", content=None):
    if content is None:
        content = (SAMPLES / "hypothesis-wikipedia-regression-testing.json").read_bytes()
    return SimpleUploadedFile(name, content, content_type="application/json")


def _story():
    story = factories.make_story(slug="regression", title="Regression testing")
    factories.make_article(story=story, body=WIKI_BODY, title="Regression testing (Wikipedia)")
    return story


def test_check_then_confirm_imports_everything_once(db, client):
    story = _story()
    client.force_login(factories.make_user())
    url = f"/stories/{story.slug}/import/"
    assert client.get(url).status_code == 200
    checked = client.post(url, {"action": "check", "file": _upload()})
    assert checked.status_code == 200
    page = checked.content.decode()
    assert 'data-count="created"><strong>4</strong>' in page
    assert 'data-count="orphaned"><strong>1</strong>' in page
    assert "RangeSelector" in page and Claim.objects.count() == 0  # only a dry run
    key = checked.context["key"]
    done = client.post(url, {"action": "confirm", "key": key})
    assert done.status_code == 200 and "Read the story" in done.content.decode()
    assert Claim.objects.count() == 4 and OrphanedAnnotation.objects.count() == 1
    # The same confirmation again: expired, nothing doubled.
    again = client.post(url, {"action": "confirm", "key": key})
    assert again.status_code == 409 and Claim.objects.count() == 4


def test_htmx_check_answers_with_the_report_fragment(db, client):
    story = _story()
    client.force_login(factories.make_user())
    response = client.post(
        f"/stories/{story.slug}/import/",
        {"action": "check", "file": _upload()},
        HTTP_HX_REQUEST="true",
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert text.lstrip().startswith('<section id="import-result"') and "<html" not in text


def test_refused_items_are_listed_and_nothing_can_be_confirmed(db, client):
    story = _story()
    client.force_login(factories.make_user())
    bad = {
        "type": "AnnotationPage",
        "id": "urn:x",
        "items": [
            {"type": "Annotation", "body": {"type": "Sound", "id": "http://x/a.mp3"},
             "target": {"source": "http://x/", "selector": {"type": "TextQuoteSelector",
                                                           "exact": "Regression"}}},
        ],
    }
    response = client.post(
        f"/stories/{story.slug}/import/",
        {"action": "check", "file": _upload(content=json.dumps(bad).encode())},
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "Bodies of type Sound are not supported" in text and 'name="key"' not in text


def test_not_json_and_anonymous(db, client):
    story = _story()
    assert client.get(f"/stories/{story.slug}/import/").status_code == 302
    client.force_login(factories.make_user())
    response = client.post(
        f"/stories/{story.slug}/import/", {"action": "check", "file": _upload(content=b"{nope")}
    )
    assert response.status_code == 422 and "not valid JSON" in response.content.decode()


def test_every_unmatched_url_under_annotations_is_a_json_404(db, client):
    for url in ("/annotations/nope", "/annotations/claim-x", "/annotations/stories/", "/annotations/a/b/c"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"] == "application/json" and response.json()["status"] == 404


def test_import_story_command_reads_a_hypothesis_export_into_a_story(db):
    import io

    from django.core.management import call_command

    story = _story()
    factories.make_user(username="ana")
    path = str(SAMPLES / "hypothesis-wikipedia-regression-testing.json")
    out = io.StringIO()
    call_command("import_story", path, user="ana", story=story.slug, dry_run=True,
                 no_progress=True, stdout=out, stderr=io.StringIO())
    assert "Would import 4 claims" in out.getvalue() and "1 orphaned" in out.getvalue()
    assert Claim.objects.count() == 0
    call_command("import_story", path, user="ana", story=story.slug, no_progress=True,
                 stdout=io.StringIO(), stderr=io.StringIO())
    assert Claim.objects.count() == 4 and OrphanedAnnotation.objects.count() == 1
