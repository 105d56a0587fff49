"""The annotated demo: a reading of the demo story, stored as data next to the corpus.

``articles/demo/deepseek-r1/reading.jsonld`` is a W3C AnnotationCollection (claims and links,
each with its ``creator``); ``reading-curation.json`` holds what W3C annotations cannot carry
(link reviews, canonical claims with stances, verdicts), naming claims and links by the fragment
of their annotation id (``mt-cost-5-6`` for ``…/reading.jsonld#mt-cost-5-6``). The folder's
README says who read the story and how.

``demo_reading_load`` checks both files against the loaded story and the demo users first, then
writes everything in one transaction through the services everyone else uses: the claims and
links through ``opendata.services.annotations_import`` (once per creator, claims before links so
that a link finds the claims it joins), then reviews, canonical claims and verdicts through
``curation.services``. Any problem raises ValidationError and writes nothing. Loading again
changes nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from jsonschema import Draft202012Validator

from annotations.models import Claim, ClaimLink
from articles.models import Story
from curation import services as curation_services
from curation.models import CanonicalClaim, CanonicalMember, Verdict
from opendata import jsonld
from opendata import services as opendata_services
from opendata.jsonld import ClaimSpec, LinkSpec, ParseError, Site

#: The demo story's folder: its articles, the reading and its curation.
DEMO_DIR = Path(__file__).resolve().parents[1] / "articles" / "demo" / "deepseek-r1"
READING_FILE = "reading.jsonld"
CURATION_FILE = "reading-curation.json"
CURATION_SCHEMA_FILE = "reading-curation.schema.json"
#: Only used to name the imported rows in the import reports; any base would do.
SITE = Site(base="http://localhost")
_NEW_ID = re.compile(r"/annotations/(claim|link)-(\d{1,18})$")
_REF = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass
class ReadingLoaded:
    """What the reading is in the database: its claims and links by reference, and the
    curation rows it made or found."""

    claims: dict[str, Claim] = field(default_factory=dict)
    links: dict[str, ClaimLink] = field(default_factory=dict)
    canonicals: list[CanonicalClaim] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    reviews: int = 0  # reviews written by this load (0 when the reading was there already)


# --- reading and checking the files ------------------------------------------------------------


@dataclass
class _Item:
    ref: str
    creator: str
    raw: dict[str, Any]
    spec: ClaimSpec | LinkSpec
    ends: tuple[str, ...] = ()  # claim refs of a link's two spans (target first)


@dataclass
class _Plan:
    claims: dict[str, _Item]
    links: dict[str, _Item]
    users: dict[str, Any]
    curator: Any
    curation: dict[str, Any]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ValidationError(f"Cannot read {path.name}: {error.strerror}.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValidationError(f"{path.name} is not valid JSON: {error}.") from None


def _collection_items(data: Any) -> tuple[str, list[Any]]:
    """The collection's id and the annotations of its embedded pages."""
    if not isinstance(data, dict) or "AnnotationCollection" not in jsonld._types(data.get("type")):
        raise ValidationError(f"{READING_FILE} must be a W3C AnnotationCollection.")
    if not isinstance(data.get("id"), str):
        raise ValidationError(f"{READING_FILE}: the collection needs an id.")
    items, page = [], data.get("first")
    while isinstance(page, dict) and isinstance(page.get("items"), list):
        items += page["items"]
        page = page.get("next")
    if page is not None or data.get("total") != len(items):
        raise ValidationError(f"{READING_FILE}: embed every page, and give the total.")
    return data["id"], items


def _span_key(span: jsonld.SpanSpec) -> tuple[str | None, int | None, int | None]:
    return (span.sha256, span.start, span.end)


def _check_items(
    *, story: Story, collection_id: str, raw_items: list[Any], users: Mapping[str, Any]
) -> tuple[dict[str, _Item], dict[str, _Item], list[str]]:
    errors: list[str] = []
    bodies = dict(story.articles.values_list("body_hash", "body"))
    claims: dict[str, _Item] = {}
    links: dict[str, _Item] = {}
    for index, raw in enumerate(raw_items):
        where = f"{READING_FILE} item {index}"
        if not isinstance(raw, dict):
            errors.append(f"{where}: not an object.")
            continue
        iri = raw.get("id")
        ref = iri[len(collection_id) + 1 :] if isinstance(iri, str) else ""
        if not (isinstance(iri, str) and iri.startswith(collection_id + "#") and _REF.match(ref)):
            errors.append(f"{where}: its id must be {collection_id}#<ref> (a-z, 0-9, -).")
            continue
        where = f"{READING_FILE} #{ref}"
        if ref in claims or ref in links:
            errors.append(f"{where}: the id is used twice.")
            continue
        creator = raw.get("creator")
        nickname = creator.get("nickname") if isinstance(creator, dict) else None
        if nickname not in users:
            errors.append(f"{where}: its creator must name a demo user ({', '.join(users)}).")
            continue
        try:
            spec = jsonld.parse_annotation(raw)
        except ParseError as error:
            errors.append(f"{where}: {error}")
            continue
        spans = [spec.span] if isinstance(spec, ClaimSpec) else [spec.a, spec.b]
        for span in spans:
            body = bodies.get(span.sha256)
            if body is None:
                errors.append(
                    f"{where}: {span.source_id} is not the text of an article in story "
                    f"“{story.slug}” (px:sha256 differs: was the demo text changed?)."
                )
            elif span.start is None or body[span.start : span.end] != span.exact:
                errors.append(
                    f"{where}: the TextPositionSelector does not select the quote "
                    f"“{span.exact[:60]}” in {span.source_id}."
                )
        item = _Item(ref=ref, creator=nickname, raw=raw, spec=spec)
        (claims if isinstance(spec, ClaimSpec) else links)[ref] = item
    # Every link joins two claims of the reading (so the import never invents a highlight),
    # which its creator can see.
    by_span = {_span_key(item.spec.span): item for item in claims.values()}
    for item in links.values():
        ends = [by_span.get(_span_key(span)) for span in (item.spec.a, item.spec.b)]
        if None in ends:
            errors.append(f"{READING_FILE} #{item.ref}: both ends must be claims of the reading.")
            continue
        hidden = [
            end.ref
            for end in ends
            if end.spec.visibility == Claim.Visibility.PRIVATE and end.creator != item.creator
        ]
        if hidden:
            errors.append(
                f"{READING_FILE} #{item.ref}: {item.creator} cannot see the private claim "
                f"#{hidden[0]}."
            )
        item.ends = tuple(end.ref for end in ends)
    return claims, links, errors


def _schema_errors(curation: Any, folder: Path) -> list[str]:
    schema = _read_json(folder / CURATION_SCHEMA_FILE)
    validator = Draft202012Validator(schema)
    return [
        f"{CURATION_FILE} {'/'.join(str(p) for p in error.absolute_path) or '(top)'}: "
        f"{error.message}"
        for error in sorted(validator.iter_errors(curation), key=lambda e: list(e.absolute_path))
    ]


def _check_curation(
    *, curation: dict[str, Any], claims: dict[str, _Item], links: dict[str, _Item]
) -> list[str]:
    errors: list[str] = []

    def known(ref: str, kind: dict[str, _Item], what: str, where: str) -> bool:
        if ref not in kind:
            errors.append(f"{CURATION_FILE} {where}: no {what} #{ref} in {READING_FILE}.")
            return False
        return True

    rejected = set()
    for n, review in enumerate(curation["reviews"]):
        known(review["link"], links, "link", f"review {n}")
        if review["decision"] == "rejected":
            rejected.add(review["link"])
            if not review.get("reason", "").strip():
                errors.append(f"{CURATION_FILE} review {n}: a rejection needs a reason.")
    gathered: dict[str, int] = {}
    for n, canonical in enumerate(curation["canonical_claims"]):
        for member in canonical["members"]:
            ref = member["claim"]
            if not known(ref, claims, "claim", f"canonical claim {n}"):
                continue
            if ref in gathered:
                errors.append(
                    f"{CURATION_FILE} canonical claim {n}: #{ref} is already in canonical "
                    f"claim {gathered[ref]} (a claim belongs to one)."
                )
            gathered[ref] = n
            if claims[ref].spec.visibility == Claim.Visibility.PRIVATE:
                errors.append(
                    f"{CURATION_FILE} canonical claim {n}: #{ref} is private; the matrix "
                    "would show it to everyone."
                )
    for n, verdict in enumerate(curation["verdicts"]):
        where = f"verdict {n}"
        if not known(verdict["link"], links, "link", where):
            continue
        link = links[verdict["link"]]
        if link.spec.relation != ClaimLink.Relation.CONTRADICTS:
            errors.append(f"{CURATION_FILE} {where}: #{link.ref} is not a contradiction.")
        if verdict["rated_claim"] not in link.ends:
            errors.append(
                f"{CURATION_FILE} {where}: rate one of #{link.ref}'s claims "
                f"({', '.join('#' + e for e in link.ends)})."
            )
        if link.ref in rejected:
            errors.append(f"{CURATION_FILE} {where}: #{link.ref} is rejected in review.")
    return errors


def _users(names: set[str], users: Mapping[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
    if users is None:
        users = {u.username: u for u in get_user_model().objects.filter(username__in=names)}
    found = {name: users[name] for name in sorted(names) if name in users}
    missing = sorted(names - set(found))
    return found, [f"No demo user named “{name}”: load the demo users first." for name in missing]


def demo_reading_check(
    *, story: Story, users: Mapping[str, Any] | None = None, folder: Path = DEMO_DIR
) -> _Plan:
    """Read and check the reading and its curation against ``story``; ValidationError listing
    every problem. Nothing is written."""
    reading = _read_json(folder / READING_FILE)
    curation = _read_json(folder / CURATION_FILE)
    collection_id, raw_items = _collection_items(reading)
    errors = _schema_errors(curation, folder)
    if errors:
        raise ValidationError(errors)
    if curation["reading"] != READING_FILE:
        raise ValidationError(f"{CURATION_FILE} must curate {READING_FILE}.")
    creators = {
        raw["creator"]["nickname"]
        for raw in raw_items
        if isinstance(raw, dict)
        and isinstance(raw.get("creator"), dict)
        and isinstance(raw["creator"].get("nickname"), str)
    }
    found, errors = _users(creators | {curation["curator"]}, users)
    claims, links, item_errors = _check_items(
        story=story, collection_id=collection_id, raw_items=raw_items, users=found
    )
    errors += item_errors
    errors += _check_curation(curation=curation, claims=claims, links=links)
    if errors:
        raise ValidationError(errors)
    return _Plan(
        claims=claims,
        links=links,
        users=found,
        curator=found[curation["curator"]],
        curation=curation,
    )


# --- writing ------------------------------------------------------------------------------------


def _import(*, user, items: list[_Item]) -> dict[str, int]:
    """Import ``items`` as ``user``; their refs → the pks of the claims or links they became."""
    if not items:
        return {}
    try:
        report = opendata_services.annotations_import(
            user=user, data=[item.raw for item in items], site=SITE
        )
    except opendata_services.ImportRejected as rejected:
        who = f"{READING_FILE} ({user.username})"
        lines = rejected.report.summary().splitlines()
        raise ValidationError([f"{who}: {line}" for line in lines]) from None
    pks = {}
    for item, result in zip(items, report.items, strict=True):
        # The checks above make every quote exact and every link end a claim of the reading,
        # so any warning means the reading and the database disagree.
        if result.warnings:
            raise ValidationError(f"{READING_FILE} #{item.ref}: {' '.join(result.warnings)}")
        pks[item.ref] = int(_NEW_ID.search(result.new_id or "").group(2))
    return pks


def _by_creator(items: list[_Item]) -> dict[str, list[_Item]]:
    groups: dict[str, list[_Item]] = {}
    for item in items:
        groups.setdefault(item.creator, []).append(item)
    return groups


def _existing_link(item: _Item, claims: dict[str, Claim]) -> ClaimLink | None:
    first, second = sorted(claims[ref].pk for ref in item.ends)
    return ClaimLink.objects.filter(
        claim_a_id=first, claim_b_id=second, relation=item.spec.relation
    ).first()


def _curate(*, plan: _Plan, story: Story, loaded: ReadingLoaded) -> None:
    curator, curation = plan.curator, plan.curation
    for review in curation["reviews"]:
        link = loaded.links[review["link"]]
        if link.status != review["decision"]:
            curation_services.links_review(
                user=curator,
                links=[link],
                decision=review["decision"],
                reason=review.get("reason", ""),
            )
            loaded.reviews += 1
    for entry in curation["canonical_claims"]:
        canonical = CanonicalClaim.objects.filter(story=story, statement=entry["statement"]).first()
        gathered = set(
            CanonicalMember.objects.filter(
                claim__in=[loaded.claims[m["claim"]] for m in entry["members"]]
            ).values_list("claim_id", flat=True)
        )
        by_stance: dict[str, list[Claim]] = {}
        for member in entry["members"]:
            claim = loaded.claims[member["claim"]]
            if claim.pk not in gathered:
                by_stance.setdefault(member["stance"], []).append(claim)
        for stance, claims in by_stance.items():
            if canonical is None:
                canonical = curation_services.canonical_create(
                    user=curator,
                    story=story,
                    statement=entry["statement"],
                    claims=claims,
                    stance=stance,
                )
            else:
                curation_services.canonical_add_claims(
                    user=curator, canonical=canonical, claims=claims, stance=stance
                )
        if canonical is not None:  # None: every member was gathered elsewhere since
            loaded.canonicals.append(canonical)
    for entry in curation["verdicts"]:
        link = loaded.links[entry["link"]]
        rated = loaded.claims[entry["rated_claim"]]
        wanted = (rated.pk, entry["rating"], entry["evidence"], entry.get("url", ""))
        verdict = Verdict.objects.filter(link=link).first()
        if verdict is None or (
            verdict.rated_claim_id, verdict.rating, verdict.evidence, verdict.url
        ) != wanted:
            verdict = curation_services.verdict_set(
                user=curator,
                link=link,
                rated_claim=rated,
                rating=entry["rating"],
                evidence=entry["evidence"],
                url=entry.get("url", ""),
            )
        loaded.verdicts.append(verdict)


def demo_reading_load(
    *, story: Story, users: Mapping[str, Any] | None = None, folder: Path = DEMO_DIR
) -> ReadingLoaded:
    """Load the reading in ``folder`` onto ``story`` (the loaded demo story) as the demo users
    (username → user; looked up when not given). All or nothing: ValidationError lists what is
    wrong and nothing is written. Loading it again writes nothing new."""
    plan = demo_reading_check(story=story, users=users, folder=folder)
    loaded = ReadingLoaded()
    try:
        with transaction.atomic():
            claim_pks: dict[str, int] = {}
            for creator, items in _by_creator(list(plan.claims.values())).items():
                claim_pks |= _import(user=plan.users[creator], items=items)
            claims = Claim.objects.select_related("article__story").in_bulk(claim_pks.values())
            loaded.claims = {ref: claims[pk] for ref, pk in claim_pks.items()}
            link_pks: dict[str, int] = {}
            new: list[_Item] = []
            for item in plan.links.values():
                if (link := _existing_link(item, loaded.claims)) is not None:
                    link_pks[item.ref] = link.pk  # loaded before: keep its review status
                else:
                    new.append(item)
            for creator, items in _by_creator(new).items():
                link_pks |= _import(user=plan.users[creator], items=items)
            links = ClaimLink.objects.select_related("claim_a__article__story").in_bulk(
                link_pks.values()
            )
            loaded.links = {ref: links[pk] for ref, pk in link_pks.items()}
            _curate(plan=plan, story=story, loaded=loaded)
    except PermissionDenied as error:
        raise ValidationError(f"{CURATION_FILE}: {error}") from None
    return loaded
