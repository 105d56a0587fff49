"""Agreement statistics against published worked examples, and the story's units."""

from __future__ import annotations

import pytest

from tests import factories
from curation.agreement import cohen_kappa, krippendorff_alpha, story_agreement


def test_cohen_kappa_matches_the_textbook_example():
    # 50 proposals, two readers: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no.
    # p_o = 0.7, p_e = 0.5*0.6 + 0.5*0.4 = 0.5, so kappa = 0.4 (the standard worked example).
    pairs = [("y", "y")] * 20 + [("y", "n")] * 5 + [("n", "y")] * 10 + [("n", "n")] * 15
    assert cohen_kappa(pairs) == pytest.approx(0.4)


def test_cohen_kappa_perfect_chance_and_undefined():
    assert cohen_kappa([("a", "a"), ("b", "b")]) == pytest.approx(1.0)
    # Observed agreement 0.5, expected 0.5 -> 0.
    assert cohen_kappa([("a", "a"), ("a", "b"), ("b", "a"), ("b", "b")]) == pytest.approx(0.0)
    assert cohen_kappa([("a", "a"), ("a", "a")]) is None
    assert cohen_kappa([]) is None


def test_krippendorff_alpha_matches_krippendorffs_worked_example():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", nominal data: four
    # observers, twelve units, some values missing. Published result: alpha = 0.743.
    observers = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    ]
    units = [[row[u] for row in observers if row[u] is not None] for u in range(12)]
    assert krippendorff_alpha(units) == pytest.approx(0.743, abs=0.0005)


def test_krippendorff_alpha_two_coders_hand_worked():
    # Units: (a,a), (a,b), (b,b). Coincidences: o_aa=2, o_ab=o_ba=1, o_bb=2; n_a=n_b=3, n=6.
    # alpha = 1 - (n-1) * (o_ab+o_ba) / (n_a*n_b + n_b*n_a) = 1 - 5*2/18 = 4/9.
    assert krippendorff_alpha([["a", "a"], ["a", "b"], ["b", "b"]]) == pytest.approx(4 / 9)
    assert krippendorff_alpha([["a", "a"], ["a"]]) is None


def test_story_agreement_groups_overlapping_claims_into_units(db):
    story = factories.make_story()
    body = "Officials said 120 people attended the meeting on Monday, and it rained.\n"
    art_1 = factories.make_article(story=story, body=body)
    art_2 = factories.make_article(story=story, body=body)
    lan, minh = factories.make_user(username="lan"), factories.make_user(username="minh")
    # Lan and Minh highlight slightly different words of the same places.
    lan_1 = factories.make_claim(article=art_1, author=lan, text="120 people attended")
    minh_1 = factories.make_claim(article=art_1, author=minh, text="said 120 people")
    lan_2 = factories.make_claim(article=art_2, author=lan, text="120 people")
    minh_2 = factories.make_claim(article=art_2, author=minh, text="120 people attended the")
    lan_3 = factories.make_claim(article=art_1, author=lan, text="it rained")
    minh_3 = factories.make_claim(article=art_2, author=minh, text="it rained")
    lan_4 = factories.make_claim(article=art_2, author=lan, text="on Monday")
    minh_4 = factories.make_claim(article=art_1, author=minh, text="on Monday")
    links = [
        factories.make_link(claim_a=lan_1, claim_b=lan_2, relation="agrees", author=lan),
        factories.make_link(claim_a=minh_1, claim_b=minh_2, relation="agrees", author=minh),
        factories.make_link(claim_a=lan_3, claim_b=minh_3, relation="agrees", author=lan),
        factories.make_link(claim_a=lan_3, claim_b=minh_3, relation="qualifies", author=minh),
        factories.make_link(claim_a=lan_4, claim_b=minh_4, relation="agrees", author=lan),
        factories.make_link(claim_a=lan_4, claim_b=minh_4, relation="contradicts", author=minh),
    ]
    claims = [lan_1, minh_1, lan_2, minh_2, lan_3, minh_3, lan_4, minh_4]
    result = story_agreement(claims=claims, links=links)
    assert len(result.units) == 3
    assert {u.get_username() for u in result.annotators} == {"lan", "minh"}
    assert result.statistic == "kappa"
    # Pairs: (agrees, agrees), (agrees, qualifies), (agrees, contradicts): p_o = 1/3,
    # p_e = (3/3 * 1/3) = 1/3 for "agrees" only -> kappa = 0.
    assert result.kappa == pytest.approx(0.0)
    assert len(result.disagreements) == 2
