"""Importing article files (``newsroom.services.article_import_text``): new files are stored by
``articles.services``; a changed file goes through ``article_edit``, so claims follow the text."""

from __future__ import annotations

import unicodedata

import pytest
from django.core.exceptions import ValidationError

from activity.models import Event
from annotations.models import Claim
from tests import factories
from articles.models import Article, Source
from articles.services import ArticleMeta
from tests.factories import make_story
from newsroom import services
from textkernel.text import body_hash

NFC = "chi phí đào tạo"
NFD = unicodedata.normalize("NFD", NFC)
PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00"


# --- titles -----------------------------------------------------------------------------------

BODY = "Quảng cáo\n\nTiêu đề thật\n\nNội dung bài.\n"


@pytest.mark.django_db
def test_title_from_title_line():
    story = make_story()
    result = services.article_import_text(
        story=story, name="a.txt", data=BODY.encode(), meta=ArticleMeta(title_line=3)
    )
    assert result.article.title == "Tiêu đề thật"
    assert result.warnings == ()


@pytest.mark.django_db
def test_title_blank_title_line_falls_back_to_text_above_with_warning():
    story = make_story()
    result = services.article_import_text(
        story=story, name="a.txt", data=BODY.encode(), meta=ArticleMeta(title_line=4)
    )
    assert result.article.title == "Tiêu đề thật"
    assert result.warnings == ("a.txt: title_line 4 is blank; used line 3 instead.",)


@pytest.mark.django_db
def test_title_defaults_to_first_non_empty_line():
    story = make_story()
    result = services.article_import_text(
        story=story, name="a.txt", data=b"\n\n  First line  \nx\n"
    )
    assert result.article.title == "First line"


@pytest.mark.django_db
def test_title_line_past_the_end_is_an_error_naming_the_file():
    story = make_story()
    with pytest.raises(ValidationError, match=r"^.*a\.txt: title_line 40 is past the end"):
        services.article_import_text(
            story=story, name="a.txt", data=BODY.encode(), meta=ArticleMeta(title_line=40)
        )
    assert not Article.objects.exists()


# --- article_import_text ----------------------------------------------------------------------


@pytest.mark.django_db
def test_import_creates_normalised_hashed_article():
    story = make_story()
    data = ("\ufeff" + NFD + "\r\nDòng hai\r\n").encode()
    result = services.article_import_text(story=story, name="a.txt", data=data, position=2)
    assert result.action == "created"
    article = Article.objects.get(pk=result.article.pk)
    assert article.body == NFC + "\nDòng hai\n"
    assert article.body_hash == body_hash(article.body)
    assert (article.file_name, article.position, article.language) == ("a.txt", 2, story.language)
    assert article.source is None


@pytest.mark.django_db
def test_import_same_file_twice_is_unchanged_and_keeps_one_row():
    story = make_story()
    first = services.article_import_text(story=story, name="a.txt", data=BODY.encode())
    second = services.article_import_text(story=story, name="a.txt", data=BODY.encode())
    assert (first.action, second.action) == ("created", "unchanged")
    assert second.article.pk == first.article.pk
    assert Article.objects.filter(story=story).count() == 1


@pytest.mark.django_db
def test_import_same_text_with_other_line_ends_is_unchanged():
    story = make_story()
    services.article_import_text(story=story, name="a.txt", data=BODY.encode())
    again = services.article_import_text(
        story=story, name="a.txt", data=BODY.replace("\n", "\r\n").encode()
    )
    assert again.action == "unchanged"


@pytest.mark.django_db
def test_import_changed_content_updates_in_place_and_rehashes():
    story = make_story()
    first = services.article_import_text(story=story, name="a.txt", data=BODY.encode())
    old_hash = first.article.body_hash
    second = services.article_import_text(
        story=story, name="a.txt", data=(BODY + "Đoạn mới.\n").encode()
    )
    assert second.action == "updated"
    article = Article.objects.get()
    assert article.pk == first.article.pk
    assert article.body.endswith("Đoạn mới.\n")
    assert article.body_hash != old_hash
    assert article.body_hash == body_hash(article.body)


@pytest.mark.django_db
def test_import_changed_metadata_updates():
    story = make_story()
    services.article_import_text(story=story, name="a.txt", data=BODY.encode())
    result = services.article_import_text(
        story=story, name="a.txt", data=BODY.encode(), meta=ArticleMeta(author="Thái Linh")
    )
    assert result.action == "updated"
    assert Article.objects.get().author == "Thái Linh"


@pytest.mark.django_db
def test_import_same_file_name_in_two_stories_makes_two_articles():
    for story in (make_story(), make_story()):
        services.article_import_text(story=story, name="a.txt", data=BODY.encode())
    assert Article.objects.count() == 2


@pytest.mark.django_db
def test_import_publisher_get_or_creates_source():
    story = make_story()
    existing = Source.objects.create(name="Markettimes", language="vi")
    a = services.article_import_text(
        story=story, name="a.txt", data=b"A", meta=ArticleMeta(publisher="Markettimes")
    )
    b = services.article_import_text(
        story=story, name="b.txt", data=b"B", meta=ArticleMeta(publisher="Nhà Đầu Tư")
    )
    c = services.article_import_text(
        story=story, name="c.txt", data=b"C", meta=ArticleMeta(publisher="Nhà Đầu Tư")
    )
    assert a.article.source == existing
    assert b.article.source == c.article.source
    assert b.article.source.name == "Nhà Đầu Tư"
    assert Source.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("data", [b"", "chi phí".encode("latin-1"), PNG_HEADER])
def test_import_bad_file_stores_nothing(data):
    story = make_story()
    with pytest.raises(ValidationError, match="bad.txt"):
        services.article_import_text(
            story=story, name="bad.txt", data=data, meta=ArticleMeta(publisher="New Outlet")
        )
    assert not Article.objects.exists()
    assert not Source.objects.exists()


@pytest.mark.django_db
def test_import_bad_update_keeps_the_old_row():
    story = make_story()
    services.article_import_text(story=story, name="a.txt", data=BODY.encode())
    with pytest.raises(ValidationError):
        services.article_import_text(story=story, name="a.txt", data=b"")
    assert Article.objects.get().body == BODY


@pytest.mark.django_db
def test_reimporting_a_changed_file_moves_its_claims_and_records_why():
    story = make_story()
    first = services.article_import_text(story=story, name="a.txt", data=BODY.encode())
    claim = factories.make_claim(article=first.article, text="Nội dung bài")
    gone = factories.make_claim(article=first.article, text="Quảng cáo")
    result = services.article_import_text(
        story=story, name="a.txt", data=BODY.replace("Quảng cáo\n\n", "").encode()
    )
    assert result.action == "updated"
    assert result.warnings == (
        "a.txt: 1 claim(s) orphaned: their words are no longer in the text; curators can "
        "re-attach or dismiss them.",
    )
    article = Article.objects.get()
    moved = Claim.objects.get(pk=claim.pk)
    assert article.body[moved.start : moved.end] == "Nội dung bài"
    assert moved.start == claim.start - len("Quảng cáo\n\n")
    assert Claim.objects.get(pk=gone.pk).status == Claim.Status.ORPHANED
    events = Event.objects.filter(verb__in=["reanchored", "orphaned"]).order_by("object_id")
    assert [(e.object_id, e.verb, e.actor_id) for e in events] == sorted(
        [(claim.pk, "reanchored", None), (gone.pk, "orphaned", None)]
    )
