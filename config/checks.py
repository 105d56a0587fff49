"""The site refuses to serve without a secret key when DEBUG is off.

The settings load without one (so makemigrations and other tooling that signs nothing work);
``require_secret_key`` is called by the WSGI and ASGI entry points before they build their
application, and ``secret_key_set`` is a ``check --deploy`` error.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

MESSAGE = "SECRET_KEY must be set when DEBUG is off (for local use, set DEBUG=1 as `make run` does)."


def _missing() -> bool:
    try:
        return not settings.SECRET_KEY
    except ImproperlyConfigured:  # Django refuses to read an empty key
        return True


def require_secret_key() -> None:
    """Stop a server from starting without a key (DEBUG off and SECRET_KEY unset)."""
    if _missing():
        raise ImproperlyConfigured(MESSAGE)


@checks.register(checks.Tags.security, deploy=True)
def secret_key_set(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    return [checks.Error(MESSAGE, id="parallax.E001")] if _missing() else []
