"""Writes for claims and links. Each checks first and writes second, inside one transaction, so
an error leaves nothing half-written. Friendly errors come from here; the database constraints
(see ``models.py``) guarantee the same rules under concurrency.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from activity.services import record_event, snapshot
from articles.models import Article
from teams.models import Team
from teams.selectors import role_in
from textkernel import offsets as offset_conv
from textkernel.clean import text_error
from textkernel.quotes import quote_context
from textkernel.text import normalize_quote

from . import permissions
from .models import (
    CLAIM_MAX_CHARS,
    TAG_MAX_CHARS,
    TAG_MAX_COUNT,
    Claim,
    ClaimLink,
)

#: Longest note or rationale, in characters (the forms say the same).
NOTE_MAX_CHARS = 5000

User = AbstractBaseUser | AnonymousUser


# --- helpers ---------------------------------------------------------------------------------


def require_user(user: User) -> None:
    """PermissionDenied unless ``user`` may annotate (signed in)."""
    if not permissions.can_annotate(user):
        raise PermissionDenied(_("Log in to highlight and link claims."))


def _locked(access, user: User, pk: int):
    """The object ``pk`` locked for ``user`` to edit (``permissions.claim_access`` or
    ``link_access``), or None if it is gone (or no longer visible to them) since they loaded it;
    PermissionDenied if they may no longer edit it."""
    try:
        return access(user, pk, lock=True, for_="edit")
    except Http404:
        return None


def _check_visibility(*, user: User, visibility: object, team: Team | int | str | None):
    """The (visibility, team) pair ``user`` asked for, checked: ValidationError for an unknown
    visibility or team, PermissionDenied for a team they may not write in."""
    if visibility not in Claim.Visibility.values:
        raise ValidationError(_("Unknown visibility %(v)r.") % {"v": visibility}, code="invalid")
    if visibility != Claim.Visibility.TEAM:
        if team not in (None, ""):
            raise ValidationError(
                _("Only team visibility names a team."), code="team_without_team_visibility"
            )
        return str(visibility), None
    if team in (None, ""):
        raise ValidationError(_("Choose the team that may see it."), code="team_missing")
    if not isinstance(team, Team):
        try:
            team = Team.objects.get(pk=int(team))
        except (TypeError, ValueError, Team.DoesNotExist):
            raise ValidationError(_("No such team."), code="team_unknown") from None
    if role_in(user=user, team_id=team.pk) is None:
        raise PermissionDenied(_("You are not a member of this team."))
    if not permissions.can_write_team(user, team.pk):
        raise PermissionDenied(_("Viewers can read the team's work but not annotate."))
    return str(visibility), team


def _claim_story_id(claim: Claim) -> int:
    article = Claim.article.field.get_cached_value(claim, None)
    if article is not None:
        return article.story_id
    return Article.objects.filter(pk=claim.article_id).values_list("story_id", flat=True).get()


def normalize_tags(tags: Iterable[str] | str | None) -> list[str]:
    """Stripped, lowercased, de-duplicated tags, in first-seen order; ValidationError past limits.

    A string is read as a comma-separated list; a leading ``#`` is dropped.
    """
    if tags is None:
        return []
    if isinstance(tags, str):
        tags = tags.split(",")
    result: list[str] = []
    for raw in tags:
        if not isinstance(raw, str):
            raise ValidationError(_("Tags must be text."), code="tags")
        tag = " ".join(raw.split()).lstrip("#").strip().lower()
        if error := text_error(tag, what=_("A tag")):
            raise ValidationError(error, code="tags")
        if not tag or tag in result:
            continue
        if len(tag) > TAG_MAX_CHARS:
            raise ValidationError(
                _("A tag can be at most %(max)d characters; “%(tag)s…” has %(n)d.")
                % {"max": TAG_MAX_CHARS, "tag": tag[:20], "n": len(tag)},
                code="tags",
            )
        result.append(tag)
    if len(result) > TAG_MAX_COUNT:
        raise ValidationError(
            _("A claim can have at most %(max)d tags; this one has %(n)d.")
            % {"max": TAG_MAX_COUNT, "n": len(result)},
            code="tags",
        )
    return result


_TOO_LONG = {
    "note": _lazy("The note can be at most %(max)d characters; it has %(n)d."),
    "rationale": _lazy("The rationale can be at most %(max)d characters; it has %(n)d."),
}


def _check_text(value: str, *, what: str) -> str:
    """``value`` stripped; ValidationError if it is not text or too long."""
    if not isinstance(value, str):
        raise ValidationError(_("Notes and rationales must be text."), code="invalid")
    if len(value) > NOTE_MAX_CHARS:
        raise ValidationError(
            str(_TOO_LONG[what]) % {"max": NOTE_MAX_CHARS, "n": len(value)},
            code="too_long",
        )
    error = text_error(value, what=_("The note") if what == "note" else _("The rationale"))
    if error:
        raise ValidationError(error, code="unsafe_text")
    return value.strip()


def _as_offset(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValidationError(
                _("The %(name)s offset must be a whole number.") % {"name": name}, code="invalid"
            ) from None
    return value


# --- claims ----------------------------------------------------------------------------------


def claim_create(
    *,
    author: User,
    article: Article,
    start: int,
    end: int,
    exact: str,
    note: str = "",
    tags: Iterable[str] = (),
    offsets: Literal["codepoint", "utf16"] = "codepoint",
    visibility: str = Claim.Visibility.PUBLIC,
    team: Team | int | None = None,
) -> Claim:
    """Highlight ``article.body[start:end]``; ValidationError if the span or ``exact`` is wrong.

    ``offsets="utf16"`` takes browser offsets (UTF-16 code units) and converts them first.
    ``visibility="team"`` needs ``team``, in which ``author`` must be an annotator or above
    (PermissionDenied otherwise).

    Idempotent: if ``author`` already has an active claim on the same span, that claim is returned
    unchanged (its note and tags are not overwritten), so a double submit creates one claim. The
    partial unique constraint ``claim_unique_active_span_per_author`` makes this hold under
    concurrency as well.
    """
    require_user(author)
    body = article.body
    start = _as_offset(start, "start")
    end = _as_offset(end, "end")
    out_of_range = _("Offsets out of range: the selection must lie within the article text.")
    if offsets == "utf16":
        try:
            start, end = offset_conv.utf16_span_to_codepoints(body, start, end)
        except ValueError:
            raise ValidationError(out_of_range, code="out_of_range") from None
    elif offsets != "codepoint":
        raise ValidationError(
            _("Unknown offset unit %(unit)r.") % {"unit": offsets}, code="invalid"
        )

    if not (0 <= start <= len(body) and 0 <= end <= len(body)):
        raise ValidationError(out_of_range, code="out_of_range")
    if start > end:
        raise ValidationError(_("Start must be before end."), code="reversed")
    if start == end:
        raise ValidationError(_("Select some words, not just spaces."), code="empty")
    if end - start > CLAIM_MAX_CHARS:
        raise ValidationError(
            _("A claim can be at most %(max)s characters; this selection has %(n)s.")
            % {"max": f"{CLAIM_MAX_CHARS:,}", "n": f"{end - start:,}"},
            code="too_long",
        )
    if not isinstance(exact, str):
        raise ValidationError(_("The selected text is missing."), code="invalid")
    span = body[start:end]
    # The body is stored NFC with \n line ends; a browser may hand back either form.
    if normalize_quote(exact) != span:
        raise ValidationError(
            _("The selected text no longer matches the article; reload and try again."),
            code="mismatch",
        )
    if not span.strip():
        raise ValidationError(_("Select some words, not just spaces."), code="empty")
    visibility, team = _check_visibility(user=author, visibility=visibility, team=team)
    note = _check_text(note, what="note")
    tag_list = normalize_tags(tags)

    prefix, suffix = quote_context(body, start, end)
    claim = Claim(
        article=article,
        author=author,
        start=start,
        end=end,
        exact=span,
        prefix=prefix,
        suffix=suffix,
        body_hash=article.body_hash,
        note=note,
        tags=tag_list,
        visibility=visibility,
        team=team,
    )
    # Constraints were checked above; the unique one is enforced by the insert below.
    claim.full_clean(
        exclude=["article", "author"], validate_unique=False, validate_constraints=False
    )

    def existing() -> Claim | None:
        return Claim.objects.filter(
            article=article, author=author, start=start, end=end, status=Claim.Status.ACTIVE
        ).first()

    # Insert first and look only on conflict: INSERT ... ON CONFLICT DO NOTHING, in effect, and
    # one statement in the common case. Nested in a caller's transaction this is a savepoint,
    # so a conflict does not poison it.
    try:
        with transaction.atomic():
            claim.save(force_insert=True)
            record_event(
                actor=author, verb="created", obj=claim, story=article.story_id,
                after=snapshot(claim),
            )
    except IntegrityError:
        if found := existing():
            return found
        raise
    return claim


def claim_update(
    *,
    user: User,
    claim: Claim,
    note: str | None = None,
    tags: Iterable[str] | None = None,
    expected_version: int | None = None,
) -> Claim:
    """Change the note and/or tags of the author's own claim and bump its version.

    With ``expected_version`` (the version the editor loaded), a claim changed in the meantime
    raises ValidationError with code ``"conflict"`` whose message quotes the current note.
    ``claim`` is updated in place and returned.
    """
    permissions.require_edit(user, claim)
    new_note = None if note is None else _check_text(note, what="note")
    new_tags = None if tags is None else normalize_tags(tags)
    with transaction.atomic():
        # Lock the row so the version check and the bump are one step.
        current = _locked(permissions.claim_access, user, claim.pk)
        if current is None:
            raise ValidationError(_("This claim has been deleted."), code="gone")
        if expected_version is not None and current.version != expected_version:
            raise ValidationError(
                _(
                    "Someone changed this claim while you were editing it. Its note now reads: "
                    "“%(note)s”. Reload, then make your change again."
                )
                % {"note": current.note or _("(empty)")},
                code="conflict",
                params={"note": current.note, "version": current.version},
            )
        before = snapshot(current)
        if new_note is not None:
            current.note = new_note
        if new_tags is not None:
            current.tags = new_tags
        current.version += 1
        current.full_clean(
            exclude=["article", "author"], validate_unique=False, validate_constraints=False
        )
        current.save(update_fields=["note", "tags", "version", "updated_at"])
        record_event(
            actor=user, verb="updated", obj=current, story=_claim_story_id(claim),
            before=before, after=snapshot(current),
        )
    claim.note, claim.tags, claim.version = current.note, current.tags, current.version
    claim.updated_at = current.updated_at
    return claim


def claim_delete(*, user: User, claim: Claim) -> int:
    """Delete the author's own claim and its links; return how many links went with it."""
    permissions.require_edit(user, claim)
    story_id = _claim_story_id(claim)
    with transaction.atomic():
        current = _locked(permissions.claim_access, user, claim.pk)
        if current is None:
            return 0  # already deleted: the wanted outcome holds
        links = ClaimLink.objects.filter(Q(claim_a=current) | Q(claim_b=current)).order_by("pk")
        # The links go with the claim; the event keeps them so the claim can be restored whole.
        before = snapshot(current) | {"links": [snapshot(link) for link in links]}
        _total, per_model = Claim.objects.filter(pk=current.pk).delete()
        record_event(actor=user, verb="deleted", obj=current, story=story_id, before=before)
    return per_model.get(ClaimLink._meta.label, 0)


# --- links -----------------------------------------------------------------------------------

_RANK = {Claim.Visibility.PRIVATE: 0, Claim.Visibility.TEAM: 1, Claim.Visibility.PUBLIC: 2}


def _narrowest(author: User, claim_a: Claim, claim_b: Claim) -> tuple[str, Team | None]:
    """The widest visibility a link between the claims may have: the narrower claim's; two
    different teams (or a private claim) leave only private."""
    kinds = {claim_a.visibility, claim_b.visibility}
    if Claim.Visibility.PRIVATE in kinds:
        return Claim.Visibility.PRIVATE, None
    teams = {c.team_id for c in (claim_a, claim_b) if c.visibility == Claim.Visibility.TEAM}
    if len(teams) > 1:
        return Claim.Visibility.PRIVATE, None
    if teams:
        return Claim.Visibility.TEAM, Team.objects.get(pk=teams.pop())
    return Claim.Visibility.PUBLIC, None


def _link_story_id(link: ClaimLink) -> int:
    return (
        Claim.objects.filter(pk=link.claim_a_id).values_list("article__story_id", flat=True).get()
    )


def _check_relation(relation: object) -> str:
    if relation not in ClaimLink.Relation.values:
        raise ValidationError(
            _("Unknown relation “%(relation)s”; choose agrees, contradicts or qualifies.")
            % {"relation": relation},
            code="relation",
        )
    return str(relation)


def link_create(
    *,
    author: User,
    claim_a: Claim,
    claim_b: Claim,
    relation: str,
    rationale: str = "",
    visibility: str | None = None,
    team: Team | int | None = None,
) -> tuple[ClaimLink, bool]:
    """Link two claims in different articles of one story; return ``(link, created)``.

    The pair is stored in canonical order, so linking B to A finds A–B. The same pair and relation
    again returns the existing link (``created`` False), also when two requests race: a
    unique-constraint violation on insert falls back to fetching the winner.

    ``visibility`` defaults to the narrowest of the two claims' (a link never shows more than
    its claims do); a wider one is refused.
    """
    require_user(author)
    if claim_a.pk == claim_b.pk:
        raise ValidationError(_("A claim cannot be linked to itself."), code="self_link")
    if claim_a.article_id == claim_b.article_id:
        raise ValidationError(_("Link claims from two different articles."), code="same_article")
    # Article rows are usually already loaded by the caller's select_related.
    if claim_a.article.story_id != claim_b.article.story_id:
        raise ValidationError(_("Link claims about the same story."), code="other_story")
    if not (permissions.can_see(author, claim_a) and permissions.can_see(author, claim_b)):
        raise PermissionDenied(_("You cannot link a claim you cannot see."))
    relation = _check_relation(relation)
    rationale = _check_text(rationale, what="rationale")
    widest, widest_team = _narrowest(author, claim_a, claim_b)
    if visibility is None:
        visibility, team = widest, widest_team
    visibility, team = _check_visibility(user=author, visibility=visibility, team=team)
    if _RANK[visibility] > _RANK[widest] or (
        visibility == widest == Claim.Visibility.TEAM and team.pk != widest_team.pk
    ):
        raise ValidationError(
            _("A link cannot be seen by more people than its claims; choose “%(v)s” or narrower.")
            % {"v": Claim.Visibility(widest).label},
            code="visibility_too_wide",
        )
    first, second = sorted([claim_a, claim_b], key=lambda c: c.pk)

    def existing() -> ClaimLink | None:
        return ClaimLink.objects.filter(claim_a=first, claim_b=second, relation=relation).first()

    link = ClaimLink(
        claim_a=first,
        claim_b=second,
        relation=relation,
        rationale=rationale,
        author=author,
        visibility=visibility,
        team=team,
    )
    link.full_clean(
        exclude=["claim_a", "claim_b", "author"], validate_unique=False, validate_constraints=False
    )
    # As in claim_create: insert in a transaction (a savepoint if nested) and fetch the winner
    # on a unique-constraint conflict, so two racing requests get one link.
    try:
        with transaction.atomic():
            link.save(force_insert=True)
            record_event(
                actor=author, verb="created", obj=link, story=claim_a.article.story_id,
                after=snapshot(link),
            )
    except IntegrityError:
        if found := existing():
            return found, False
        if Claim.objects.filter(pk__in=[first.pk, second.pk]).count() < 2:
            raise ValidationError(
                _("One of the claims has been deleted; reload and try again."), code="gone"
            ) from None
        raise
    return link, True


def link_update(
    *,
    user: User,
    link: ClaimLink,
    relation: str | None = None,
    rationale: str | None = None,
) -> ClaimLink:
    """Change the relation and/or rationale of the author's own link; ``link`` is updated in place.

    Changing the relation sends the link back to review (status ``proposed``). ValidationError if
    the pair is already linked with the new relation.
    """
    permissions.require_edit(user, link)
    changes: dict[str, str] = {}
    if relation is not None:
        relation = _check_relation(relation)
        if relation != link.relation:
            changes["relation"] = relation
            changes["status"] = ClaimLink.Status.PROPOSED
    if rationale is not None:
        rationale = _check_text(rationale, what="rationale")
        if rationale != link.rationale:
            changes["rationale"] = rationale
    if not changes:
        return link
    duplicate = ValidationError(
        _("These claims are already linked as “%(relation)s”; delete this link instead.")
        % {"relation": ClaimLink.Relation(relation).label if relation else ""},
        code="duplicate",
    )
    with transaction.atomic():
        current = _locked(permissions.link_access, user, link.pk)
        if current is None:
            raise ValidationError(_("This link has been deleted."), code="gone")
        before = snapshot(current)
        if (
            "relation" in changes
            and ClaimLink.objects.filter(
                claim_a_id=current.claim_a_id,
                claim_b_id=current.claim_b_id,
                relation=changes["relation"],
            ).exists()
        ):
            raise duplicate
        for name, value in changes.items():
            setattr(current, name, value)
        current.full_clean(
            exclude=["claim_a", "claim_b", "author"],
            validate_unique=False,
            validate_constraints=False,
        )
        try:
            with transaction.atomic():
                current.save(update_fields=[*changes, "updated_at"])
                record_event(
                    actor=user, verb="updated", obj=current, story=_link_story_id(current),
                    before=before, after=snapshot(current),
                )
        except IntegrityError:
            # Lost a race with a request that created the same (pair, relation) meanwhile.
            raise duplicate from None
    for name in [*changes, "updated_at"]:
        setattr(link, name, getattr(current, name))
    return link


def link_delete(*, user: User, link: ClaimLink) -> None:
    """Delete the author's own link."""
    permissions.require_edit(user, link)
    with transaction.atomic():
        current = _locked(permissions.link_access, user, link.pk)
        if current is None:
            return  # already deleted
        before, story_id = snapshot(current), _link_story_id(current)
        ClaimLink.objects.filter(pk=current.pk).delete()
        record_event(actor=user, verb="deleted", obj=current, story=story_id, before=before)
