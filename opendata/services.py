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
from annotations.selectors import claims_visible_to, links_visible_to
from articles.models import Article, Story
from teams.models import Team
from textkernel.anchoring import FUZZY, plan_reanchor
from textkernel.quotes import find_quote
from textkernel.text import normalize_quote

from textkernel.clean import text_error
from textkernel.params import parse_id

from . import hypothesis, jsonld, selectors
from .jsonld import ClaimSpec, LinkSpec, Origin, ParseError, Site, SpanSpec
from .models import ApiToken, OrphanedAnnotation, Provenance

_ARTICLE_PATH = re.compile(r"/annotations/articles/(\d{1,18})$")
_ANNOTATION_TAIL = re.compile(r"^(claim|link)-(\d{1,18})$")


# --- the report --------------------------------------------------------------------------------

CREATED, EXISTING, REANCHORED, ORPHANED_STATUS = "created", "existing", "reanchored", "orphaned"


@dataclass
class ItemReport:
    """What happened to one item of an import (``index`` counts from 0 in the file).

    ``status``: created, reanchored (created, its quote found elsewhere or slightly changed),
    existing (already here: nothing written), orphaned (its words are in no article of the
    story: kept aside, see ``OrphanedAnnotation``), or error (refused; ``errors`` say why).
    """

    index: int
    id: str | None
    kind: str = "annotation"
    quote: str = ""
    status: str = "pending"
    new_id: str | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def label(self) -> str:
        return f"item {self.index}" + (f" ({self.id})" if self.id else "")


@dataclass
class ImportReport:
    items: list[ItemReport]
    errors: list[str] = field(default_factory=list)  # about the document as a whole
    warnings: list[str] = field(default_factory=list)  # about the document as a whole
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and not any(item.errors for item in self.items)

    def counts(self) -> dict[str, int]:
        counts = {
            "claims": 0,
            "links": 0,
            "created": 0,
            "existing": 0,
            "reanchored": 0,
            "orphaned": 0,
            "refused": 0,
            "errors": 0,
        }
        for item in self.items:
            if item.errors:
                counts["errors"] += 1
                counts["refused"] += 1
            elif item.status == EXISTING:
                counts["existing"] += 1
            elif item.status == ORPHANED_STATUS:
                counts["orphaned"] += 1
            elif item.status in (CREATED, REANCHORED):
                counts["created"] += 1
                counts["claims" if item.kind == "claim" else "links"] += 1
                counts["reanchored"] += item.status == REANCHORED
        return counts

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "counts": self.counts(),
            "errors": self.errors,
            "warnings": self.warnings,
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


def _document_items(data: Any) -> tuple[list[Any], list[str], str]:
    """The annotations in an AnnotationCollection (with embedded pages), an AnnotationPage, a
    JSON list, a single Annotation, or one of Hypothesis's own JSON shapes (converted); plus
    document-level errors and the format's name ("w3c" or "hypothesis")."""
    if (rows := hypothesis.hypothesis_rows(data)) is not None:
        return hypothesis.convert(rows), [], "hypothesis"
    if isinstance(data, list):
        return data, [], "w3c"
    if not isinstance(data, dict):
        return [], [_("The document must be a JSON object or list.")], "w3c"
    types = jsonld._types(data.get("type"))
    if "Annotation" in types:
        return [data], [], "w3c"
    if "AnnotationPage" in types:
        items = data.get("items")
        if not isinstance(items, list):
            return [], [_("The AnnotationPage has no items list.")], "w3c"
        return items, [], "w3c"
    if "AnnotationCollection" in types:
        total = data.get("total", 0)
        items, page = [], data.get("first")
        while isinstance(page, dict):
            if not isinstance(page.get("items"), list):
                return [], [_("An embedded AnnotationPage has no items list.")], "w3c"
            items += page["items"]
            page = page.get("next")
        if isinstance(page, str) or (isinstance(total, int) and total > len(items)):
            return [], [
                _(
                    "Only embedded pages are read: the collection says %(total)s annotations "
                    "but embeds %(n)s."
                )
                % {"total": total, "n": len(items)}
            ], "w3c"
        return items, [], "w3c"
    return [], [
        _(
            "Expected a W3C Annotation, AnnotationPage or AnnotationCollection, or a Hypothesis "
            "export."
        )
    ], "w3c"


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
        .only("id", "title", "body", "body_hash", "language", "story_id", "story__slug")
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


@dataclass
class _Quote:
    """A span's quote in the shape ``textkernel.anchoring`` re-anchors (offsets are a hint)."""

    pk: int
    start: int
    end: int
    exact: str
    prefix: str
    suffix: str


def _reanchor(span: SpanSpec, article: Article, what: str) -> tuple[_Resolved | None, str | None]:
    """The span's words found again in ``article`` by the fuzzy re-anchoring claims use after an
    edit (exact quote scored by its context, then slightly changed words); (resolved, warning)."""
    exact = normalize_quote(span.exact)
    if not exact.strip():
        return None, None
    hint = span.start if span.start is not None else 0
    # Another tool's context carries its page's layout whitespace (Hypothesis: tabs and blank
    # lines around a heading); compare words, not layout.
    prefix, suffix = " ".join(span.prefix.split()), " ".join(span.suffix.split())
    quote = _Quote(0, hint, hint + len(exact), exact, prefix, suffix)
    anchor = plan_reanchor(
        old_body=None, new_body=article.body, claims=[quote], max_span=int(len(exact) * 1.5) + 16
    ).anchors[0]
    if not anchor.found:
        return None, None
    if anchor.outcome == FUZZY:
        warning = _(
            "%(what)s: the words differ slightly; matched “%(found)s” (%(score)s%% similar)."
        ) % {"what": what, "found": anchor.exact[:80], "score": round(anchor.score)}
    else:
        warning = _("%(what)s: the quote was found by its words and context at %(start)s.") % {
            "what": what,
            "start": anchor.start,
        }
    return _Resolved(article, anchor.start, anchor.end), warning


def _match_sources(
    spans: list[SpanSpec], story_articles: list[Article]
) -> tuple[dict[str, Article], list[str]]:
    """Foreign source IRIs (another tool's page URLs) → the story's article holding most of
    their quotes; plus a note per source for the report."""
    by_source: dict[str, list[SpanSpec]] = {}
    for span in spans:
        by_source.setdefault(span.source_id, []).append(span)
    chosen, notes = {}, []
    for source, group in by_source.items():
        quotes = [q for q in (normalize_quote(s.exact) for s in group) if q.strip()]
        best, best_hits = None, 0
        for article in story_articles:
            hits = sum(1 for q in quotes if q in article.body)
            if hits > best_hits:
                best, best_hits = article, hits
        if best is not None:
            chosen[source] = best
            notes.append(
                _("%(source)s was read as “%(title)s” (%(hits)s of its %(n)s quotes found as is).")
                % {"source": source[:200], "title": best.title, "hits": best_hits, "n": len(group)}
            )
    return chosen, notes


# --- import ------------------------------------------------------------------------------------


@dataclass
class _Plan:
    report: ItemReport
    spec: ClaimSpec | LinkSpec
    spans: list[_Resolved]
    raw: Any = None
    orphan_article: Article | None = None


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


def _kept_warnings(spec: ClaimSpec | LinkSpec) -> list[str]:
    kinds = sorted(
        {
            ", ".join(sorted(jsonld._types(s.get("type")))) or "untyped selector"
            for s in spec.origin.kept_selectors
        }
    )
    return [
        _(
            "%(kind)s cannot be used on Parallax's plain text; it is kept with the annotation "
            "and exported again."
        )
        % {"kind": kind}
        for kind in kinds
    ]


def _unkept_warnings(spec: ClaimSpec | LinkSpec) -> list[str]:
    """One warning per place (the annotation, its target, a body) naming the properties the
    import read but Parallax does not keep: said in the report, never dropped silently."""
    messages = {
        "annotation": _("Not kept by Parallax (not imported, not exported again): the "
                        "annotation's %(names)s."),
        "target": _("Not kept by Parallax (not imported, not exported again): the target's "
                    "%(names)s."),
        "body": _("Not kept by Parallax (not imported, not exported again): the body's "
                  "%(names)s."),
    }
    return [
        messages[where] % {"names": ", ".join(names)}
        for where, names in spec.origin.unkept.items()
        if names
    ]


def _check(
    *, data: Any, site: Site | None, story: Story | None = None
) -> tuple[ImportReport, list[_Plan]]:
    """Parse every item and find its article and spans; nothing is written.

    With ``story``, spans whose source is not an article of this site (another tool's page) are
    looked for in the story's articles, re-anchored fuzzily, and claims found nowhere become
    orphans instead of errors.
    """
    raw_items, doc_errors, format_name = _document_items(data)
    report = ImportReport(items=[], errors=doc_errors)
    parsed: list[tuple[ItemReport, ClaimSpec | LinkSpec | None, Any]] = []
    for index, raw in enumerate(raw_items):
        item = ItemReport(index=index, id=raw.get("id") if isinstance(raw, dict) else None)
        if not isinstance(item.id, str):
            item.id = None
        report.items.append(item)
        try:
            spec = jsonld.parse_annotation(raw)
        except ParseError as error:
            item.errors.append(str(error))
            parsed.append((item, None, raw))
            continue
        item.kind = "claim" if isinstance(spec, ClaimSpec) else "link"
        item.quote = (spec.span if isinstance(spec, ClaimSpec) else spec.a).exact[:200]
        item.warnings += spec.origin.warnings + _kept_warnings(spec) + _unkept_warnings(spec)
        if format_name == "hypothesis" and spec.visibility == Claim.Visibility.PRIVATE:
            item.warnings.append(
                _("Not everyone could read it in Hypothesis (only its author or a group): it is "
                  "imported private.")
            )
        parsed.append((item, spec, raw))

    def spans_of(spec):
        return [spec.span] if isinstance(spec, ClaimSpec) else [spec.a, spec.b]

    all_spans = [s for _i, spec, _r in parsed if spec for s in spans_of(spec)]
    articles = _load_articles(all_spans, site)
    story_articles: list[Article] = []
    foreign: dict[str, Article] = {}
    if story is not None:
        story_articles = list(
            Article.objects.filter(story=story)
            .select_related("story")
            .only("id", "title", "body", "body_hash", "language", "story_id", "story__slug")
            .order_by("position", "pk")
        )
        unknown = [s for s in all_spans if _pick_article(s, articles, site) is None]
        foreign, notes = _match_sources(unknown, story_articles)
        report.warnings += notes
    plans = []
    for item, spec, raw in parsed:
        if spec is None:
            continue
        resolved: list[_Resolved] = []
        orphaned = False
        names = (
            [_("The target")]
            if isinstance(spec, ClaimSpec)
            else [_("The target"), _("The linked body")]
        )
        for span, what in zip(spans_of(spec), names, strict=True):
            article = _pick_article(span, articles, site) or foreign.get(span.source_id)
            if article is None and story is None:
                item.errors.append(
                    _("%(what)s names an unknown article: %(iri)s.")
                    % {"what": what, "iri": span.source_id}
                )
                continue
            where = error = warning = None
            if article is not None:
                where, error, warning = _locate(span, article, what)
            if where is None and story is not None:
                # Text that moved or changed a little: the claims' own re-anchoring, first in
                # the article the source maps to, then in the story's other articles.
                candidates = [article] if article is not None else []
                candidates += [a for a in story_articles if a is not article]
                for candidate in candidates:
                    where, warning = _reanchor(span, candidate, what)
                    if where is not None:
                        error = None
                        break
                if where is None and isinstance(spec, ClaimSpec) and span.exact.strip():
                    orphaned = True
                    error = None
            if error:
                item.errors.append(error)
            if warning:
                item.warnings.append(warning)
                item.status = REANCHORED
            if where:
                resolved.append(where)
        if orphaned:
            item.status = ORPHANED_STATUS
            item.warnings.append(
                _(
                    "Its words could not be found with confidence in any article of this story "
                    "(missing, or repeated without matching context); it is kept aside as an "
                    "orphan and nothing is highlighted."
                )
            )
        if not item.errors:
            plans.append(_Plan(report=item, spec=spec, spans=resolved, raw=raw))
    return report, plans


def _local_object_ids(keys: set[str], site: Site) -> tuple[set[int], set[int]]:
    """Claim and link pks named by this site's own annotation IRIs among ``keys``."""
    claims, links = set(), set()
    prefix = site.container()
    for key in keys:
        if key.startswith(prefix):
            match = _ANNOTATION_TAIL.match(key[len(prefix) :])
            if match:
                (claims if match.group(1) == "claim" else links).add(int(match.group(2)))
    return claims, links


def _known(*, user, plans: list[_Plan], site: Site, story: Story | None) -> None:
    """Mark as ``existing`` every item already here: one of this site's own annotations (by its
    IRI), or one imported before (same original id, canonical or via), that ``user`` can see;
    and orphans already kept for this story. Whoever imported it first, nothing is duplicated
    and its author is unchanged."""
    keys = {k for p in plans for k in p.spec.origin.keys}
    if not keys:
        return
    claim_ids, link_ids = _local_object_ids(keys, site)
    visible_claims = set(
        claims_visible_to(user=user).filter(pk__in=claim_ids).values_list("pk", flat=True)
    ) if claim_ids else set()
    visible_links = set(
        links_visible_to(user=user).filter(pk__in=link_ids).values_list("pk", flat=True)
    ) if link_ids else set()
    by_key: dict[str, str] = {}
    for pk in visible_claims:
        by_key[site.claim(pk)] = site.claim(pk)
    for pk in visible_links:
        by_key[site.link(pk)] = site.link(pk)
    origins = Provenance.objects.filter(Q(original_id__in=keys) | Q(canonical__in=keys)).filter(
        Q(claim__in=claims_visible_to(user=user)) | Q(link__in=links_visible_to(user=user))
    ).only("original_id", "canonical", "claim_id", "link_id")
    for origin in origins:
        iri = site.claim(origin.claim_id) if origin.claim_id else site.link(origin.link_id)
        for key in (origin.original_id, origin.canonical):
            if key:
                by_key.setdefault(key, iri)
    orphans = set()
    if story is not None:
        orphans = set(
            OrphanedAnnotation.objects.filter(story=story, original_id__in=keys).values_list(
                "original_id", flat=True
            )
        )
    for plan in plans:
        item = plan.report
        for key in sorted(plan.spec.origin.keys):
            if key in by_key:
                # Already here (this site's own, or imported before): nothing changes.
                item.status, item.new_id, item.warnings = EXISTING, by_key[key], []
                break
            if item.status == ORPHANED_STATUS and key in orphans:
                item.status, item.warnings = EXISTING, []
                break


class _DryRun(Exception):
    """Raised inside the import's transaction to roll a dry run back."""


def annotations_import(
    *,
    user,
    data: Any,
    site: Site,
    story: Story | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import the claims and links in ``data`` (a W3C AnnotationCollection, AnnotationPage, list
    or Annotation, or a Hypothesis export) as ``user``; all or nothing.

    Raises ImportRejected (nothing written) if any item is unreadable, names an unknown article,
    has selectors that do not match the article text, or is refused by the annotation services.
    Items already here (this site's own annotation IRIs; an original id, canonical or via seen
    before) and spans ``user`` already highlighted are reported as ``existing``. Each new claim
    or link keeps its provenance (creator, dates, generator, ids, unusable selectors).
    With ``story``, other tools' page IRIs are matched to the story's articles by their quotes,
    words that moved are re-anchored, and claims found nowhere are kept as orphans.
    ``dry_run`` does everything, reports, and rolls it all back.
    Link review status is restored only for users who may curate; others get a warning.
    """
    annotation_services.require_user(user)
    report, plans = _check(data=data, site=site, story=story)
    report.dry_run = dry_run
    if not report.ok:
        raise ImportRejected(report)
    try:
        with transaction.atomic():
            _write(user=user, plans=plans, report=report, site=site, story=story,
                   progress=progress)
            if not report.ok:
                raise ImportRejected(report)  # rolls the transaction back
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


def _write(*, user, plans: list[_Plan], report: ImportReport, site: Site, story, progress):
    _known(user=user, plans=plans, site=site, story=story)
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
    origins: list[Provenance] = []
    for plan in plans:
        item = plan.report
        if item.status == EXISTING:
            continue
        try:
            if item.status == ORPHANED_STATUS:
                _keep_orphan(user=user, plan=plan, story=story)
            elif isinstance(plan.spec, ClaimSpec):
                claim, created = _import_claim(user=user, plan=plan, mine=mine, site=site)
                if created and plan.spec.origin.worth_keeping:
                    origins.append(_provenance(user=user, origin=plan.spec.origin, claim=claim))
            else:
                link, created = _import_link(user=user, plan=plan, mine=mine, site=site)
                if created and plan.spec.origin.worth_keeping:
                    origins.append(_provenance(user=user, origin=plan.spec.origin, link=link))
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
    if origins:
        Provenance.objects.bulk_create(origins)
    if report.ok:
        from curation.services import links_review

        for decision, links in reviews.items():
            try:
                links_review(user=user, links=links, decision=decision, reason=_("Imported."))
            except (ValidationError, PermissionDenied) as error:
                report.errors.append(_message(error))


def _provenance(*, user, origin: Origin, claim=None, link=None) -> Provenance:
    """The Provenance row for a new claim or link (the client's ``id`` is kept as its
    ``original_id``, given back as ``via``)."""
    row = Provenance(
        claim=claim,
        link=link,
        tool=origin.tool,
        original_id=origin.id or (origin.via[0] if origin.via else ""),
        canonical=origin.canonical,
        creator_iri=origin.creator_iri,
        creator_name=origin.creator_name,
        creator_nickname=origin.creator_nickname,
        created=origin.created,
        modified=origin.modified,
        generator=origin.generator,
        note_format=origin.note_format,
        kept_selectors=origin.kept_selectors,
        imported_by=user,
    )
    row.full_clean(exclude=["claim", "link", "imported_by"], validate_constraints=False)
    return row


def _keep_orphan(*, user, plan: _Plan, story: Story) -> None:
    origin = plan.spec.origin
    key = origin.id or origin.canonical or (
        "sha256:" + hashlib.sha256(jsonld.dumps(plan.raw)).hexdigest()
    )
    OrphanedAnnotation.objects.get_or_create(
        story=story,
        original_id=key[:2000],
        defaults={
            "imported_by": user,
            "tool": origin.tool,
            "quote": plan.spec.span.exact[:5000],
            "data": plan.raw,
        },
    )


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


def _import_claim(*, user, plan: _Plan, mine: dict, site: Site) -> tuple[Claim, bool]:
    spec, item, resolved = plan.spec, plan.report, plan.spans[0]
    if (existing := mine.get(resolved.key)) is not None:
        item.status, item.new_id = EXISTING, site.claim(existing.pk)
        if spec.note or spec.tags:
            item.warnings.append(
                _(
                    "You already highlighted exactly these words; that highlight is kept as it "
                    "is (Parallax keeps one highlight per person per span)."
                )
            )
        return existing, False
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
    if item.status != REANCHORED:
        item.status = CREATED
    item.new_id = site.claim(claim.pk)
    return claim, True


def _import_link(*, user, plan: _Plan, mine: dict, site: Site) -> tuple[ClaimLink, bool]:
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
    if created:
        item.status = REANCHORED if item.status == REANCHORED else CREATED
    else:
        item.status = EXISTING
    item.new_id = site.link(link.pk)
    return link, created


# --- the protocol ------------------------------------------------------------------------------


class PreconditionFailed(Exception):
    """If-Match named a representation that is no longer current (HTTP 412)."""


def annotation_create(
    *, user, data: Any, site: Site
) -> tuple[Claim | ClaimLink, ImportReport, bool]:
    """Create one annotation (protocol POST); ImportRejected if it cannot be.

    Returns the claim or link, the report, and whether it was created (False: the same words
    were already highlighted by ``user``, or the annotation was imported before)."""
    if not isinstance(data, dict) or "Annotation" not in jsonld._types(data.get("type")):
        report = ImportReport(items=[], errors=[_("POST one Annotation to the container.")])
        raise ImportRejected(report)
    report = annotations_import(user=user, data=data, site=site)
    item = report.items[0]
    kind, pk = selectors.parse_annotation_id(item.new_id.rsplit("/", 1)[1])
    obj = selectors.annotation_object(user=user, kind=kind, pk=pk)
    return obj, report, item.status != "existing"


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
    target_error = isinstance(data, dict) and any(
        message.startswith(("The target", _("The target")))
        for item in report.items
        for message in item.errors
    )
    if target_error:
        # Whatever is wrong with the new target, the answer is the same: it cannot change.
        report = ImportReport(
            items=report.items[:1],
            errors=[_("The target cannot change; create a new annotation instead.")],
        )
        report.items[0].errors = []
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
