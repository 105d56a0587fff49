"""Writes for open data: importing W3C annotations, the protocol's create/replace/delete, and
personal API tokens.

Every claim and link is written through ``annotations.services`` (and link review through
``curation.services``), so the same rules, permissions and activity records apply as on the
site. An import checks every item first and writes second, all inside one transaction: one bad
item and nothing is written, and the report says what is wrong with each item.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from annotations import permissions
from annotations import services as annotation_services
from annotations.models import Claim, ClaimLink
from annotations.selectors import claims_visible_to
from articles.models import Article
from teams.models import Team
from textkernel.quotes import find_quote
from textkernel.text import normalize_quote

from . import jsonld, selectors
from .jsonld import ClaimSpec, LinkSpec, ParseError, Site, SpanSpec
from .models import ApiToken
from textkernel.clean import text_error
from textkernel.params import parse_id

_ARTICLE_PATH = re.compile(r"/annotations/articles/(\d{1,18})$")


# --- the report --------------------------------------------------------------------------------


@dataclass
class ItemReport:
    """What happened to one item of an import (``index`` counts from 0 in the file)."""

    index: int
    id: str | None
    kind: str = "annotation"
    status: str = "pending"  # created | existing | error
    new_id: str | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def label(self) -> str:
        return f"item {self.index}" + (f" ({self.id})" if self.id else "")


@dataclass
class ImportReport:
    items: list[ItemReport]
    errors: list[str] = field(default_factory=list)  # about the document as a whole

    @property
    def ok(self) -> bool:
        return not self.errors and not any(item.errors for item in self.items)

    def counts(self) -> dict[str, int]:
        counts = {"claims": 0, "links": 0, "existing": 0, "errors": 0}
        for item in self.items:
            if item.errors:
                counts["errors"] += 1
            elif item.status == "existing":
                counts["existing"] += 1
            elif item.status == "created":
                counts["claims" if item.kind == "claim" else "links"] += 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "counts": self.counts(),
            "errors": self.errors,
            "items": [asdict(item) for item in self.items],
        }

    def summary(self) -> str:
        """One line per problem, naming the item (for the command line and 422 details)."""
        lines = list(self.errors)
        for item in self.items:
            lines += [f"{item.label()}: {message}" for message in item.errors]
        return "\n".join(lines)


class ImportRejected(Exception):
    """The import wrote nothing; ``report`` says why, item by item."""

    def __init__(self, report: ImportReport):
        super().__init__(report.summary())
        self.report = report


# --- reading the document ---------------------------------------------------------------------


def _document_items(data: Any) -> tuple[list[Any], list[str]]:
    """The annotations in an AnnotationCollection (with embedded pages), an AnnotationPage, a
    JSON list or a single Annotation; plus document-level errors."""
    if isinstance(data, list):
        return data, []
    if not isinstance(data, dict):
        return [], [_("The document must be a JSON object or list.")]
    types = jsonld._types(data.get("type"))
    if "Annotation" in types:
        return [data], []
    if "AnnotationPage" in types:
        items = data.get("items")
        if not isinstance(items, list):
            return [], [_("The AnnotationPage has no items list.")]
        return items, []
    if "AnnotationCollection" in types:
        total = data.get("total", 0)
        items, page = [], data.get("first")
        while isinstance(page, dict):
            if not isinstance(page.get("items"), list):
                return [], [_("An embedded AnnotationPage has no items list.")]
            items += page["items"]
            page = page.get("next")
        if isinstance(page, str) or (isinstance(total, int) and total > len(items)):
            return [], [
                _(
                    "Only embedded pages are read: the collection says %(total)s annotations "
                    "but embeds %(n)s."
                )
                % {"total": total, "n": len(items)}
            ]
        return items, []
    return [], [_("Expected an Annotation, AnnotationPage or AnnotationCollection.")]


# --- finding articles and spans ---------------------------------------------------------------


@dataclass
class _Resolved:
    article: Article
    start: int
    end: int

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.article.pk, self.start, self.end)


def _local_pk(iri: str, site: Site | None) -> int | None:
    """The article pk in one of this site's article IRIs (any host when ``site`` is None)."""
    parts = urlsplit(iri)
    if site is not None and f"{parts.scheme}://{parts.netloc}" != site.base:
        return None
    match = _ARTICLE_PATH.search(parts.path)
    return parse_id(match.group(1)) if match else None


def _load_articles(specs: list[SpanSpec], site: Site | None) -> list[Article]:
    hashes = {s.sha256 for s in specs if s.sha256}
    pks = {pk for s in specs if (pk := _local_pk(s.source_id, site)) is not None}
    if not hashes and not pks:
        return []
    return list(
        Article.objects.filter(Q(body_hash__in=hashes) | Q(pk__in=pks))
        .select_related("story")
        .only("id", "body", "body_hash", "language", "story_id", "story__slug")
    )


def _pick_article(span: SpanSpec, articles: list[Article], site: Site | None) -> Article | None:
    """The article a span's source names: same text (SHA-256), preferring the same story and
    then the same pk; without a hash, this site's own article IRI."""
    pk = _local_pk(span.source_id, site)
    if span.sha256:
        same_text = [a for a in articles if a.body_hash == span.sha256]
        same_text.sort(key=lambda a: (a.story.slug != span.story, a.pk != pk, a.pk))
        return same_text[0] if same_text else None
    return next((a for a in articles if a.pk == pk), None)


def _locate(
    span: SpanSpec, article: Article, what: str
) -> tuple[_Resolved | None, str | None, str | None]:
    """Where ``span`` lies in ``article``: (resolved, error, warning)."""
    body = article.body
    exact = normalize_quote(span.exact)
    if span.start is not None:
        start, end = span.start, span.end
        in_range = start < end <= len(body)
        if in_range and (not exact or body[start:end] == exact):
            return _Resolved(article, start, end), None, None
    if exact:
        found = find_quote(body, exact, prefix=span.prefix, suffix=span.suffix)
        if len(found) == 1 or (found and span.start is None):
            start = found[0]
            warning = None
            if span.start is not None:
                warning = _("%(what)s: the quote was found at %(start)s, not at %(given)s.") % {
                    "what": what,
                    "start": start,
                    "given": span.start,
                }
            return _Resolved(article, start, start + len(exact)), None, warning
    if span.start is not None and span.start < span.end <= len(body):
        found_text = body[span.start : span.end]
        return (
            None,
            _(
                "%(what)s: the selectors do not match the article text (expected “%(exact)s” at "
                "%(start)s–%(end)s, the article has “%(found)s”)."
            )
            % {
                "what": what,
                "exact": exact[:80],
                "start": span.start,
                "end": span.end,
                "found": found_text[:80],
            },
            None,
        )
    if span.start is not None:
        return (
            None,
            _(
                "%(what)s: the position %(start)s–%(end)s is outside the article text (%(n)s "
                "characters)."
            )
            % {"what": what, "start": span.start, "end": span.end, "n": len(body)},
            None,
        )
    return (
        None,
        _("%(what)s: the quote “%(exact)s” is not in the article text.")
        % {"what": what, "exact": exact[:80]},
        None,
    )


# --- import ------------------------------------------------------------------------------------


@dataclass
class _Plan:
    report: ItemReport
    spec: ClaimSpec | LinkSpec
    spans: list[_Resolved]


def _message(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError):
        return " ".join(str(m) for m in error.messages)
    return str(error) or _("Not allowed.")


def _team(slug: str | None) -> Team | None:
    if slug is None:
        return None
    team = Team.objects.filter(slug=slug).first()
    if team is None:
        raise ValidationError(_("No such team “%(slug)s”.") % {"slug": slug}, code="team_unknown")
    return team


def _check(*, data: Any, site: Site | None) -> tuple[ImportReport, list[_Plan]]:
    """Parse every item and find its article and spans; nothing is written."""
    raw_items, doc_errors = _document_items(data)
    report = ImportReport(items=[], errors=doc_errors)
    parsed: list[tuple[ItemReport, ClaimSpec | LinkSpec | None]] = []
    for index, raw in enumerate(raw_items):
        item = ItemReport(index=index, id=raw.get("id") if isinstance(raw, dict) else None)
        if not isinstance(item.id, str):
            item.id = None
        report.items.append(item)
        try:
            spec = jsonld.parse_annotation(raw)
        except ParseError as error:
            item.errors.append(str(error))
            parsed.append((item, None))
            continue
        item.kind = "claim" if isinstance(spec, ClaimSpec) else "link"
        parsed.append((item, spec))

    def spans_of(spec):
        return [spec.span] if isinstance(spec, ClaimSpec) else [spec.a, spec.b]

    articles = _load_articles([s for _i, spec in parsed if spec for s in spans_of(spec)], site)
    plans = []
    for item, spec in parsed:
        if spec is None:
            continue
        resolved = []
        names = (
            [_("The target")]
            if isinstance(spec, ClaimSpec)
            else [_("The target"), _("The linked body")]
        )
        for span, what in zip(spans_of(spec), names, strict=True):
            article = _pick_article(span, articles, site)
            if article is None:
                item.errors.append(
                    _("%(what)s names an unknown article: %(iri)s.")
                    % {"what": what, "iri": span.source_id}
                )
                continue
            where, error, warning = _locate(span, article, what)
            if error:
                item.errors.append(error)
            if warning:
                item.warnings.append(warning)
            if where:
                resolved.append(where)
        if not item.errors:
            plans.append(_Plan(report=item, spec=spec, spans=resolved))
    return report, plans


def annotations_import(
    *,
    user,
    data: Any,
    site: Site,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import the claims and links in ``data`` (a W3C AnnotationCollection, AnnotationPage, list
    or Annotation) as ``user``; all or nothing.

    Raises ImportRejected (nothing written) if any item is unreadable, names an unknown article,
    has selectors that do not match the article text, or is refused by the annotation services.
    Items ``user`` already has (same span; same pair and relation) are reported as ``existing``.
    Link review status is restored only for users who may curate; others get a warning.
    """
    annotation_services.require_user(user)
    report, plans = _check(data=data, site=site)
    if not report.ok:
        raise ImportRejected(report)
    with transaction.atomic():
        mine = {
            (c.article_id, c.start, c.end): c
            for c in Claim.objects.filter(
                author=user,
                status=Claim.Status.ACTIVE,
                article_id__in={r.article.pk for p in plans for r in p.spans},
            ).only("id", "article_id", "start", "end", "author_id", "visibility")
        }
        for resolved in (r for p in plans for r in p.spans):
            if (c := mine.get(resolved.key)) is not None:
                c.article = resolved.article
        reviews: dict[str, list[ClaimLink]] = {}
        for plan in plans:
            item = plan.report
            try:
                if isinstance(plan.spec, ClaimSpec):
                    _import_claim(user=user, plan=plan, mine=mine, site=site)
                else:
                    link = _import_link(user=user, plan=plan, mine=mine, site=site)
                    status = plan.spec.status
                    if status != link.status:
                        if permissions.can_curate(user, link.claim_a.article.story):
                            reviews.setdefault(status, []).append(link)
                        else:
                            item.warnings.append(
                                _("Review status “%(s)s” not restored: only curators review links.")
                                % {"s": status}
                            )
            except (ValidationError, PermissionDenied) as error:
                item.errors.append(_message(error))
            if progress:
                progress(1)
        if report.ok:
            from curation.services import links_review

            for decision, links in reviews.items():
                try:
                    links_review(user=user, links=links, decision=decision, reason=_("Imported."))
                except (ValidationError, PermissionDenied) as error:
                    report.errors.append(_message(error))
        if not report.ok:
            raise ImportRejected(report)  # rolls the transaction back
    return report


def _claim_for(*, user, resolved: _Resolved, mine: dict, visibility: str, team) -> Claim:
    """The user's claim on exactly this span, made now if they have none."""
    if (claim := mine.get(resolved.key)) is not None:
        return claim
    claim = annotation_services.claim_create(
        author=user,
        article=resolved.article,
        start=resolved.start,
        end=resolved.end,
        exact=resolved.article.body[resolved.start : resolved.end],
        visibility=visibility,
        team=team,
    )
    mine[resolved.key] = claim
    return claim


def _import_claim(*, user, plan: _Plan, mine: dict, site: Site) -> Claim:
    spec, item, resolved = plan.spec, plan.report, plan.spans[0]
    if (existing := mine.get(resolved.key)) is not None:
        item.status, item.new_id = "existing", site.claim(existing.pk)
        return existing
    claim = annotation_services.claim_create(
        author=user,
        article=resolved.article,
        start=resolved.start,
        end=resolved.end,
        exact=resolved.article.body[resolved.start : resolved.end],
        note=spec.note,
        tags=spec.tags,
        visibility=spec.visibility,
        team=_team(spec.team),
    )
    mine[resolved.key] = claim
    item.status, item.new_id = "created", site.claim(claim.pk)
    return claim


def _import_link(*, user, plan: _Plan, mine: dict, site: Site) -> ClaimLink:
    spec, item = plan.spec, plan.report
    team = _team(spec.team)
    # A linked span the user has no claim on: any claim they can see there, else a new one.
    ends = []
    for resolved in plan.spans:
        claim = mine.get(resolved.key) or (
            claims_visible_to(user=user)
            .filter(article=resolved.article, start=resolved.start, end=resolved.end)
            .order_by("pk")
            .first()
        )
        if claim is None:
            claim = _claim_for(
                user=user, resolved=resolved, mine=mine, visibility=spec.visibility, team=team
            )
            item.warnings.append(
                _("Made a highlight for the linked span %(s)s–%(e)s.")
                % {"s": resolved.start, "e": resolved.end}
            )
        claim.article = resolved.article
        ends.append(claim)
    link, created = annotation_services.link_create(
        author=user,
        claim_a=ends[0],
        claim_b=ends[1],
        relation=spec.relation,
        rationale=spec.rationale,
        visibility=spec.visibility,
        team=team,
    )
    item.status, item.new_id = ("created" if created else "existing"), site.link(link.pk)
    return link


# --- the protocol ------------------------------------------------------------------------------


class PreconditionFailed(Exception):
    """If-Match named a representation that is no longer current (HTTP 412)."""


def annotation_create(*, user, data: Any, site: Site) -> tuple[Claim | ClaimLink, ImportReport]:
    """Create one annotation (protocol POST); ImportRejected if it cannot be."""
    if not isinstance(data, dict) or "Annotation" not in jsonld._types(data.get("type")):
        report = ImportReport(items=[], errors=[_("POST one Annotation to the container.")])
        raise ImportRejected(report)
    report = annotations_import(user=user, data=data, site=site)
    kind, pk = selectors.parse_annotation_id(report.items[0].new_id.rsplit("/", 1)[1])
    return selectors.annotation_object(user=user, kind=kind, pk=pk), report


def _same_span(resolved: _Resolved, claim: Claim) -> bool:
    return resolved.key == (claim.article_id, claim.start, claim.end)


def annotation_replace(
    *, user, kind: str, pk: int, data: Any, if_match: str, site: Site
) -> Claim | ClaimLink:
    """Replace an annotation (protocol PUT) if ``if_match`` is its current ETag.

    Only what Parallax lets people edit may change: a claim's note and tags, a link's relation
    and rationale. A different target, linked span or visibility is refused (ImportRejected).
    PreconditionFailed if the annotation changed since ``if_match`` was read.
    """
    annotation_services.require_user(user)
    report, plans = _check(data=data if isinstance(data, dict) else None, site=site)
    if report.ok and len(plans) != 1:
        report.errors.append(_("PUT one Annotation."))
    if not report.ok:
        raise ImportRejected(report)
    plan = plans[0]
    item = plan.report

    def refuse(message: str):
        item.errors.append(message)
        raise ImportRejected(report)

    with transaction.atomic():
        obj = selectors.annotation_object(user=user, kind=kind, pk=pk, for_update=True)
        current = selectors.etag_for(selectors.annotation_json(site=site, obj=obj))
        if if_match.strip() not in ("*", current) and current not in [
            tag.strip() for tag in if_match.split(",")
        ]:
            raise PreconditionFailed
        if obj.author_id != user.pk:
            raise PermissionDenied(_("Only its author can change this annotation."))
        spec = plan.spec
        if spec.visibility != obj.visibility or _team_slug(obj) != spec.team:
            refuse(_("The visibility cannot be changed here."))
        if isinstance(obj, Claim):
            if not isinstance(spec, ClaimSpec):
                refuse(_("This annotation is a claim: PUT a highlighting or commenting one."))
            if not _same_span(plan.spans[0], obj):
                refuse(_("The target cannot change; create a new annotation instead."))
            try:
                annotation_services.claim_update(
                    user=user, claim=obj, note=spec.note, tags=spec.tags
                )
            except (ValidationError, PermissionDenied) as error:
                refuse(_message(error))
            return obj
        if not isinstance(spec, LinkSpec):
            refuse(_("This annotation is a link: PUT a linking one."))
        spans = {plan.spans[0].key, plan.spans[1].key}
        if spans != {(c.article_id, c.start, c.end) for c in (obj.claim_a, obj.claim_b)}:
            refuse(_("The linked spans cannot change; create a new annotation instead."))
        try:
            annotation_services.link_update(
                user=user, link=obj, relation=spec.relation, rationale=spec.rationale
            )
        except (ValidationError, PermissionDenied) as error:
            refuse(_message(error))
        return obj


def _team_slug(obj: Claim | ClaimLink) -> str | None:
    if not obj.team_id:
        return None
    return Team.objects.filter(pk=obj.team_id).values_list("slug", flat=True).first()


def annotation_delete(*, user, kind: str, pk: int, if_match: str | None, site: Site) -> None:
    """Delete an annotation (protocol DELETE); PreconditionFailed on a stale ``if_match``."""
    annotation_services.require_user(user)
    with transaction.atomic():
        obj = selectors.annotation_object(user=user, kind=kind, pk=pk, for_update=True)
        if if_match and if_match.strip() != "*":
            current = selectors.etag_for(selectors.annotation_json(site=site, obj=obj))
            if current not in [tag.strip() for tag in if_match.split(",")]:
                raise PreconditionFailed
        if isinstance(obj, Claim):
            annotation_services.claim_delete(user=user, claim=obj)
        else:
            annotation_services.link_delete(user=user, link=obj)


# --- personal tokens ---------------------------------------------------------------------------

TOKEN_PREFIX = "plx_"
TOKEN_NAME_MAX = 100


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """A new personal token for ``user``; returns it with the raw token (shown once only)."""
    annotation_services.require_user(user)
    name = " ".join(str(name or "").split())
    if not name:
        raise ValidationError(_("Name the token (what will use it?)."), code="required")
    if error := text_error(name, what=_("The token name")):
        raise ValidationError(error, code="unsafe_text")
    if len(name) > TOKEN_NAME_MAX:
        raise ValidationError(
            _("A token name can be at most %(max)s characters.") % {"max": TOKEN_NAME_MAX},
            code="too_long",
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, key_hash=_token_hash(raw), hint=raw[:10])
    token.full_clean(exclude=["user"])
    with transaction.atomic():
        token.save()
    return token, raw


def token_revoke(*, user, pk: int | str) -> None:
    """Delete one of ``user``'s tokens; ValidationError if they have no such token."""
    annotation_services.require_user(user)
    pk = parse_id(pk) or -1
    with transaction.atomic():
        deleted, _per_model = ApiToken.objects.filter(user=user, pk=pk).delete()
    if not deleted:
        raise ValidationError(_("No such token."), code="unknown")


def token_user(*, raw: str):
    """The active user a raw token belongs to, or None. Notes the use (at most once a minute)."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=_token_hash(raw)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
