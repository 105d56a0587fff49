"""Production settings: ``manage.py check --deploy`` passes, and unsafe setups refuse to start.

Settings are read once at import, so each case runs ``manage.py`` in a fresh process.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


#: Not inherited from the test run: the settings under test, and the browser fixture's
#: DJANGO_ALLOW_ASYNC_UNSAFE (which check --deploy rightly rejects).
SCRUBBED = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "parallax.example",
    "CSRF_TRUSTED_ORIGINS": "https://parallax.example",
}


def test_check_deploy_passes_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    result = manage("check", "--deploy", **{**PRODUCTION, "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    # Tooling that signs nothing still runs (the hook and CI run makemigrations bare).
    result = manage("makemigrations", "--check", "--dry-run", **{**PRODUCTION, "SECRET_KEY": ""})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("url", ["sqlite:///db.sqlite3", "mysql://u@h/db"])
def test_only_postgres_is_accepted(url):
    result = manage("check", DATABASE_URL=url)
    assert result.returncode != 0
    assert "DATABASE_URL must point at PostgreSQL" in result.stderr
