from __future__ import annotations

import threading
from functools import partial

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from annotations import services
from annotations.models import Claim, ClaimLink
from textkernel.text import body_hash

from tests import factories

pytestmark = pytest.mark.django_db


def snapshot():
    """Everything the services could write, to prove a failed call wrote nothing."""
    return (
        list(Claim.objects.order_by("pk").values()),
        list(ClaimLink.objects.order_by("pk").values()),
    )


def messages(exc_info) -> str:
    return " ".join(exc_info.value.messages)


# --- claim_create ------------------------------------------------------------------------------


def test_claim_create_stores_the_quote_selector(article, author):
    start = article.body.index("fewer than 100")
    end = start + len("fewer than 100")
    claim = services.claim_create(
        author=author,
        article=article,
        start=start,
        end=end,
        exact="fewer than 100",
        note="  Check the police figure. ",
        tags=[" Numbers", "numbers", "#Crowd", ""],
    )
    claim.refresh_from_db()
    assert (claim.start, claim.end, claim.exact) == (start, end, "fewer than 100")
    assert (
        claim.prefix
        == article.body[start - 32 : start]
        == "The mayor disputed the figure, saying "[-32:]
    )
    assert claim.suffix == article.body[end : end + 32] == " came.\nOrganisers expect a secon"
    assert claim.body_hash == body_hash(article.body) == article.body_hash
    assert claim.note == "Check the police figure."
    assert claim.tags == ["numbers", "crowd"]
    assert claim.version == 1
    assert claim.status == Claim.Status.ACTIVE
    assert claim.visibility == Claim.Visibility.PUBLIC


def test_claim_create_prefix_and_suffix_are_short_at_the_edges(article, author):
    end = article.body.index(" ")
    claim = services.claim_create(
        author=author, article=article, start=0, end=end, exact=article.body[:end]
    )
    assert claim.prefix == ""
    last = len(article.body) - 1  # the final "\n"
    tail_start = article.body.rindex(" ", 0, last) + 1
    tail = services.claim_create(
        author=author,
        article=article,
        start=tail_start,
        end=last,
        exact=article.body[tail_start:last],
    )
    assert tail.suffix == "\n"


def test_claim_create_with_utf16_offsets_and_astral_characters(story, author):
    body = "Khán giả 😀 nói: 𝐀 120 người 😀 đã đến.\n"
    article = factories.make_article(story=story, body=body)
    exact = "𝐀 120 người 😀"
    start_cp = body.index(exact)
    # As the browser counts: two astral characters before the span, two units each; one inside.
    start_16 = start_cp + 1
    end_16 = start_16 + len(exact) + 2
    claim = services.claim_create(
        author=author, article=article, start=start_16, end=end_16, exact=exact, offsets="utf16"
    )
    assert (claim.start, claim.end) == (start_cp, start_cp + len(exact))
    assert article.body[claim.start : claim.end] == exact == claim.exact


def test_claim_create_utf16_offset_inside_a_surrogate_pair_is_refused(story, author):
    article = factories.make_article(story=story, body="a😀b c\n")
    before = snapshot()
    with pytest.raises(ValidationError, match="out of range") as exc:
        services.claim_create(
            author=author, article=article, start=2, end=4, exact="😀b", offsets="utf16"
        )
    assert exc.value.code == "out_of_range"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (-1, 5, "Offsets out of range"),
        (0, 10_000, "Offsets out of range"),
        (10_000, 10_005, "Offsets out of range"),
        (20, 10, "Start must be before end."),
        (12, 12, "Select some words, not just spaces."),
        ("x", 5, "whole number"),
    ],
)
def test_claim_create_bad_offsets_write_nothing(article, author, claim, start, end, message):
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        services.claim_create(
            author=author, article=article, start=start, end=end, exact="whatever"
        )
    assert message in messages(exc)
    assert snapshot() == before


def test_claim_create_exact_mismatch_writes_nothing(article, author):
    start = article.body.index("120 people")
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        services.claim_create(
            author=author, article=article, start=start, end=start + 10, exact="121 people"
        )
    assert messages(exc) == "The selected text no longer matches the article; reload and try again."
    assert exc.value.code == "mismatch"
    assert snapshot() == before


def test_claim_create_whitespace_only_span_is_refused(story, author):
    article = factories.make_article(story=story, body="One.    Two.\n\nThree.\n")
    start = article.body.index("    ")
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        services.claim_create(
            author=author, article=article, start=start, end=start + 4, exact="    "
        )
    assert messages(exc) == "Select some words, not just spaces."
    # A blank line between paragraphs is whitespace too.
    gap = article.body.index("\n\n")
    with pytest.raises(ValidationError, match="not just spaces"):
        services.claim_create(author=author, article=article, start=gap, end=gap + 2, exact="\n\n")
    assert snapshot() == before


def test_claim_create_over_2000_characters_is_refused(story, author):
    article = factories.make_article(story=story, body="word " * 1000)
    assert (
        services.claim_create(
            author=author, article=article, start=0, end=2000, exact=article.body[:2000]
        ).length
        == 2000
    )
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        services.claim_create(
            author=author, article=article, start=0, end=2001, exact=article.body[:2001]
        )
    assert messages(exc) == "A claim can be at most 2,000 characters; this selection has 2,001."
    assert snapshot() == before


def test_claim_create_crossing_paragraphs_is_allowed(article, author):
    start = article.body.index("Monday")
    end = article.body.index("The mayor") + len("The mayor")
    claim = services.claim_create(
        author=author, article=article, start=start, end=end, exact=article.body[start:end]
    )
    assert "\n\n" in claim.exact


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ([f"t{i}" for i in range(11)], "at most 10 tags; this one has 11"),
        (["x" * 41], "at most 40 characters"),
    ],
)
def test_claim_create_tag_limits(article, author, tags, message):
    start = article.body.index("120")
    before = snapshot()
    with pytest.raises(ValidationError, match=message):
        services.claim_create(
            author=author, article=article, start=start, end=start + 3, exact="120", tags=tags
        )
    assert snapshot() == before


def test_tags_are_normalised():
    assert services.normalize_tags(["  Foo  Bar", "#foo bar", "BAZ", "", "baz"]) == [
        "foo bar",
        "baz",
    ]
    assert services.normalize_tags("a, B ,a") == ["a", "b"]
    assert services.normalize_tags([f"T{i}" for i in range(10)] + ["t0"]) == [
        f"t{i}" for i in range(10)
    ]


def test_claim_create_double_submit_returns_the_existing_claim(article, author, other_user):
    first = factories.make_claim(article=article, author=author, text="120 people", note="first")
    again = factories.make_claim(article=article, author=author, text="120 people", note="second")
    assert again.pk == first.pk
    assert again.note == "first"
    # Someone else highlighting the same words gets their own claim.
    theirs = factories.make_claim(article=article, author=other_user, text="120 people")
    assert theirs.pk != first.pk
    assert Claim.objects.count() == 2


def test_claim_create_needs_a_logged_in_author(article):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        factories.make_claim(article=article, author=AnonymousUser(), text="120 people")
    assert Claim.objects.count() == 0


def test_database_refuses_what_the_service_refuses(article, author):
    good = dict(article=article, author=author, exact="x", body_hash=article.body_hash)
    for start, end in [(5, 5), (6, 5), (0, 2001)]:
        with pytest.raises(IntegrityError), transaction.atomic():
            Claim.objects.create(start=start, end=end, **good)
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(start=0, end=1, tags=[str(i) for i in range(11)], **good)
    Claim.objects.create(start=0, end=1, **good)
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(start=0, end=1, **good)  # the same active span twice
    assert Claim.objects.count() == 1


# --- claim_update / claim_delete -----------------------------------------------------------------


def test_claim_update_changes_note_and_tags_and_bumps_version(claim, author):
    services.claim_update(user=author, claim=claim, note="New note", tags=["Police"])
    assert (claim.note, claim.tags, claim.version) == ("New note", ["police"], 2)
    claim.refresh_from_db()
    assert (claim.note, claim.tags, claim.version) == ("New note", ["police"], 2)
    services.claim_update(user=author, claim=claim, tags=[], expected_version=2)
    claim.refresh_from_db()
    assert (claim.note, claim.tags, claim.version) == ("New note", [], 3)


def test_claim_update_by_someone_else_is_denied(claim, other_user):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        services.claim_update(user=other_user, claim=claim, note="hijack")
    assert snapshot() == before


def test_claim_update_version_conflict_quotes_the_current_note(claim, author):
    stale = Claim.objects.get(pk=claim.pk)
    services.claim_update(
        user=author, claim=claim, note="Edited in another tab", expected_version=1
    )
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        services.claim_update(user=author, claim=stale, note="Mine", expected_version=1)
    assert exc.value.code == "conflict"
    assert "Edited in another tab" in messages(exc)
    assert snapshot() == before


def test_claim_update_bad_tags_write_nothing(claim, author):
    before = snapshot()
    with pytest.raises(ValidationError):
        services.claim_update(user=author, claim=claim, note="ok", tags=["y" * 50])
    assert snapshot() == before


def test_claim_delete_cascades_links_and_reports_them(story, author):
    a = factories.make_claim(
        article=factories.make_article(story=story), author=author, text="120 people"
    )
    b = factories.make_claim(
        article=factories.make_article(story=story), author=author, text="fewer than 100"
    )
    c = factories.make_claim(
        article=factories.make_article(story=story), author=author, text="Monday"
    )
    factories.make_link(claim_a=a, claim_b=b, relation="contradicts")
    factories.make_link(claim_a=a, claim_b=b, relation="qualifies")
    kept = factories.make_link(claim_a=b, claim_b=c, relation="agrees")
    assert services.claim_delete(user=author, claim=a) == 2
    assert not Claim.objects.filter(pk=a.pk).exists()
    assert list(ClaimLink.objects.values_list("pk", flat=True)) == [kept.pk]


def test_claim_delete_by_someone_else_is_denied(claim, other_user):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        services.claim_delete(user=other_user, claim=claim)
    assert snapshot() == before


# --- link_create -------------------------------------------------------------------------------


def test_link_create_stores_canonical_order(claim, claim_2, author):
    high, low = sorted([claim, claim_2], key=lambda c: -c.pk)
    link, created = services.link_create(
        author=author, claim_a=high, claim_b=low, relation="contradicts", rationale=" 120 vs <100 "
    )
    assert created
    assert (link.claim_a_id, link.claim_b_id) == (low.pk, high.pk)
    assert link.rationale == "120 vs <100"
    assert link.status == ClaimLink.Status.PROPOSED
    # The reverse direction is the same link.
    again, created = services.link_create(
        author=author, claim_a=low, claim_b=high, relation="contradicts"
    )
    assert (again.pk, created) == (link.pk, False)
    # Another relation on the same pair is a different link.
    _other, created = services.link_create(
        author=author, claim_a=low, claim_b=high, relation="qualifies"
    )
    assert created
    assert ClaimLink.objects.count() == 2


def test_link_create_refuses_a_self_link(claim, author):
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        services.link_create(author=author, claim_a=claim, claim_b=claim, relation="agrees")
    assert messages(exc) == "A claim cannot be linked to itself."
    assert snapshot() == before


def test_link_create_refuses_claims_of_one_article(claim, article, author):
    same = factories.make_claim(article=article, author=author, text="Monday")
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        services.link_create(author=author, claim_a=claim, claim_b=same, relation="agrees")
    assert messages(exc) == "Link claims from two different articles."
    assert snapshot() == before


def test_link_create_refuses_claims_of_different_stories(claim, author):
    elsewhere = factories.make_claim(author=author, text="Monday")  # a new story
    before = snapshot()
    with pytest.raises(ValidationError, match="same story"):
        services.link_create(author=author, claim_a=claim, claim_b=elsewhere, relation="agrees")
    assert snapshot() == before


@pytest.mark.parametrize("relation", ["disagrees", "", None, "AGREES"])
def test_link_create_refuses_an_unknown_relation(claim, claim_2, author, relation):
    before = snapshot()
    with pytest.raises(ValidationError, match="Unknown relation"):
        services.link_create(author=author, claim_a=claim, claim_b=claim_2, relation=relation)
    assert snapshot() == before


def test_link_create_refuses_someone_elses_private_claim(claim, article_2, author, other_user):
    private = factories.make_claim(
        article=article_2, author=other_user, text="fewer than 100", visibility="private"
    )
    before = snapshot()
    with pytest.raises(PermissionDenied):
        services.link_create(author=author, claim_a=claim, claim_b=private, relation="agrees")
    assert snapshot() == before
    # Its author may link it.
    _link, created = services.link_create(
        author=other_user, claim_a=claim, claim_b=private, relation="agrees"
    )
    assert created


def test_database_refuses_bad_links(claim, claim_2, article, author):
    low, high = sorted([claim, claim_2], key=lambda c: c.pk)
    same_article = factories.make_claim(article=article, author=author, text="Monday")
    bad = [
        dict(claim_a=high, claim_b=low, relation="agrees"),  # not canonical
        dict(claim_a=low, claim_b=low, relation="agrees"),  # self link
        dict(claim_a=low, claim_b=high, relation="maybe"),  # unknown relation
        dict(claim_a=claim, claim_b=same_article, relation="agrees")  # same article (trigger)
        if claim.pk < same_article.pk
        else dict(claim_a=same_article, claim_b=claim, relation="agrees"),
    ]
    for fields in bad:
        with pytest.raises(IntegrityError), transaction.atomic():
            ClaimLink.objects.create(author=author, **fields)
    ClaimLink.objects.create(author=author, claim_a=low, claim_b=high, relation="agrees")
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimLink.objects.create(author=author, claim_a=low, claim_b=high, relation="agrees")
    # A claim cannot be moved to another article behind its links' back.
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(article=claim_2.article)
    assert ClaimLink.objects.count() == 1


def test_database_refuses_a_cross_story_link(claim, author):
    elsewhere = factories.make_claim(author=author, text="Monday")
    low, high = sorted([claim, elsewhere], key=lambda c: c.pk)
    with pytest.raises(IntegrityError, match="same story"), transaction.atomic():
        ClaimLink.objects.create(author=author, claim_a=low, claim_b=high, relation="agrees")


def run_at_once(*calls):
    """Run each zero-argument callable in its own thread, released together by a barrier.

    Returns ``(results, errors)``. Each thread closes its own database connection.
    """
    barrier = threading.Barrier(len(calls))
    results: list = []
    errors: list[BaseException] = []

    def worker(call):
        try:
            barrier.wait(timeout=10)
            results.append(call())
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_link_create_makes_one_link():
    story = factories.make_story()
    author = factories.make_user()
    a = factories.make_claim(
        article=factories.make_article(story=story), author=author, text="120 people"
    )
    b = factories.make_claim(
        article=factories.make_article(story=story), author=author, text="fewer than 100"
    )
    # Several rounds, since one race might by chance not overlap. One thread links A-B, the
    # other B-A: both canonicalise to the same row.
    for round_ in range(9):
        relation = ClaimLink.Relation.values[round_ % 3]
        ClaimLink.objects.filter(relation=relation).delete()
        results, errors = run_at_once(
            partial(services.link_create, author=author, claim_a=a, claim_b=b, relation=relation),
            partial(services.link_create, author=author, claim_a=b, claim_b=a, relation=relation),
        )
        assert not errors, errors
        assert len({link.pk for link, _created in results}) == 1
        assert sorted(created for _link, created in results) == [False, True]
        assert ClaimLink.objects.filter(relation=relation).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_submit_makes_one_claim():
    article = factories.make_article()
    author = factories.make_user()
    start = article.body.index("120 people")

    def submit():
        return services.claim_create(
            author=author, article=article, start=start, end=start + 10, exact="120 people"
        )

    results, errors = run_at_once(*[submit] * 4)
    assert not errors, errors
    assert len(results) == 4 and len({claim.pk for claim in results}) == 1
    assert Claim.objects.count() == 1


# --- link_update / link_delete -----------------------------------------------------------------


def test_link_update_changes_relation_and_sends_it_back_to_review(claim, claim_2, author):
    link = factories.make_link(claim_a=claim, claim_b=claim_2, relation="agrees")
    ClaimLink.objects.filter(pk=link.pk).update(status=ClaimLink.Status.CONFIRMED)
    link.refresh_from_db()
    services.link_update(user=author, link=link, relation="qualifies", rationale="Rounded figure")
    link.refresh_from_db()
    assert (link.relation, link.rationale, link.status) == (
        "qualifies",
        "Rounded figure",
        "proposed",
    )


def test_link_update_rationale_only_keeps_review_status(claim, claim_2, author):
    link = factories.make_link(claim_a=claim, claim_b=claim_2, relation="agrees")
    ClaimLink.objects.filter(pk=link.pk).update(status=ClaimLink.Status.CONFIRMED)
    link.refresh_from_db()
    services.link_update(user=author, link=link, relation="agrees", rationale="Same number")
    link.refresh_from_db()
    assert (link.relation, link.rationale, link.status) == ("agrees", "Same number", "confirmed")


def test_link_update_into_an_existing_relation_is_refused(claim, claim_2, author):
    agrees = factories.make_link(claim_a=claim, claim_b=claim_2, relation="agrees")
    factories.make_link(claim_a=claim, claim_b=claim_2, relation="contradicts")
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        services.link_update(user=author, link=agrees, relation="contradicts", rationale="x")
    assert exc.value.code == "duplicate"
    assert "already linked as “contradicts”" in messages(exc)
    assert snapshot() == before
    assert agrees.relation == "agrees"  # the caller's object is untouched too


def test_link_update_unknown_relation_and_stranger_are_refused(claim, claim_2, other_user, author):
    link = factories.make_link(claim_a=claim, claim_b=claim_2, relation="agrees")
    before = snapshot()
    with pytest.raises(ValidationError, match="Unknown relation"):
        services.link_update(user=author, link=link, relation="nope")
    with pytest.raises(PermissionDenied):
        services.link_update(user=other_user, link=link, relation="contradicts")
    with pytest.raises(PermissionDenied):
        services.link_delete(user=other_user, link=link)
    assert snapshot() == before


def test_link_delete(claim, claim_2, author):
    link = factories.make_link(claim_a=claim, claim_b=claim_2)
    services.link_delete(user=author, link=link)
    assert ClaimLink.objects.count() == 0
    assert Claim.objects.count() == 2
