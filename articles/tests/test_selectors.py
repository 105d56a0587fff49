"""Selectors: column layout, story lists and diacritic-insensitive search."""

from __future__ import annotations

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles import selectors
from articles.models import SEARCH_CONFIG, Article
from articles.selectors import MARK_START, MARK_STOP, SearchQueryError

from tests.factories import make_article, make_story, make_story_with_articles, make_unsaved_article

# --- column_layout ----------------------------------------------------------------------------


def _articles(*pks: int) -> list[Article]:
    return [Article(pk=pk, title=f"a{pk}") for pk in pks]


def _ids(articles: list[Article]) -> list[int]:
    return [a.pk for a in articles]


def test_column_layout_defaults_to_given_order():
    layout = selectors.column_layout(articles=_articles(1, 2, 3))
    assert (_ids(layout.visible), layout.hidden, layout.order) == ([1, 2, 3], [], [1, 2, 3])


def test_column_layout_order_and_hide():
    layout = selectors.column_layout(articles=_articles(1, 2, 3, 4), order="3,1,4,2", hidden="4")
    assert _ids(layout.visible) == [3, 1, 2]
    assert _ids(layout.hidden) == [4]
    # The full order keeps hidden columns in their place, so showing one puts it back there.
    assert layout.order == [3, 1, 4, 2]


def test_column_layout_ignores_unknown_and_repeated_ids_and_appends_missing():
    layout = selectors.column_layout(
        articles=_articles(1, 2, 3, 4), order="99,3,3,x,1", hidden="77"
    )
    assert _ids(layout.visible) == [3, 1, 2, 4]
    assert layout.hidden == []


@pytest.mark.parametrize("order", ["", ",,,", "abc", "-1", "2;1", "2 1"])
def test_column_layout_tolerates_garbage(order):
    layout = selectors.column_layout(articles=_articles(1, 2), order=order)
    assert sorted(_ids(layout.visible)) == [1, 2]


def test_column_layout_can_hide_everything():
    layout = selectors.column_layout(articles=_articles(1, 2), hidden="2,1")
    assert layout.visible == []
    assert _ids(layout.hidden) == [1, 2]


def test_column_layout_hidden_keeps_requested_order():
    layout = selectors.column_layout(articles=_articles(1, 2, 3), order="3,2,1", hidden="1,3")
    assert _ids(layout.hidden) == [3, 1]


# --- story_list, story_articles ---------------------------------------------------------------


@pytest.mark.django_db
def test_story_list_counts_articles():
    empty = make_story()
    one, _ = make_story_with_articles(1)
    three, _ = make_story_with_articles(3)
    counts = {s.pk: s.article_count for s in selectors.story_list()}
    assert counts == {empty.pk: 0, one.pk: 1, three.pk: 3}


@pytest.mark.django_db
def test_story_list_newest_first():
    first, second = make_story(), make_story()
    assert [s.pk for s in selectors.story_list()] == [second.pk, first.pk]


@pytest.mark.django_db
def test_story_articles_in_position_order_with_sources_in_one_query(django_assert_num_queries):
    story = make_story()
    late = make_article(story=story, position=5)
    early = make_article(story=story, position=1)
    make_article()  # another story
    with django_assert_num_queries(1):
        articles = selectors.story_articles(story=story)
        names = [a.source.name for a in articles]
    assert [a.pk for a in articles] == [early.pk, late.pk]
    assert all(names)


@pytest.mark.django_db
def test_story_get_404():
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.story_get(slug="nope")


# --- search: query cleaning -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("", "Type a few words"),
        ("   \t\n ", "Type a few words"),
        ("x" * 501, "501 characters long"),
        ("!!!", "not only punctuation"),
        ("?! … “” -- ...", "not only punctuation"),
    ],
    ids=["empty", "blank", "501-chars", "bangs", "punctuation"],
)
def test_clean_query_rejects_with_friendly_text(query, words):
    with pytest.raises(SearchQueryError, match=words):
        selectors.clean_query(query)


def test_clean_query_drops_control_characters():
    assert selectors.clean_query("chi\x00phí\x07 đào") in ("chi phí đào", "chiphí đào")


def test_clean_query_accepts_500_chars_and_collapses_spaces():
    assert selectors.clean_query("  chi   phí \n ") == "chi phí"
    assert selectors.clean_query("a " * 250) == ("a " * 250).strip()


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "x" * 501, "!!!", "  "])
def test_article_search_raises_search_query_error(query):
    with pytest.raises(SearchQueryError):
        selectors.article_search(query=query)


# --- search: matching and ranking -------------------------------------------------------------

PHRASE_BODY = (
    "Các nhà phân tích cho rằng chi phí đào tạo mô hình thấp hơn nhiều so với các đối thủ Mỹ.\n"
    "Thị trường phản ứng mạnh.\n"
)
SCATTERED_BODY = (
    "Ông Chi nói về phí giao dịch.\n"
    "Trường đào tạo kỹ sư mới.\n"
    "Công ty tạo ra sản phẩm thấp hơn nhiều so với các đối thủ Mỹ.\n"
)


@pytest.fixture
def corpus(db):
    story = make_story(slug="deepseek", title="DeepSeek")
    phrase = make_article(story=story, title="Bài có cụm từ", body=PHRASE_BODY)
    scattered = make_article(story=story, title="Bài rải rác", body=SCATTERED_BODY)
    other = make_article(story=story, title="Không liên quan", body="Nvidia mất 600 tỷ USD.\n")
    return phrase, scattered, other


@pytest.mark.parametrize(
    "query", ["chi phi dao tao", "chi phí đào tạo", "DAO TAO", "Chi Phí ĐÀO TẠO", "chí phi đảo tào"]
)
def test_search_ignores_diacritics_and_case(corpus, query):
    phrase, _, other = corpus
    ids = [hit.article.pk for hit in selectors.article_search(query=query)]
    assert phrase.pk in ids
    assert other.pk not in ids


def test_search_nfd_query_matches(corpus):
    import unicodedata

    phrase, _, _ = corpus
    query = unicodedata.normalize("NFD", "chi phí đào tạo")
    assert phrase.pk in [hit.article.pk for hit in selectors.article_search(query=query)]


def test_search_ranks_exact_phrase_above_scattered_words(corpus):
    phrase, scattered, _ = corpus
    hits = selectors.article_search(query="chi phi dao tao")
    assert [hit.article.pk for hit in hits] == [phrase.pk, scattered.pk]
    assert hits[0].rank > hits[1].rank


def test_search_title_match_ranks_above_body_match(db):
    story = make_story()
    in_body = make_article(story=story, title="Khác", body="Bài nói về Nvidia và thị trường.\n")
    in_title = make_article(
        story=story, title="Nvidia", body="Bài nói về thị trường chứng khoán.\n"
    )
    hits = selectors.article_search(query="nvidia")
    assert [hit.article.pk for hit in hits] == [in_title.pk, in_body.pk]


def test_search_headline_keeps_original_accents_in_sentinels(corpus):
    hit = selectors.article_search(query="chi phi dao tao")[0]
    for word in ("chi", "phí", "đào", "tạo"):
        assert f"{MARK_START}{word}{MARK_STOP}" in hit.body_headline
    assert "phi" + MARK_STOP not in hit.body_headline  # not the unaccented form
    assert MARK_START not in hit.article.title
    assert hit.story_slug == "deepseek"
    assert hit.story_title == "DeepSeek"


def test_search_title_headline_marks_title_words(db):
    make_article(title="Chi phí thật của DeepSeek", body="Nội dung khác.\n")
    hit = selectors.article_search(query="chi phi")[0]
    assert (
        hit.title_headline
        == f"{MARK_START}Chi{MARK_STOP} {MARK_START}phí{MARK_STOP} thật của DeepSeek"
    )


LONG_BODY = (
    "Đoạn mở đầu: thị trường chứng khoán Mỹ biến động mạnh trong tuần.\n"
    "\n"
    "Đoạn hai nói về nhân sự và các nhà đầu tư lớn của công ty.\n"
    "\n"
    "Đoạn ba: theo báo cáo, chi phí đào tạo mô hình R1 chỉ khoảng 6 triệu USD.\n"
)


@pytest.mark.parametrize("query", ["chi phi dao tao", "chi phí đào tạo", '"CHI PHI DAO TAO"'])
def test_search_snippet_is_the_matching_paragraph_not_the_start(db, query):
    """Built from the paragraph that matches (the third), with or without diacritics in the
    query; the original accents are kept and each matched word is marked."""
    make_article(title="Bài dài", body=LONG_BODY)
    (hit,) = selectors.article_search(query=query)
    assert hit.body_headline.startswith("Đoạn ba: theo báo cáo,")
    for word in ("chi", "phí", "đào", "tạo"):
        assert f"{MARK_START}{word}{MARK_STOP}" in hit.body_headline
    assert "Đoạn mở đầu" not in hit.body_headline and "Đoạn hai" not in hit.body_headline


def test_search_snippet_of_a_long_paragraph_is_a_window_around_the_match(db):
    filler = " ".join(["thị trường biến động"] * 40)
    make_article(body=f"{filler} rồi Nvidia mất 600 tỷ USD trong một ngày. {filler}\n")
    (hit,) = selectors.article_search(query="nvidia")
    assert f"{MARK_START}Nvidia{MARK_STOP} mất 600 tỷ USD" in hit.body_headline
    assert hit.body_headline.startswith("… ") and hit.body_headline.endswith(" …")
    assert len(hit.body_headline) < 300


def test_search_snippet_leaves_out_negated_words_and_keeps_sentinels_out_of_the_text(db):
    make_article(body="Nvidia và AMD\x02 cùng giảm.\nĐoạn khác.\n")
    (hit,) = selectors.article_search(query="nvidia -intel")
    assert hit.body_headline == f"{MARK_START}Nvidia{MARK_STOP} và AMD cùng giảm."


def test_search_no_match_returns_empty(corpus):
    assert selectors.article_search(query="blockchain") == []


def test_search_websearch_syntax_does_not_crash(corpus):
    phrase, scattered, _ = corpus
    for query in ('"chi phí đào tạo"', "chi -phí", "chi OR nvidia", "tạo & (", "a:b|c*"):
        selectors.article_search(query=query)  # no exception from to_tsquery syntax
    quoted = selectors.article_search(query='"chi phi dao tao"')
    assert [hit.article.pk for hit in quoted] == [phrase.pk]


def test_search_limit(db):
    story = make_story()
    for i in range(5):
        make_article(story=story, body=f"DeepSeek lần {i}.\n")
    assert len(selectors.article_search(query="deepseek", limit=3)) == 3


def test_search_query_count_is_constant(db, django_assert_num_queries):
    story = make_story()
    for i in range(4):
        make_article(story=story, body=f"chi phí {i}\n")
    with django_assert_num_queries(1):
        hits = selectors.article_search(query="chi phi")
        labels = [hit.article.short_label for hit in hits]
    assert len(labels) == 4


# --- search: the index ------------------------------------------------------------------------


def test_search_uses_the_gin_index_not_a_seq_scan(db):
    """With a realistically sized table and fresh statistics, the planner picks the GIN index
    on its own (no enable_seqscan tricks): EXPLAIN shows a bitmap scan on article_search_gin."""
    story = make_story()
    filler = [
        make_unsaved_article(
            story=story,
            title=f"Tin vắn số {i}",
            body=f"Thị trường chứng khoán phiên {i} biến động nhẹ; nhà đầu tư thận trọng.\n",
        )
        for i in range(2000)
    ]
    filler += [
        make_unsaved_article(story=story, title=f"Chi phí {i}", body="Chi phí đào tạo mô hình.\n")
        for i in range(5)
    ]
    Article.objects.bulk_create(filler, batch_size=1000)
    with connection.cursor() as cursor:
        # What autovacuum does in production, and what VACUUM cannot do inside the test's
        # transaction: merge the GIN index's pending list (fastupdate) into the index proper,
        # then refresh the planner's statistics.
        cursor.execute("SELECT gin_clean_pending_list('article_search_gin'::regclass)")
        cursor.execute("ANALYZE articles_article")

    query = SearchQuery("chi phi", config=SEARCH_CONFIG, search_type="websearch")
    plan = Article.objects.filter(search_vector=query).explain()
    assert "Bitmap Index Scan on article_search_gin" in plan, plan
    assert "Seq Scan on articles_article" not in plan, plan

    # The selector's own query (rank, headlines, join to the story) uses the index too:
    # capture the SQL it ran and EXPLAIN exactly that.
    with CaptureQueriesContext(connection) as captured:
        hits = selectors.article_search(query="chi phi")
    assert len(hits) == 5
    (executed,) = captured.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == "on"
        cursor.execute("EXPLAIN " + executed["sql"])
        selector_plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Bitmap Index Scan on article_search_gin" in selector_plan, selector_plan
    assert "Seq Scan on articles_article" not in selector_plan, selector_plan

    # A quoted phrase too. At 10,000 articles the planner misjudges phrase selectivity unless
    # random_page_cost has its SSD value, which the app's connections set (docs/benchmarks.md).
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.1"
    with CaptureQueriesContext(connection) as captured:
        hits = selectors.article_search(query='"chi phi dao tao"')
    assert len(hits) == 5
    (executed,) = captured.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + executed["sql"])
        phrase_plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Bitmap Index Scan on article_search_gin" in phrase_plan, phrase_plan


def test_search_orders_only_the_best_candidates_by_cover_density(db, monkeypatch):
    """Cover density orders only the RANK_CANDIDATES matches the cheap ts_rank likes best; the
    phrase still wins among them, and a match outside them is not shown."""
    story = make_story()
    phrase = make_article(story=story, title="A", body="chi phí đào tạo cao.\n")
    scattered = make_article(story=story, title="B", body="đào tạo, chi phí, chi phí.\n")
    weak = make_article(story=story, title="C", body="chi phí " + "rồi " * 300 + "đào tạo.\n")
    monkeypatch.setattr(selectors, "RANK_CANDIDATES", 2)
    found = [hit.article.pk for hit in selectors.article_search(query="chi phi dao tao")]
    assert weak.pk not in found
    assert found == [phrase.pk, scattered.pk]
    monkeypatch.setattr(selectors, "RANK_CANDIDATES", 500)
    assert weak.pk in [hit.article.pk for hit in selectors.article_search(query="chi phi dao tao")]
