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


def _text_body(
    value: str, purpose: str, language: str | None = None, media_type: str = ""
) -> dict[str, Any]:
    body = {
        "type": "TextualBody",
        "purpose": purpose,
        "value": value,
        "format": media_type or "text/plain",
    }
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
    origin: Any = None,
) -> dict[str, Any]:
    """One claim as a highlighting (or commenting) Annotation; ``origin`` (its Provenance, if
    it was imported) gives back who made it, when, with what, and the ids it had."""
    bodies = []
    if claim.note:
        bodies.append(
            _text_body(claim.note, "commenting", media_type=origin.note_format if origin else "")
        )
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
    if origin is not None:
        _origin_out(annotation, claim, origin, names)
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
    origin: Any = None,
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
    if origin is not None:
        _origin_out(annotation, link, origin, names)
    return annotation


def _origin_out(annotation: dict[str, Any], row: Claim | ClaimLink, origin, names) -> None:
    """Give back what an import kept: the original creator and dates, the generator, the
    client's ``canonical`` unchanged and its original ``id`` as ``via``, and the selectors
    Parallax could not use (appended to the target's). The Parallax account that imported it
    is ``px:importedBy``."""
    if origin.creator_iri or origin.creator_name or origin.creator_nickname:
        creator: dict[str, Any] = {"type": "Person"}
        if origin.creator_iri:
            creator["id"] = origin.creator_iri
        if origin.creator_name:
            creator["name"] = origin.creator_name
        if origin.creator_nickname:
            creator["nickname"] = origin.creator_nickname
        annotation["creator"] = creator
        if name := names.get(row.author_id):
            annotation["px:importedBy"] = name
    if origin.created:
        annotation["created"] = iso(origin.created)
        # An edit made here after the import is newer than what the other tool said.
        edited_here = row.updated_at and (row.updated_at - origin.imported_at).total_seconds() > 2
        if not edited_here:
            annotation["modified"] = iso(origin.modified or origin.created)
    if origin.generator:
        annotation["generator"] = origin.generator
    if origin.canonical:
        annotation["canonical"] = origin.canonical
    if origin.original_id and origin.original_id != annotation["id"]:
        annotation["via"] = origin.original_id
    if origin.kept_selectors and isinstance(annotation.get("target"), dict):
        annotation["target"]["selector"] = [
            *annotation["target"]["selector"],
            *origin.kept_selectors,
        ]


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
class Origin:
    """What an annotation says about where it came from: kept as provenance on import."""

    id: str = ""
    canonical: str = ""
    via: list[str] = field(default_factory=list)
    tool: str = ""
    creator_iri: str = ""
    creator_name: str = ""
    creator_nickname: str = ""
    created: datetime | None = None
    modified: datetime | None = None
    generator: Any = None
    note_format: str = ""
    kept_selectors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Properties read but not kept, by where they were ("annotation", "target", "body"): the
    #: import report names them, so nothing is dropped silently.
    unkept: dict[str, list[str]] = field(default_factory=dict)

    def not_kept(self, where: str, names: Any) -> None:
        known = self.unkept.setdefault(where, [])
        known += [n for n in names if n not in known]

    @property
    def keys(self) -> set[str]:
        """Every IRI that names this annotation elsewhere (to find it again on re-import)."""
        return {k for k in (self.id, self.canonical, *self.via) if k}

    @property
    def worth_keeping(self) -> bool:
        return bool(
            self.id or self.canonical or self.creator_iri or self.creator_name
            or self.creator_nickname or self.created or self.generator or self.note_format
            or self.kept_selectors
        )


@dataclass
class ClaimSpec:
    span: SpanSpec
    note: str = ""
    tags: list[str] = field(default_factory=list)
    visibility: str = Claim.Visibility.PUBLIC
    team: str | None = None
    origin: Origin = field(default_factory=Origin)


@dataclass
class LinkSpec:
    a: SpanSpec
    b: SpanSpec
    relation: str
    rationale: str = ""
    status: str = ClaimLink.Status.PROPOSED
    visibility: str = Claim.Visibility.PUBLIC
    team: str | None = None
    origin: Origin = field(default_factory=Origin)


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


#: Selector types Parallax cannot resolve against its plain text (kept, reported, exported again).
UNUSABLE_SELECTORS = (
    "XPathSelector",
    "RangeSelector",
    "CssSelector",
    "FragmentSelector",
    "DataPositionSelector",
    "SvgSelector",
)
#: Resource types that carry no text Parallax can keep as a note.
_MEDIA_TYPES = ("Sound", "Image", "Video", "Dataset", "Audio")
_MULTI_TARGETS = ("Composite", "List", "Independents")
_TEXT_FORMATS = ("text/plain", "text/markdown", "text/html")
#: What Parallax reads from an Annotation (everything else is reported as not kept). ``generated``
#: dates the file, not the annotation: every export has its own.
_ANNOTATION_KEPT = frozenset(
    {
        "@context", "id", "type", "motivation", "body", "bodyValue", "target", "creator",
        "created", "modified", "generator", "generated", "canonical", "via",
        "px:visibility", "px:team", "px:status", "px:importedBy",
    }
)
_CREATOR_KEPT = frozenset({"id", "type", "name", "nickname"})
#: What Parallax reads from a SpecificResource target (``scope`` only as its export writes it).
_TARGET_KEPT = frozenset({"type", "source", "selector"})
#: What Parallax reads from a TextualBody (a note or a tag).
_BODY_KEPT = frozenset({"type", "purpose", "value", "format"})
_BODY_PURPOSES = ("commenting", "tagging")


def _unkept_keys(value: dict[str, Any], kept: frozenset[str]) -> list[str]:
    return [key for key in value if isinstance(key, str) and key not in kept][:20]


def _refined_quote(selector: dict[str, Any], depth: int = 0) -> dict[str, Any] | None:
    """A TextQuoteSelector inside ``refinedBy`` (Hypothesis nests them under XPath/Range)."""
    refined = selector.get("refinedBy")
    for inner in _as_list(refined)[:4]:
        if not isinstance(inner, dict) or depth > 4:
            continue
        if "TextQuoteSelector" in _types(inner.get("type")):
            return inner
        if found := _refined_quote(inner, depth + 1):
            return found
    return None


def parse_span(
    resource: Any,
    what: str,
    kept: list[dict[str, Any]] | None = None,
    origin: Origin | None = None,
    where: str = "target",
) -> SpanSpec:
    """Read a SpecificResource with a TextQuoteSelector and/or a TextPositionSelector.

    Selectors Parallax cannot use are appended to ``kept`` (when given), never dropped silently;
    the resource's other properties Parallax does not keep are noted on ``origin`` (when given).
    """
    if isinstance(resource, str):
        raise ParseError(
            f"{what} is a whole resource ({resource[:120]}) without a selector; Parallax annotates "
            "words in an article: add a TextQuoteSelector."
        )
    if not isinstance(resource, dict):
        raise ParseError(f"{what} must be a SpecificResource object.")
    types = _types(resource.get("type"))
    if multi := types & set(_MULTI_TARGETS):
        raise ParseError(
            f"{sorted(multi)[0]} targets are not supported; split them into one annotation per "
            "target."
        )
    if "Choice" in types:
        raise ParseError(
            "Choice targets are not supported; send one annotation for the target to keep."
        )
    if (media := types & set(_MEDIA_TYPES)) and "source" not in resource:
        raise ParseError(
            f"{what} is of type {sorted(media)[0]}, which is not supported; Parallax annotates "
            "words in an article."
        )
    source = resource.get("source")
    if isinstance(source, str):
        source_id, sha256, story = source, None, None
    elif isinstance(source, dict) and isinstance(source.get("id"), str):
        source_id = source["id"]
        sha256 = source.get("px:sha256") if isinstance(source.get("px:sha256"), str) else None
        story = source.get("px:story") if isinstance(source.get("px:story"), str) else None
    elif "id" in resource and "selector" not in resource:
        named = resource["id"][:120] if isinstance(resource["id"], str) else ""
        raise ParseError(
            f"{what} is a whole resource{f' ({named})' if named else ''} without a selector; "
            "Parallax annotates words in an article: add a TextQuoteSelector."
        )
    else:
        raise ParseError(f"{what} has no source IRI.")
    if origin is not None:
        unkept = _unkept_keys(resource, _TARGET_KEPT)
        if "scope" in unkept and story and str(resource["scope"]).endswith(f"/stories/{story}/"):
            unkept.remove("scope")  # the story page Parallax's own export names
        origin.not_kept(where, unkept)
    quote = position = None
    unusable: list[str] = []
    for selector in _as_list(resource.get("selector")):
        if isinstance(selector, str):
            unusable.append(f"a selector given by reference ({selector[:120]})")
            continue
        if not isinstance(selector, dict):
            continue
        kinds = _types(selector.get("type"))
        if "TextQuoteSelector" in kinds:
            quote = selector
        elif "TextPositionSelector" in kinds:
            position = selector
        else:
            unusable.append(", ".join(sorted(kinds)) or "untyped selector")
            if kept is not None:
                kept.append(selector)
            if quote is None and (inner := _refined_quote(selector)) is not None:
                quote = inner
    if quote is None and position is None:
        if unusable:
            raise ParseError(
                f"{what}: {', '.join(unusable)} cannot be resolved against the article's text; "
                "Parallax needs a TextQuoteSelector or a TextPositionSelector."
            )
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


def parse_datetime_value(value: Any) -> datetime | None:
    """An xsd:dateTime (or Hypothesis's ISO timestamps) as an aware datetime; None if unreadable."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _short(value: Any, limit: int = 2000) -> str:
    return value[:limit] if isinstance(value, str) else ""


def guess_tool(*, generator: Any, ids: list[str], creator_iri: str) -> str:
    """A display name for the tool an annotation came from."""
    if isinstance(generator, dict) and isinstance(generator.get("name"), str):
        return generator["name"][:100]
    haystack = " ".join([*ids, creator_iri, generator if isinstance(generator, str) else ""])
    if "hypothes.is" in haystack or creator_iri.startswith("acct:"):
        return "Hypothesis"
    if "recogito" in haystack.lower():
        return "Recogito"
    return ""


def parse_origin(annotation: dict[str, Any]) -> Origin:
    """Who made ``annotation``, when, with what, and under which ids (all optional)."""
    origin = Origin(
        id=_short(annotation.get("id")),
        canonical=_short(annotation.get("canonical")),
        via=[v for v in (_short(x) for x in _as_list(annotation.get("via"))[:10]) if v],
    )
    creators = _as_list(annotation.get("creator"))
    creator = creators[0] if creators else None
    if isinstance(creator, str):
        origin.creator_iri = _short(creator)
    elif isinstance(creator, dict):
        origin.creator_iri = _short(creator.get("id"))
        origin.creator_name = _short(creator.get("name"), 300)
        origin.creator_nickname = _short(creator.get("nickname"), 300)
        origin.not_kept(
            "annotation", [f"creator.{k}" for k in _unkept_keys(creator, _CREATOR_KEPT)]
        )
    if len(creators) > 1:
        origin.not_kept("annotation", ["creator (all but the first)"])
    origin.not_kept("annotation", _unkept_keys(annotation, _ANNOTATION_KEPT))
    for name in ("created", "modified"):
        raw = annotation.get(name)
        if raw is None:
            continue
        value = parse_datetime_value(raw)
        if value is None:
            origin.warnings.append(f"“{name}” is not a date and time; it was not kept.")
        setattr(origin, name, value)
    generator = annotation.get("generator")
    if isinstance(generator, dict | str):
        origin.generator = generator
    origin.tool = guess_tool(
        generator=generator, ids=[origin.id, origin.canonical, *origin.via],
        creator_iri=origin.creator_iri,
    )
    return origin


def _claim_bodies(bodies: list[Any], origin: Origin) -> tuple[list[str], list[str]]:
    """(note parts, tags) from a claim's bodies; ParseError naming what cannot be kept."""
    note_parts, tags = [], []
    for body in bodies:
        if isinstance(body, str):
            raise ParseError(
                f"Bodies that are links to other resources ({body[:120]}) are not supported; "
                "send the note as a TextualBody."
            )
        if not isinstance(body, dict):
            raise ParseError("A body must be a JSON object (a TextualBody).")
        types = _types(body.get("type"))
        if "Choice" in types:
            raise ParseError(
                "Choice bodies are not supported; send the one TextualBody to keep."
            )
        if media := types & set(_MEDIA_TYPES):
            raise ParseError(f"Bodies of type {sorted(media)[0]} are not supported.")
        if "SpecificResource" in types or ("source" in body and "TextualBody" not in types):
            raise ParseError(
                "A SpecificResource body is only read on a linking annotation."
            )
        if not types and "value" not in body and isinstance(body.get("id"), str):
            # An external web resource named by its IRI (with its format, if given).
            media_type = body.get("format") if isinstance(body.get("format"), str) else ""
            named = ", ".join(x for x in (body["id"][:120], media_type[:80]) if x)
            raise ParseError(
                f"Bodies that are links to other resources ({named}) are not supported; "
                "send the note as a TextualBody."
            )
        if "TextualBody" not in types and ("value" not in body or types):
            raise ParseError(
                f"Bodies of type {', '.join(sorted(types)) or 'unknown'} are not supported; "
                "only TextualBody."
            )
        value = _text(body.get("value"), "A TextualBody value")
        purposes = _types(body.get("purpose"))
        origin.not_kept("body", _unkept_keys(body, _BODY_KEPT))
        origin.not_kept(
            "body", [f"purpose “{p}”" for p in sorted(purposes - set(_BODY_PURPOSES))]
        )
        if "tagging" in purposes:
            tags.append(value)
            continue
        media_type = body.get("format")
        if isinstance(media_type, str) and media_type not in ("", "text/plain"):
            if media_type not in _TEXT_FORMATS:
                raise ParseError(
                    f"Bodies in {media_type[:80]} are not supported; send text/plain, "
                    "text/markdown or text/html."
                )
            origin.note_format = media_type
        note_parts.append(value)
    return note_parts, tags


def parse_annotation(annotation: Any) -> ClaimSpec | LinkSpec:
    """A claim or link spec from one Annotation; ParseError says what is wrong."""
    if not isinstance(annotation, dict):
        raise ParseError("An annotation must be a JSON object.")
    if "Annotation" not in _types(annotation.get("type")):
        raise ParseError("type must be “Annotation”.")
    origin = parse_origin(annotation)
    motivations = _types(annotation.get("motivation"))
    bodies = _as_list(annotation.get("body"))
    targets = _as_list(annotation.get("target"))
    if not targets:
        raise ParseError("An annotation needs a target (the words it is about).")
    if origin.tool == "" and any(isinstance(k, str) and k.startswith("px:") for k in annotation):
        origin.tool = "Parallax"
    if len(targets) != 1:
        raise ParseError(
            "Several targets are not supported; split them into one annotation per target."
        )
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
        origin.not_kept(
            "annotation",
            [
                f"body ({', '.join(sorted(_types(b.get('purpose')) | _types(b.get('type'))))})"
                if isinstance(b, dict) else "body (a link)"
                for b in bodies
                if b not in other and b not in relations
                and not (isinstance(b, dict) and "commenting" in _types(b.get("purpose")))
            ],
        )
        visibility, team = _visibility(annotation)
        status = annotation.get("px:status", ClaimLink.Status.PROPOSED)
        if status not in ClaimLink.Status.values:
            raise ParseError(f"px:status must be one of {', '.join(ClaimLink.Status.values)}.")
        return LinkSpec(
            a=parse_span(targets[0], "The target", origin.kept_selectors, origin),
            b=parse_span(other[0], "The linked body", origin.kept_selectors, origin, "body"),
            relation=relation,
            rationale=rationale,
            status=status,
            visibility=visibility,
            team=team,
            origin=origin,
        )
    if "replying" in motivations:
        raise ParseError(
            "Replies annotate another annotation, not words in an article; they are not imported."
        )
    if motivations and not motivations & set(CLAIM_MOTIVATIONS):
        raise ParseError(
            f"Unsupported motivation {', '.join(sorted(motivations))}; "
            "use highlighting, commenting, tagging or linking."
        )
    note_parts = []
    if isinstance(annotation.get("bodyValue"), str):
        note_parts.append(annotation["bodyValue"])
    more, tags = _claim_bodies(bodies, origin)
    note_parts += more
    visibility, team = _visibility(annotation)
    return ClaimSpec(
        span=parse_span(targets[0], "The target", origin.kept_selectors, origin),
        note="\n\n".join(note_parts),
        tags=tags,
        visibility=visibility,
        team=team,
        origin=origin,
    )
