"""Writes for curation. Each checks permissions and input first, then writes inside one
transaction and records what changed in the shared event log (``activity``), so history shows
who did what, when, before and after.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.translation import gettext as _

from activity.services import record_event, snapshot
from annotations import permissions
from annotations.models import CLAIM_MAX_CHARS, Claim, ClaimLink
from articles.models import Story
from textkernel.anchoring import plan_reanchor
from textkernel.clean import text_error
from textkernel.quotes import quote_context

from .models import (
    REASON_MAX_CHARS,
    STATEMENT_MAX_CHARS,
    CanonicalClaim,
    CanonicalMember,
    LinkReview,
    OrphanDismissal,
    Verdict,
)

# --- helpers ----------------------------------------------------------------------------------


def _text(value: object, *, what: str, limit: int = REASON_MAX_CHARS, required=False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(_("%(what)s must be text.") % {"what": what}, code="invalid")
    value = value.strip()
    if error := text_error(value, what=what):
        raise ValidationError(error, code="unsafe_text")
    if required and not value:
        raise ValidationError(_("%(what)s cannot be empty.") % {"what": what}, code="required")
    if len(value) > limit:
        raise ValidationError(
            _("%(what)s can be at most %(max)d characters; it has %(n)d.")
            % {"what": what, "max": limit, "n": len(value)},
            code="too_long",
        )
    return value


def _story_of_link(link: ClaimLink) -> Story:
    return link.claim_a.article.story


# --- link review ------------------------------------------------------------------------------


def links_review(
    *, user, links: Sequence[ClaimLink], decision: str, reason: str = ""
) -> list[LinkReview]:
    """Confirm, reject (a reason is required) or send back to review each of ``links``.

    All or nothing: a link the user may not curate, or a missing reason, changes none of them.
    """
    if decision not in LinkReview.Decision.values:
        raise ValidationError(
            _("Unknown decision “%(d)s”; choose confirm or reject.") % {"d": decision},
            code="decision",
        )
    reason = _text(reason, what=_("The reason"))
    if decision == LinkReview.Decision.REJECTED and not reason:
        raise ValidationError(_("Say why the link is rejected."), code="reason_required")
    if not links:
        raise ValidationError(_("Choose at least one link."), code="empty")
    stories = {}
    for link in links:
        story = _story_of_link(link)
        stories[story.pk] = story
    for story in stories.values():
        permissions.require_curate(user, story)
    reviews = []
    with transaction.atomic():
        # Read again under the lock, through the visibility rule: a link deleted, or made
        # private by its author, since the reviewer's page was drawn is not reviewed.
        locked = {
            link.pk: link
            for link in ClaimLink.objects.select_for_update(of=("self",)).filter(
                permissions.link_visible_q(user), pk__in=[l.pk for l in links]
            )
        }
        if len(locked) != len({l.pk for l in links}):
            raise ValidationError(
                _("One of the links has been deleted or is no longer shared with you; reload and try again."),
                code="gone",
            )
        for link in links:
            current = locked[link.pk]
            before = snapshot(current)
            current.status = decision
            current.save(update_fields=["status", "updated_at"])
            review = LinkReview(link=current, reviewer=user, decision=decision, reason=reason)
            review.full_clean(exclude=["link", "reviewer"])
            review.save()
            reviews.append(review)
            link.status = decision
            record_event(
                actor=user,
                verb="reviewed",
                obj=current,
                story=_story_of_link(link),
                before=before,
                after=snapshot(current) | {"reason": reason},
            )
    return reviews


# --- canonical claims -------------------------------------------------------------------------


def _check_members(*, story: Story, claims: Iterable[Claim]) -> list[Claim]:
    claims = list({c.pk: c for c in claims}.values())
    if any(c.article.story_id != story.pk for c in claims):
        raise ValidationError(
            _("These claims come from different stories; a canonical claim gathers claims "
              "about one story."),
            code="other_story",
        )
    taken = CanonicalMember.objects.filter(claim__in=claims).select_related("canonical")
    if taken := list(taken):
        raise ValidationError(
            _("“%(quote)s” already belongs to the canonical claim “%(statement)s”.")
            % {"quote": taken[0].claim.exact[:60], "statement": taken[0].canonical.statement},
            code="taken",
        )
    return claims


def _check_stance(stance: str) -> str:
    if stance not in CanonicalMember.Stance.values:
        raise ValidationError(
            _("Unknown stance “%(s)s”; choose asserts, contradicts or qualifies.") % {"s": stance},
            code="stance",
        )
    return stance


def canonical_create(
    *, user, story: Story, statement: str, claims: Iterable[Claim] = (), stance: str = "asserts"
) -> CanonicalClaim:
    """Gather ``claims`` (from ``story``'s articles, not yet gathered) under a new statement."""
    permissions.require_curate(user, story)
    statement = _text(statement, what=_("The statement"), limit=STATEMENT_MAX_CHARS, required=True)
    stance = _check_stance(stance)
    claims = _check_members(story=story, claims=claims)
    with transaction.atomic():
        canonical = CanonicalClaim(story=story, statement=statement, created_by=user)
        canonical.full_clean(exclude=["story", "created_by"])
        canonical.save()
        _add_members(user=user, canonical=canonical, claims=claims, stance=stance)
        record_event(
            actor=user,
            verb="created",
            obj=canonical,
            story=story,
            after=snapshot(canonical) | {"members": [c.pk for c in claims]},
        )
    return canonical


def _add_members(*, user, canonical, claims, stance) -> None:
    try:
        with transaction.atomic():
            CanonicalMember.objects.bulk_create(
                [
                    CanonicalMember(canonical=canonical, claim=c, stance=stance, added_by=user)
                    for c in claims
                ]
            )
    except IntegrityError:
        raise ValidationError(
            _("One of these claims was just gathered elsewhere; reload and try again."),
            code="taken",
        ) from None


def canonical_add_claims(
    *, user, canonical: CanonicalClaim, claims: Iterable[Claim], stance: str = "asserts"
) -> None:
    """Add ``claims`` to ``canonical`` with one stance."""
    permissions.require_curate(user, canonical.story)
    stance = _check_stance(stance)
    claims = _check_members(story=canonical.story, claims=claims)
    if not claims:
        raise ValidationError(_("Choose at least one claim."), code="empty")
    with transaction.atomic():
        before = snapshot(canonical) | {"members": _member_ids(canonical)}
        _add_members(user=user, canonical=canonical, claims=claims, stance=stance)
        record_event(
            actor=user, verb="updated", obj=canonical, story=canonical.story, before=before,
            after=snapshot(canonical) | {"members": _member_ids(canonical)},
        )


def _member_ids(canonical: CanonicalClaim) -> list[int]:
    return list(canonical.members.order_by("claim_id").values_list("claim_id", flat=True))


def canonical_update(
    *, user, canonical: CanonicalClaim, statement: str | None = None,
    stances: dict[int, str] | None = None, remove: Iterable[int] = (),
) -> CanonicalClaim:
    """Reword ``canonical``, change members' stances (claim id → stance) and drop members."""
    permissions.require_curate(user, canonical.story)
    if statement is not None:
        statement = _text(
            statement, what=_("The statement"), limit=STATEMENT_MAX_CHARS, required=True
        )
    stances = {int(k): _check_stance(v) for k, v in (stances or {}).items()}
    remove = {int(pk) for pk in remove}
    with transaction.atomic():
        canonical = CanonicalClaim.objects.select_for_update().get(pk=canonical.pk)
        members = {m.claim_id: m for m in canonical.members.all()}
        unknown = (set(stances) | remove) - set(members)
        if unknown:
            raise ValidationError(
                _("Claim #%(pk)s is not part of this canonical claim.") % {"pk": min(unknown)},
                code="not_member",
            )
        before = snapshot(canonical) | {"members": _stances(members.values())}
        if statement is not None and statement != canonical.statement:
            canonical.statement = statement
            canonical.full_clean(exclude=["story", "created_by"])
            canonical.save(update_fields=["statement", "updated_at"])
        for claim_id, stance in stances.items():
            if claim_id not in remove and members[claim_id].stance != stance:
                members[claim_id].stance = stance
                members[claim_id].save(update_fields=["stance"])
        if remove:
            CanonicalMember.objects.filter(canonical=canonical, claim_id__in=remove).delete()
        after_members = [m for pk, m in members.items() if pk not in remove]
        record_event(
            actor=user, verb="updated", obj=canonical, story=canonical.story, before=before,
            after=snapshot(canonical) | {"members": _stances(after_members)},
        )
    return canonical


def _stances(members) -> dict[str, str]:
    return {str(m.claim_id): m.stance for m in sorted(members, key=lambda m: m.claim_id)}


def canonical_delete(*, user, canonical: CanonicalClaim) -> None:
    """Dissolve ``canonical``; its claims go back to the unclustered rows."""
    permissions.require_curate(user, canonical.story)
    with transaction.atomic():
        before = snapshot(canonical) | {"members": _stances(canonical.members.all())}
        record_event(
            actor=user, verb="deleted", obj=canonical, story=canonical.story, before=before
        )
        canonical.delete()


# --- merging duplicate claims -----------------------------------------------------------------


@dataclass(frozen=True)
class MergeResult:
    kept: Claim
    removed: int
    links_moved: int


def claims_merge(*, user, claims: Sequence[Claim]) -> MergeResult:
    """Merge duplicate claims (same article, overlapping spans) into the oldest one: the others'
    links move to it (a link it already has is dropped), then the others are deleted."""
    claims = sorted({c.pk: c for c in claims}.values(), key=lambda c: c.pk)
    if len(claims) < 2:
        raise ValidationError(_("Choose at least two claims to merge."), code="too_few")
    stories = {c.article.story_id for c in claims}
    if len(stories) > 1:
        raise ValidationError(
            _("These claims come from different stories and cannot be merged."),
            code="other_story",
        )
    story = claims[0].article.story
    permissions.require_curate(user, story)
    if len({c.article_id for c in claims}) > 1:
        raise ValidationError(
            _("Only claims in the same article can be merged; link claims across articles."),
            code="other_article",
        )
    keep, others = claims[0], claims[1:]
    lo, hi = min(c.start for c in claims), max(c.end for c in claims)
    # Every claim must overlap the group (no chain of far-apart spans).
    if any(c.end <= keep.start or c.start >= keep.end for c in others):
        raise ValidationError(
            _("Only overlapping claims are duplicates; these spans do not overlap."),
            code="no_overlap",
        )
    del lo, hi
    other_ids = [c.pk for c in others]
    moved = 0
    with transaction.atomic():
        existing = {
            (min(l.claim_a_id, l.claim_b_id), max(l.claim_a_id, l.claim_b_id), l.relation)
            for l in ClaimLink.objects.filter(claim_a=keep) | ClaimLink.objects.filter(claim_b=keep)
        }
        links = ClaimLink.objects.select_for_update().filter(
            claim_a_id__in=other_ids
        ) | ClaimLink.objects.select_for_update().filter(claim_b_id__in=other_ids)
        for link in links:
            other = link.other_id(link.claim_a_id if link.claim_a_id in other_ids else link.claim_b_id)
            if other == keep.pk or other in other_ids:
                continue
            a, b = sorted([keep.pk, other])
            if (a, b, link.relation) in existing:
                continue
            before = snapshot(link)
            ClaimLink.objects.filter(pk=link.pk).update(claim_a_id=a, claim_b_id=b)
            existing.add((a, b, link.relation))
            link.claim_a_id, link.claim_b_id = a, b
            record_event(actor=user, verb="updated", obj=link, story=story, before=before,
                         after=snapshot(link))
            moved += 1
        for claim in others:
            before = snapshot(claim) | {
                "links": [snapshot(l) for l in ClaimLink.objects.filter(claim_a=claim)
                          | ClaimLink.objects.filter(claim_b=claim)],
                "merged_into": keep.pk,
            }
            record_event(actor=user, verb="deleted", obj=claim, story=story, before=before)
        Claim.objects.filter(pk__in=other_ids).delete()
        record_event(actor=user, verb="merged", obj=keep, story=story,
                     after=snapshot(keep) | {"merged": other_ids})
    return MergeResult(kept=keep, removed=len(others), links_moved=moved)


# --- verdicts ---------------------------------------------------------------------------------


def verdict_check(
    *, user, link: ClaimLink, rated_claim: Claim | None, rating: str, evidence: str, url: str = ""
) -> tuple[str, str]:
    """Validate a verdict (403/ValidationError as ``verdict_set``); return clean evidence and URL.
    The admin's form calls this too, so its errors show next to the fields."""
    story = _story_of_link(link)
    permissions.require_curate(user, story)
    if link.relation != ClaimLink.Relation.CONTRADICTS:
        raise ValidationError(
            _("Verdicts settle contradictions; this link says the claims %(relation)s.")
            % {"relation": link.get_relation_display()},
            code="not_contradiction",
        )
    if link.status == ClaimLink.Status.REJECTED:
        raise ValidationError(
            _("This contradiction was rejected in review; confirm it before settling it."),
            code="rejected",
        )
    if rated_claim is None or rated_claim.pk not in (link.claim_a_id, link.claim_b_id):
        raise ValidationError(
            _("Rate one of the two claims of this contradiction."), code="not_in_link"
        )
    if rating not in Verdict.Rating.values:
        raise ValidationError(
            _("Unknown rating “%(r)s”; choose supported, refuted, misleading or unresolved.")
            % {"r": rating},
            code="rating",
        )
    evidence = _text(evidence, what=_("The evidence note"), required=True)
    url = _text(url, what=_("The URL"), limit=500)
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise ValidationError(
                _("Enter a full web address starting with https:// or http://."), code="url"
            ) from None
    return evidence, url


def verdict_set(
    *, user, link: ClaimLink, rated_claim: Claim, rating: str, evidence: str, url: str = ""
) -> Verdict:
    """Settle a contradiction: rate one of its two claims with evidence (and an optional URL).
    Setting it again replaces the previous verdict (history keeps the old one)."""
    story = _story_of_link(link)
    evidence, url = verdict_check(
        user=user, link=link, rated_claim=rated_claim, rating=rating, evidence=evidence, url=url
    )
    with transaction.atomic():
        current = Verdict.objects.select_for_update().filter(link=link).first()
        before = snapshot(current) if current else None
        verdict = current or Verdict(link=link, author=user)
        verdict.rated_claim, verdict.rating, verdict.evidence, verdict.url = (
            rated_claim, rating, evidence, url,
        )
        verdict.author = user
        verdict.full_clean(exclude=["link", "rated_claim", "author"], validate_unique=False)
        verdict.save()
        record_event(actor=user, verb="updated" if current else "created", obj=verdict, story=story,
                     before=before, after=snapshot(verdict))
    return verdict


# --- orphans and restore ----------------------------------------------------------------------


def _orphan_locked(user, claim: Claim) -> Claim:
    """``claim`` read again and locked for ``user`` to curate (the rule book's
    ``claim_access``), inside the caller's transaction; ValidationError unless it is still an
    orphan they may see (the page they acted from may be stale: another curator put it back, or
    its author deleted it or made it private)."""
    try:
        current = permissions.claim_access(user, claim.pk, lock=True, for_="curate")
    except Http404:
        raise ValidationError(_("This claim has been deleted."), code="gone") from None
    if current.status != Claim.Status.ORPHANED:
        raise ValidationError(_("This claim is not orphaned."), code="not_orphan")
    return current


def claim_reattach(*, user, claim: Claim, start: int, end: int) -> Claim:
    """Put an orphaned claim back on ``body[start:end]`` of its article (a curator chose it)."""
    article = claim.article
    permissions.require_curate(user, article.story)
    body = article.body
    try:
        start, end = int(start), int(end)
    except (TypeError, ValueError):
        raise ValidationError(_("Offsets must be whole numbers."), code="invalid") from None
    if not (0 <= start < end <= len(body)) or not body[start:end].strip():
        raise ValidationError(
            _("Choose some words inside the article text."), code="out_of_range"
        )
    with transaction.atomic():
        current = _orphan_locked(user, claim)
        before = snapshot(current)
        if Claim.objects.filter(
            article=article, author_id=current.author_id, start=start, end=end,
            status=Claim.Status.ACTIVE,
        ).exists():
            raise ValidationError(
                _("The same author already has a claim on exactly these words; dismiss this "
                  "orphan instead."),
                code="duplicate",
            )
        current.start, current.end, current.exact = start, end, body[start:end]
        current.prefix, current.suffix = quote_context(body, start, end)
        current.body_hash = article.body_hash
        current.status = Claim.Status.ACTIVE
        current.version += 1
        current.save()
        OrphanDismissal.objects.filter(claim=current).delete()
        record_event(actor=user, verb="reattached", obj=current, story=article.story, before=before,
                     after=snapshot(current))
    return current


def orphan_dismiss(*, user, claim: Claim, reason: str = "") -> OrphanDismissal:
    """Take an orphaned claim off the review list; it is kept, with its links."""
    permissions.require_curate(user, claim.article.story)
    reason = _text(reason, what=_("The reason"))
    with transaction.atomic():
        current = _orphan_locked(user, claim)
        dismissal, _created = OrphanDismissal.objects.get_or_create(
            claim=current, defaults={"dismissed_by": user, "reason": reason}
        )
        record_event(actor=user, verb="dismissed", obj=current, story=current.article.story,
                     after={"reason": reason})
    return dismissal


@dataclass(frozen=True)
class RestoreResult:
    claim: Claim
    links_restored: int
    links_skipped: int
    orphaned: bool
    #: Links the claim had that the restorer may not see: left in the event, not restored.
    links_hidden: int = 0


def claim_restore(*, user, event) -> RestoreResult:
    """Bring back a deleted claim with its links from its ``deleted`` event's snapshot.

    The claim gets its old id back (so history and links line up). If the article text changed
    since, it is re-anchored by its quote and context, or comes back orphaned. Links whose other
    claim is gone too are skipped (restore that claim first, then this one again).
    """
    permissions.require_curate(user, event.story)
    if event.object_type != "claim" or event.verb != "deleted" or not event.before:
        raise ValidationError(_("Only a deleted claim can be restored."), code="not_deleted")
    data = dict(event.before)
    links = data.pop("links", []) or []
    data.pop("merged_into", None)
    if Claim.objects.filter(pk=event.object_id).exists():
        raise ValidationError(_("This claim exists already; nothing to restore."), code="exists")
    from articles.models import Article

    article = Article.objects.filter(pk=data.get("article_id")).first()
    if article is None:
        raise ValidationError(_("Its article has been deleted."), code="gone")
    fields = {f.attname for f in Claim._meta.concrete_fields}
    claim = Claim(**{k: v for k, v in data.items() if k in fields})
    claim.pk = event.object_id
    orphaned = False
    if article.body[claim.start : claim.end] != claim.exact:
        anchor = plan_reanchor(
            old_body=None, new_body=article.body, claims=[claim], max_span=CLAIM_MAX_CHARS
        ).anchors[0]
        if anchor.found:
            claim.start, claim.end, claim.exact = anchor.start, anchor.end, anchor.exact
            claim.prefix, claim.suffix = anchor.prefix, anchor.suffix
            claim.body_hash = article.body_hash
        else:
            claim.status = Claim.Status.ORPHANED
            orphaned = True
    with transaction.atomic():
        try:
            with transaction.atomic():
                claim.save(force_insert=True)
        except IntegrityError:
            raise ValidationError(
                _("The author has another claim on these words now; it cannot come back."),
                code="duplicate",
            ) from None
        restored = skipped = 0
        link_fields = {f.attname for f in ClaimLink._meta.concrete_fields}
        # Only what the restorer may see comes back; the rest stays in the event's snapshot.
        teams = permissions.team_ids(user)
        hidden = [row for row in links if not permissions.can_see(user, row, teams=teams)]
        links = [row for row in links if permissions.can_see(user, row, teams=teams)]
        for row in links:
            ids = {row.get("claim_a_id"), row.get("claim_b_id")}
            if Claim.objects.filter(pk__in=ids).count() < 2 or ClaimLink.objects.filter(
                pk=row.get("id")
            ).exists():
                skipped += 1
                continue
            link = ClaimLink(**{k: v for k, v in row.items() if k in link_fields})
            try:
                with transaction.atomic():
                    link.save(force_insert=True)
            except IntegrityError:
                skipped += 1
                continue
            record_event(
                actor=user, verb="restored", obj=link, story=event.story, after=snapshot(link)
            )
            restored += 1
        record_event(
            actor=user, verb="restored", obj=claim, story=event.story, after=snapshot(claim)
        )
    return RestoreResult(claim=claim, links_restored=restored, links_skipped=skipped,
                         orphaned=orphaned, links_hidden=len(hidden))
