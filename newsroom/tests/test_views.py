"""The newsroom pages: new story, the batch page (add, poll, store), managing articles."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotations.models import Claim
from articles.models import Article, Story
from newsroom.models import IntakeItem
from teams.models import Membership
from tests.factories import make_article, make_claim, make_story, make_team, make_user

SAMPLES = Path(__file__).parent / "samples"
pytestmark = pytest.mark.django_db

AD_BODY = (
    "Vui lòng tắt trình chặn quảng cáo để tiếp tục đọc.\n\n"
    "Giá cổ phiếu Nvidia giảm 17% trong một phiên, mất gần 600 tỷ USD vốn hóa.\n\n"
    "Xem thêm:\n- Bài khác một\n- Bài khác hai\n"
)


@pytest.fixture
def curator():
    return make_user()


@pytest.fixture
def story(curator):
    return make_story(desk=make_team(members={curator: Membership.Role.CURATOR}))


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


def upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (SAMPLES / name).read_bytes())


def test_home_page_offers_new_story_not_a_command(client, curator_client, story):
    page = curator_client.get("/").content.decode()
    assert reverse("newsroom:story_new") in page
    assert "manage.py" not in page
    client.logout()
    assert "manage.py" not in client.get("/").content.decode()


def test_new_story_creates_it_in_the_chosen_desk(curator_client, curator):
    desk = make_team(members={curator: Membership.Role.ADMIN})
    response = curator_client.post(
        reverse("newsroom:story_new"), {"title": "Cầu mới", "note": "Ghi chú", "desk": desk.pk, "language": "vi"}
    )
    story = Story.objects.get(title="Cầu mới")
    assert story.desk == desk
    assert response.status_code == 302 and response.url == reverse("newsroom:intake", args=[story.slug])


def test_new_story_refused_for_annotators_and_bad_desks(client, curator):
    annotator = make_user()
    team = make_team(members={annotator: Membership.Role.ANNOTATOR})
    client.force_login(annotator)
    assert client.get(reverse("newsroom:story_new")).status_code == 403
    client.force_login(curator)
    make_team(members={curator: Membership.Role.CURATOR})
    response = client.post(reverse("newsroom:story_new"), {"title": "x", "desk": team.pk, "language": "vi"})
    assert response.status_code == 400
    assert not Story.objects.filter(title="x").exists()


def test_add_then_preview_then_store(curator_client, story):
    url = reverse("newsroom:intake_add", args=[story.slug])
    response = curator_client.post(url, {
        "paste": AD_BODY, "paste_title": "Nvidia", "files": [upload("article.docx"), upload("protected.docx")],
    })  # fmt: skip
    assert response.status_code == 302
    page = curator_client.get(response.url).content.decode()
    assert "password-protected" in page
    assert "line-through" not in page  # (styling is in the stylesheet)
    paste = IntakeItem.objects.get(kind="paste")
    docx = IntakeItem.objects.get(file_name="article.docx")
    assert f'name="i{paste.pk}-drop" value="0" checked' in page  # the ad notice, struck through
    data = {"intake": paste.intake_id}
    for item in (paste, docx):
        data.update({f"i{item.pk}-title": item.title, f"i{item.pk}-language": item.language,
                     f"i{item.pk}-source": "Báo Mới"})  # fmt: skip
    data[f"i{paste.pk}-drop"] = ["0", "4", "5", "6"]  # keep the notice? no: drop it and the list
    response = curator_client.post(reverse("newsroom:intake_store", args=[story.slug]), data)
    assert response.status_code == 302
    # The protected file is still in the batch with its message, so the batch page comes back.
    assert response.url.startswith(reverse("newsroom:intake", args=[story.slug]))
    stored = Article.objects.get(story=story, title="Nvidia")
    assert stored.body == "Giá cổ phiếu Nvidia giảm 17% trong một phiên, mất gần 600 tỷ USD vốn hóa.\n" or stored.body.startswith("Giá cổ phiếu")
    assert "Xem thêm" not in stored.body and "quảng cáo" not in stored.body
    assert stored.source.name == "Báo Mới"
    assert Article.objects.filter(story=story, file_name="article.docx").exists()


def test_store_with_an_invalid_field_leaves_that_item_only(curator_client, story):
    curator_client.post(reverse("newsroom:intake_add", args=[story.slug]), {"paste": AD_BODY})
    curator_client.post(reverse("newsroom:intake_add", args=[story.slug]), {"paste": "Một bài khác hẳn, với nội dung riêng của nó."})
    first, second = IntakeItem.objects.order_by("pk")
    data = {"intake": first.intake_id,
            f"i{first.pk}-title": "", f"i{second.pk}-title": "Bài hai",
            f"i{second.pk}-published_on": "2025-01-28"}  # fmt: skip
    curator_client.post(reverse("newsroom:intake_store", args=[story.slug]), data)
    first.refresh_from_db()
    assert first.status == "ready" and "Title" in first.error
    assert Article.objects.get(story=story).title == "Bài hai"


def test_only_the_batch_owner_sees_its_items(client, curator_client, story):
    curator_client.post(reverse("newsroom:intake_add", args=[story.slug]), {"paste": AD_BODY})
    item = IntakeItem.objects.get()
    other = make_user()
    Membership.objects.create(team=story.desk, user=other, role=Membership.Role.CURATOR)
    client.force_login(other)
    assert client.get(reverse("newsroom:item", args=[story.slug, item.pk])).status_code == 404
    stranger = make_user()
    client.force_login(stranger)
    assert client.get(reverse("newsroom:intake", args=[story.slug])).status_code == 403


def test_item_fragment_for_polling(curator_client, story, django_assert_num_queries):
    curator_client.post(reverse("newsroom:intake_add", args=[story.slug]), {"paste": AD_BODY})
    for n in range(3):
        curator_client.post(reverse("newsroom:intake_add", args=[story.slug]), {"paste": f"Bài số {n}: nội dung khác nhau {n * 7}."})
    item = IntakeItem.objects.first()
    with django_assert_num_queries(8):
        response = curator_client.get(reverse("newsroom:item", args=[story.slug, item.pk]), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith(f'<li id="item-{item.pk}"')
    assert "<html" not in body


@pytest.mark.parametrize("items", [3, 6])
def test_batch_page_query_count_does_not_grow_with_items(curator_client, story, django_assert_num_queries, items):
    for n in range(items):
        curator_client.post(reverse("newsroom:intake_add", args=[story.slug]), {"paste": f"Bài số {n}: nội dung khác nhau {n * 7}."})
    with django_assert_num_queries(9):
        curator_client.get(reverse("newsroom:intake", args=[story.slug]))


# --- managing articles later ---------------------------------------------------------------------


@pytest.mark.parametrize("articles", [4, 8])
def test_manage_page_query_count(curator_client, story, django_assert_num_queries, articles):
    for n in range(articles):
        make_article(story=story, body=AD_BODY + f"\nĐoạn {n}.")
    with django_assert_num_queries(5):
        response = curator_client.get(reverse("newsroom:manage", args=[story.slug]))
    assert response.content.decode().count("Trim boilerplate") == articles


def test_reorder(curator_client, story):
    a, b, c = (make_article(story=story, position=n) for n in range(3))
    curator_client.post(reverse("newsroom:article_move", args=[story.slug, c.pk]), {"step": "-1"})
    assert list(Article.objects.filter(story=story).order_by("position").values_list("pk", flat=True)) == [a.pk, c.pk, b.pk]


def test_trim_goes_through_article_edit_and_claims_follow(curator_client, curator, story):
    article = make_article(story=story, body=AD_BODY)
    claim = make_claim(article=article, text="Nvidia giảm 17%", author=curator)
    page = curator_client.get(reverse("newsroom:article_trim", args=[story.slug, article.pk])).content.decode()
    assert 'name="drop" value="0" checked' in page
    curator_client.post(reverse("newsroom:article_trim", args=[story.slug, article.pk]), {"drop": ["0", "4", "5", "6"]})
    article.refresh_from_db()
    claim.refresh_from_db()
    assert article.body.startswith("Giá cổ phiếu")
    assert article.body[claim.start:claim.end] == "Nvidia giảm 17%"
    assert claim.status == Claim.Status.ACTIVE


def test_remove_asks_first_when_it_has_claims(curator_client, curator, story):
    article = make_article(story=story, body=AD_BODY)
    make_claim(article=article, text="Nvidia giảm 17%", author=curator)
    url = reverse("newsroom:article_remove", args=[story.slug, article.pk])
    response = curator_client.post(url)
    assert response.status_code == 200 and "1 claim" in response.content.decode()
    assert Article.objects.filter(pk=article.pk).exists()
    curator_client.post(url, {"confirm": "yes"})
    assert not Article.objects.filter(pk=article.pk).exists()


def test_edit_metadata_and_translation_pair(curator_client, story):
    original = make_article(story=story, title="FT")
    translation = make_article(story=story, title="Bản dịch")
    other = make_article(story=story, title="Khác")
    prefix = f"a{translation.pk}"
    response = curator_client.post(
        reverse("newsroom:article_update", args=[story.slug, translation.pk]),
        {f"{prefix}-title": "Bản dịch FT", f"{prefix}-language": "vi", f"{prefix}-translation_of": original.pk,
         f"{prefix}-source_name": "VnExpress", f"{prefix}-translated_from": "Financial Times"},
    )  # fmt: skip
    assert response.status_code == 302
    translation.refresh_from_db()
    assert translation.translation_of == original and translation.source.name == "VnExpress"
    response = curator_client.get(reverse("newsroom:pair", args=[story.slug, translation.pk]))
    assert f"order={original.pk}%2C{translation.pk}%2C{other.pk}" in response.url
    assert f"hide={other.pk}" in response.url


def test_translation_of_another_story_is_refused(curator_client, story):
    article = make_article(story=story)
    elsewhere = make_article(story=make_story())
    prefix = f"a{article.pk}"
    response = curator_client.post(
        reverse("newsroom:article_update", args=[story.slug, article.pk]),
        {f"{prefix}-title": "t", f"{prefix}-language": "vi", f"{prefix}-translation_of": elsewhere.pk},
    )
    assert response.status_code == 400
    article.refresh_from_db()
    assert article.translation_of is None


def test_progress_per_link_while_fetching(
    curator_client, story, page_server, fetch_local, django_capture_on_commit_callbacks, django_assert_num_queries
):
    from newsroom.intake import item_fetch

    links = "\n".join(f"{page_server}/pages/{name}" for name in ("dw.com.uncork.html", "vice.com.amazon.html", "phys.org.tool.html"))
    with django_capture_on_commit_callbacks(execute=False):  # the fetch has not started yet
        curator_client.post(reverse("newsroom:intake_add", args=[story.slug]), {"links": links})
    page = curator_client.get(reverse("newsroom:intake", args=[story.slug])).content.decode()
    assert page.count('hx-trigger="every 1s"') == 4  # three rows and the progress bar poll
    assert "Links fetched: 0 of 3" in page
    first = IntakeItem.objects.order_by("pk").first()
    with django_assert_num_queries(5):
        polled = curator_client.get(reverse("newsroom:item", args=[story.slug, first.pk]), HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in polled.content.decode()
    item_fetch(item_id=first.pk)
    fragment = curator_client.get(
        reverse("newsroom:item", args=[story.slug, first.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "hx-trigger" not in fragment and "Uncork" in fragment
    with django_assert_num_queries(6):
        progress = curator_client.get(
            reverse("newsroom:intake", args=[story.slug]) + f"?batch={first.intake_id}&fragment=progress",
            HTTP_HX_REQUEST="true",
        ).content.decode()
    assert "Links fetched: 1 of 3" in progress and "<html" not in progress


def test_near_duplicate_warning_in_the_preview(curator_client, story):
    body = (Path(__file__).parent / "samples" / "article.txt").read_text()
    make_article(story=story, title="Đã có", body=body.replace("Bình luận (0)", ""))
    curator_client.post(reverse("newsroom:intake_add", args=[story.slug]), {"paste": body})
    page = curator_client.get(reverse("newsroom:intake", args=[story.slug])).content.decode()
    assert "Nearly the same text as “Đã có”" in page


def test_the_same_syndicated_text_twice_in_one_batch_is_warned_on_both(curator_client, story):
    body = (Path(__file__).parent / "samples" / "article.txt").read_text()
    url = reverse("newsroom:intake_add", args=[story.slug])
    curator_client.post(url, {"paste": body, "paste_title": "Báo A"})
    curator_client.post(url, {"paste": "Đăng lại từ Báo A.\n\n" + body, "paste_title": "Báo B"})
    other = "Một bài khác hẳn về giá lúa gạo ở đồng bằng sông Cửu Long năm nay."
    curator_client.post(url, {"paste": other, "paste_title": "Báo C"})
    page = curator_client.get(reverse("newsroom:intake", args=[story.slug])).content.decode()
    assert "Nearly the same text as “Báo B”" in page and "Nearly the same text as “Báo A”" in page
    assert "Nearly the same text as “Báo C”" not in page


def test_failed_link_can_be_fetched_again(curator_client, story, page_server, fetch_local, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        curator_client.post(reverse("newsroom:intake_add", args=[story.slug]), {"links": f"{page_server}/empty"})
    item = IntakeItem.objects.get()
    assert item.status == "failed"
    with django_capture_on_commit_callbacks(execute=True):
        curator_client.post(reverse("newsroom:item_action", args=[story.slug, item.pk]), {"action": "retry"})
    item.refresh_from_db()
    assert item.status == "failed" and item.error == "No article text was found in it."
    curator_client.post(reverse("newsroom:item_action", args=[story.slug, item.pk]), {"action": "discard"})
    assert not IntakeItem.objects.exists()


def test_a_story_titled_new_does_not_hide_the_new_story_page(curator_client, curator):
    desk = make_team(members={curator: Membership.Role.CURATOR})
    curator_client.post(reverse("newsroom:story_new"), {"title": "New", "desk": desk.pk, "language": "en"})
    assert Story.objects.get(title="New").slug == "new-story"
    assert curator_client.get(reverse("newsroom:story_new")).status_code == 200


def test_a_fetch_that_stopped_is_offered_again_not_polled_for_ever(curator_client, story, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    with django_capture_on_commit_callbacks(execute=False):
        curator_client.post(reverse("newsroom:intake_add", args=[story.slug]), {"links": "https://example.com/a"})
    item = IntakeItem.objects.get()
    IntakeItem.objects.filter(pk=item.pk).update(status="fetching", updated_at=timezone.now() - timedelta(hours=1))
    page = curator_client.get(reverse("newsroom:intake", args=[story.slug])).content.decode()
    assert f'id="item-{item.pk}"' in page and "Fetch again" in page
    assert f'hx-get="{reverse("newsroom:item", args=[story.slug, item.pk])}"' not in page


def test_a_file_over_the_limit_is_refused_without_reading_it_all(curator_client, story, settings):
    settings.NEWSROOM_MAX_BYTES = 2048
    big = SimpleUploadedFile("big.txt", ("chữ " * 5000).encode())
    curator_client.post(reverse("newsroom:intake_add", args=[story.slug]), {"files": [big]})
    item = IntakeItem.objects.get()
    assert item.status == "failed" and "larger than" in item.error


def test_preview_in_vietnamese_keeps_iso_dates_for_the_date_input(curator_client, story):
    from datetime import date

    curator_client.post(reverse("newsroom:intake_add", args=[story.slug]), {"paste": AD_BODY})
    item = IntakeItem.objects.get()
    IntakeItem.objects.filter(pk=item.pk).update(published_on=date(2025, 1, 28))
    page = curator_client.get(reverse("newsroom:intake", args=[story.slug]), HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert 'value="2025-01-28"' in page
    assert "Thêm bài" in page and "thông báo quảng cáo" in page


def test_reader_offers_the_translation_pair_and_curators_the_articles_page(curator_client, story):
    from django.test import Client

    original = make_article(story=story, title="FT")
    make_article(story=story, title="Khác")
    translation = make_article(story=story, title="Bản dịch", translation_of=original)
    page = curator_client.get(story.get_absolute_url()).content.decode()
    assert reverse("newsroom:pair", args=[story.slug, translation.pk]) in page
    assert reverse("newsroom:manage", args=[story.slug]) in page
    assert reverse("newsroom:manage", args=[story.slug]) not in Client().get(story.get_absolute_url()).content.decode()


def test_the_pair_opens_the_reader_with_the_original_and_its_translation_side_by_side(curator_client, story):
    import re

    original = make_article(
        story=story, title="Nvidia loses $600bn", body="Nvidia lost nearly $600bn in one day.\n",
        language="en",
    )  # fmt: skip
    make_article(story=story, title="Bài khác", body="Một bài khác về chuyện khác.\n")
    translation = make_article(
        story=story, title="Nvidia mất 600 tỷ USD", body="Nvidia mất gần 600 tỷ USD trong một ngày.\n",
        translation_of=original, translated_from="Financial Times",
    )  # fmt: skip
    response = curator_client.get(reverse("newsroom:pair", args=[story.slug, translation.pk]), follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    columns = [int(pk) for pk in re.findall(r'<section class="column[^"]*" id="col-(\d+)"', page)]
    assert columns == [original.pk, translation.pk]  # the original first, only the pair
    assert "Nvidia lost nearly $600bn in one day." in page and "Nvidia mất gần 600 tỷ USD trong một ngày." in page
    assert "Một bài khác về chuyện khác." not in page  # hidden, one click away
    assert "Show " in page  # its chip
    assert reverse("newsroom:pair", args=[story.slug, translation.pk]) in page  # and back again


def test_trimming_is_offered_for_the_demo_articles_that_carry_boilerplate(client, monkeypatch):
    import io
    import re

    from django.core.management import call_command

    monkeypatch.setenv("DEMO_PASSWORD", "test-demo-password")
    call_command("load_demo", "--no-progress", "--empty", stdout=io.StringIO(), stderr=io.StringIO())
    story = Story.objects.get(slug="deepseek-r1")
    client.force_login(make_user(is_staff=True))
    page = client.get(reverse("newsroom:manage", args=[story.slug])).content.decode()
    offered = {
        article.source.name
        for article in story.articles.select_related("source")
        if f'href="{reverse("newsroom:article_trim", args=[story.slug, article.pk])}">Trim boilerplate' in page
    }
    assert len(offered) == 3, offered
    markettimes = story.articles.get(source__name="Markettimes")
    trim = client.get(reverse("newsroom:article_trim", args=[story.slug, markettimes.pk])).content.decode()
    # The ad notice is struck through (checked to drop) on the trim page.
    assert re.search(
        r' checked aria-label="Drop this line">\s*<span class="nr-line-text">[^<]*Vui lòng cho phép quảng cáo',
        trim,
    )
