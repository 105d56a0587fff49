"""Curation pages: review queue, claim matrix (with canonical claims), verdicts, agreement,
orphans and history. Reads are open where the data is (the matrix shows what the viewer may see);
every write needs a curator (403 otherwise). htmx requests get the page's fragment back; plain
form posts redirect (PRG), so every page also works without JavaScript.
"""

from __future__ import annotations

import csv
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from annotations import permissions
from annotations import selectors as annotation_selectors
from annotations.models import Claim, ClaimLink
from articles import selectors as article_selectors
from articles.views import HtmxHttpRequest

from . import selectors, services
from .agreement import story_agreement
from .forms import CanonicalForm, QueueFilterForm, ReattachForm, ReviewForm, VerdictForm
from .rendering import matrix_body
from textkernel.clean import csv_cell
from textkernel.params import parse_id

QUEUE_PAGE_SIZE = 50


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _page(request, template: str, context: dict, *, fragment: str, status: int = 200):
    name = f"{template}#{fragment}" if request.htmx else template
    return render(request, name, context, status=status)


def reader_url(claim: Claim | int, story) -> str:
    """Where a claim sits in the reader (selected, so the page scrolls to it)."""
    pk = getattr(claim, "pk", claim)
    return f"{story.get_absolute_url()}?{urlencode({'claim': pk})}#claim-{pk}"


# --- review queue -----------------------------------------------------------------------------


def _queue_filters(request) -> tuple[QueueFilterForm, selectors.QueueFilters]:
    data = request.GET.copy()  # a bulk action posts to the filtered URL, so filters stay
    if "status" not in data:
        data["status"] = ClaimLink.Status.PROPOSED
    form = QueueFilterForm(data)
    form.is_valid()
    clean = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    story = None
    if clean.get("story"):
        story = article_selectors.story_get(slug=clean["story"])
    return form, selectors.QueueFilters(
        story=story,
        team_id=clean.get("team"),
        relation=clean.get("relation") or "",
        status=clean.get("status") or "",
    )


def _queue_context(request, *, error: str = "") -> dict:
    form, filters = _queue_filters(request)
    links = selectors.review_queue(user=request.user, filters=filters)
    page = Paginator(links, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = {
        key: value
        for key, value in {
            "story": filters.story.slug if filters.story else "",
            "team": filters.team_id or "",
            "relation": filters.relation,
            "status": filters.status,
        }.items()
    }
    return {
        "form": form,
        "filters": filters,
        "page": page,
        "stories": list(article_selectors.story_list().values_list("slug", "title")),
        "teams": selectors.team_choices(user=request.user),
        "relations": ClaimLink.Relation.choices,
        "statuses": ClaimLink.Status.choices,
        "filter_query": urlencode(query),  # not "query": base.html fills the search box with it
        "error": error,
        "queue_url": reverse("curation:review_queue") + "?" + urlencode(query),
    }


@require_http_methods(["GET", "POST"])
@login_required
def review_queue(request: HtmxHttpRequest) -> HttpResponse:
    """Links waiting for review in the stories the user curates, filterable; confirm or reject
    several at once."""
    if not permissions.curates_any(request.user):
        raise PermissionDenied(_("The review queue is for curators: staff, or a desk's curators."))
    if request.method == "GET":
        return _page(request, "curation/review_queue.html", _queue_context(request),
                     fragment="queue")
    form = ReviewForm(request.POST)
    error = ""
    if not form.is_valid():
        error = form.error_text()
    else:
        try:
            links = selectors.links_get(user=request.user, pks=form.cleaned_data["links"])
            reviews = services.links_review(
                user=request.user, links=links, decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            error = _errors(exc)
        else:
            done = _("%(n)d link(s) marked %(decision)s.") % {
                "n": len(reviews), "decision": reviews[0].get_decision_display(),
            }
            if not request.htmx:
                messages.success(request, done)
                return HttpResponseRedirect(_queue_context(request)["queue_url"])
            context = _queue_context(request)
            context["done"] = done
            return _page(request, "curation/review_queue.html", context, fragment="queue")
    context = _queue_context(request, error=error)
    return _page(request, "curation/review_queue.html", context, fragment="queue", status=422)


# --- matrix and canonical claims --------------------------------------------------------------


def _canonical_url():
    """``pk -> URL`` of a canonical claim's page: the URL reversed once, the pk put in per row
    (a matrix has hundreds of rows, and ``reverse`` costs ~50 µs a call)."""
    marker = 2_147_483_647
    head, tail = reverse("curation:canonical_detail", kwargs={"pk": marker}).split(str(marker))
    return lambda pk: f"{head}{int(pk)}{tail}"


def _matrix_context(request, story, *, error: str = "") -> dict:
    matrix = selectors.story_matrix(story=story, user=request.user)
    can_curate = permissions.can_curate(request.user, story)
    labels = dict(services.CanonicalMember.Stance.choices) | {"silent": _("silent")}
    return {
        "story": story,
        "matrix": matrix,
        "matrix_body": matrix_body(
            matrix=matrix, can_curate=can_curate, stance_labels=labels,
            canonical_url=_canonical_url(),
        ),
        "can_curate": can_curate,
        "stances": services.CanonicalMember.Stance.choices,
        "error": error,
    }


@require_safe
def matrix(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """One row per canonical claim, one column per source; unclustered claims after."""
    story = article_selectors.story_get(slug=slug)
    return _page(request, "curation/matrix.html", _matrix_context(request, story),
                 fragment="matrix")


@require_safe
def matrix_csv(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The matrix as CSV: per row its statement, then each source's stance and quote."""
    story = article_selectors.story_get(slug=slug)
    data = selectors.story_matrix(story=story, user=request.user)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{story.slug}-matrix.csv"'
    response.write("\ufeff")  # so spreadsheet programs read the Vietnamese text as UTF-8
    writer = csv.writer(response)
    header = ["row", "canonical_id", "statement", "conflict"]
    for article in data.articles:
        header += [f"{article.short_label} stance", f"{article.short_label} quote",
                   f"{article.short_label} claim_ids"]
    # Every cell neutralised against formulas (statements, quotes, source labels alike).
    writer.writerow([csv_cell(value) for value in header])
    for n, row in enumerate(data.rows, 1):
        line = [n, row.canonical.pk if row.canonical else "",
                row.canonical.statement if row.canonical else "", "yes" if row.conflict else ""]
        for cell in row.cells:
            line += [
                cell.stance,
                " | ".join(c.exact for c in cell.claims),
                " ".join(str(c.pk) for c in cell.claims),
            ]
        writer.writerow([csv_cell(value) for value in line])
    return response


@require_POST
@login_required
def canonical_create(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Gather the chosen claims under a new statement, or add them to an existing one."""
    story = permissions.story_access(request.user, slug, for_="curate")
    form = CanonicalForm(request.POST)
    error = ""
    if not form.is_valid():
        error = form.error_text()
    else:
        data = form.cleaned_data
        try:
            claims = selectors.claims_for_ids(user=request.user, story=story, pks=data["claims"])
            if data.get("canonical"):
                canonical = selectors.canonical_get(pk=data["canonical"], story=story)
                services.canonical_add_claims(
                    user=request.user, canonical=canonical, claims=claims, stance=data["stance"]
                )
            else:
                services.canonical_create(
                    user=request.user, story=story, statement=data["statement"], claims=claims,
                    stance=data["stance"],
                )
        except ValidationError as exc:
            error = _errors(exc)
    if error:
        return _page(request, "curation/matrix.html",
                     _matrix_context(request, story, error=error), fragment="matrix", status=422)
    if request.htmx:
        return _page(request, "curation/matrix.html", _matrix_context(request, story),
                     fragment="matrix")
    return HttpResponseRedirect(reverse("curation:matrix", kwargs={"slug": story.slug}))


@require_http_methods(["GET", "POST"])
def canonical_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A canonical claim: its members with stances; curators reword it, change stances, remove
    members or dissolve it."""
    canonical = selectors.canonical_get(pk=pk)
    story = canonical.story
    error = ""
    if request.method == "POST":
        permissions.require_curate(request.user, story)
        try:
            if request.POST.get("action") == "delete":
                services.canonical_delete(user=request.user, canonical=canonical)
                messages.success(request, _("The canonical claim was dissolved."))
                return HttpResponseRedirect(reverse("curation:matrix", kwargs={"slug": story.slug}))
            stances = {
                key.removeprefix("stance-"): value
                for key, value in request.POST.items()
                if key.startswith("stance-")
            }
            services.canonical_update(
                user=request.user, canonical=canonical,
                statement=request.POST.get("statement"),
                stances={pk: v for k, v in stances.items() if (pk := parse_id(k))},
                remove=[pk for v in request.POST.getlist("remove") if (pk := parse_id(v))],
            )
        except ValidationError as exc:
            error = _errors(exc)
        else:
            if not request.htmx:
                return HttpResponseRedirect(request.path)
            canonical = selectors.canonical_get(pk=pk)
    context = {
        "canonical": canonical,
        "story": story,
        "members": selectors.canonical_members(canonical=canonical, user=request.user),
        "stances": services.CanonicalMember.Stance.choices,
        "can_curate": permissions.can_curate(request.user, story),
        "error": error,
    }
    return _page(request, "curation/canonical.html", context, fragment="canonical",
                 status=422 if error else 200)


# --- verdicts ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def verdict(request: HtmxHttpRequest, link_pk: int) -> HttpResponse:
    """Settle a contradiction with a rating, evidence and an optional URL."""
    link = permissions.link_access(request.user, link_pk, for_="curate")
    story = link.claim_a.article.story
    error = ""
    current = selectors.verdicts_for_links([link.pk]).get(link.pk)
    if request.method == "POST":
        form = VerdictForm(request.POST)
        if not form.is_valid():
            error = form.error_text()
        else:
            data = form.cleaned_data
            rated = {link.claim_a_id: link.claim_a, link.claim_b_id: link.claim_b}.get(
                data["rated_claim"]
            )
            try:
                if rated is None:
                    raise ValidationError(_("Rate one of the two claims of this contradiction."))
                services.verdict_set(
                    user=request.user, link=link, rated_claim=rated, rating=data["rating"],
                    evidence=data["evidence"], url=data["url"],
                )
            except ValidationError as exc:
                error = _errors(exc)
            else:
                messages.success(request, _("Verdict saved."))
                return HttpResponseRedirect(reader_url(rated, story))
    elif link.relation != ClaimLink.Relation.CONTRADICTS:
        error = _("Verdicts settle contradictions; this link says the claims %(relation)s.") % {
            "relation": link.get_relation_display()
        }
    draft = {
        "rated_claim": request.POST.get("rated_claim") or (current.rated_claim_id if current else ""),
        "rating": request.POST.get("rating") or (current.rating if current else ""),
        "evidence": request.POST.get("evidence") or (current.evidence if current else ""),
        "url": request.POST.get("url") or (current.url if current else ""),
    }
    context = {
        "link": link, "story": story, "current": current, "error": error,
        "ratings": services.Verdict.Rating.choices, "draft": draft,
    }
    return _page(request, "curation/verdict.html", context, fragment="verdict",
                 status=422 if error else 200)


# --- agreement --------------------------------------------------------------------------------


@require_safe
@login_required
def agreement(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """How far annotators agree on the relations of the pairs several of them linked."""
    story = permissions.story_access(request.user, slug, for_="curate")
    claims = annotation_selectors.claims_visible_to(user=request.user).filter(
        article__story=story
    ).only("pk", "article_id", "start", "end")
    links = (
        annotation_selectors.links_visible_to(user=request.user)
        .filter(claim_a__article__story=story)
        .select_related("author")
        .only("pk", "claim_a_id", "claim_b_id", "relation", "author__username")
    )
    result = story_agreement(claims=claims, links=links)
    context = {"story": story, "result": result}
    return render(request, "curation/agreement.html", context)


# --- orphans ----------------------------------------------------------------------------------


@require_safe
@login_required
def orphans(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Claims whose words could not be found after an article edit, with likely new places."""
    story = permissions.story_access(request.user, slug, for_="curate")
    items = [
        {"claim": claim, "candidates": selectors.orphan_candidates(claim=claim)}
        for claim in selectors.story_orphans(story=story, user=request.user)
    ]
    return _page(request, "curation/orphans.html", {"story": story, "items": items},
                 fragment="orphans")


@require_POST
@login_required
def orphan_action(request: HtmxHttpRequest, pk: int, action: str) -> HttpResponse:
    claim = permissions.claim_access(request.user, pk, for_="curate")
    story = claim.article.story
    try:
        if action == "reattach":
            form = ReattachForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form.error_text())
            services.claim_reattach(
                user=request.user, claim=claim, start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
            )
            messages.success(request, _("The claim is back on the text."))
        elif action == "dismiss":
            services.orphan_dismiss(user=request.user, claim=claim,
                                    reason=request.POST.get("reason", ""))
            messages.success(request, _("The orphan was dismissed; it is kept with its links."))
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        status = 422
    else:
        status = 200
    url = reverse("curation:orphans", kwargs={"slug": story.slug})
    if request.htmx:
        items = [
            {"claim": c, "candidates": selectors.orphan_candidates(claim=c)}
            for c in selectors.story_orphans(story=story, user=request.user)
        ]
        return _page(request, "curation/orphans.html", {"story": story, "items": items},
                     fragment="orphans", status=status)
    return HttpResponseRedirect(url)


# --- history ----------------------------------------------------------------------------------


@require_safe
@login_required
def story_history(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Every recorded change in the story the viewer may see, newest first."""
    story = article_selectors.story_get(slug=slug)
    events = selectors.story_history(user=request.user, story=story)
    return render(request, "curation/history.html", {
        "story": story, "events": events, "can_curate": permissions.can_curate(request.user, story),
        "title": _("History of %(story)s") % {"story": story.title},
    })


@require_safe
@login_required
def object_history(request: HtmxHttpRequest, object_type: str, object_id: int) -> HttpResponse:
    """Every recorded change of one claim, link, canonical claim or verdict."""
    events = selectors.object_history(user=request.user, object_type=object_type,
                                      object_id=object_id)
    if not events:
        raise Http404(_("Nothing recorded for this object."))
    story = events[0].story
    return render(request, "curation/history.html", {
        "story": story, "events": events, "can_curate": permissions.can_curate(request.user, story),
        "title": _("History of %(type)s #%(id)s") % {"type": object_type, "id": object_id},
    })


@require_POST
@login_required
def claim_restore(request: HtmxHttpRequest, event_pk: int) -> HttpResponse:
    """Restore a deleted claim with its links from its ``deleted`` event."""
    event = permissions.event_access(request.user, event_pk, for_="curate")
    try:
        result = services.claim_restore(user=request.user, event=event)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return HttpResponseRedirect(reverse("curation:story_history",
                                            kwargs={"slug": event.story.slug}))
    text = _("Claim restored with %(n)d link(s).") % {"n": result.links_restored}
    if result.links_skipped:
        text += " " + _("%(n)d link(s) could not come back: their other claim is gone.") % {
            "n": result.links_skipped}
    if result.links_hidden:
        text += " " + _("%(n)d link(s) you may not see were left as they were.") % {
            "n": result.links_hidden}
    if result.orphaned:
        text += " " + _("Its words are no longer in the article, so it is in the orphan list.")
    messages.success(request, text)
    return HttpResponseRedirect(reader_url(result.claim, event.story))
