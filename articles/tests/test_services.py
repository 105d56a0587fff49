"""Services: file decoding, metadata, reading an article file, and storing new articles."""

from __future__ import annotations

import json
import unicodedata

import pytest
from django.core.exceptions import ValidationError

from articles import services
from articles.models import Article, Source
from articles.services import ArticleMeta
from textkernel.text import body_hash

from tests.factories import make_story

NFC = "chi phí đào tạo"
NFD = unicodedata.normalize("NFD", NFC)
PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00"


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


# --- article_file_read, article_create --------------------------------------------------------

BODY = "Quảng cáo\n\nTiêu đề thật\n\nNội dung bài.\n"


def test_article_file_read_normalises_and_titles_without_storing():
    data = ("\ufeff" + NFD + "\r\nDòng hai\r\n").encode()
    file = services.article_file_read(name="a.txt", data=data, meta=ArticleMeta(author="Thái Linh"))
    assert file.fields == {
        "title": NFC, "author": "Thái Linh", "translated_from": "", "body": NFC + "\nDòng hai\n"
    }
    assert (file.name, file.publisher, file.warnings) == ("a.txt", None, ())


@pytest.mark.parametrize(
    ("meta", "words"),
    [
        (ArticleMeta(author=7), "author must be text, not int"),
        (ArticleMeta(title="x" * 501), "title is 501 characters long; the limit is 500"),
    ],
)
def test_article_file_read_refuses_bad_metadata_naming_the_file(meta, words):
    with pytest.raises(ValidationError) as excinfo:
        services.article_file_read(name="a.txt", data=BODY.encode(), meta=meta)
    assert excinfo.value.messages == [f"a.txt: {words}."]


@pytest.mark.django_db
def test_article_create_normalises_and_hashes():
    story = make_story()
    article = services.article_create(story=story, title="T", body="Mới\r\n" + NFD + "  \r\n")
    article = Article.objects.get(pk=article.pk)
    assert article.body == "Mới\n" + NFC + "\n"
    assert article.body_hash == body_hash(article.body)


@pytest.mark.django_db
@pytest.mark.parametrize("body", [" \r\n ", "\x00\x01", None])
def test_article_create_refuses_a_blank_body(body):
    with pytest.raises(ValidationError):
        services.article_create(story=make_story(), title="T", body=body)
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_source_get_or_create_reuses_by_name():
    first = services.source_get_or_create(name="Nhà Đầu Tư", language="vi")
    again = services.source_get_or_create(name="Nhà Đầu Tư", language="en")
    assert again.pk == first.pk and again.language == "vi"
    assert Source.objects.count() == 1


# --- story_get_or_create -----------------------------------------------------


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
