"""Shared bits of the open-data commands."""

from __future__ import annotations

import os

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from opendata.jsonld import Site

#: The site's public base URL, for the IRIs in exported files (no trailing slash).
DEFAULT_BASE_URL = os.environ.get("PARALLAX_BASE_URL", "http://localhost:8000")


def site(base_url: str | None) -> Site:
    return Site(base=(base_url or DEFAULT_BASE_URL).rstrip("/"))


def user_named(username: str | None):
    """The user ``username`` (None: anonymous, i.e. public annotations only)."""
    if not username:
        return None
    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist:
        raise CommandError(f"No user named {username!r}.") from None
