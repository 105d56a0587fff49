"""Services: body normalisation and hashing, file decoding, metadata, and the article import."""

from __future__ import annotations

import hashlib
import json
import unicodedata

import pytest
from django.core.exceptions import ValidationError

from articles import services
from articles.models import Article, Source
from articles.services import ArticleMeta

from .factories import article_factory, story_factory

NFC = "chi phí đào tạo"
NFD = unicodedata.normalize("NFD", NFC)
PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00"


# --- normalize_body ---------------------------------------------------------------------------


def test_normalize_body_crlf_and_cr_become_lf():
    assert services.normalize_body("a\r\nb\rc\n") == "a\nb\nc\n"


def test_normalize_body_nfd_becomes_nfc():
    assert NFD != NFC
    result = services.normalize_body(NFD)
    assert result == NFC + "\n"
    assert unicodedata.is_normalized("NFC", result)


def test_normalize_body_strips_bom():
    assert services.normalize_body("\ufeffXin chào") == "Xin chào\n"


def test_normalize_body_strips_control_characters_but_keeps_tabs():
    assert services.normalize_body("a\x00b\x07c\x1bd\x7fe\tf") == "abcde\tf\n"


def test_normalize_body_trailing_blanks_and_final_newline():
    assert services.normalize_body("one  \n\n two\t\n\n\n") == "one\n\n two\n"


@pytest.mark.parametrize("text", ["", "   ", "\r\n\r\n", "\ufeff", "\x00\x01"])
def test_normalize_body_blank_is_empty_string(text):
    assert services.normalize_body(text) == ""


def test_normalize_body_is_idempotent():
    once = services.normalize_body("\ufeff" + NFD + "\r\nline two  \r")
    assert services.normalize_body(once) == once


# --- body_hash --------------------------------------------------------------------------------


def test_body_hash_is_sha256_of_utf8():
    assert services.body_hash(NFC) == hashlib.sha256(NFC.encode("utf-8")).hexdigest()
    assert len(services.body_hash("")) == 64


def test_body_hash_differs_for_nfd_and_nfc():
    # Why bodies must be normalised before hashing: the same visible text, two hashes.
    assert services.body_hash(NFC) != services.body_hash(NFD)


# --- decode_text_file -------------------------------------------------------------------------


def test_decode_text_file_accepts_utf8():
    assert services.decode_text_file(name="ok.txt", data=NFC.encode()) == NFC


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        (b"", "empty", "empty"),
        (b"   \n\t\r\n  ", "empty", "empty"),
        ("chi phí".encode("latin-1"), "encoding", "not UTF-8"),
        (b"abc\x00def", "binary", "binary"),
        (PNG_HEADER, "binary", "binary"),
        (bytes(range(1, 32)) * 4 + b"text", "binary", "binary"),
    ],
    ids=["empty", "whitespace-only", "latin-1", "nul-bytes", "png-header", "control-chars"],
)
def test_decode_text_file_errors_name_the_file(data, code, words):
    with pytest.raises(ValidationError) as excinfo:
        services.decode_text_file(name="bài-viết.txt", data=data)
    message = excinfo.value.messages[0]
    assert excinfo.value.code == code
    assert message.startswith("bài-viết.txt:")
    assert words in message


def test_decode_text_file_latin1_reports_the_byte():
    with pytest.raises(ValidationError) as excinfo:
        services.decode_text_file(name="x.txt", data="chi phí".encode("latin-1"))
    assert "0xed at position 6" in excinfo.value.messages[0]


def test_decode_text_file_png_without_nul_is_not_utf8():
    with pytest.raises(ValidationError) as excinfo:
        services.decode_text_file(name="pic.txt", data=b"\x89PNG\r\n\x1a\n")
    assert excinfo.value.messages[0].startswith("pic.txt: the file is not UTF-8 (byte 0x89")


# --- metadata_load ----------------------------------------------------------------------------


def _write(tmp_path, payload) -> object:
    path = tmp_path / "sources.json"
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload), encoding="utf-8")
    return path


def test_metadata_load_reads_story_and_articles(tmp_path):
    path = _write(
        tmp_path,
        {
            "story": {"title": "Chuyện", "language": "vi", "note": "n"},
            "articles": [
                {
                    "file": "a.txt",
                    "publisher": "Báo A",
                    "author": "Thái Linh",
                    "translated_from": "Financial Times",
                    "title_line": 3,
                },
                {"file": "b.txt", "publisher": None, "translated_from": None},
            ],
        },
    )
    meta = services.metadata_load(path=path)
    assert (meta.title, meta.language, meta.note) == ("Chuyện", "vi", "n")
    assert meta.articles["a.txt"] == ArticleMeta(
        publisher="Báo A", author="Thái Linh", translated_from="Financial Times", title_line=3
    )
    assert meta.articles["b.txt"] == ArticleMeta()


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ("{not json", "cannot read metadata"),
        ("[]", "expected an object"),
        ({"articles": {"file": "a.txt"}}, "expected an object"),
        ({"articles": [{"publisher": "X"}]}, "needs a 'file'"),
        (
            {"articles": [{"file": "a.txt", "title_line": 0}]},
            "title_line must be a positive integer",
        ),
        (
            {"articles": [{"file": "a.txt", "title_line": "2"}]},
            "title_line must be a positive integer",
        ),
    ],
    ids=[
        "bad-json",
        "not-object",
        "articles-not-list",
        "missing-file",
        "title-line-0",
        "title-line-str",
    ],
)
def test_metadata_load_rejects_malformed(tmp_path, payload, words):
    with pytest.raises(ValidationError) as excinfo:
        services.metadata_load(path=_write(tmp_path, payload))
    assert excinfo.value.messages[0].startswith("sources.json:")
    assert words in excinfo.value.messages[0]


def test_metadata_load_missing_file_names_it(tmp_path):
    with pytest.raises(ValidationError, match="nope.json: cannot read metadata"):
        services.metadata_load(path=tmp_path / "nope.json")


# --- titles -----------------------------------------------------------------------------------

BODY = "Quảng cáo\n\nTiêu đề thật\n\nNội dung bài.\n"


@pytest.mark.django_db
def test_title_from_title_line():
    story = story_factory()
    result = services.article_import_text(
        story=story, name="a.txt", data=BODY.encode(), meta=ArticleMeta(title_line=3)
    )
    assert result.article.title == "Tiêu đề thật"
    assert result.warnings == ()


@pytest.mark.django_db
def test_title_blank_title_line_falls_back_to_text_above_with_warning():
    story = story_factory()
    result = services.article_import_text(
        story=story, name="a.txt", data=BODY.encode(), meta=ArticleMeta(title_line=4)
    )
    assert result.article.title == "Tiêu đề thật"
    assert result.warnings == ("a.txt: title_line 4 is blank; used line 3 instead.",)


@pytest.mark.django_db
def test_title_defaults_to_first_non_empty_line():
    story = story_factory()
    result = services.article_import_text(
        story=story, name="a.txt", data=b"\n\n  First line  \nx\n"
    )
    assert result.article.title == "First line"


@pytest.mark.django_db
def test_title_line_past_the_end_is_an_error_naming_the_file():
    story = story_factory()
    with pytest.raises(ValidationError, match=r"^.*a\.txt: title_line 40 is past the end"):
        services.article_import_text(
            story=story, name="a.txt", data=BODY.encode(), meta=ArticleMeta(title_line=40)
        )
    assert not Article.objects.exists()


# --- article_import_text ----------------------------------------------------------------------


@pytest.mark.django_db
def test_import_creates_normalised_hashed_article():
    story = story_factory()
    data = ("\ufeff" + NFD + "\r\nDòng hai\r\n").encode()
    result = services.article_import_text(story=story, name="a.txt", data=data, position=2)
    assert result.action == "created"
    article = Article.objects.get(pk=result.article.pk)
    assert article.body == NFC + "\nDòng hai\n"
    assert article.body_hash == services.body_hash(article.body)
    assert (article.file_name, article.position, article.language) == ("a.txt", 2, story.language)
    assert article.source is None


@pytest.mark.django_db
def test_import_same_file_twice_is_unchanged_and_keeps_one_row():
    story = story_factory()
    first = services.article_import_text(story=story, name="a.txt", data=BODY.encode())
    second = services.article_import_text(story=story, name="a.txt", data=BODY.encode())
    assert (first.action, second.action) == ("created", "unchanged")
    assert second.article.pk == first.article.pk
    assert Article.objects.filter(story=story).count() == 1


@pytest.mark.django_db
def test_import_same_text_with_other_line_ends_is_unchanged():
    story = story_factory()
    services.article_import_text(story=story, name="a.txt", data=BODY.encode())
    again = services.article_import_text(
        story=story, name="a.txt", data=BODY.replace("\n", "\r\n").encode()
    )
    assert again.action == "unchanged"


@pytest.mark.django_db
def test_import_changed_content_updates_in_place_and_rehashes():
    story = story_factory()
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
    assert article.body_hash == services.body_hash(article.body)


@pytest.mark.django_db
def test_import_changed_metadata_updates():
    story = story_factory()
    services.article_import_text(story=story, name="a.txt", data=BODY.encode())
    result = services.article_import_text(
        story=story, name="a.txt", data=BODY.encode(), meta=ArticleMeta(author="Thái Linh")
    )
    assert result.action == "updated"
    assert Article.objects.get().author == "Thái Linh"


@pytest.mark.django_db
def test_import_same_file_name_in_two_stories_makes_two_articles():
    for story in (story_factory(), story_factory()):
        services.article_import_text(story=story, name="a.txt", data=BODY.encode())
    assert Article.objects.count() == 2


@pytest.mark.django_db
def test_import_publisher_get_or_creates_source():
    story = story_factory()
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
    story = story_factory()
    with pytest.raises(ValidationError, match="bad.txt"):
        services.article_import_text(
            story=story, name="bad.txt", data=data, meta=ArticleMeta(publisher="New Outlet")
        )
    assert not Article.objects.exists()
    assert not Source.objects.exists()


@pytest.mark.django_db
def test_import_bad_update_keeps_the_old_row():
    story = story_factory()
    services.article_import_text(story=story, name="a.txt", data=BODY.encode())
    with pytest.raises(ValidationError):
        services.article_import_text(story=story, name="a.txt", data=b"")
    assert Article.objects.get().body == BODY


# --- story_get_or_create, article_update -----------------------------------------------------


@pytest.mark.django_db
def test_story_get_or_create_slugifies_and_fills_blanks():
    story = services.story_get_or_create(slug="DeepSeek R1", title="")
    assert story.slug == "deepseek-r1"
    same = services.story_get_or_create(slug="deepseek-r1", title="Tiêu đề", note="Ghi chú")
    assert same.pk == story.pk
    # The title defaulted to the slug, so it is not blank and is kept; the blank note is filled.
    assert (same.title, same.note) == ("deepseek-r1", "Ghi chú")


@pytest.mark.django_db
def test_story_get_or_create_rejects_empty_slug():
    with pytest.raises(ValidationError):
        services.story_get_or_create(slug="!!!")


@pytest.mark.django_db
def test_article_update_normalises_and_rehashes():
    article = article_factory()
    services.article_update(article=article, body="Mới\r\n" + NFD + "\r\n", title="T")
    article.refresh_from_db()
    assert article.body == "Mới\n" + NFC + "\n"
    assert article.body_hash == services.body_hash(article.body)
    assert article.title == "T"


@pytest.mark.django_db
def test_article_update_rejects_blank_body():
    article = article_factory()
    with pytest.raises(ValidationError):
        services.article_update(article=article, body=" \r\n ")
    article.refresh_from_db()
    assert article.body.strip()
