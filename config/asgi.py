"""ASGI entry point: the live stream (uvicorn in production, config.dispatch under make run; see
docs/deployment.md)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from config.checks import require_secret_key  # noqa: E402 - needs the settings module chosen

require_secret_key()
application = get_asgi_application()
