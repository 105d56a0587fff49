"""``manage.py import_articles`` and ``manage.py load_demo`` against a real database."""

from __future__ import annotations

import io
import json
import unicodedata

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from articles.models import Article, Source, Story
from teams.models import Membership, Team
from textkernel.text import body_hash

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hasher")]

GOOD = "Tiêu đề bài một\n\nChi phí đào tạo là 6 triệu USD.\n"
SECOND = "Quảng cáo\n\nTiêu đề bài hai\nNội dung.\n"


def _folder(tmp_path, files: dict[str, bytes], metadata: dict | None = None):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    if metadata is not None:
        (folder / "sources.json").write_text(json.dumps(metadata), encoding="utf-8")
    return folder


def _import(*args, progress: bool = False):
    out, err = io.StringIO(), io.StringIO()
    flags = [] if progress else ["--no-progress"]
    call_command("import_articles", *map(str, args), *flags, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


METADATA = {
    "story": {"title": "Một câu chuyện", "language": "vi", "note": "Ghi chú"},
    "articles": [
        {"file": "a.txt", "publisher": "Báo A", "author": "Thái Linh", "title_line": 1},
        {"file": "b.txt", "publisher": None, "translated_from": "Financial Times", "title_line": 3},
    ],
}


def test_imports_a_folder_with_metadata(tmp_path):
    folder = _folder(
        tmp_path,
        {"a.txt": GOOD.encode(), "b.txt": SECOND.encode(), "notes.md": b"ignored"},
        METADATA,
    )
    out, _ = _import(folder, "--story", "s")
    assert "2 created, 0 updated, 0 unchanged, 0 failed." in out
    story = Story.objects.get(slug="s")
    assert (story.title, story.note) == ("Một câu chuyện", "Ghi chú")
    a, b = Article.objects.filter(story=story).order_by("position")
    assert (a.file_name, a.title, a.source.name, a.author) == (
        "a.txt",
        "Tiêu đề bài một",
        "Báo A",
        "Thái Linh",
    )
    assert (b.file_name, b.title, b.source, b.translated_from) == (
        "b.txt",
        "Tiêu đề bài hai",
        None,
        "Financial Times",
    )
    assert (a.position, b.position) == (0, 1)
    assert a.body_hash == body_hash(a.body)


def test_imports_without_metadata_uses_first_line(tmp_path):
    folder = _folder(tmp_path, {"x.txt": b"\n\nFirst line\nrest\n"})
    _import(folder, "--story", "plain")
    assert Article.objects.get().title == "First line"


def test_same_folder_twice_creates_no_duplicates(tmp_path):
    folder = _folder(tmp_path, {"a.txt": GOOD.encode(), "b.txt": SECOND.encode()}, METADATA)
    _import(folder, "--story", "s")
    ids = set(Article.objects.values_list("pk", "body_hash"))
    out, _ = _import(folder, "--story", "s")
    assert "0 created, 0 updated, 2 unchanged, 0 failed." in out
    assert set(Article.objects.values_list("pk", "body_hash")) == ids
    assert (Story.objects.count(), Source.objects.count()) == (1, 1)


def test_changed_file_is_updated_not_duplicated(tmp_path):
    folder = _folder(tmp_path, {"a.txt": GOOD.encode()})
    _import(folder, "--story", "s")
    (folder / "a.txt").write_bytes((GOOD + "Thêm một đoạn.\n").encode())
    out, _ = _import(folder, "--story", "s")
    assert "0 created, 1 updated, 0 unchanged" in out
    assert Article.objects.get().body.endswith("Thêm một đoạn.\n")


def test_bad_files_are_named_and_store_nothing(tmp_path):
    folder = _folder(
        tmp_path,
        {
            "good.txt": GOOD.encode(),
            "empty.txt": b"",
            "latin1.txt": "chi phí".encode("latin-1"),
            "binary.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
        },
        {"articles": [{"file": "latin1.txt", "publisher": "Outlet of a bad file"}]},
    )
    before = Article.objects.count()
    with pytest.raises(CommandError) as excinfo:
        _import(folder, "--story", "s")
    message = str(excinfo.value)
    assert "Some files were not imported" in message
    assert "empty.txt: the file is empty" in message
    assert "latin1.txt: the file is not UTF-8" in message
    assert "binary.txt: the file is binary" in message
    assert "good.txt" not in message
    assert Article.objects.count() == before + 1
    assert list(Article.objects.values_list("file_name", flat=True)) == ["good.txt"]
    assert not Source.objects.filter(name="Outlet of a bad file").exists()


def test_only_bad_files_create_no_story(tmp_path):
    folder = _folder(tmp_path, {"empty.txt": b"", "latin1.txt": "chi phí".encode("latin-1")})
    with pytest.raises(CommandError, match="empty.txt"):
        _import(folder, "--story", "brand-new")
    assert not Story.objects.filter(slug="brand-new").exists()


def test_metadata_too_long_for_a_field_is_an_error_naming_the_file(tmp_path):
    folder = _folder(
        tmp_path,
        {"a.txt": GOOD.encode(), "b.txt": SECOND.encode()},
        {"articles": [{"file": "a.txt", "author": "x" * 300}]},
    )
    with pytest.raises(CommandError) as excinfo:
        _import(folder, "--story", "s")
    assert "a.txt" in str(excinfo.value)
    assert list(Article.objects.values_list("file_name", flat=True)) == ["b.txt"]


def test_metadata_publisher_too_long_is_an_error_naming_the_file(tmp_path):
    folder = _folder(
        tmp_path,
        {"a.txt": GOOD.encode(), "b.txt": SECOND.encode()},
        {"articles": [{"file": "a.txt", "publisher": "P" * 300}]},
    )
    with pytest.raises(CommandError, match="a.txt"):
        _import(folder, "--story", "s")
    assert not Source.objects.exists()


def test_bad_file_given_directly(tmp_path):
    bad = tmp_path / "one.txt"
    bad.write_bytes("Tiếng Việt".encode("utf-16"))
    with pytest.raises(CommandError, match="one.txt"):
        _import(bad, "--story", "s")
    assert not Article.objects.exists()


def test_nonexistent_path_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="no such file or folder"):
        _import(tmp_path / "missing", "--story", "s")
    assert not Story.objects.exists()


def test_folder_without_txt_files_is_an_error(tmp_path):
    folder = _folder(tmp_path, {"readme.md": b"x"})
    with pytest.raises(CommandError, match="No .txt files"):
        _import(folder, "--story", "s")


def test_malformed_metadata_is_an_error_before_any_write(tmp_path):
    folder = _folder(tmp_path, {"a.txt": GOOD.encode()})
    (folder / "sources.json").write_text("{broken", encoding="utf-8")
    with pytest.raises(CommandError, match="sources.json: cannot read metadata"):
        _import(folder, "--story", "s")
    assert not Story.objects.exists()
    assert not Article.objects.exists()


def test_explicit_metadata_option(tmp_path):
    folder = _folder(tmp_path, {"a.txt": GOOD.encode()})
    meta = tmp_path / "meta.json"
    meta.write_text(
        json.dumps({"articles": [{"file": "a.txt", "publisher": "P"}]}), encoding="utf-8"
    )
    _import(folder, "--story", "s", "--metadata", meta)
    assert Article.objects.get().source.name == "P"


def test_blank_title_line_warning_goes_to_stderr(tmp_path):
    folder = _folder(
        tmp_path,
        {"a.txt": "Tiêu đề\n\nThân bài\n".encode()},
        {"articles": [{"file": "a.txt", "title_line": 2}]},
    )
    out, err = _import(folder, "--story", "s")
    assert "warning: a.txt: title_line 2 is blank; used line 1 instead." in err
    assert "warning" not in out
    assert Article.objects.get().title == "Tiêu đề"


def test_progress_bar_goes_to_stderr(tmp_path):
    folder = _folder(tmp_path, {"a.txt": GOOD.encode(), "b.txt": SECOND.encode()})
    out, err = _import(folder, "--story", "s", progress=True)
    assert "Importing into s" in err
    assert "2/2" in err
    assert "Importing" not in out
    assert "2 created" in out


def test_no_progress_hides_the_bar(tmp_path):
    folder = _folder(tmp_path, {"a.txt": GOOD.encode()})
    _, err = _import(folder, "--story", "s")
    assert "Importing" not in err


# --- load_demo --------------------------------------------------------------------------------

DEMO_TITLES = [
    "Startup AI Trung Quốc vừa công bố báo cáo khiến giới công nghệ toàn thế giới sốc",
    'DeepSeek AI không đơn độc, hàng loạt ông lớn chip Trung Quốc "tổng lực" đối đầu với AI Mỹ!',
    "Phát hiện mới cho thấy mô hình AI DeepSeek 'không phải chỉ tốn 6 triệu USD'",
    "Thấy gì sau cú hích của DeepSeek?",
    "Cuộc đua AI toàn cầu: Mỹ - Trung Quốc, ai sẽ là người chiến thắng?",
]


def _load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", "--no-progress", stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def demo_password(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "correct-horse-battery")
    return "correct-horse-battery"


def test_load_demo_loads_five_articles_and_three_users(demo_password):
    out = _load_demo()
    story = Story.objects.get(slug="deepseek-r1")
    assert story.title == "DeepSeek R1: what did it really cost?"
    articles = list(
        Article.objects.filter(story=story).select_related("source").order_by("position")
    )
    assert [a.title for a in articles] == DEMO_TITLES
    assert all(unicodedata.is_normalized("NFC", a.title) for a in articles)
    markettimes = articles[0]
    assert markettimes.source.name == "Markettimes"
    assert markettimes.title == (
        "Startup AI Trung Quốc vừa công bố báo cáo khiến giới công nghệ toàn thế giới sốc"
    )
    assert [a.source.name if a.source else None for a in articles] == [
        "Markettimes",
        "Sforum (CellphoneS)",
        None,
        "Nhà Đầu Tư",
        None,
    ]
    assert [a.author for a in articles] == ["", "", "", "", "Thái Linh"]
    assert [a.translated_from for a in articles] == [
        "Financial Times",
        "",
        "",
        "",
        "Financial Times",
    ]
    for article in articles:
        assert article.body_hash == body_hash(article.body)
        assert unicodedata.is_normalized("NFC", article.body)
    users = get_user_model().objects.filter(username__in=["lan", "minh", "curator"])
    assert users.count() == 3
    assert "Demo story 'deepseek-r1': 5 articles." in out
    assert "curator / correct-horse-battery" in out


def test_load_demo_loads_the_annotated_reading_and_empty_keeps_the_bare_story(demo_password):
    from annotations.models import Claim, ClaimLink
    from curation.models import CanonicalClaim, Verdict

    call_command("load_demo", "--no-progress", "--empty", stdout=io.StringIO())
    assert Article.objects.count() == 5
    assert not Claim.objects.exists() and not ClaimLink.objects.exists()

    out = _load_demo()
    assert "Demo reading: 64 claims, 34 links" in out
    claims = Claim.objects.filter(article__story__slug="deepseek-r1")
    assert claims.count() >= 25
    assert claims.values("article").distinct().count() == 5
    links = ClaimLink.objects.all()
    assert links.count() >= 15
    assert set(links.values_list("relation", flat=True)) == {"agrees", "contradicts", "qualifies"}
    assert not links.filter(rationale="").exists()
    assert CanonicalClaim.objects.count() >= 4
    assert Verdict.objects.count() >= 2
    authors = {"lan", "minh", "curator"}
    for visibility in ("team", "private"):
        made_by = set(claims.filter(visibility=visibility).values_list("author__username", flat=True))
        assert made_by and made_by <= authors
    # Again: nothing new.
    before = (Claim.objects.count(), ClaimLink.objects.count(), Verdict.objects.count())
    _load_demo()
    assert (Claim.objects.count(), ClaimLink.objects.count(), Verdict.objects.count()) == before


def test_load_demo_honours_demo_password(demo_password):
    _load_demo()
    users = {u.username: u for u in get_user_model().objects.all()}
    for name in ("lan", "minh", "curator"):
        assert users[name].check_password(demo_password)
        assert not users[name].check_password("parallax-demo")
    assert users["curator"].is_staff and users["curator"].is_superuser
    assert not users["lan"].is_staff and not users["minh"].is_superuser


def test_load_demo_is_idempotent(demo_password):
    _load_demo()
    before = sorted(Article.objects.values_list("pk", "body_hash", "title"))
    _load_demo()
    assert sorted(Article.objects.values_list("pk", "body_hash", "title")) == before
    assert Story.objects.count() == 1
    assert get_user_model().objects.count() == 3
    assert Source.objects.count() == 3
    assert Team.objects.count() == 1
    assert Membership.objects.count() == 3


def test_load_demo_makes_a_team_of_the_demo_users(demo_password):
    out = _load_demo()
    team = Team.objects.get(name="Demo desk")
    roles = dict(team.memberships.values_list("user__username", "role"))
    assert roles == {"curator": "admin", "lan": "annotator", "minh": "annotator"}
    assert "Demo desk 'Demo desk' owns the story" in out
    assert Story.objects.get(slug="deepseek-r1").desk == team
    # A role changed since is kept on a re-run.
    Membership.objects.filter(team=team, user__username="lan").update(role="curator")
    _load_demo()
    assert team.memberships.get(user__username="lan").role == "curator"


def test_load_demo_changes_the_password_on_rerun(monkeypatch, demo_password):
    _load_demo()
    monkeypatch.setenv("DEMO_PASSWORD", "another-password-9")
    _load_demo()
    assert get_user_model().objects.get(username="lan").check_password("another-password-9")


def test_load_demo_refuses_default_password_without_debug(monkeypatch, settings):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    settings.DEBUG = False
    with pytest.raises(CommandError, match="Set DEMO_PASSWORD"):
        _load_demo()
    assert not Article.objects.exists()


def test_load_demo_uses_local_default_in_debug(monkeypatch, settings):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    settings.DEBUG = True
    out = _load_demo()
    assert "lan / parallax-demo" in out
    assert get_user_model().objects.get(username="lan").check_password("parallax-demo")


def test_file_the_database_refuses_is_reported_by_name_and_the_rest_imported(tmp_path):
    # ~1.6 MB of distinct words: Postgres refuses the generated search vector
    # ("string is too long for tsvector"), a DatabaseError raised only on INSERT.
    words = " ".join(f"từ{n:07d}x{n * 7919 % 100003:06d}" for n in range(90_000))
    folder = _folder(tmp_path, {"a.txt": GOOD.encode(), "huge.txt": f"Tiêu đề\n\n{words}\n".encode()})
    with pytest.raises(CommandError) as excinfo:
        _import(folder, "--story", "s")
    message = str(excinfo.value)
    assert "huge.txt: the database refused it" in message and "tsvector" in message
    assert list(Article.objects.values_list("file_name", flat=True)) == ["a.txt"]


def test_metadata_of_the_wrong_type_is_an_error_naming_the_file(tmp_path):
    folder = _folder(
        tmp_path,
        {"a.txt": GOOD.encode(), "b.txt": SECOND.encode()},
        {"articles": [{"file": "a.txt", "author": ["not", "text"]}]},
    )
    with pytest.raises(CommandError, match="a.txt: author must be text"):
        _import(folder, "--story", "s")
    assert list(Article.objects.values_list("file_name", flat=True)) == ["b.txt"]
