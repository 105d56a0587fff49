"""Claims and links as W3C Web Annotations (JSON-LD), and back.

Mapping (also in ``opendata/README.md``):

- a claim is an Annotation with motivation ``highlighting`` (``commenting`` when it has a note),
  its target a SpecificResource on the article with a TextQuoteSelector and a
  TextPositionSelector; the note is a ``commenting`` TextualBody and each tag a ``tagging`` one;
- a link is a ``linking`` Annotation whose target is one claim's span, whose first body is a
  SpecificResource for the other claim's span (both selectors), whose second body is a
  ``classifying`` TextualBody carrying the relation, and whose optional third body is the
  rationale (``commenting``).

The source of every span is the article's stable IRI on this site (``/annotations/articles/<pk>``,
which serves the exact plain text the offsets index into), with the SHA-256 of that text in
``px:sha256`` so another Parallax database can find the same article whatever its primary key.
Parallax-only facts (visibility, link review status) use the ``px:`` prefix declared in the
context; W3C consumers may ignore them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from annotations.models import Claim, ClaimLink
from articles.models import Article

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
LDP_CONTEXT = "http://www.w3.org/ns/ldp.jsonld"
PX_NS = "https://parallax.example/ns#"
CONTEXT: list[Any] = [ANNO_CONTEXT, {"px": PX_NS}]
PROFILE = ANNO_CONTEXT
MEDIA_TYPE = f'application/ld+json; profile="{PROFILE}"'

#: Motivations this site reads back (``claim`` kinds and ``link``).
CLAIM_MOTIVATIONS = ("highlighting", "commenting", "tagging")
LINK_MOTIVATION = "linking"


def dumps(payload: Any) -> bytes:
    """The bytes every JSON-LD response sends (and every ETag hashes): compact UTF-8."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def iso(value: datetime | None) -> str | None:
    """xsd:dateTime in UTC with a ``Z``, as the model recommends."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- out ---------------------------------------------------------------------------------------


@dataclass
class Site:
    """Absolute IRIs of this site's resources (``base`` without a trailing slash)."""

    base: str

    def article(self, pk: int) -> str:
        return f"{self.base}/annotations/articles/{pk}"

    def claim(self, pk: int) -> str:
        return f"{self.base}/annotations/claim-{pk}"

    def link(self, pk: int) -> str:
        return f"{self.base}/annotations/link-{pk}"

    def story(self, slug: str) -> str:
        return f"{self.base}/stories/{slug}/"

    def container(self) -> str:
        return f"{self.base}/annotations/"


def _source(site: Site, article: Article, story_slug: str | None) -> dict[str, Any]:
    source: dict[str, Any] = {
        "id": site.article(article.pk),
        "type": "Text",
        "format": "text/plain",
        "language": article.language or "vi",
        "px:sha256": article.body_hash,
    }
    if story_slug:
        source["px:story"] = story_slug
    return source


def span_resource(
    site: Site,
    *,
    article: Article,
    start: int,
    end: int,
    exact: str,
    prefix: str,
    suffix: str,
    story_slug: str | None = None,
) -> dict[str, Any]:
    """A SpecificResource selecting ``body[start:end]`` of ``article`` with both selectors."""
    quote: dict[str, Any] = {"type": "TextQuoteSelector", "exact": exact}
    if prefix:
        quote["prefix"] = prefix
    if suffix:
        quote["suffix"] = suffix
    resource: dict[str, Any] = {
        "type": "SpecificResource",
        "source": _source(site, article, story_slug),
        "selector": [quote, {"type": "TextPositionSelector", "start": start, "end": end}],
    }
    if story_slug:
        resource["scope"] = site.story(story_slug)
    return resource


def _claim_span(site: Site, claim: Claim, articles: dict[int, Article], slugs: dict[int, str]):
    article = articles[claim.article_id]
    return span_resource(
        site,
        article=article,
        start=claim.start,
        end=claim.end,
        exact=claim.exact,
        prefix=claim.prefix,
        suffix=claim.suffix,
        story_slug=slugs.get(article.story_id),
    )


def _creator(site: Site, user_id: int, names: dict[int, str]) -> dict[str, Any]:
    # No id: people have no public page here, and an IRI that does not resolve helps no one.
    creator: dict[str, Any] = {"type": "Person"}
    if name := names.get(user_id):
        creator["nickname"] = name
    return creator


def _text_body(value: str, purpose: str, language: str | None = None) -> dict[str, Any]:
    body = {"type": "TextualBody", "purpose": purpose, "value": value, "format": "text/plain"}
    if language:
        body["language"] = language
    return body


def _visibility_out(annotation: dict[str, Any], row: Claim | ClaimLink, teams: dict[int, str]):
    annotation["px:visibility"] = row.visibility
    if row.team_id and row.team_id in teams:
        annotation["px:team"] = teams[row.team_id]


def claim_annotation(
    site: Site,
    claim: Claim,
    *,
    articles: dict[int, Article],
    slugs: dict[int, str],
    names: dict[int, str],
    teams: dict[int, str],
    context: bool = True,
) -> dict[str, Any]:
    """One claim as a highlighting (or commenting) Annotation."""
    bodies = []
    if claim.note:
        bodies.append(_text_body(claim.note, "commenting"))
    bodies.extend({"type": "TextualBody", "purpose": "tagging", "value": tag} for tag in claim.tags)
    annotation: dict[str, Any] = {}
    if context:
        annotation["@context"] = CONTEXT
    annotation.update(
        {
            "id": site.claim(claim.pk),
            "type": "Annotation",
            "motivation": "commenting" if claim.note else "highlighting",
            "creator": _creator(site, claim.author_id, names),
            "created": iso(claim.created_at),
            "modified": iso(claim.updated_at),
        }
    )
    if bodies:
        annotation["body"] = bodies
    annotation["target"] = _claim_span(site, claim, articles, slugs)
    _visibility_out(annotation, claim, teams)
    return annotation


def link_annotation(
    site: Site,
    link: ClaimLink,
    *,
    claims: dict[int, Claim],
    articles: dict[int, Article],
    slugs: dict[int, str],
    names: dict[int, str],
    teams: dict[int, str],
    context: bool = True,
) -> dict[str, Any]:
    """One link as a linking Annotation: target = claim A's span, body = claim B's span, the
    relation (classifying) and the rationale (commenting)."""
    claim_a, claim_b = claims[link.claim_a_id], claims[link.claim_b_id]
    bodies = [
        _claim_span(site, claim_b, articles, slugs),
        {"type": "TextualBody", "purpose": "classifying", "value": link.relation},
    ]
    if link.rationale:
        bodies.append(_text_body(link.rationale, "commenting"))
    annotation: dict[str, Any] = {}
    if context:
        annotation["@context"] = CONTEXT
    annotation.update(
        {
            "id": site.link(link.pk),
            "type": "Annotation",
            "motivation": LINK_MOTIVATION,
            "creator": _creator(site, link.author_id, names),
            "created": iso(link.created_at),
            "modified": iso(link.updated_at),
            "body": bodies,
            "target": _claim_span(site, claim_a, articles, slugs),
            "px:status": link.status,
        }
    )
    _visibility_out(annotation, link, teams)
    return annotation


# --- in ----------------------------------------------------------------------------------------


class ParseError(ValueError):
    """An annotation this site cannot read; the message says why (shown in the report)."""


@dataclass
class SpanSpec:
    """A span read from a SpecificResource: which article (by IRI/hash) and where."""

    source_id: str
    sha256: str | None
    story: str | None
    exact: str
    prefix: str
    suffix: str
    start: int | None
    end: int | None


@dataclass
class ClaimSpec:
    span: SpanSpec
    note: str = ""
    tags: list[str] = field(default_factory=list)
    visibility: str = Claim.Visibility.PUBLIC
    team: str | None = None


@dataclass
class LinkSpec:
    a: SpanSpec
    b: SpanSpec
    relation: str
    rationale: str = ""
    status: str = ClaimLink.Status.PROPOSED
    visibility: str = Claim.Visibility.PUBLIC
    team: str | None = None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _types(value: Any) -> set[str]:
    return {t for t in _as_list(value) if isinstance(t, str)}


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ParseError(f"{what} must be a string.")
    return value


def parse_span(resource: Any, what: str) -> SpanSpec:
    """Read a SpecificResource with a TextQuoteSelector and/or a TextPositionSelector."""
    if not isinstance(resource, dict):
        raise ParseError(f"{what} must be a SpecificResource object.")
    source = resource.get("source")
    if isinstance(source, str):
        source_id, sha256, story = source, None, None
    elif isinstance(source, dict) and isinstance(source.get("id"), str):
        source_id = source["id"]
        sha256 = source.get("px:sha256") if isinstance(source.get("px:sha256"), str) else None
        story = source.get("px:story") if isinstance(source.get("px:story"), str) else None
    else:
        raise ParseError(f"{what} has no source IRI.")
    quote = position = None
    for selector in _as_list(resource.get("selector")):
        if not isinstance(selector, dict):
            continue
        kinds = _types(selector.get("type"))
        if "TextQuoteSelector" in kinds:
            quote = selector
        elif "TextPositionSelector" in kinds:
            position = selector
    if quote is None and position is None:
        raise ParseError(f"{what} needs a TextQuoteSelector or a TextPositionSelector.")
    start = end = None
    if position is not None:
        start, end = position.get("start"), position.get("end")
        for value in (start, end):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ParseError(f"{what}: TextPositionSelector start/end must be integers ≥ 0.")
    exact = prefix = suffix = ""
    if quote is not None:
        exact = _text(quote.get("exact"), f"{what}: TextQuoteSelector exact")
        prefix = _text(quote.get("prefix", ""), f"{what}: TextQuoteSelector prefix")
        suffix = _text(quote.get("suffix", ""), f"{what}: TextQuoteSelector suffix")
    return SpanSpec(source_id, sha256, story, exact, prefix, suffix, start, end)


def _visibility(annotation: dict[str, Any]) -> tuple[str, str | None]:
    value = annotation.get("px:visibility", Claim.Visibility.PUBLIC)
    if value not in Claim.Visibility.values:
        raise ParseError(f"px:visibility must be one of {', '.join(Claim.Visibility.values)}.")
    team = annotation.get("px:team")
    if value == Claim.Visibility.TEAM and not isinstance(team, str):
        raise ParseError("px:visibility “team” needs px:team (the team's slug).")
    return value, team if value == Claim.Visibility.TEAM else None


def parse_annotation(annotation: Any) -> ClaimSpec | LinkSpec:
    """A claim or link spec from one Annotation; ParseError says what is wrong."""
    if not isinstance(annotation, dict):
        raise ParseError("An annotation must be a JSON object.")
    if "Annotation" not in _types(annotation.get("type")):
        raise ParseError("type must be “Annotation”.")
    motivations = _types(annotation.get("motivation"))
    bodies = _as_list(annotation.get("body"))
    targets = _as_list(annotation.get("target"))
    if len(targets) != 1:
        raise ParseError("An annotation needs exactly one target span.")
    if LINK_MOTIVATION in motivations:
        # A SpecificResource body; its type may be left implicit (source + selector).
        other = [
            b
            for b in bodies
            if isinstance(b, dict)
            and ("SpecificResource" in _types(b.get("type")) or ("source" in b and "selector" in b))
        ]
        relations = [
            b for b in bodies if isinstance(b, dict) and "classifying" in _types(b.get("purpose"))
        ]
        if len(other) != 1:
            raise ParseError("A linking annotation needs one SpecificResource body.")
        if len(relations) != 1:
            raise ParseError(
                "A linking annotation needs one classifying TextualBody (the relation)."
            )
        relation = relations[0].get("value")
        if relation not in ClaimLink.Relation.values:
            raise ParseError(
                f"Unknown relation {relation!r}; use agrees, contradicts or qualifies."
            )
        rationale = "".join(
            _text(b.get("value"), "The rationale")
            for b in bodies
            if isinstance(b, dict) and "commenting" in _types(b.get("purpose"))
        )
        visibility, team = _visibility(annotation)
        status = annotation.get("px:status", ClaimLink.Status.PROPOSED)
        if status not in ClaimLink.Status.values:
            raise ParseError(f"px:status must be one of {', '.join(ClaimLink.Status.values)}.")
        return LinkSpec(
            a=parse_span(targets[0], "The target"),
            b=parse_span(other[0], "The linked body"),
            relation=relation,
            rationale=rationale,
            status=status,
            visibility=visibility,
            team=team,
        )
    if motivations and not motivations & set(CLAIM_MOTIVATIONS):
        raise ParseError(
            f"Unsupported motivation {', '.join(sorted(motivations))}; "
            "use highlighting, commenting or linking."
        )
    note_parts, tags = [], []
    if isinstance(annotation.get("bodyValue"), str):
        note_parts.append(annotation["bodyValue"])
    for body in bodies:
        if not isinstance(body, dict):
            raise ParseError("Only TextualBody bodies are supported on a claim.")
        purposes = _types(body.get("purpose"))
        value = _text(body.get("value"), "A TextualBody value")
        if "tagging" in purposes:
            tags.append(value)
        else:
            note_parts.append(value)
    visibility, team = _visibility(annotation)
    return ClaimSpec(
        span=parse_span(targets[0], "The target"),
        note="\n\n".join(note_parts),
        tags=tags,
        visibility=visibility,
        team=team,
    )
