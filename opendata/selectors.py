"""Reads for open data: a story's annotations as a W3C AnnotationCollection, the protocol
container's pages, one annotation, CSV rows.

Visibility always comes from ``annotations.selectors.claims_visible_to`` / ``links_visible_to``;
nothing here decides who may see what. Every function runs a fixed number of queries whatever
the number of rows.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from annotations.models import Claim, ClaimLink
from annotations.selectors import claims_visible_to, links_visible_to
from articles.models import Article, Story
from teams.models import Team
from textkernel.params import parse_id

from . import jsonld
from .jsonld import Site
from .models import Provenance

_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,120}")
_CLAIM_FIELDS = (
    "id",
    "article_id",
    "author_id",
    "start",
    "end",
    "exact",
    "prefix",
    "suffix",
    "note",
    "tags",
    "visibility",
    "team_id",
    "created_at",
    "updated_at",
)
_LINK_FIELDS = (
    "id",
    "claim_a_id",
    "claim_b_id",
    "relation",
    "rationale",
    "author_id",
    "status",
    "visibility",
    "team_id",
    "created_at",
    "updated_at",
)


def etag_of(body: bytes) -> str:
    """A strong ETag for response bytes."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_for(payload: Any) -> str:
    """The ETag of the response that sends ``payload`` (the same bytes, see ``jsonld.dumps``)."""
    return etag_of(jsonld.dumps(payload))


@dataclass
class _Lookups:
    """What serialising claims and links needs besides the rows: articles, story slugs, names."""

    articles: dict[int, Article]
    slugs: dict[int, str]
    names: dict[int, str]
    teams: dict[int, str]
    claim_origins: dict[int, Provenance]
    link_origins: dict[int, Provenance]

    @classmethod
    def load(
        cls,
        *,
        article_ids: set[int],
        user_ids: set[int],
        team_ids: set[int],
        claim_ids: set[int],
        link_ids: set[int],
    ) -> _Lookups:
        articles = {
            a.pk: a
            for a in Article.objects.filter(pk__in=article_ids).only(
                "id", "story_id", "language", "body_hash"
            )
        }
        slugs = dict(
            Story.objects.filter(pk__in={a.story_id for a in articles.values()}).values_list(
                "id", "slug"
            )
        )
        names = dict(get_user_model().objects.filter(pk__in=user_ids).values_list("id", "username"))
        teams = dict(Team.objects.filter(pk__in=team_ids).values_list("id", "slug"))
        claim_origins: dict[int, Provenance] = {}
        link_origins: dict[int, Provenance] = {}
        if claim_ids or link_ids:
            for origin in Provenance.objects.filter(
                Q(claim_id__in=claim_ids) | Q(link_id__in=link_ids)
            ):
                if origin.claim_id:
                    claim_origins[origin.claim_id] = origin
                else:
                    link_origins[origin.link_id] = origin
        return cls(
            articles=articles,
            slugs=slugs,
            names=names,
            teams=teams,
            claim_origins=claim_origins,
            link_origins=link_origins,
        )


def _story_rows(*, story: Story, user) -> tuple[list[Claim], list[ClaimLink]]:
    claims = list(
        claims_visible_to(user=user)
        .filter(article__story=story)
        .only(*_CLAIM_FIELDS)
        .order_by("article_id", "start", "end", "pk")
    )
    links = list(
        links_visible_to(user=user)
        .filter(claim_a__article__story=story)
        .only(*_LINK_FIELDS)
        .order_by("pk")
    )
    return claims, links


def _serialize(
    site: Site,
    claims: list[Claim],
    links: list[ClaimLink],
    *,
    context: bool,
    extra_claims: dict[int, Claim] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    by_id = {c.pk: c for c in claims} | (extra_claims or {})
    lookups = _Lookups.load(
        article_ids={c.article_id for c in by_id.values()},
        user_ids={c.author_id for c in claims} | {link.author_id for link in links},
        team_ids={row.team_id for row in [*claims, *links] if row.team_id},
        claim_ids={c.pk for c in claims},
        link_ids={link.pk for link in links},
    )
    common = {
        "articles": lookups.articles,
        "slugs": lookups.slugs,
        "names": lookups.names,
        "teams": lookups.teams,
    }
    items = []
    for claim in claims:
        items.append(
            jsonld.claim_annotation(
                site, claim, context=context, origin=lookups.claim_origins.get(claim.pk), **common
            )
        )
        if progress:
            progress(1)
    for link in links:
        items.append(
            jsonld.link_annotation(
                site,
                link,
                claims=by_id,
                context=context,
                origin=lookups.link_origins.get(link.pk),
                **common,
            )
        )
        if progress:
            progress(1)
    return items


def story_collection(
    *, story: Story, user, site: Site, progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    """The story's visible claims and links as one AnnotationCollection whose single embedded
    AnnotationPage holds every annotation (claims first, in reading order, then links).
    Six queries."""
    claims, links = _story_rows(story=story, user=user)
    items = _serialize(site, claims, links, context=False, progress=progress)
    collection_id = f"{site.base}/annotations/stories/{story.slug}.jsonld"
    collection: dict[str, Any] = {
        "@context": jsonld.CONTEXT,
        "id": collection_id,
        "type": "AnnotationCollection",
        "label": story.title,
        "total": len(items),
        "px:story": story.slug,
    }
    if items:
        page_id = f"{collection_id}#page-0"
        collection["first"] = {
            "id": page_id,
            "type": "AnnotationPage",
            "partOf": {"id": collection_id, "total": len(items)},
            "startIndex": 0,
            "items": items,
        }
        collection["last"] = page_id
    return collection


def story_link_rows(*, story: Story, user) -> Iterator[list[str]]:
    """CSV rows for the story's visible links: header, then one row per link. One query."""
    yield [
        "link_id",
        "relation",
        "status",
        "quote_a",
        "source_a",
        "article_a",
        "quote_b",
        "source_b",
        "article_b",
        "rationale",
    ]
    links = (
        links_visible_to(user=user)
        .filter(claim_a__article__story=story)
        .select_related("claim_a__article__source", "claim_b__article__source")
        .only(
            "id",
            "relation",
            "status",
            "rationale",
            "claim_a__exact",
            "claim_b__exact",
            "claim_a__article__title",
            "claim_b__article__title",
            "claim_a__article__source__name",
            "claim_b__article__source__name",
        )
        .order_by("claim_a__article__position", "claim_a__start", "pk")
    )
    for link in links:
        a, b = link.claim_a, link.claim_b
        yield [
            str(link.pk),
            link.relation,
            link.status,
            a.exact,
            a.article.source.name if a.article.source_id else "",
            a.article.title,
            b.exact,
            b.article.source.name if b.article.source_id else "",
            b.article.title,
            link.rationale,
        ]


# --- protocol container ------------------------------------------------------------------------


@dataclass
class ContainerPage:
    total: int
    items: list[dict[str, Any]] | list[str]


def _container_querysets(*, user, story: Story | None) -> tuple[QuerySet, QuerySet]:
    claims = claims_visible_to(user=user)
    links = links_visible_to(user=user)
    if story is not None:
        claims = claims.filter(article__story=story)
        links = links.filter(claim_a__article__story=story)
    return claims, links


def container_total(*, user, story: Story | None = None) -> int:
    """How many annotations (claims + links) ``user`` sees in the container. Two queries."""
    claims, links = _container_querysets(user=user, story=story)
    return claims.count() + links.count()


def container_page(
    *, user, site: Site, start: int, size: int, iris: bool, story: Story | None = None
) -> ContainerPage:
    """Items ``start`` … ``start + size`` of the container: claims by id, then links by id.

    With ``iris`` only their IRIs (two count queries and up to two id queries); otherwise full
    descriptions (plus the articles, stories and users they mention: three more).
    """
    claims_qs, links_qs = _container_querysets(user=user, story=story)
    n_claims = claims_qs.count()
    total = n_claims + links_qs.count()
    claim_slice = (start, min(start + size, n_claims))
    link_slice = (max(0, start - n_claims), max(0, start + size - n_claims))
    claims_qs, links_qs = claims_qs.order_by("pk"), links_qs.order_by("pk")
    if iris:
        items: list[Any] = []
        if claim_slice[1] > claim_slice[0]:
            items += [
                site.claim(pk) for pk in claims_qs.values_list("pk", flat=True)[slice(*claim_slice)]
            ]
        if link_slice[1] > link_slice[0]:
            items += [
                site.link(pk) for pk in links_qs.values_list("pk", flat=True)[slice(*link_slice)]
            ]
        return ContainerPage(total=total, items=items)
    claims = (
        list(claims_qs.only(*_CLAIM_FIELDS)[slice(*claim_slice)])
        if claim_slice[1] > claim_slice[0]
        else []
    )
    links = []
    extra: dict[int, Claim] = {}
    if link_slice[1] > link_slice[0]:
        links = list(
            links_qs.select_related("claim_a", "claim_b").only(
                *_LINK_FIELDS, *(f"claim_{x}__{f}" for x in "ab" for f in _CLAIM_FIELDS)
            )[slice(*link_slice)]
        )
        for link in links:
            extra[link.claim_a_id], extra[link.claim_b_id] = link.claim_a, link.claim_b
    # Each item carries its @context, so it stands alone when taken out of the page (SHOULD).
    return ContainerPage(
        total=total, items=_serialize(site, claims, links, context=True, extra_claims=extra)
    )


# --- one annotation ---------------------------------------------------------------------------


def parse_annotation_id(value: str) -> tuple[str, int]:
    """``("claim", 12)`` from ``claim-12``; Http404 for anything else."""
    kind, _sep, raw = value.partition("-")
    pk = parse_id(raw)
    if kind not in ("claim", "link") or pk is None:
        raise Http404(_("No such annotation."))
    return kind, pk


def annotation_object(*, user, kind: str, pk: int, for_update: bool = False) -> Claim | ClaimLink:
    """The claim or link behind an annotation id if ``user`` may see it; else Http404.

    ``for_update`` locks the row (call inside a transaction).
    """
    qs = (claims_visible_to if kind == "claim" else links_visible_to)(user=user).filter(pk=pk)
    if for_update:
        # Lock only the claim/link row itself (not the joined rows a visibility check reads).
        qs = qs.select_for_update(of=("self",))
    if kind == "link":
        qs = qs.select_related("claim_a__article", "claim_b__article")
    else:
        qs = qs.select_related("article")
    obj = qs.first()
    if obj is None:
        raise Http404(_("No such annotation."))
    return obj


def annotation_json(*, site: Site, obj: Claim | ClaimLink) -> dict[str, Any]:
    """One claim or link as a standalone Annotation (with ``@context``)."""
    if isinstance(obj, Claim):
        return _serialize(site, [obj], [], context=True)[0]
    extra = {obj.claim_a_id: obj.claim_a, obj.claim_b_id: obj.claim_b}
    return _serialize(site, [], [obj], context=True, extra_claims=extra)[0]


def stories_by_slug(slug: str | None) -> Story | None:
    """The story ``slug`` for a container filter; None when no filter; Http404 if unknown."""
    if not slug:
        return None
    if not _SLUG.fullmatch(slug):
        raise Http404(_("No such story."))
    story = Story.objects.filter(slug=slug).first()
    if story is None:
        raise Http404(_("No such story."))
    return story
