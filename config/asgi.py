"""ASGI entry point: the live stream (uvicorn in production, config.dispatch under make run; see
docs/deployment.md)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_asgi_application()
