"""The intake services: a story from the browser, items added, links fetched, storing through
the import service one article at a time."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from articles.models import Article, Source
from newsroom import intake
from newsroom.intake import Additions, Choice
from newsroom.models import IntakeItem
from teams.models import Membership
from tests.factories import make_article, make_source, make_story, make_team, make_user
from textkernel.text import body_hash

SAMPLES = Path(__file__).parent / "samples"
PASTE = (
    "Tiêu đề bài dán\n\nVui lòng tắt trình chặn quảng cáo để tiếp tục đọc.\n\n"
    "Nội dung chính của bài viết nói về cây cầu mới bắc qua sông Hồng, khởi công vào tháng Ba.\n"
    "Chi phí dự kiến khoảng 1,2 tỷ USD theo báo cáo của thành phố.\n\nTheo: Financial Times\n\nBình luận (0)\n"
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator():
    return make_user()


@pytest.fixture
def desk(curator):
    return make_team(members={curator: Membership.Role.CURATOR})


@pytest.fixture
def story(desk):
    return make_story(desk=desk)


def choice_for(item: IntakeItem, **changes) -> Choice:
    fields = dict(
        title=item.title, author=item.author, published_on=item.published_on, language=item.language,
        source_name=item.source_name, translated_from=item.translated_from, original=item.original,
        drop=frozenset(item.drop),
    )  # fmt: skip
    fields.update(changes)
    return Choice(**fields)


def test_story_create_for_a_desk_curator(curator, desk):
    story = intake.story_create(user=curator, title="Cầu mới", note="n", desk=desk)
    assert story.desk == desk and story.slug == "cau-moi"
    again = intake.story_create(user=curator, title="Cầu mới", desk=desk)
    assert again.slug == "cau-moi-2"
    assert intake.story_create(user=curator, title="Đường sắt: báo chí đưa tin", desk=desk).slug == (
        "duong-sat-bao-chi-dua-tin"
    )


def test_story_create_refused_to_annotators_and_site_wide_to_non_staff(curator, desk):
    annotator = make_user()
    Membership.objects.create(team=desk, user=annotator, role=Membership.Role.ANNOTATOR)
    with pytest.raises(PermissionDenied):
        intake.story_create(user=annotator, title="x", desk=desk)
    with pytest.raises(PermissionDenied):
        intake.story_create(user=curator, title="x", desk=None)
    staff = make_user(is_staff=True)
    assert intake.story_create(user=staff, title="Site", desk=None).desk is None


def test_paste_and_files_are_read_now_with_metadata_and_flags(curator, story):
    batch = intake.intake_start(user=curator, story=story)
    items = intake.items_add(
        user=curator, intake=batch,
        additions=Additions(
            files=[("article.docx", (SAMPLES / "article.docx").read_bytes()),
                   ("protected.pdf", (SAMPLES / "protected.pdf").read_bytes())],
            pastes=[("", PASTE), ("", "   ")],
        ),
    )  # fmt: skip
    docx, pdf, paste, empty = items
    assert docx.status == "ready" and docx.author == "Jane Reporter" and docx.language == "en"
    assert pdf.status == "failed" and "password" in pdf.error
    assert empty.status == "failed" and "empty" in empty.error
    assert paste.status == "ready" and paste.language == "vi"
    assert paste.translated_from == "Financial Times"
    lines = paste.text.split("\n")
    assert sorted(lines[i] for i in paste.drop) == [
        "Bình luận (0)", "Tiêu đề bài dán", "Vui lòng tắt trình chặn quảng cáo để tiếp tục đọc.",
    ]
    assert paste.title == "Tiêu đề bài dán" and paste.flags["0"] == "title"  # shown once, as the title
    assert docx.flags["0"] == "title" and docx.text.split("\n")[0] == docx.title


def test_a_heading_that_repeats_the_title_is_dropped_but_a_lede_or_another_title_is_not(curator, story):
    batch = intake.intake_start(user=curator, story=story)
    lede = "Hội đồng đã thông qua cây cầu mới với 31 phiếu thuận.\nChi phí khoảng 1,2 tỷ USD."
    heading, own_title, first_is_lede = intake.items_add(
        user=curator, intake=batch,
        additions=Additions(pastes=[("", PASTE), ("Cầu mới", PASTE), ("", lede)]),
    )  # fmt: skip
    assert 0 in heading.drop
    assert own_title.title == "Cầu mới" and 0 not in own_title.drop  # the first line is not the title
    assert first_is_lede.title.startswith("Hội đồng") and first_is_lede.drop == []
    stored = intake.intake_store(user=curator, intake=batch, choices={heading.pk: choice_for(heading)})
    article = Article.objects.get(pk=IntakeItem.objects.get(pk=stored[0].pk).article_id)
    assert article.title == "Tiêu đề bài dán" and not article.body.startswith("Tiêu đề")


def test_links_are_fetched_after_commit(curator, story, page_server, fetch_local, django_capture_on_commit_callbacks):
    batch = intake.intake_start(user=curator, story=story)
    with django_capture_on_commit_callbacks(execute=True):
        items = intake.items_add(
            user=curator, intake=batch,
            additions=Additions(links=[
                f"{page_server}/pages/theguardian.com.academics.html",
                f"{page_server}/empty", f"{page_server}/loop", "http://10.0.0.1/", "not a link",
            ]),
        )  # fmt: skip
        assert all(i.status in ("queued", "failed") for i in items)
    statuses = {i.url.rsplit("/", 1)[-1]: (i.status, i.error) for i in IntakeItem.objects.filter(intake=batch)}
    assert statuses["theguardian.com.academics.html"][0] == "ready"
    assert statuses["empty"] == ("failed", "No article text was found in it.")
    assert statuses["loop"][0] == "failed" and "loop" in statuses["loop"][1]
    assert statuses[""][0] == "failed" and "Refused" in statuses[""][1]
    assert statuses["not a link"][0] == "failed"
    guardian = IntakeItem.objects.get(intake=batch, url__endswith="academics.html")
    assert guardian.source_name == "The Guardian" and guardian.author == "Richard Adams"


def test_store_goes_through_the_import_service_and_each_item_on_its_own(curator, story):
    existing = make_article(story=story, body="Đã có trong câu chuyện.\nMột dòng nữa.")
    make_source(name="Financial Times")
    batch = intake.intake_start(user=curator, story=story)
    a, b, c, d = intake.items_add(
        user=curator, intake=batch,
        additions=Additions(pastes=[("A", PASTE), ("B", PASTE), ("C", existing.body), ("D", "Chỉ quảng cáo\n")]),
    )  # fmt: skip
    choices = {
        a.pk: choice_for(a, source_name="financial times"),
        b.pk: choice_for(b),  # the same text as a: refused
        c.pk: choice_for(c),  # the same text as an article in the story: refused
        d.pk: choice_for(d, drop=frozenset({0})),  # nothing left
    }
    stored = intake.intake_store(user=curator, intake=batch, choices=choices)
    assert [i.pk for i in stored] == [a.pk]
    article = Article.objects.get(pk=IntakeItem.objects.get(pk=a.pk).article_id)
    assert article.source.name == "Financial Times"  # matched, not a second source
    assert Source.objects.filter(name__iexact="financial times").count() == 1
    assert "Bình luận" not in article.body and "quảng cáo" not in article.body
    assert article.body_hash == body_hash(article.body)
    assert article.translated_from == "Financial Times" and article.language == "vi"
    errors = {i.pk: i.error for i in IntakeItem.objects.filter(intake=batch).exclude(pk=a.pk)}
    assert "already in the story" in errors[b.pk]
    assert "already in the story" in errors[c.pk]
    assert "Nothing is left" in errors[d.pk]
    assert Article.objects.filter(story=story).count() == 2


def test_translation_of_another_item_in_the_batch(curator, story):
    batch = intake.intake_start(user=curator, story=story)
    original, translation = intake.items_add(
        user=curator, intake=batch,
        additions=Additions(pastes=[
            ("FT", "The council approved a new bridge over the river on Tuesday, at a cost of $1.2bn."),
            ("Bản dịch", "Hội đồng đã phê duyệt cây cầu mới bắc qua sông hôm thứ Ba, chi phí 1,2 tỷ USD."),
        ]),
    )  # fmt: skip
    intake.intake_store(user=curator, intake=batch, choices={
        original.pk: choice_for(original), translation.pk: choice_for(translation, original=f"i{original.pk}"),
    })  # fmt: skip
    ft = Article.objects.get(title="FT")
    assert Article.objects.get(title="Bản dịch").translation_of == ft


def test_translation_must_be_in_the_same_story(curator, story):
    other = make_article(story=make_story())
    article = make_article(story=story)
    article.translation_of = other
    with pytest.raises(ValidationError):
        article.full_clean(exclude=["search_vector"])


def test_a_file_name_already_in_the_story_is_refused_not_overwritten(curator, story):
    make_article(story=story, file_name="article.txt", body="Cũ.")
    batch = intake.intake_start(user=curator, story=story)
    (item,) = intake.items_add(
        user=curator, intake=batch,
        additions=Additions(files=[("article.txt", (SAMPLES / "article.txt").read_bytes())]),
    )  # fmt: skip
    assert intake.intake_store(user=curator, intake=batch, choices={item.pk: choice_for(item)}) == []
    item.refresh_from_db()
    assert "already has an article from a file named article.txt" in item.error
    assert Article.objects.get(story=story, file_name="article.txt").body.strip() == "Cũ."


def test_only_curators_add_and_store(story):
    stranger = make_user()
    with pytest.raises(PermissionDenied):
        intake.intake_start(user=stranger, story=story)


def test_a_text_the_database_refuses_fails_alone(curator, story, settings):
    # ~1.6 MB of distinct words: Postgres refuses the search vector on INSERT.
    settings.NEWSROOM_MAX_BYTES = 4 * 1024 * 1024
    words = " ".join(f"từ{n:07d}x{n * 7919 % 100003:06d}" for n in range(90_000))
    batch = intake.intake_start(user=curator, story=story)
    huge, fine = intake.items_add(
        user=curator, intake=batch,
        additions=Additions(pastes=[("Huge", f"Tiêu đề\n\n{words}\n"), ("Fine", PASTE)]),
    )  # fmt: skip
    stored = intake.intake_store(user=curator, intake=batch, choices={huge.pk: choice_for(huge), fine.pk: choice_for(fine)})
    assert [i.pk for i in stored] == [fine.pk]
    huge.refresh_from_db()
    assert huge.status == "ready" and "tsvector" in huge.error
    assert list(Article.objects.filter(story=story).values_list("title", flat=True)) == ["Fine"]


def test_a_link_matches_an_existing_source_by_its_homepage(curator, story, page_server, fetch_local, django_capture_on_commit_callbacks):
    make_source(name="Reuters Vietnam", homepage=page_server + "/")
    batch = intake.intake_start(user=curator, story=story)
    with django_capture_on_commit_callbacks(execute=True):
        intake.items_add(user=curator, intake=batch, additions=Additions(links=[f"{page_server}/pages/wikimediafoundation.org.turkey.html"]))
    item = IntakeItem.objects.get(intake=batch)
    # The page names itself "Wikimedia Foundation"; no source has that name, the host matches.
    assert item.site_name == "Wikimedia Foundation" and item.source_name == "Reuters Vietnam"


def test_every_bad_input_gets_its_message_and_the_good_ones_still_go_in(
    curator, story, page_server, fetch_local, settings, django_capture_on_commit_callbacks
):
    """Item 6 in one batch: 18 bad inputs of every kind the issue names, and 3 good ones (a link,
    a file and a paste). Each bad one fails on its own row with its own message, nothing is
    stored for it (no article, no source), and the good ones are stored."""
    settings.NEWSROOM_MAX_BYTES = 1024 * 1024
    existing = make_article(story=story, title="Đã có", body="Một bài đã có trong câu chuyện.\nDòng hai.")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    bad_links = {
        f"http://127.0.0.1:{closed}/": "could not be reached",  # unreachable host
        "http://no-such-host.invalid/": "could not be found",  # unknown name
        f"{page_server}/slow": "took too long",  # timeout
        f"{page_server}/loop": "redirects in a loop",
        f"{page_server}/binary": "not a web page",  # non-HTML response
        f"{page_server}/png": "binary file",  # binary labelled text/html
        f"{page_server}/empty": "No article text",
        "http://10.0.0.1/": "Refused",  # private
        "http://127.0.0.2/": "Refused",  # loopback
        f"{page_server}/redirect?to=http://169.254.169.254/": "Refused",  # a redirect inward
    }
    good_link = f"{page_server}/pages/theguardian.com.academics.html"
    bad_files = {
        "big.txt": (("chữ " * 300_000).encode(), "larger than"),
        "not-really.docx": ((SAMPLES / "not-really.docx").read_bytes(), "not a .docx"),
        "protected.pdf": ((SAMPLES / "protected.pdf").read_bytes(), "password-protected"),
        "protected.docx": ((SAMPLES / "protected.docx").read_bytes(), "password-protected"),
        "latin.txt": ((SAMPLES / "latin.txt").read_bytes(), "not UTF-8"),
    }
    batch = intake.intake_start(user=curator, story=story)
    with django_capture_on_commit_callbacks(execute=True):
        items = intake.items_add(
            user=curator, intake=batch,
            additions=Additions(
                links=[good_link, *bad_links],
                files=[("article.docx", (SAMPLES / "article.docx").read_bytes())]
                + [(name, data) for name, (data, _message) in bad_files.items()],
                pastes=[("Bài dán", PASTE), ("", "  \n "), ("Bản sao", PASTE), ("Lại", existing.body)],
            ),
        )  # fmt: skip
    assert len(items) == 21
    rows = {i.pk: i for i in IntakeItem.objects.filter(intake=batch)}
    by_url = {i.url: i for i in rows.values() if i.kind == "link"}
    by_file = {i.file_name: i for i in rows.values() if i.kind == "file"}
    pastes = [i for i in sorted(rows.values(), key=lambda i: i.position) if i.kind == "paste"]
    for url, message in bad_links.items():
        assert by_url[url].status == "failed" and message in by_url[url].error, url
    for name, (_data, message) in bad_files.items():
        assert by_file[name].status == "failed" and message in by_file[name].error, name
    assert pastes[1].status == "failed" and "empty" in pastes[1].error
    ready = [i for i in rows.values() if i.status == "ready"]
    assert len(ready) == 5  # the three good ones, the duplicate paste and the story's text again
    sources_before = set(Source.objects.values_list("name", flat=True))

    stored = intake.intake_store(user=curator, intake=batch, choices={i.pk: choice_for(i) for i in ready})

    assert {i.pk for i in stored} == {by_url[good_link].pk, by_file["article.docx"].pk, pastes[0].pk}
    assert "already in the story" in IntakeItem.objects.get(pk=pastes[2].pk).error  # two alike
    assert "already in the story (“Đã có”)" in IntakeItem.objects.get(pk=pastes[3].pk).error
    assert Article.objects.filter(story=story).count() == 1 + 3
    assert IntakeItem.objects.filter(intake=batch, article__isnull=False).count() == 3
    new_sources = set(Source.objects.values_list("name", flat=True)) - sources_before
    assert new_sources <= {"The Guardian", "Financial Times", ""}  # only the good ones' outlets


def test_a_pdf_link_is_read_with_the_upload_parser(
    curator, story, page_server, fetch_local, django_capture_on_commit_callbacks
):
    batch = intake.intake_start(user=curator, story=story)
    with django_capture_on_commit_callbacks(execute=True):
        intake.items_add(user=curator, intake=batch, additions=Additions(links=[f"{page_server}/pdf"]))
    item = IntakeItem.objects.get(intake=batch)
    assert item.status == "ready", item.error
    assert item.title == "Council approves the new river bridge"
    assert "1.2 billion dollars" in item.text and item.language == "en"


def test_storing_queues_the_suggestions_refresh_once(
    curator, story, settings, django_capture_on_commit_callbacks
):
    from suggestions.models import SuggestionRun

    settings.SUGGESTIONS_AUTO_REFRESH = True
    batch = intake.intake_start(user=curator, story=story)
    first, second = intake.items_add(
        user=curator, intake=batch,
        additions=Additions(pastes=[("A", PASTE), ("B", "Một bài khác hẳn, với nội dung riêng của nó về cây cầu.")]),
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        intake.intake_store(
            user=curator, intake=batch,
            choices={first.pk: choice_for(first), second.pk: choice_for(second)},
        )  # fmt: skip
    run = SuggestionRun.objects.get(story=story)  # one run for the whole batch, with progress
    assert run.status == "queued" and run.progress == 0.0
    stored = Article.objects.filter(story=story).values_list("pk", flat=True)
    assert set(run.body_hashes) == {str(pk) for pk in stored}
    assert len(callbacks) == 1  # started once the store commits
    with django_capture_on_commit_callbacks(execute=False):
        intake.intake_store(user=curator, intake=batch, choices={})  # nothing stored: no run
    assert SuggestionRun.objects.filter(story=story).count() == 1


def test_a_link_fetched_in_the_background_speaks_the_curators_language(
    monkeypatch, settings, django_capture_on_commit_callbacks
):
    # Failed links get their message in the background thread; files and pastes get theirs in
    # the request. Both must be in the curator's language (the request's), not the server's.
    import threading

    from django.utils import translation

    settings.NEWSROOM_FETCH_BACKGROUND = True
    seen, done = [], threading.Event()

    def fetch_item(*, item_id):
        seen.append((item_id, translation.get_language()))
        done.set()

    monkeypatch.setattr(intake, "item_fetch", fetch_item)
    with translation.override("vi"), django_capture_on_commit_callbacks(execute=True):
        intake.fetch_schedule(item_ids=[7])
    assert done.wait(30)
    assert seen == [(7, "vi")]
