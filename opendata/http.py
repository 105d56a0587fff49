"""HTTP plumbing shared by the JSON-LD views: who is asking (session or personal token), CSRF for
session writes, reading a JSON body within limits, and JSON-LD responses with their headers.

Token requests carry no ambient credentials, so CSRF does not apply to them; session requests
are checked exactly as Django's middleware would (the views are ``csrf_exempt`` only so that
token clients are not refused — see ``authenticate``).
"""

from __future__ import annotations

import json
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext as _

from . import jsonld, services
from .jsonld import Site
from textkernel.clean import unstorable

JSONLD_TYPES = ("application/ld+json",)


class HttpProblem(Exception):
    """An error answered as JSON: ``status`` and a message (plus optional extra fields)."""

    def __init__(self, status: int, message: str, **extra: Any):
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


def site_for(request: HttpRequest) -> Site:
    return Site(base=request.build_absolute_uri("/").rstrip("/"))


def authenticate(request: HttpRequest) -> bool:
    """Set ``request.user`` from a Bearer token if one is sent; return True if it was.

    A wrong or revoked token is a 401, never a silent fall-back to the session.
    """
    header = request.headers.get("Authorization", "")
    if not header:
        return False
    scheme, _sep, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise HttpProblem(401, _("Use “Authorization: Bearer <token>”."))
    raw = raw.strip()
    # A bad token is a failed login for django-axes (keyed by the token's visible prefix and the
    # address), so guessing tokens is throttled like guessing passwords: 429 once locked.
    credentials = {"username": "token:" + raw[:10]}
    throttled = settings.AXES_ENABLED
    if throttled and AxesProxyHandler.is_locked(request, credentials):
        raise HttpProblem(429, _("Too many bad tokens from here. Try again later."))
    user = services.token_user(raw=raw)
    if user is None:
        if throttled:
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        raise HttpProblem(401, _("The token is not valid (revoked or mistyped?)."))
    request.user = user
    return True


def require_writer(request: HttpRequest, *, by_token: bool) -> None:
    """401 for anonymous writers; for session writers, the CSRF check (403 if it fails)."""
    if not request.user.is_authenticated:
        raise HttpProblem(401, _("Log in or send a personal token to change annotations."))
    if by_token:
        return
    check = CsrfViewMiddleware(lambda r: None)
    reason: list[str] = []
    check._reject = lambda req, why: reason.append(why) or HttpResponse(status=403)
    check.process_request(request)
    if check.process_view(request, None, (), {}) is not None:
        raise HttpProblem(403, _("CSRF check failed: %(why)s") % {"why": reason[0]})


def content_type_ok(request: HttpRequest) -> bool:
    media = request.content_type or ""
    return media in JSONLD_TYPES or media == "application/json"


def read_json(request: HttpRequest) -> Any:
    """The request body as JSON: 415 for another content type, 413 past the limit, 400 if it is
    not JSON. Reads the stream itself, so Django's form-upload limit does not apply."""
    if not content_type_ok(request):
        raise HttpProblem(
            415,
            _("Send %(type)s (the W3C annotation profile is welcome).")
            % {"type": "application/ld+json"},
        )
    limit = settings.OPENDATA_MAX_BODY_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise HttpProblem(413, _("The body is larger than %(n)s bytes.") % {"n": f"{limit:,}"})
    raw = request.read(limit + 1)
    if len(raw) > limit:
        raise HttpProblem(413, _("The body is larger than %(n)s bytes.") % {"n": f"{limit:,}"})
    try:
        data = json.loads(raw.decode(request.encoding or "utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise HttpProblem(400, _("The body is not valid JSON: %(e)s") % {"e": error}) from None
    except RecursionError:
        data = None
        problem = "deep"
    else:
        problem = json_problem(data)
    if problem == "deep":
        raise HttpProblem(
            400, _("The JSON is nested too deep (at most %(n)s levels).") % {"n": MAX_JSON_DEPTH}
        )
    if problem:
        # Well-formed JSON (and schema-valid) whose text cannot be stored: unprocessable, like
        # any refused item, so the OpenAPI description's 422 covers it.
        raise HttpProblem(
            422, _("The JSON holds a NUL character or a lone surrogate, which text cannot hold.")
        )
    return data


#: Deepest nesting of arrays and objects a JSON body may have; a W3C annotation needs about 6.
MAX_JSON_DEPTH = 32


def json_problem(data: Any) -> str | None:
    """``"deep"`` if ``data`` nests deeper than MAX_JSON_DEPTH, ``"text"`` if a string (or key)
    holds a NUL or a lone surrogate (no column can store them), else None. Iterative, so no
    depth can make it recurse."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if unstorable(value):
                return "text"
        elif isinstance(value, (list, dict)):
            if depth > MAX_JSON_DEPTH:
                return "deep"
            if isinstance(value, dict):
                stack.extend((key, depth) for key in value)
                stack.extend((item, depth + 1) for item in value.values())
            else:
                stack.extend((item, depth + 1) for item in value)
    return None


def json_response(
    payload: Any, *, status: int = 200, content_type: str = jsonld.MEDIA_TYPE
) -> HttpResponse:
    return HttpResponse(jsonld.dumps(payload), status=status, content_type=content_type)


def problem_response(problem: HttpProblem) -> HttpResponse:
    response = json_response(
        {"status": problem.status, "detail": problem.message, **problem.extra},
        status=problem.status,
        content_type="application/json",
    )
    if problem.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="parallax"'
    if problem.status == 429:
        response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
