"""The comparison at a glance: the story overview's numbers and conflicts, the claims' state and
visibility classes, the legend, and what the reader costs with all of it."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from curation import services as curation_services
from reader.marks import CLAIM_STATES, SETTLED, legend
from tests import factories

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def _page(client, story, **params) -> str:
    response = client.get(f"/stories/{story.slug}/", params)
    assert response.status_code == 200
    return response.content.decode()


def _counts(html: str, measure: str) -> list[int]:
    """One row of the overview table, per shown source in column order."""
    overview = html[html.index('id="overview"') :]
    return [int(n) for n in re.findall(rf'data-count="{measure}">(\d+)<', overview)]


def _conflicts(html: str) -> list[str]:
    return re.findall(r'<li class="conflict[^"]*" data-link="(\d+)"', html)


def _mark_classes(html: str, claim_id: int) -> set[str]:
    # The claim's anchor (its first segment) carries its classes.
    found = re.search(rf'class="([^"]*)" id="claim-{claim_id}"', html)
    return set(found.group(1).split())


@pytest.fixture
def reading():
    """Three columns: a public contradiction (ana), an agreement, an unlinked claim, and Bao's
    private claim contradicting ana's."""
    story = factories.make_story()
    arts = [factories.make_article(story=story, position=i) for i in range(3)]
    ana, bao = factories.make_user(username="ana"), factories.make_user(username="bao")
    claims = {
        "a0": factories.make_claim(article=arts[0], author=ana, text="120 people"),
        "a1": factories.make_claim(article=arts[1], author=ana, text="fewer than 100"),
        "a2": factories.make_claim(article=arts[2], author=ana, text="120 people"),
        "lone": factories.make_claim(article=arts[2], author=ana, text="on Monday"),
        "secret": factories.make_claim(
            article=arts[1], author=bao, text="The mayor disputed", visibility="private"
        ),
    }
    links = {
        "public": factories.make_link(claim_a=claims["a0"], claim_b=claims["a1"], author=ana),
        "agree": factories.make_link(
            claim_a=claims["a0"], claim_b=claims["a2"], author=ana, relation="agrees"
        ),
        "private": factories.make_link(claim_a=claims["a2"], claim_b=claims["secret"], author=bao),
    }
    return story, arts, {"ana": ana, "bao": bao}, claims, links


def test_overview_counts_what_the_viewer_may_see(reading):
    story, _arts, users, claims, links = reading
    outsider = Client()
    outsider.force_login(factories.make_user())
    bao = Client()
    bao.force_login(users["bao"])
    for client in (Client(), outsider):  # Bao's private claim and its link are not counted
        html = _page(client, story)
        assert _counts(html, "claims") == [1, 1, 2]
        assert _counts(html, "agreeing") == [1, 0, 1]
        assert _counts(html, "contradicted") == [1, 1, 0]
        assert _conflicts(html) == [str(links["public"].pk)]
        assert "secret" not in html and "The mayor disputed</mark>" not in html
    html = _page(bao, story)
    assert _counts(html, "claims") == [1, 2, 2]
    assert _counts(html, "contradicted") == [1, 2, 1]
    assert sorted(_conflicts(html)) == sorted([str(links["public"].pk), str(links["private"].pk)])


def test_each_conflict_is_one_click_from_both_its_spans(reading):
    story, arts, _users, claims, links = reading
    html = _page(Client(), story)
    item = html[html.index(f'data-link="{links["public"].pk}"') :]
    item = item[: item.index("</li>")]
    for claim in (claims["a0"], claims["a1"]):
        # Selecting either end aligns the other beside it (the reader's related claims).
        assert f'data-jump-claim="{claim.pk}"' in item
        assert f"claim={claim.pk}" in item
    selected = _page(Client(), story, claim=claims["a0"].pk)
    assert "is-related" in _mark_classes(selected, claims["a1"].pk)
    # Hiding a column drops the conflicts into it from the overview.
    assert _conflicts(_page(Client(), story, hide=arts[1].pk)) == []


def test_marks_show_state_visibility_and_say_so(reading):
    story, _arts, users, claims, links = reading
    bao = Client()
    bao.force_login(users["bao"])
    html = _page(bao, story)
    assert {"state-contradicted", "vis-public"} <= _mark_classes(html, claims["a0"].pk)
    assert {"state-unlinked", "vis-public"} <= _mark_classes(html, claims["lone"].pk)
    assert {"state-contradicted", "vis-private"} <= _mark_classes(html, claims["secret"].pk)
    assert re.search(r'aria-label="Claim by bao, private: “The mayor disputed” \(contradicted', html)
    assert 'aria-label="Claim by ana, public: “on Monday” (not linked yet)"' in html
    # Seen by someone else, ana's third claim agrees only: the contradiction is Bao's secret.
    anon = _page(Client(), story)
    assert "state-agreed" in _mark_classes(anon, claims["a2"].pk)
    assert "state-contradicted" in _mark_classes(html, claims["a2"].pk)


def test_a_confirmed_link_or_a_verdict_settles_its_claims(reading):
    story, _arts, users, claims, links = reading
    curator = factories.make_user(is_staff=True)
    html = _page(Client(), story)
    assert "is-settled" not in _mark_classes(html, claims["a1"].pk)
    # The verdict bumps the articles' annotation version: the cached columns are drawn again.
    curation_services.verdict_set(
        user=curator, link=links["public"], rated_claim=claims["a1"], rating="refuted",
        evidence="The minutes count 120.",
    )
    html = _page(Client(), story)
    assert "is-settled" in _mark_classes(html, claims["a1"].pk)
    assert str(SETTLED.label) in html and f'data-badges="{SETTLED.icon} ' in html
    assert 'class="conflict is-settled"' in html
    assert "is-settled" not in _mark_classes(html, claims["a2"].pk)
    curation_services.links_review(user=curator, links=[links["agree"]], decision="confirmed")
    assert "is-settled" in _mark_classes(_page(Client(), story), claims["a2"].pk)


def test_the_legend_is_written_once_from_the_vocabulary(reading):
    story = reading[0]
    html = _page(Client(), story)
    legend_html = html[html.index('id="claim-legend"') :]
    legend_html = legend_html[: legend_html.index("</details>")]
    for entry in legend():
        assert str(entry["label"]) in legend_html
    for state in CLAIM_STATES.values():
        assert state.css in legend_html
    assert "vis-private" in legend_html and "vis-team" in legend_html
    assert html.count('id="claim-legend"') == 1


def test_the_reader_with_its_overview_costs_the_same_queries_for_3_or_90_claims(
    django_assert_num_queries,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    curator = factories.make_user(is_staff=True)
    small = factories.make_story_with_annotations(articles=3, claims_per_article=1, links=2)
    large = factories.make_story_with_annotations(articles=5, claims_per_article=18, links=60)
    for story, _arts, _claims, links in (small, large):
        contradiction = next(link for link in links if link.relation == "contradicts")
        curation_services.verdict_set(
            user=curator, link=contradiction, rated_claim=contradiction.claim_a,
            rating="unresolved", evidence="Both say so.",
        )
    client = Client()
    with CaptureQueriesContext(connection) as few:
        _page(client, small[0])
    # Pinned: session-less anonymous page, cold cache: the story, its articles with their
    # versions; every column's claims, links, verdicts.
    assert len(few.captured_queries) == 5
    with django_assert_num_queries(5):
        html = _page(client, large[0])
    assert len(re.findall(r' id="claim-\d+"', html)) == 90  # one anchor per claim
    assert len(_counts(html, "claims")) == 5 and sum(_counts(html, "claims")) == 90
    assert len(_conflicts(html)) == 4  # the four main ones; "all" opens the rest
    # A repeat view reads the columns and their summaries from the cache.
    with django_assert_num_queries(2):  # the story, its articles with their versions
        again = _page(client, large[0])
    assert _counts(again, "claims") == _counts(html, "claims")
    assert _conflicts(again) == _conflicts(html)


def test_compare_shows_the_two_columns_of_a_link_alone_and_the_url_keeps_it(reading):
    from urllib.parse import parse_qs, urlsplit

    from html import unescape

    story, arts, _users, claims, links = reading
    html = _page(Client(), story, claim=claims["a0"].pk)
    found = re.findall(r'href="([^"]*)"[^>]*>Compare side by side<', html)
    queries = [parse_qs(urlsplit(unescape(url)).query) for url in found]
    assert len(queries) == 2, "the claim panel offers Compare for each link"
    assert sorted(q["hide"][0] for q in queries) == sorted([str(arts[1].pk), str(arts[2].pk)])
    query = next(q for q in queries if q["hide"] == [str(arts[2].pk)])
    assert query["claim"] == [str(claims["a0"].pk)]
    compared = _page(Client(), story, **{k: v[0] for k, v in query.items()})
    assert compared.count('data-article="') == 2
    assert "is-related" in _mark_classes(compared, claims["a1"].pk)
    assert "Compare side by side" not in compared  # two columns already
    # The overview's conflicts offer it too.
    overview = _page(Client(), story)
    assert re.search(r'class="conflict-compare" href="[^"]*hide=' + str(arts[2].pk), overview)


def test_the_overview_redraws_alone_for_htmx(reading, django_assert_num_queries):
    story, arts, _users, claims, _links = reading
    client = Client()
    _page(client, story)  # columns cached
    factories.make_claim(article=arts[0], author=claims["a0"].author, text="on Monday")
    # The story, its articles; the rows the new claim touched, applied to the changed column's
    # cached rows (one query: reader/rowdelta.py).
    with django_assert_num_queries(3):
        response = client.get(
            f"/stories/{story.slug}/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="overview-bar"
        )
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="overview-bar" id="overview-bar">')
    assert 'id="reader"' not in html and "<mark" not in html
    assert _counts(html, "claims") == [2, 1, 2]


@pytest.mark.parametrize("seed", range(5))
def test_the_overview_lists_the_same_conflicts_as_pairing_every_end(seed):
    """``story_overview`` against pairing every column's conflict ends by hand: random
    contradictions between four columns (some settled at one end, some with one end in a column
    not shown), then the count, the four listed (settled first, then the oldest), their ends in
    column order and their settled flag."""
    import random
    from types import SimpleNamespace

    from reader.presenters import ColumnSummary, ConflictEnd, story_overview

    rng = random.Random(seed)
    articles = [SimpleNamespace(pk=pk, short_label=f"A{pk}", language="en") for pk in (7, 3, 9, 5)]
    ends = {a.pk: {} for a in articles}
    for link_id in rng.sample(range(1, 400), rng.randint(0, 40)):
        first, second = rng.sample([*articles, None], 2)  # None: a column not shown
        for article in (first, second):
            if article is not None:
                claim_id = rng.randint(1, 999)
                ends[article.pk][link_id] = ConflictEnd(
                    link_id=link_id, claim_id=claim_id, exact=f"q{claim_id}", article_id=0,
                    settled=rng.random() < 0.2,
                )
    summaries = {
        pk: ColumnSummary(
            claims=0, links=0, conflicts=mine,
            settled_conflicts=frozenset(link for link, end in mine.items() if end.settled),
        )
        for pk, mine in ends.items()
    }
    overview = story_overview(articles, summaries, select_url=lambda claim_id: f"/c/{claim_id}")

    pairs = {}
    for index, article in enumerate(articles):
        for link_id, end in ends[article.pk].items():
            pairs.setdefault(link_id, []).append((index, end))
    shown = {link_id: pair for link_id, pair in pairs.items() if len(pair) == 2}
    settled = {link_id: any(end.settled for _i, end in pair) for link_id, pair in shown.items()}
    expected = sorted(shown, key=lambda link_id: (not settled[link_id], link_id))[:4]
    assert overview.conflict_count == len(shown)
    assert [c.link_id for c in overview.conflicts] == expected
    for conflict in overview.conflicts:
        assert conflict.settled == settled[conflict.link_id]
        assert [(a.pk, end, url) for a, end, url in conflict.ends] == [
            (articles[i].pk, end, f"/c/{end.claim_id}")
            for i, end in sorted(shown[conflict.link_id], key=lambda item: (item[0], item[1].claim_id))
        ]
