"""Models and the database's own guarantees: NFC bodies, constraints, the search vector."""

from __future__ import annotations

import unicodedata

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import IntegrityError, connection, transaction

from articles import services
from articles.models import SEARCH_CONFIG, Article, Source, Story
from textkernel.text import body_hash

from tests.factories import make_article, make_source, make_story

pytestmark = pytest.mark.django_db


def test_factories_make_valid_rows():
    article = make_article()
    article.full_clean(exclude=["search_vector"])
    assert article.body_hash == body_hash(article.body)
    assert article.body.endswith("\n")


def test_database_stores_nfc_bodies_from_the_services():
    story = make_story()
    nfd = unicodedata.normalize("NFD", "Chi phí đào tạo của DeepSeek\r\nlà bao nhiêu?")
    services.article_create(story=story, title="t", body=nfd)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT body IS NFC NORMALIZED, position(E'\\r' in body) FROM articles_article"
        )
        assert cursor.fetchall() == [(True, 0)]
    assert Article.objects.get().body == "Chi phí đào tạo của DeepSeek\nlà bao nhiêu?\n"


def test_check_constraint_rejects_empty_body():
    story = make_story()
    with pytest.raises(IntegrityError, match="article_body_not_empty"), transaction.atomic():
        Article.objects.create(story=story, title="t", body="", body_hash=body_hash(""))
    assert not Article.objects.exists()


def test_check_constraint_rejects_malformed_hash():
    story = make_story()
    with pytest.raises(IntegrityError, match="article_body_hash_sha256"), transaction.atomic():
        Article.objects.create(story=story, title="t", body="x\n", body_hash="not-a-hash")


def test_unique_file_name_per_story():
    story = make_story()
    make_article(story=story, file_name="a.txt")
    make_article(story=story, file_name="")  # blank names are not unique
    make_article(story=story, file_name="")
    with pytest.raises(IntegrityError, match="article_unique_file_per_story"), transaction.atomic():
        make_article(story=story, file_name="a.txt")
    make_article(story=make_story(), file_name="a.txt")  # another story is fine


def test_source_is_protected_while_it_has_articles():
    from django.db.models import ProtectedError

    article = make_article()
    with pytest.raises(ProtectedError):
        article.source.delete()


def test_deleting_a_story_deletes_its_articles():
    article = make_article()
    article.story.delete()
    assert not Article.objects.exists()
    assert Source.objects.filter(pk=article.source_id).exists()


def test_search_vector_is_generated_without_diacritics():
    article = make_article(title="Chi phí", body="đào tạo mô hình")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_vector::text FROM articles_article WHERE id = %s", [article.pk]
        )
        vector = cursor.fetchone()[0]
    for lexeme in ("'chi':1A", "'phi':2A", "'dao':3B", "'tao':4B", "'mo':5B", "'hinh':6B"):
        assert lexeme in vector


def test_search_vector_follows_body_updates():
    article = make_article(body="cũ")
    article.body = "mới\n"
    article.body_hash = body_hash(article.body)
    article.save()

    def matches(word: str) -> bool:
        query = SearchQuery(word, config=SEARCH_CONFIG)
        return Article.objects.filter(pk=article.pk, search_vector=query).exists()

    assert matches("moi")
    assert not matches("cu")


def test_labels():
    named = make_article(source=make_source(name="Markettimes"))
    unnamed = make_article(source=None, title="Một hai ba bốn năm sáu")
    short = make_article(source=None, title="Ngắn gọn")
    assert named.short_label == "Markettimes"
    assert unnamed.short_label == "Một hai ba bốn…"
    assert short.short_label == "Ngắn gọn"
    assert str(named) == named.title


def test_story_url_and_str():
    story = make_story(slug="deepseek-r1", title="DeepSeek R1")
    assert story.get_absolute_url() == "/stories/deepseek-r1/"
    assert str(story) == "DeepSeek R1"
    assert Story._meta.verbose_name_plural == "stories"
