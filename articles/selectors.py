"""Reads for stories, articles and search. Selectors own the query shape."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection
from django.db.models import Count, F, Func, QuerySet, TextField
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from textkernel.snippet import snippet

from .models import SEARCH_CONFIG, Article, Story
from textkernel.params import parse_id

#: Sentinels around matches in ts_headline output; escaped and turned into <mark> in the view.
MARK_START = "\u0002"
MARK_STOP = "\u0003"


def story_list() -> QuerySet[Story]:
    """Stories with their article counts, newest first."""
    return Story.objects.annotate(article_count=Count("articles")).order_by("-created_at", "pk")


def story_get(*, slug: str) -> Story:
    """The story with ``slug``, or 404."""
    return get_object_or_404(Story, slug=slug)


def story_articles(*, story: Story) -> list[Article]:
    """The story's articles in default column order, with their sources, in one query."""
    return list(
        Article.objects.filter(story=story)
        .select_related("source")
        .defer("search_vector")
        .order_by("position", "pk")
    )


@dataclass(frozen=True)
class ColumnLayout:
    """Which columns the reader shows, in which order, and which are hidden."""

    visible: list[Article]
    hidden: list[Article]
    #: Every column in its place, hidden ones included, so a column shown again returns there.
    ordered: list[Article]

    @property
    def order(self) -> list[int]:
        return [a.pk for a in self.ordered]


def _parse_ids(value: str) -> list[int]:
    return [pk for part in re.findall(r"\d+", value or "")[:200] if (pk := parse_id(part))]


def column_layout(*, articles: list[Article], order: str = "", hidden: str = "") -> ColumnLayout:
    """Apply the URL's ``order`` and ``hide`` lists (comma-separated article ids) to ``articles``.

    Unknown ids are ignored, and articles missing from ``order`` keep their default place after
    the ordered ones, so a shared link keeps working when a story gains an article.
    """
    by_pk = {a.pk: a for a in articles}
    ordered_ids = list(dict.fromkeys(pk for pk in _parse_ids(order) if pk in by_pk))
    ordered = [by_pk[pk] for pk in ordered_ids] + [a for a in articles if a.pk not in ordered_ids]
    hidden_ids = {pk for pk in _parse_ids(hidden) if pk in by_pk}
    visible = [a for a in ordered if a.pk not in hidden_ids]
    return ColumnLayout(
        visible=visible, hidden=[a for a in ordered if a.pk in hidden_ids], ordered=ordered
    )


class SearchQueryError(ValueError):
    """The query cannot be searched; the message is shown to the user."""


@dataclass(frozen=True)
class SearchHit:
    article: Article
    story_slug: str
    story_title: str
    rank: float
    title_headline: str
    body_headline: str


_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean_query(query: str) -> str:
    """Normalise a user query, or raise SearchQueryError with a friendly message."""
    # Control characters (NUL above all, which Postgres refuses in text) become spaces.
    query = " ".join(_CONTROL_CHARS.sub(" ", query or "").split())
    if not query:
        raise SearchQueryError(_("Type a few words to search for."))
    if len(query) > settings.SEARCH_MAX_QUERY_LENGTH:
        raise SearchQueryError(
            _("That query is %(length)d characters long; please keep it under %(limit)d.")
            % {"length": len(query), "limit": settings.SEARCH_MAX_QUERY_LENGTH}
        )
    if not re.search(r"\w", query):
        raise SearchQueryError(_("Search for words or numbers, not only punctuation."))
    return query


_generation: tuple[int, float] | None = None  # (number, time.monotonic() when read)


def search_generation() -> int:
    """A number that changes whenever an article, story or source row does (a sequence moved by
    triggers, articles migration 0006), so whatever is drawn from search results can be cached
    under it. Read from the database (one query; a sequence read takes no lock) at most every
    ``settings.SEARCH_FRESHNESS_SECONDS`` per process; 0 reads it every time."""
    global _generation
    now = time.monotonic()
    if _generation is not None and now - _generation[1] < settings.SEARCH_FRESHNESS_SECONDS:
        return _generation[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM articles_search_generation")
        number = cursor.fetchone()[0]
    _generation = (number, now)
    return number


#: How many matches, picked by the cheap ``ts_rank``, are ordered by cover density.
RANK_CANDIDATES = 500


def article_search(*, query: str, limit: int = 20) -> list[SearchHit]:
    """Articles matching ``query``, diacritics ignored, best first, with highlighted snippets.

    Matching and ranking use the GIN index on ``search_vector`` (``parallax_unaccent``). The
    title is marked by ``ts_headline`` (titles are short); the body's snippet is the paragraph
    that holds the most of the query's words, cut around them (textkernel.snippet), found in
    Python from the lexemes PostgreSQL parsed the query into (``querytree``: negated words left
    out). Both keep the original accents while matching without them. One query.
    """
    query = clean_query(query)
    ts_query = SearchQuery(query, config=SEARCH_CONFIG, search_type="websearch")
    # The words next to each other, in order, rank above the same words scattered.
    phrase = SearchQuery(query, config=SEARCH_CONFIG, search_type="phrase")
    # Two steps: the cheap ts_rank over every match keeps the best RANK_CANDIDATES, then cover
    # density (twice: the words, and the words as a phrase) orders only those. Cover density over
    # every match was most of a broad query's time (9,000 of 10,000 articles matching "trung
    # quoc": ~360 of ~450 ms).
    candidates = (
        Article.objects.filter(search_vector=ts_query)
        .annotate(quick=SearchRank(F("search_vector"), ts_query))
        .order_by("-quick", "pk")
        .values("pk")[:RANK_CANDIDATES]
    )
    # ts_headline is costly; Postgres evaluates it after ORDER BY/LIMIT, so only for this page.
    rows = (
        Article.objects.filter(pk__in=candidates)
        .select_related("source")
        .defer("search_vector")
        .annotate(
            rank=SearchRank(F("search_vector"), ts_query, cover_density=True)
            + SearchRank(F("search_vector"), phrase, cover_density=True),
            story_slug=F("story__slug"),
            story_title=F("story__title"),
            title_hl=SearchHeadline(
                "title",
                ts_query,
                config=SEARCH_CONFIG,
                start_sel=MARK_START,
                stop_sel=MARK_STOP,
                highlight_all=True,
            ),
            lexemes=Func(ts_query, function="querytree", output_field=TextField()),
        )
        .order_by("-rank", "pk")[:limit]
    )
    return [
        SearchHit(
            article=a,
            story_slug=a.story_slug,
            story_title=a.story_title,
            rank=a.rank,
            title_headline=a.title_hl,
            body_headline=_body_headline(a.body, _lexemes(a.lexemes)),
        )
        for a in rows
    ]


_LEXEME = re.compile(r"'((?:[^']|'')*)'")


def _lexemes(tree: str) -> list[str]:
    """The lexemes of a ``querytree`` text (``'chi' <-> 'phi' & 'nvidia'``)."""
    return [match.replace("''", "'") for match in _LEXEME.findall(tree or "")]


def _body_headline(body: str, lexemes: list[str]) -> str:
    """The snippet of ``body`` with each match between MARK_START and MARK_STOP (which cannot
    appear in the text itself)."""
    found = snippet(body, lexemes)
    pieces, at = [], 0
    for start, end in found.matches:
        pieces += [found.text[at:start], MARK_START, found.text[start:end], MARK_STOP]
        at = end
    pieces.append(found.text[at:])
    return "".join(
        piece if piece in (MARK_START, MARK_STOP) else piece.replace(MARK_START, "").replace(MARK_STOP, "")
        for piece in pieces
    )

