"""Plain factory functions for article tests: real rows in Postgres, valid by construction.

factory_boy is not a dependency; these functions are all the tests need. Every field can be
overridden by keyword; bodies go through the same normalisation and hashing as the importer.
"""

from __future__ import annotations

import itertools

from articles.models import Article, Source, Story
from textkernel.text import body_hash, normalize_body

_seq = itertools.count(1)

DEFAULT_BODY = (
    "Công ty cho biết chi phí đào tạo mô hình chỉ là 6 triệu USD.\n"
    "\n"
    "Các nhà phân tích nghi ngờ con số này.\n"
)


def source_factory(*, name: str | None = None, **fields) -> Source:
    return Source.objects.create(name=name or f"Outlet {next(_seq)}", **fields)


def story_factory(*, slug: str | None = None, title: str | None = None, **fields) -> Story:
    n = next(_seq)
    return Story.objects.create(slug=slug or f"story-{n}", title=title or f"Story {n}", **fields)


def article_build(
    *,
    story: Story,
    body: str = DEFAULT_BODY,
    title: str | None = None,
    source: Source | None = None,
    **fields,
) -> Article:
    """An unsaved article (for ``bulk_create``) with a normalised body and its hash."""
    body = normalize_body(body)
    return Article(
        story=story,
        source=source,
        title=title or f"Article {next(_seq)}",
        body=body,
        body_hash=body_hash(body),
        **fields,
    )


def article_factory(
    *,
    story: Story | None = None,
    body: str = DEFAULT_BODY,
    title: str | None = None,
    source: Source | None | bool = True,
    **fields,
) -> Article:
    """A saved article. ``source=True`` (the default) makes a new outlet; ``None`` leaves the
    article without a named source."""
    if source is True:
        source = source_factory()
    article = article_build(
        story=story or story_factory(), body=body, title=title, source=source or None, **fields
    )
    article.save()
    return article


def story_with_articles(count: int, **story_fields) -> tuple[Story, list[Article]]:
    """A story with ``count`` articles in positions 0..count-1, each from its own outlet."""
    story = story_factory(**story_fields)
    articles = [
        article_factory(
            story=story,
            position=i,
            title=f"Bài {i + 1}: chi phí của DeepSeek",
            author=f"Tác giả {i + 1}",
            body=(
                f"Đoạn mở đầu của bài {i + 1}.\n\nĐoạn thứ hai, với  hai khoảng trắng.\nDòng cuối."
            ),
        )
        for i in range(count)
    ]
    return story, articles
