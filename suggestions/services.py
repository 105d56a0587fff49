"""Computing, storing and deciding on suggestions. Writes validate first and run in one transaction.

Computation runs off the request path: ``schedule_refresh`` starts it in a background thread once
the transaction that changed the articles commits (no broker: the demo corpus takes ~0.1 s, a
50-article story ~2 s, see docs/benchmarks.md). A ``SuggestionRun`` row records its progress,
which the reader's Suggestions panel polls. A process that dies mid-run leaves a run that is
never finished: the panel offers to compute again, and ``manage.py suggest`` computes in the
foreground.
"""

from __future__ import annotations

import logging
import threading

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from annotations import services as annotation_services
from annotations.models import Claim
from articles.models import Article, Story

from . import embeddings, hybrid
from .models import Decision, Suggestion, SuggestionRun

log = logging.getLogger(__name__)

#: Suggestions kept per story.
KEEP = 200


def story_inputs(story: Story) -> list[tuple[int, str, str]]:
    """``(article id, body, body hash)`` of the story's articles, in column order."""
    return list(
        Article.objects.filter(story=story)
        .order_by("position", "pk")
        .values_list("pk", "body", "body_hash")
    )


def compute(story: Story, *, progress=None, limit: int | None = KEEP, run: SuggestionRun | None = None):
    """The story's suggestions by the hybrid engine (issue 15): sentence vectors read from
    PostgreSQL, the missing ones embedded first (the run's "vectors" phase, with progress), then
    the pairs scored. Without the model installed, the lexical and quantity signals alone."""
    articles = [(pk, body) for pk, body, _ in story_inputs(story)]
    if not embeddings.available():
        return hybrid.suggest(articles, embed=None, limit=limit, progress=progress)
    texts = [s.text for s in hybrid.prepare(articles).sentences]
    if run is not None:
        SuggestionRun.objects.filter(pk=run.pk).update(
            phase="vectors", sentences=len(texts), to_embed=embeddings.missing_count(texts)
        )

    def vector_progress(share: float) -> None:
        if progress:
            progress(0.05 + 0.75 * share)

    embeddings.vectors_for(texts, progress=vector_progress)  # stored: the engine reads them back
    if run is not None:
        SuggestionRun.objects.filter(pk=run.pk).update(phase="pairs")

    def pair_progress(share: float) -> None:
        if progress:
            progress(0.8 + 0.2 * share)

    return hybrid.suggest(articles, embed=embeddings.vectors_for, limit=limit, progress=pair_progress)


def _variants(s) -> list[dict]:
    """The near-duplicate pairs grouped under a suggestion, as stored rows (quotes and places)."""
    return [
        {"a": [a.article, a.start, a.end, a.quote[:300]], "b": [b.article, b.start, b.end, b.quote[:300]]}
        for a, b in getattr(s, "variants", ())
    ]


def run_create(*, story: Story) -> SuggestionRun:
    hashes = {str(pk): digest for pk, _, digest in story_inputs(story)}
    return SuggestionRun.objects.create(story=story, body_hashes=hashes)


def run_execute(run: SuggestionRun) -> SuggestionRun:
    """Compute ``run``'s suggestions and store them, updating its progress as it goes."""
    SuggestionRun.objects.filter(pk=run.pk).update(status=SuggestionRun.Status.RUNNING)

    def progress(share: float) -> None:
        SuggestionRun.objects.filter(pk=run.pk).update(progress=round(min(share, 0.99), 3))

    try:
        found = compute(run.story, progress=progress, run=run)
        with transaction.atomic():
            Suggestion.objects.bulk_create(
                [
                    Suggestion(
                        story=run.story, run=run, key=s.key, relation=s.relation, score=s.score,
                        reason=s.reason, reason_args=s.reason_args,
                        article_a_id=s.a.article, start_a=s.a.start, end_a=s.a.end, quote_a=s.a.quote,
                        article_b_id=s.b.article, start_b=s.b.start, end_b=s.b.end, quote_b=s.b.quote,
                        signals=getattr(s, "signals", {}), variants=_variants(s),
                    )  # fmt: skip
                    for s in found
                ]
            )
            SuggestionRun.objects.filter(pk=run.pk).update(
                status=SuggestionRun.Status.DONE, progress=1.0, phase="", finished_at=timezone.now()
            )
            # Older runs' suggestions are superseded (decisions are kept: they go by key).
            Suggestion.objects.filter(story=run.story).exclude(run=run).delete()
        _remember_claims(run.story)
    except Exception as exc:  # recorded for the panel, and logged with its traceback
        log.exception("Suggestions for story %s failed", run.story_id)
        SuggestionRun.objects.filter(pk=run.pk).update(
            status=SuggestionRun.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
    run.refresh_from_db()
    return run


def _remember_claims(story: Story) -> None:
    """The claim memory rides on the refresh: the story's claims get their vectors too."""
    from . import memory

    try:
        if embeddings.available():
            memory.remember_story(story)
    except Exception:  # the memory is a convenience: the suggestions are already stored
        log.exception("Claim memory for story %s failed", story.pk)


def schedule_refresh(*, story: Story, background: bool = True) -> SuggestionRun:
    """Queue a recomputation of ``story``'s suggestions; it starts when the caller commits."""
    run = run_create(story=story)

    def start() -> None:
        if not background:
            run_execute(run)
            return

        def work() -> None:
            try:
                run_execute(run)
            finally:
                close_old_connections()

        threading.Thread(target=work, name=f"suggest-{story.pk}", daemon=True).start()

    transaction.on_commit(start)
    return run


def _team_ids(user) -> list[int]:
    from teams.selectors import team_ids_for

    return list(team_ids_for(user=user).values_list("team_id", flat=True))


def _claim_for(*, user, article: Article, start: int, end: int, quote: str, visibility: str) -> Claim:
    existing = Claim.objects.filter(
        article=article, start=start, end=end, status=Claim.Status.ACTIVE
    ).filter(visibility=Claim.Visibility.PUBLIC).first()
    if existing is not None:
        return existing
    return annotation_services.claim_create(
        author=user, article=article, start=start, end=end, exact=quote,
        offsets="codepoint", visibility=visibility,
    )  # fmt: skip


def suggestion_accept(*, user, suggestion: Suggestion, visibility: str = Claim.Visibility.PUBLIC):
    """Create the two claims (reusing public claims on exactly these spans) and the link, in one
    transaction; record the decision. Returns the link."""
    if not user.is_authenticated:
        raise PermissionDenied(_("Log in to accept suggestions."))
    with transaction.atomic():
        a = _claim_for(
            user=user, article=suggestion.article_a, start=suggestion.start_a,
            end=suggestion.end_a, quote=suggestion.quote_a, visibility=visibility,
        )  # fmt: skip
        b = _claim_for(
            user=user, article=suggestion.article_b, start=suggestion.start_b,
            end=suggestion.end_b, quote=suggestion.quote_b, visibility=visibility,
        )  # fmt: skip
        link, _created = annotation_services.link_create(
            author=user, claim_a=a, claim_b=b, relation=suggestion.relation,
            rationale=_("Suggested: %(reason)s") % {"reason": suggestion.reason_display},
        )  # fmt: skip
        Decision.objects.update_or_create(
            story_id=suggestion.story_id, key=suggestion.key, user=user,
            defaults={"verdict": Decision.Verdict.ACCEPTED, "relation": suggestion.relation, "link": link},
        )  # fmt: skip
    return link


def suggestion_dismiss(*, user, suggestion: Suggestion) -> Decision:
    if not user.is_authenticated:
        raise PermissionDenied(_("Log in to dismiss suggestions."))
    with transaction.atomic():
        decision, _created = Decision.objects.update_or_create(
            story_id=suggestion.story_id, key=suggestion.key, user=user,
            defaults={"verdict": Decision.Verdict.DISMISSED, "relation": suggestion.relation},
        )  # fmt: skip
    return decision


def suggestion_restore(*, user, suggestion: Suggestion) -> int:
    """Undo the user's own dismissal of ``suggestion``: it is back in their list (and their
    team's). Accepts are undone in the reader (delete the link); this touches dismissals only.
    Returns how many decisions were removed (0 when there was none to undo)."""
    if not user.is_authenticated:
        raise PermissionDenied(_("Log in to restore suggestions."))
    with transaction.atomic():
        removed, _detail = Decision.objects.filter(
            story_id=suggestion.story_id, key=suggestion.key, user=user, verdict=Decision.Verdict.DISMISSED
        ).delete()
    return removed


def check_fresh(suggestion: Suggestion) -> None:
    """Refuse to act on a suggestion whose article text changed since it was computed."""
    for article, start, end, quote in (
        (suggestion.article_a, suggestion.start_a, suggestion.end_a, suggestion.quote_a),
        (suggestion.article_b, suggestion.start_b, suggestion.end_b, suggestion.quote_b),
    ):
        if article.body[start:end] != quote:
            raise ValidationError(
                _("The article text changed since this was suggested; refresh the suggestions.")
            )
