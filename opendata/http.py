"""HTTP plumbing shared by the JSON-LD views: who is asking (session or personal token), CSRF for
session writes, reading a JSON body within limits, and JSON-LD responses with their headers.

Token requests carry no ambient credentials, so CSRF does not apply to them; session requests
are checked exactly as Django's middleware would (the views are ``csrf_exempt`` only so that
token clients are not refused — see ``authenticate``).
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext as _

from . import jsonld, services
from .jsonld import Site

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
    user = services.token_user(raw=raw.strip())
    if user is None:
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
        raise HttpProblem(400, _("The body is nested too deeply.")) from None
    if problem := json_problem(data):
        # Well-formed JSON whose content cannot be stored: unprocessable, like any refused item.
        raise HttpProblem(422, problem)
    return data


def _text_problem(value: str) -> str | None:
    if "\x00" in value:
        return _("Text cannot contain NUL (\\u0000) characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _("Text must be valid Unicode (a lone surrogate \\ud800–\\udfff was sent).")
    return None


#: Deeper than any annotation needs (a link's body is four levels down); deeper is refused.
MAX_JSON_DEPTH = 64


def json_problem(data: Any) -> str | None:
    """Why parsed JSON cannot be stored as it is (NUL characters, which PostgreSQL text cannot
    hold; absurd nesting), or None. Walks the document without recursion."""
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return _("The body is nested too deeply.")
        if isinstance(value, str):
            if problem := _text_problem(value):
                return problem
        elif isinstance(value, dict):
            for key, item in value.items():
                if problem := _text_problem(key):
                    return problem
                stack.append((item, depth + 1))
        elif isinstance(value, list):
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
    return response
