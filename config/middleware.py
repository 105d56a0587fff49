"""The edge: what no view should have to think about.

``EdgeMiddleware`` refuses, before any view runs, the bytes no text field may hold (a NUL, or
the UTF-8 of a lone surrogate) in the path, the query string or a form body: 400, nothing read
from the database. It also turns a database that cannot be reached (PostgreSQL restarting, the
pool out of connections for ``timeout`` seconds) into ``503 Service Unavailable`` with
``Retry-After``: a styled page for people, ``application/problem+json`` for the API. Errors the
view raises are caught in ``process_exception``; errors raised by other middleware (a session
saved on the way out) reach ``server_error``, Django's ``handler500``, which answers 503 too.
"""

from __future__ import annotations

import re
import sys

import psycopg
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

#: Seconds a client should wait before trying again while the database is away.
RETRY_AFTER = 2
#: ``%00`` (any case) or a raw NUL; ``%ED%A0``..``%ED%BF`` starts the UTF-8 of a surrogate.
_BAD_ENCODED = re.compile(rb"%00|\x00|%ed%(?:a|b)[0-9a-f]", re.IGNORECASE)
_FORM = "application/x-www-form-urlencoded"
#: Exceptions that mean "the database is not there right now", not "this request is wrong".
OUTAGE_ERRORS = (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError)


def is_outage(error: BaseException | None) -> bool:
    if not isinstance(error, OUTAGE_ERRORS):
        return False
    # A statement the server cancelled for this request alone is not an outage.
    cause = error.__cause__ or error
    return not isinstance(cause, psycopg.errors.QueryCanceled)


def client_ip(request: HttpRequest) -> str:
    """The address a request came from: behind the TLS proxy of docs/deployment.md (which
    appends it to X-Forwarded-For), the last hop it saw; else the socket's peer. Used by the
    login and token throttles, so one address cannot pass itself off as another."""
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def wants_json(request: HttpRequest) -> bool:
    path = request.path
    if path.startswith("/annotations/") and not path.startswith("/annotations/tokens"):
        return True
    accept = request.headers.get("Accept", "")
    return "json" in accept and "text/html" not in accept


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    if wants_json(request):
        return JsonResponse(
            {"status": 400, "detail": message}, status=400, content_type="application/problem+json"
        )
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After; reads nothing from the database (it is not there)."""
    message = _("The database is not reachable right now. Try again in a few seconds.")
    if wants_json(request):
        response = JsonResponse(
            {"status": 503, "title": "Service Unavailable", "detail": message},
            status=503,
            content_type="application/problem+json",
        )
    elif request.path.endswith("/live/"):
        response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    else:
        html = loader.render_to_string("503.html", {"message": message, "retry": RETRY_AFTER})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


class EdgeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = self._refuse(request)
        if problem:
            return bad_request(request, problem)
        return self.get_response(request)

    def _refuse(self, request: HttpRequest) -> str | None:
        raw_path = request.META.get("PATH_INFO", "")
        if "\x00" in raw_path or any("\ud800" <= c <= "\udfff" for c in request.path):
            return _("The address contains a character that is not allowed.")
        query = request.META.get("QUERY_STRING", "")
        if isinstance(query, str):
            query = query.encode("latin-1", "replace")
        if _BAD_ENCODED.search(query):
            return _("The query contains a NUL byte or a lone surrogate, which are not allowed.")
        if (
            request.method == "POST"
            and (request.content_type or "") == _FORM
            and _BAD_ENCODED.search(request.body)
        ):
            return _("The form contains a NUL byte or a lone surrogate, which are not allowed.")
        return None

    def process_exception(self, request: HttpRequest, exception: Exception):
        if is_outage(exception):
            return unavailable(request)
        return None


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer once a person or address is throttled (AXES_LOCKOUT_CALLABLE): 429
    with Retry-After, problem JSON for the API (bad bearer tokens), a page for people."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    if wants_json(request):
        response = JsonResponse(
            {
                "status": 429,
                "title": "Too Many Requests",
                "detail": _("Too many failed attempts from here. Try again in %(n)d minutes.")
                % {"n": seconds // 60},
            },
            status=429,
            content_type="application/problem+json",
        )
    else:
        response = HttpResponse(
            loader.render_to_string(settings.AXES_LOCKOUT_TEMPLATE, request=request), status=429
        )
    response["Retry-After"] = str(seconds)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a database outage is a 503 wherever it was raised; anything else is the
    plain 500 page (which needs no database either)."""
    if is_outage(sys.exc_info()[1]):
        return unavailable(request)
    return HttpResponse(loader.render_to_string("500.html"), status=500)
