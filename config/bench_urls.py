"""The site's URLs plus two baselines for the benchmarks (only under config.bench_settings).

``GET /bench/static-bytes/?of=<path>`` — reads' baseline.

The baseline answers with the bytes (and content type) that ``<path>`` returned the first time it
was asked for, kept in memory. It goes through the same server, ASGI handler and middleware as the
real page but does no database or template work, so "page / baseline" isolates the page's own cost.
bench/wrk.py asks for it once before measuring, which captures the bytes.

``POST /bench/bare-insert/`` — writes' baseline (bench/claims.py; reusable by any write benchmark).
Form fields ``article`` (an article pk), ``start``, ``end`` and ``exact``. It runs the same server,
middleware, session, login and CSRF checks as a real action (send the ``sessionid`` and
``csrftoken`` cookies and an ``X-CSRFToken`` header; ``HX-Request: true`` like htmx), then does
exactly one INSERT of an ``annotations_claim`` row (no validation, no reads, no rendering) and
answers 200 with a few bytes. A repeated (article, user, start, end) violates the claims' unique
constraint and answers 409, so vary the span per request; anonymous requests get 403.
"""

from __future__ import annotations

from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.test import Client
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from annotations.models import Claim

from config.urls import urlpatterns as site_urlpatterns

_captured: dict[str, tuple[bytes, str]] = {}


@require_GET
def static_bytes(request: HttpRequest) -> HttpResponse:
    target = request.GET.get("of", "")
    if not target.startswith("/") or target.startswith("/bench/"):
        raise Http404("?of= must name a site path")
    if target not in _captured:
        response = Client(HTTP_HOST=request.get_host()).get(target)
        if response.status_code != 200:
            raise Http404(f"{target} answered {response.status_code}")
        _captured[target] = (response.content, response["Content-Type"])
    body, content_type = _captured[target]
    return HttpResponse(body, content_type=content_type)


@require_POST
def bare_insert(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return HttpResponse("log in first", status=403)
    data = request.POST
    try:
        Claim.objects.create(
            article_id=int(data["article"]),
            author=request.user,
            start=int(data["start"]),
            end=int(data["end"]),
            exact=data["exact"],
            body_hash="bench",
        )
    except IntegrityError:
        return HttpResponse("conflict", status=409)
    except (KeyError, ValueError):
        return HttpResponse("article, start, end and exact are required", status=400)
    return HttpResponse("inserted")


urlpatterns = [
    path("bench/static-bytes/", static_bytes),
    path("bench/bare-insert/", bare_insert),
    *site_urlpatterns,
]
