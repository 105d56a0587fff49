"""The Suggestions panel over HTTP: list, accept, dismiss, recompute in the background."""

from __future__ import annotations

import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from annotations.models import Claim, ClaimLink
from articles.models import Article, Story
from suggestions import services
from suggestions.models import Decision, Suggestion, SuggestionRun
from tests.factories import make_team

pytestmark = [pytest.mark.usefixtures("fast_password_hasher")]

HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "suggestions"}
URL = "/stories/deepseek-r1/suggestions/"


@pytest.fixture
def demo(db, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "test-demo-password")
    call_command("load_demo", "--no-progress", "--empty", stdout=StringIO(), stderr=StringIO())
    story = Story.objects.get(slug="deepseek-r1")
    services.run_execute(services.run_create(story=story))
    return story


def _login(name: str) -> Client:
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username=name))
    return client


def test_panel_lists_suggestions_best_first_with_reasons(demo, client):
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    best = Suggestion.objects.filter(story=demo).order_by("-score").first()
    assert best.reason in html
    assert html.index(f'data-suggestion="{best.pk}"') < html.index("data-suggestion=", html.index(f'data-suggestion="{best.pk}"') + 1)
    assert "Log in" in html and "Accept" not in html


def test_panel_fragment_query_count_does_not_grow_with_suggestions(demo, client, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    Suggestion.objects.filter(pk__in=Suggestion.objects.order_by("-score").values("pk")[5:]).delete()
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL, **HX).status_code == 200
    services.run_execute(services.run_create(story=demo))  # back to the full list
    assert Suggestion.objects.count() > 30
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(URL, **HX)
    assert response.content.decode().count("data-suggestion=") == 30


def test_accept_creates_both_claims_and_the_link_in_one_step(demo):
    lan = _login("lan")
    suggestion = Suggestion.objects.filter(story=demo, relation="contradicts").order_by("-score").first()
    response = lan.post(f"{URL}{suggestion.pk}/accept/", **HX)
    assert response.status_code == 200
    link = ClaimLink.objects.get()
    claims = {link.claim_a, link.claim_b}
    assert {(c.article_id, c.start, c.end) for c in claims} == {
        (suggestion.article_a_id, suggestion.start_a, suggestion.end_a),
        (suggestion.article_b_id, suggestion.start_b, suggestion.end_b),
    }
    assert link.relation == "contradicts" and suggestion.reason in link.rationale
    assert Decision.objects.get().verdict == "accepted"
    assert f'data-suggestion="{suggestion.pk}"' not in response.content.decode()
    assert "1 accepted, 0 dismissed: precision so far 100%" in response.content.decode()


def test_dismiss_hides_it_for_the_user_and_their_team_only(demo):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    make_team(name="Bàn tin", members={users.get(username="lan"): "annotator",
                                        users.get(username="minh"): "annotator"})  # fmt: skip
    suggestion = Suggestion.objects.filter(story=demo).order_by("-score").first()
    marker = f'data-suggestion="{suggestion.pk}"'
    assert _login("lan").post(f"{URL}{suggestion.pk}/dismiss/", **HX).status_code == 200
    assert marker not in _login("lan").get(URL).content.decode()
    assert marker not in _login("minh").get(URL).content.decode()  # same team
    users.create_user(username="outsider")  # in no team (the demo team has lan and curator)
    assert marker in _login("outsider").get(URL).content.decode()
    assert marker not in _login("curator").get(URL).content.decode()  # lan's demo team
    assert not ClaimLink.objects.exists() and not Claim.objects.exists()


def test_writes_need_a_login_and_csrf_and_unknown_ids_are_404(demo, client):
    suggestion = Suggestion.objects.filter(story=demo).first()
    response = client.post(f"{URL}{suggestion.pk}/accept/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    from django.contrib.auth import get_user_model

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(get_user_model().objects.get(username="lan"))
    assert strict.post(f"{URL}{suggestion.pk}/accept/").status_code == 403
    assert _login("lan").post(f"{URL}999999/accept/").status_code == 404
    assert _login("lan").post(f"/stories/other/suggestions/{suggestion.pk}/accept/").status_code == 404
    assert not ClaimLink.objects.exists() and not Decision.objects.exists()


def test_accepting_a_suggestion_whose_text_changed_is_refused(demo):
    suggestion = Suggestion.objects.filter(story=demo).first()
    Article.objects.filter(pk=suggestion.article_a_id).update(body="Hoàn toàn khác.\n")
    response = _login("lan").post(f"{URL}{suggestion.pk}/accept/", **HX)
    assert response.status_code == 422
    assert "changed since this was suggested" in response.content.decode()
    assert not Claim.objects.exists() and not Decision.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_article_edit_recomputes_in_the_background_with_progress(settings, monkeypatch):
    settings.SUGGESTIONS_AUTO_REFRESH = True
    monkeypatch.setenv("DEMO_PASSWORD", "test-demo-password")
    call_command("load_demo", "--no-progress", "--empty", stdout=StringIO(), stderr=StringIO())
    story = Story.objects.get(slug="deepseek-r1")
    deadline = time.monotonic() + 30
    while not SuggestionRun.objects.filter(story=story, status="done").exists():
        assert time.monotonic() < deadline, list(SuggestionRun.objects.values())
        time.sleep(0.05)
    first = SuggestionRun.objects.get(story=story, status="done")
    assert first.progress == 1.0 and Suggestion.objects.filter(run=first).exists()

    from newsroom.services import article_edit

    article = Article.objects.filter(story=story).order_by("position").first()
    article_edit(user=None, article=article, body=article.body + "\nMột đoạn mới: DeepSeek tốn 6 triệu USD.\n")
    while SuggestionRun.objects.filter(story=story, status="done").count() < 2:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    latest = SuggestionRun.objects.filter(story=story).first()
    assert latest.body_hashes[str(article.pk)] == Article.objects.get(pk=article.pk).body_hash
    # Older runs' suggestions are replaced by the new run's.
    assert set(Suggestion.objects.values_list("run_id", flat=True)) == {latest.pk}


def test_reasons_read_in_the_readers_language(demo):
    from suggestions.reasons import reason_text

    best = Suggestion.objects.filter(story=demo, reason_args__kind="differs").first()
    assert best.reason == reason_text(best.reason_args, translate=False)  # English, as stored
    assert best.reason.startswith("both give ") and " vs " in best.reason
    vi = _login("lan").get(URL, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    en = _login("lan").get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert best.reason in en and best.reason not in vi
    assert f"{best.reason_args['a']} so với {best.reason_args['b']}" in vi
    assert "cả hai nêu" in vi
    # Data the page cannot render (an older row) falls back to the stored English text.
    best.reason_args = {"kind": "unknown"}
    assert best.reason_display == best.reason
