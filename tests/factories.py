"""The test factories: plain ``make_*`` functions that write real rows in PostgreSQL, valid by
construction, every field overridable by keyword. Claims and links go through the services, so
a factory-made row is one the app could have made. (factory_boy is not a dependency; these are
all the tests need.)"""

from __future__ import annotations

import functools
import itertools

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from annotations import services
from annotations.models import Claim, ClaimLink
from articles.models import Article, Source, Story
from teams.models import Membership, Team
from textkernel.text import body_hash, normalize_body

_seq = itertools.count(1)

DEFAULT_BODY = (
    "Officials said 120 people attended the meeting on Monday.\n"
    "\n"
    "The mayor disputed the figure, saying fewer than 100 came.\n"
    "Organisers expect a second meeting next month.\n"
)

VI_BODY = (
    "Công ty cho biết chi phí đào tạo mô hình chỉ là 6 triệu USD.\n"
    "\n"
    "Các nhà phân tích nghi ngờ con số này.\n"
)


@functools.cache
def _password_hash(password: str) -> str:
    # Hashing with the production hasher takes ~0.5 s; hash each test password once per run.
    return make_password(password)


def make_user(*, username: str | None = None, password: str = "pw-for-tests-only", **fields):
    """A user who can log in with ``password``."""
    username = username or f"user{next(_seq)}"
    return get_user_model().objects.create(
        username=username, password=_password_hash(password), **fields
    )


def make_team(*, name: str | None = None, members: dict | None = None, **fields) -> Team:
    """A team; ``members`` maps users to roles."""
    n = next(_seq)
    team = Team.objects.create(
        name=name or f"Team {n}", slug=fields.pop("slug", None) or f"team-{n}", **fields
    )
    for user, role in (members or {}).items():
        Membership.objects.create(team=team, user=user, role=role)
    return team


def make_source(*, name: str | None = None, **fields) -> Source:
    return Source.objects.create(name=name or f"Outlet {next(_seq)}", **fields)


def make_story(*, slug: str | None = None, title: str | None = None, **fields) -> Story:
    n = next(_seq)
    return Story.objects.create(slug=slug or f"story-{n}", title=title or f"Story {n}", **fields)


def make_unsaved_article(
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


def make_article(
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
        source = make_source()
    article = make_unsaved_article(
        story=story or make_story(), body=body, title=title, source=source or None, **fields
    )
    article.save()
    return article


def make_claim(
    *,
    article: Article | None = None,
    author=None,
    text: str | None = None,
    start: int | None = None,
    end: int | None = None,
    occurrence: int = 0,
    **fields,
) -> Claim:
    """A claim through the service: on ``text`` (its ``occurrence``-th match) or on start/end."""
    article = article or make_article()
    author = author or make_user()
    if text is not None:
        start = -1
        for _ in range(occurrence + 1):
            start = article.body.index(text, start + 1)
        end = start + len(text)
    if start is None or end is None:
        start, end = 0, article.body.index(" ")
    return services.claim_create(
        author=author,
        article=article,
        start=start,
        end=end,
        exact=article.body[start:end],
        **fields,
    )


def make_link(
    *,
    claim_a: Claim | None = None,
    claim_b: Claim | None = None,
    relation: str = ClaimLink.Relation.CONTRADICTS,
    author=None,
    **fields,
) -> ClaimLink:
    """A link through the service, between two claims in two new articles of one story."""
    if claim_a is None or claim_b is None:
        story = (claim_a or claim_b).article.story if (claim_a or claim_b) else make_story()
        claim_a = claim_a or make_claim(article=make_article(story=story), text="120 people")
        claim_b = claim_b or make_claim(article=make_article(story=story), text="fewer than 100")
    link, _created = services.link_create(
        author=author or claim_a.author,
        claim_a=claim_a,
        claim_b=claim_b,
        relation=relation,
        **fields,
    )
    return link


def make_story_with_articles(count: int, **story_fields) -> tuple[Story, list[Article]]:
    """A story with ``count`` articles in positions 0..count-1, each from its own outlet."""
    story = make_story(**story_fields)
    articles = [
        make_article(
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


def make_story_with_annotations(*, articles: int = 3, claims_per_article: int = 1, links: int = 0):
    """A story with ``articles`` articles, ``claims_per_article`` claims on each (one per line),
    and ``links`` links between claims of neighbouring articles, relations in rotation.
    Returns ``(story, articles, claims, links)``."""
    story = make_story()
    author = make_user()
    lines = [f"Claim number {i} says something specific." for i in range(claims_per_article)]
    body = "\n".join(lines) or "An article with nothing highlighted."
    arts = [make_article(story=story, body=body, position=i) for i in range(articles)]
    claims: dict[int, list[Claim]] = {art.pk: [] for art in arts}
    for art in arts:
        offset = 0
        for line in lines:
            claims[art.pk].append(
                make_claim(
                    article=art, author=author, start=offset, end=offset + line.index(" says")
                )
            )
            offset += len(line) + 1
    relations = list(ClaimLink.Relation.values)
    candidates = (
        (claims[arts[k].pk][i], claims[arts[k + 1].pk][j], relations[(i + j + k + turn) % 3])
        for turn in range(len(relations))
        for i in range(claims_per_article)
        for j in range(claims_per_article)
        for k in range(articles - 1)
    )
    made = [
        services.link_create(author=author, claim_a=a, claim_b=b, relation=rel)[0]
        for a, b, rel in itertools.islice(candidates, links)
    ]
    if len(made) < links:
        raise ValueError("Not enough claim pairs for the links asked for.")
    return story, arts, [c for art in arts for c in claims[art.pk]], made
