"""Open data over HTTP: the W3C Web Annotation Protocol container at ``/annotations/``, one
annotation at ``/annotations/<claim-N|link-N>``, a story's export (JSON-LD, CSV), the import
endpoint, the article texts the selectors point into, the OpenAPI description, and the page
where people make personal tokens.

The JSON views are ``csrf_exempt`` so token clients are not refused, and check CSRF themselves
for session-authenticated writes (``http.require_writer``).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from articles.models import Article, Story
from textkernel.clean import csv_cell
from textkernel.params import parse_id, parse_int

from . import jsonld, openapi, selectors, services
from .http import (
    HttpProblem,
    authenticate,
    json_response,
    problem_response,
    read_json,
    require_writer,
    site_for,
)
from .models import ApiToken

CONTAINER_ALLOW = "GET, HEAD, OPTIONS, POST"
ITEM_ALLOW = "GET, HEAD, OPTIONS, PUT, DELETE"
CONTAINER_LINK = (
    '<http://www.w3.org/ns/ldp#BasicContainer>; rel="type", '
    '<http://www.w3.org/TR/annotation-protocol/>; rel="http://www.w3.org/ns/ldp#constrainedBy"'
)
ITEM_LINK = '<http://www.w3.org/ns/ldp#Resource>; rel="type"'
PREFER_IRIS = "http://www.w3.org/ns/oa#PreferContainedIRIs"
PREFER_DESCRIPTIONS = "http://www.w3.org/ns/oa#PreferContainedDescriptions"
PREFER_MINIMAL = "http://www.w3.org/ns/ldp#PreferMinimalContainer"
_INCLUDE = re.compile(r'include\s*=\s*"([^"]*)"')


def _json_api(allow: str) -> Callable:
    """Token or session auth, JSON problems for errors, 405 with ``Allow``.

    Every client gets JSON-LD whatever its Accept header (HTTP lets a server answer with its one
    representation rather than 406; a browser opening the URL then sees the data)."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                if request.method not in allow.split(", "):
                    raise HttpProblem(405, _("Method not allowed."))
                by_token = authenticate(request)
                response = view(request, *args, by_token=by_token, **kwargs)
            except HttpProblem as problem:
                response = problem_response(problem)
            except services.ImportRejected as rejected:
                response = json_response(
                    {
                        "status": 422,
                        "detail": rejected.report.summary(),
                        **rejected.report.as_dict(),
                    },
                    status=422,
                    content_type="application/json",
                )
            except services.PreconditionFailed:
                response = problem_response(
                    HttpProblem(412, _("The annotation changed since you read it; GET it again."))
                )
            except Http404 as missing:
                response = problem_response(HttpProblem(404, str(missing) or _("Not found.")))
            except PermissionDenied as denied:
                response = problem_response(HttpProblem(403, str(denied) or _("Not allowed.")))
            response.setdefault("Allow", allow)
            patch_vary_headers(response, ("Accept", "Authorization"))
            return response

        return wrapper

    return decorate


def _finish(
    request: HttpRequest, response: HttpResponse, *, etag: str | bool | None = True
) -> HttpResponse:
    """Set the ETag (by default the hash of the body), answer If-None-Match with 304, and strip
    the body for HEAD."""
    if etag is True:
        etag = selectors.etag_of(response.content)
    if etag:
        response["ETag"] = etag
        if_none_match = request.headers.get("If-None-Match", "")
        if request.method in ("GET", "HEAD") and etag in [
            t.strip() for t in if_none_match.split(",")
        ]:
            not_modified = HttpResponse(status=304)
            for header in ("ETag", "Link", "Vary", "Allow", "Content-Location"):
                if header in response:
                    not_modified[header] = response[header]
            return not_modified
    if request.method == "HEAD":
        response["Content-Length"] = str(len(response.content))
        response.content = b""
    return response


def _options(allow: str, link: str) -> HttpResponse:
    response = HttpResponse(status=200)
    response["Allow"] = allow
    response["Link"] = link
    if "POST" in allow:
        response["Accept-Post"] = jsonld.MEDIA_TYPE
    return response


# --- the container -----------------------------------------------------------------------------


def _validated(data, schema: str):
    """``data`` if it fits the request schema the OpenAPI description publishes; else a 422
    that says where and why (the same report shape as every refused import)."""
    if problem := openapi.request_problem(schema, data):
        raise services.ImportRejected(services.ImportReport(items=[], errors=[problem]))
    return data


def _prefer(request: HttpRequest) -> set[str]:
    prefer = request.headers.get("Prefer", "")
    if "return=representation" not in prefer.replace(" ", ""):
        return set()
    return {iri for match in _INCLUDE.findall(prefer) for iri in match.split()}


def _container_iri(site, story: Story | None) -> str:
    return site.container() + (f"?story={story.slug}" if story else "")


def _page_iri(site, story: Story | None, page: int, iris: bool) -> str:
    query = [f"story={story.slug}"] if story else []
    query += [f"iris={int(iris)}", f"page={page}"]
    return f"{site.container()}?{'&'.join(query)}"


def _page(request, *, site, story, number: int, iris: bool, embedded: bool) -> dict:
    size = settings.OPENDATA_PAGE_SIZE
    start = number * size
    result = selectors.container_page(
        user=request.user, site=site, start=start, size=size, iris=iris, story=story
    )
    if number < 0 or (start >= result.total and number != 0):
        raise Http404(_("No such page."))
    page = {} if embedded else {"@context": jsonld.CONTEXT}
    page.update(
        {
            "id": _page_iri(site, story, number, iris),
            "type": "AnnotationPage",
            "partOf": {"id": _container_iri(site, story), "total": result.total},
            "startIndex": start,
            "items": result.items,
        }
    )
    if start + size < result.total:
        page["next"] = _page_iri(site, story, number + 1, iris)
    if number > 0:
        page["prev"] = _page_iri(site, story, number - 1, iris)
    return page


@_json_api(CONTAINER_ALLOW)
def container(request: HttpRequest, *, by_token: bool) -> HttpResponse:
    """The W3C annotation container: every annotation the requester may see (``?story=`` narrows
    it to one story), paged with AnnotationPage; POST creates an annotation."""
    if request.method == "OPTIONS":
        return _options(CONTAINER_ALLOW, CONTAINER_LINK)
    site = site_for(request)
    story = selectors.stories_by_slug(request.GET.get("story"))
    if request.method == "POST":
        require_writer(request, by_token=by_token)
        data = _validated(read_json(request), "AnnotationIn")
        obj, _report, created = services.annotation_create(
            user=request.user, data=data, site=site
        )
        payload = selectors.annotation_json(site=site, obj=obj)
        # Nothing was created when the words were already highlighted (or the annotation was
        # imported before): 200 with the one that exists, not 201.
        response = json_response(payload, status=201 if created else 200)
        response["Location"] = payload["id"]
        response["Content-Location"] = payload["id"]
        response["ETag"] = selectors.etag_for(payload)
        response["Link"] = ITEM_LINK
        return response

    iris_value = request.GET.get("iris")
    if iris_value is not None and iris_value not in openapi.IRIS_PARAMETER["schema"]["enum"]:
        raise HttpProblem(400, _("iris must be 0 or 1."))
    if "page" in request.GET:
        limits = openapi.PAGE_PARAMETER["schema"]
        number = parse_int(
            request.GET["page"], minimum=limits["minimum"], maximum=limits["maximum"]
        )
        if number is None:
            raise HttpProblem(400, _("page must be a whole number, 0 or more."))
        iris = iris_value == "1"
        payload = _page(request, site=site, story=story, number=number, iris=iris, embedded=False)
        preference = None
    else:
        prefer = _prefer(request)
        iris = PREFER_IRIS in prefer and PREFER_DESCRIPTIONS not in prefer
        minimal = PREFER_MINIMAL in prefer
        total = selectors.container_total(user=request.user, story=story)
        payload = {
            "@context": [jsonld.ANNO_CONTEXT, jsonld.LDP_CONTEXT, jsonld.CONTEXT[1]],
            "id": _container_iri(site, story),
            "type": ["BasicContainer", "AnnotationCollection"],
            "label": story.title if story else _("Parallax annotations"),
            "total": total,
        }
        if total:
            size = settings.OPENDATA_PAGE_SIZE
            if minimal:
                payload["first"] = _page_iri(site, story, 0, iris)
            else:
                payload["first"] = _page(
                    request, site=site, story=story, number=0, iris=iris, embedded=True
                )
            payload["last"] = _page_iri(site, story, (total - 1) // size, iris)
        preference = "return=representation" if prefer else None
    response = json_response(payload)
    response["Link"] = CONTAINER_LINK
    response["Content-Location"] = payload["id"]
    response["Accept-Post"] = jsonld.MEDIA_TYPE
    if preference:
        response["Preference-Applied"] = preference
    patch_vary_headers(response, ("Prefer",))
    return _finish(request, response)


# --- one annotation ---------------------------------------------------------------------------


@_json_api(ITEM_ALLOW)
def annotation(request: HttpRequest, annotation_id: str, *, by_token: bool) -> HttpResponse:
    """One annotation: GET/HEAD (with ETag), PUT with If-Match, DELETE."""
    if request.method == "OPTIONS":
        return _options(ITEM_ALLOW, ITEM_LINK)
    site = site_for(request)
    kind, pk = selectors.parse_annotation_id(annotation_id)
    if request.method in ("PUT", "DELETE"):
        require_writer(request, by_token=by_token)
        selectors.annotation_object(user=request.user, kind=kind, pk=pk)  # 404 before anything
        if_match = request.headers.get("If-Match")
        if request.method == "DELETE":
            services.annotation_delete(
                user=request.user, kind=kind, pk=pk, if_match=if_match, site=site
            )
            return HttpResponse(status=204)
        if not if_match:
            # Without it the write could silently undo someone else's.
            iri = site.claim(pk) if kind == "claim" else site.link(pk)
            raise HttpProblem(
                428,
                _(
                    "This server requires If-Match on PUT, so that a change never silently "
                    "undoes someone else's. GET (or HEAD) %(iri)s, copy its ETag header, and "
                    "send it back as If-Match."
                )
                % {"iri": iri},
                etag_from=iri,
            )
        data = _validated(read_json(request), "AnnotationIn")
        services.annotation_replace(
            user=request.user, kind=kind, pk=pk, data=data, if_match=if_match, site=site
        )
    obj = selectors.annotation_object(user=request.user, kind=kind, pk=pk)
    payload = selectors.annotation_json(site=site, obj=obj)
    response = json_response(payload)
    response["Link"] = ITEM_LINK
    response["Content-Location"] = payload["id"]
    return _finish(request, response)


# --- stories: export, CSV, import --------------------------------------------------------------


@_json_api("GET, HEAD")
def story_export(request: HttpRequest, slug: str, *, by_token: bool) -> HttpResponse:
    """The story's visible annotations as one W3C AnnotationCollection (JSON-LD)."""
    story = get_object_or_404(Story, slug=slug)
    payload = selectors.story_collection(story=story, user=request.user, site=site_for(request))
    response = json_response(payload)
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="{story.slug}.jsonld"'
    return _finish(request, response)


@_json_api("GET, HEAD")
def story_csv(request: HttpRequest, slug: str, *, by_token: bool) -> HttpResponse:
    """The story's visible links as CSV (UTF-8 with BOM, so spreadsheets read Vietnamese)."""
    story = get_object_or_404(Story, slug=slug)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    for row in selectors.story_link_rows(story=story, user=request.user):
        writer.writerow([csv_cell(value) for value in row])
    response = HttpResponse(out.getvalue().encode(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{story.slug}-links.csv"'
    return _finish(request, response)


@_json_api("POST, OPTIONS")
def import_annotations(request: HttpRequest, *, by_token: bool) -> HttpResponse:
    """Import an AnnotationCollection (or page, list, annotation): 201 with the item-by-item
    report, or 422 with it and nothing written."""
    if request.method == "OPTIONS":
        response = HttpResponse()
        response["Accept-Post"] = jsonld.MEDIA_TYPE
        return response
    require_writer(request, by_token=by_token)
    data = _validated(read_json(request), "ImportDocument")
    report = services.annotations_import(user=request.user, data=data, site=site_for(request))
    return json_response(report.as_dict(), status=201, content_type="application/json")


@_json_api("GET, HEAD")
def article_text(request: HttpRequest, pk: int, *, by_token: bool) -> HttpResponse:
    """The article's text exactly as selectors index it (NFC, ``\\n`` line ends): the ``source``
    of every exported annotation. Articles are public, like the reader."""
    article = None
    if parse_id(pk) is not None:
        article = Article.objects.only("body", "body_hash", "language").filter(pk=pk).first()
    if article is None:
        return problem_response(HttpProblem(404, _("No such article.")))
    response = HttpResponse(article.body.encode(), content_type="text/plain; charset=utf-8")
    response["Content-Language"] = article.language
    return _finish(request, response, etag=f'"{article.body_hash}"')


@_json_api("GET, HEAD")
def openapi_json(request: HttpRequest, *, by_token: bool) -> HttpResponse:
    """The OpenAPI 3.1 description of this JSON API."""
    return json_response(
        openapi.description(server=site_for(request).base), content_type="application/json"
    )


# --- personal tokens (a page for people) -----------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """List, make and revoke personal API tokens. A new token is shown once, after the redirect."""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "revoke":
                services.token_revoke(user=request.user, pk=request.POST.get("token", ""))
                messages.success(request, _("Token revoked."))
            else:
                _token, raw = services.token_create(
                    user=request.user, name=request.POST.get("name", "")
                )
                request.session["opendata_new_token"] = raw
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(reverse("opendata:tokens"))
    new_token = request.session.pop("opendata_new_token", None)
    return render(
        request,
        "opendata/tokens.html",
        {
            "tokens": ApiToken.objects.filter(user=request.user),
            "new_token": new_token,
            "container_url": request.build_absolute_uri(reverse("opendata:container")),
        },
    )


# --- the import page (for people) ------------------------------------------------------------

_PENDING = "opendata_pending_import"


def _read_upload(request: HttpRequest) -> tuple[object | None, str | None]:
    """The uploaded file as JSON, or an error message."""
    upload = request.FILES.get("file")
    if upload is None:
        return None, _("Choose a file to import.")
    if upload.size > settings.OPENDATA_MAX_BODY_BYTES:
        return None, _("The file is larger than %(n)s bytes.") % {
            "n": f"{settings.OPENDATA_MAX_BODY_BYTES:,}"
        }
    raw = upload.read()
    try:
        return json.loads(raw.decode("utf-8-sig")), None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return None, _("The file is not valid JSON: %(e)s") % {"e": error}


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Import a W3C collection or a Hypothesis export into a story: upload, see what would
    happen (a dry run: created, existing, re-anchored, orphaned, refused with reasons), confirm.
    The confirmed import is the same all-or-nothing ``annotations_import``."""
    story = get_object_or_404(Story, slug=slug)
    site = site_for(request)
    context: dict = {"story": story, "max_bytes": settings.OPENDATA_MAX_BODY_BYTES}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "check")
        pending = request.session.get(_PENDING) or {}
        if action == "confirm":
            if pending.get("story") != story.slug or pending.get("key") != request.POST.get("key"):
                context["error"] = _("That check has expired; upload the file again.")
                status = 409
            else:
                data = json.loads(pending["data"])
                try:
                    report = services.annotations_import(
                        user=request.user, data=data, site=site, story=story
                    )
                except services.ImportRejected as rejected:
                    report = rejected.report
                    status = 422
                else:
                    request.session.pop(_PENDING, None)
                    context["done"] = True
                context.update(report=report, file_name=pending.get("name", ""))
        else:
            data, error = _read_upload(request)
            if error:
                context["error"] = error
                status = 422  # htmx swaps 422 (see base.html), so the message shows in place
            else:
                try:
                    report = services.annotations_import(
                        user=request.user, data=data, site=site, story=story, dry_run=True
                    )
                except services.ImportRejected as rejected:
                    report = rejected.report
                    status = 422
                name = request.FILES["file"].name[:200]
                if report.ok:
                    key = selectors.etag_of(jsonld.dumps(data)).strip('"')
                    request.session[_PENDING] = {
                        "story": story.slug,
                        "key": key,
                        "name": name,
                        "data": jsonld.dumps(data).decode(),
                    }
                    context["key"] = key
                context.update(report=report, file_name=name)
    if "report" in context:
        report = context["report"]
        context["counts"] = report.counts()
        context["items"] = report.items
    template = "opendata/import.html"
    if getattr(request, "htmx", False):
        template += "#import-result"
    return render(request, template, context, status=status)


@csrf_exempt  # it changes nothing; a PUT to a wrong URL is a 404, not a CSRF page
def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Anything else under /annotations/: a JSON 404, like the rest of the API."""
    response = problem_response(HttpProblem(404, _("No such resource in the annotation API.")))
    patch_vary_headers(response, ("Accept",))
    return response
