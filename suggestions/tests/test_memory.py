"""The claim memory (issue 15): similar claims from other stories, visibility-filtered, through
an ANN index kept up to date from PostgreSQL; the reader's fragment and its query count."""

from __future__ import annotations

import numpy as np
import pytest

from suggestions import embeddings, memory
from suggestions.models import ClaimVector, SentenceVector
from tests.factories import make_article, make_claim, make_link, make_story, make_user

pytestmark = [pytest.mark.usefixtures("fast_password_hasher")]

SAID = "DeepSeek không kêu gọi vốn từ các quỹ bên ngoài cho dự án của mình."
ELSEWHERE = "Công ty DeepSeek không huy động bất kỳ nguồn vốn bên ngoài nào."
UNRELATED = "Tại Australia, chính phủ cấm sử dụng ứng dụng này trên thiết bị công vụ."


@pytest.fixture
def fresh_index(monkeypatch):
    index = memory.ClaimIndex()
    monkeypatch.setattr(memory, "_index", index)
    return index


def _claim(text: str, story=None, **fields):
    article = make_article(story=story or make_story(), body=f"Mở đầu. {text} Kết thúc.\n")
    return make_claim(article=article, text=text, **fields)


def test_vectors_are_stored_once_per_text(db):
    texts = [SAID, SAID, ELSEWHERE]
    first = embeddings.vectors_for(texts)
    assert SentenceVector.objects.count() == 2
    assert np.allclose(first[0], first[1])
    embeddings._memo.clear()  # the table answers: no model call for stored texts
    calls = []
    real = embeddings.model

    class Spy:
        def query(self, batch):
            calls.append(batch)
            return real().query(batch)

    embeddings.model = lambda: Spy()
    try:
        again = embeddings.vectors_for(texts)
    finally:
        embeddings.model = real
    assert calls == [] and np.allclose(first, again)


def test_similar_claims_come_from_other_stories_with_links_and_respect_visibility(db, fresh_index):
    here = _claim(SAID)
    reader = make_user()
    owner = make_user()
    public = _claim(ELSEWHERE)
    partner = make_claim(article=make_article(story=public.article.story, body="Bài khác: vốn tự có.\n"), text="vốn tự có")
    link = make_link(claim_a=public, claim_b=partner, relation="agrees")
    private = _claim(ELSEWHERE + " (bản riêng)", author=owner, visibility="private")
    same_story = _claim(ELSEWHERE + " Cùng bài.", story=here.article.story)
    _claim(UNRELATED)
    memory.remember([public, private, same_story, partner])

    found = memory.similar_claims(user=reader, claim=here)
    shown = [h.claim.pk for h in found.hits]
    assert shown and shown[0] == public.pk
    assert private.pk not in shown  # not the reader's to see
    assert same_story.pk not in shown  # other stories only
    assert found.hits[0].links and found.hits[0].links[0][0].pk == link.pk

    theirs = memory.similar_claims(user=owner, claim=here)
    assert private.pk in [h.claim.pk for h in theirs.hits]


def test_same_figure_is_found_even_when_the_wording_differs(db, fresh_index):
    here = _claim("Mô hình chỉ tốn 5,6 triệu USD để huấn luyện.")
    other = _claim("Ngân sách khiêm tốn: 5,6 triệu USD cho lần chạy cuối.")
    memory.remember([other])
    hits = memory.similar_claims(user=make_user(), claim=here).hits
    hit = next(h for h in hits if h.claim.pk == other.pk)
    assert hit.same_figure == "5,6 triệu USD"


def test_index_catches_up_with_changed_claims(db, fresh_index):
    a = _claim(SAID)
    memory.remember([a])
    assert fresh_index.sync() == 1 and len(fresh_index.index) == 1
    assert fresh_index.sync() <= 1  # only rows at or after the watermark
    b = _claim(ELSEWHERE)
    memory.remember([b])
    fresh_index.sync()
    assert len(fresh_index.index) == 2
    # A second app server starts empty and catches up from PostgreSQL alone.
    other_server = memory.ClaimIndex()
    other_server.sync()
    assert len(other_server.index) == 2
    vector = embeddings.vectors_for([ELSEWHERE])[0]
    assert other_server.search(vector, 1)[0][0] == b.pk
    assert ClaimVector.objects.get(claim=b).sentence_id == embeddings.text_hash(ELSEWHERE)


def test_fragment_query_count_does_not_grow_with_hits(db, fresh_index, client, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    here = _claim(SAID)
    others = [_claim(f"{ELSEWHERE} Lần {n}.") for n in range(8)]
    for other in others[:6]:
        make_link(claim_a=other, claim_b=make_claim(article=make_article(story=other.article.story, body="Đồng ý: vốn.\n"), text="vốn"))
    memory.remember([here] + others)
    url = f"/claims/{here.pk}/memory/"
    with CaptureQueriesContext(connection) as warm:
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("data-memory-claim=") == memory.SHOW
    assert "Checked before?" in html
    with django_assert_num_queries(len(warm.captured_queries)):
        client.get(url)
    assert len(warm.captured_queries) <= 8


def test_fragment_hides_claims_the_user_may_not_see(db, fresh_index, client):
    owner = make_user()
    hidden = _claim(SAID, author=owner, visibility="private")
    assert client.get(f"/claims/{hidden.pk}/memory/").status_code == 404
    assert client.get("/claims/not-a-number/memory/").status_code == 404
