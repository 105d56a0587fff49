"""Parallax settings: one env-driven module with safe local defaults.

Production sets DEBUG=0, SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL; everything else follows.
"""

from __future__ import annotations

import datetime
import os
import warnings
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Off unless the environment turns it on: a server started without DEBUG must never show
# technical error pages or run on the public development key. `make run` sets DEBUG=1.
DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    # Local development only: a fixed, obviously-insecure key so sessions survive restarts.
    SECRET_KEY = "django-insecure-local-development-key-not-for-production"
# Without DEBUG and without a key the settings still load, so tooling that signs nothing
# (makemigrations, migrate, collectstatic) works; but nothing serves: the WSGI and ASGI entry
# points (and so runserver, gunicorn, uvicorn, make run) refuse to start, and `check --deploy`
# fails (config/checks.py).

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "csp",
    "axes",
    "django_htmx",
    "template_partials",
    "articles",
    "annotations",
    "curation",
    "teams",
    "activity",
    "opendata",
    "suggestions",
    "reader",
    "newsroom",
    "config.apps.SiteConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # NUL bytes and lone surrogates refused at the edge (400); a database outage is a 503.
    "config.middleware.EdgeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it answers a locked-out login with 429 (axes.E001 otherwise).
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out person or address is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# PostgreSQL only, through psycopg 3 and its connection pool.
DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/parallax")
if not DATABASE_URL.startswith(("postgres://", "postgresql://")):
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...).")
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
_db["OPTIONS"] = {
    **_db.get("OPTIONS", {}),
    "pool": {
        "min_size": int(os.environ.get("DB_POOL_MIN", "2")),
        "max_size": int(os.environ.get("DB_POOL_MAX", "20")),
        # A request waits at most this long for a connection: during an outage it fails fast
        # with a 503 (config/middleware.py) instead of hanging.
        "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "2")),
    }
    if env_bool("DB_POOL", True)
    else False,
    # The SSD value: with the default (4, for spinning disks) the planner cannot tell that a
    # quoted phrase search is selective and scans the table instead of the GIN index
    # (docs/benchmarks.md, search). DB_RANDOM_PAGE_COST overrides it.
    "options": f"-c random_page_cost={float(os.environ.get('DB_RANDOM_PAGE_COST', '1.1'))}",
}
# Our backend (config/db/): Django's, with a pool that checks every connection it hands out,
# so none cut by a restart is used, and reconnects within half a second of the database's return.
_db["ENGINE"] = "config.db"
_db["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME") or None}
DATABASES = {"default": _db}

# Per-process memory cache. The reader keeps here what it draws from a story's annotations (an
# index of the rows, and each column's marked-up text), keyed by the version of the rows they were
# drawn from (annotations/selectors.py: the id of the article's newest AnnotationChange, which
# triggers write in the same transaction as the rows), and after a write brought up to date from
# the changed rows only (reader/rowdelta.py); at most a few hundred KiB each, the oldest dropped
# past MAX_ENTRIES.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "parallax",
        "TIMEOUT": 600,
        "OPTIONS": {"MAX_ENTRIES": 500},
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "articles:home"
LOGOUT_REDIRECT_URL = "articles:home"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("vi", _("Vietnamese"))]
# Dates with the month as a word, in each language (config/formats/): never "12/01/2026".
FORMAT_MODULE_PATH = ["config.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Under ASGI, Django iterates WhiteNoise's (synchronous) file responses in a thread and warns on
# every static file. That is expected: in production a proxy or CDN in front serves /static/ with
# far-future caching, and the few misses are cheap. The warning would drown real ones.
warnings.filterwarnings(
    "ignore",
    message="StreamingHttpResponse must consume synchronous iterators",
    category=Warning,
    module="django.core.handlers.asgi",
)

# Security: strict by default in production; overridable for a TLS-terminating proxy.
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
# Preloading is a promise to browsers that is slow to take back: only on request (so check
# --deploy's reminder about it is silenced until then).
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp) on every response: our own scripts, styles, fonts and
# images only; no inline script or style, no eval, no framing, no plugins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [SELF],
    }
}
# Permissions-Policy (django-permissions-policy): none of the powerful features is used.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media",
        "fullscreen", "geolocation", "gyroscope", "magnetometer", "microphone", "midi",
        "payment", "picture-in-picture", "publickey-credentials-get", "screen-wake-lock",
        "usb", "xr-spatial-tracking",
    )
}

# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username,
# or from one address, further attempts are refused (429, registration/locked_out.html) for
# AXES_COOLOFF_TIME; a right password does not get in while locked. Attempts are stored in the
# database, so every app server sees them.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # an account, or an address
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_LOCKOUT_CALLABLE = "config.middleware.locked_out"
AXES_CLIENT_IP_CALLABLE = "config.middleware.client_ip"
AXES_VERBOSE = False
# Bad bearer tokens count as failed logins too (opendata/http.py), under the same limits.

if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Search: longest query accepted (characters).
SEARCH_MAX_QUERY_LENGTH = 500
# Search results are cached per query under a number that every article, story or source write
# moves (articles.selectors.search_generation). Each process re-reads that number at most this
# often, so a write shows in search results within this many seconds (like a search engine's
# refresh interval; Elasticsearch's default is 1 s), and a repeated search costs no query.
SEARCH_FRESHNESS_SECONDS = float(os.environ.get("SEARCH_FRESHNESS_SECONDS", "1"))

# Open data (W3C Web Annotation import/protocol): largest JSON body accepted, in bytes (413 past
# it). Read by opendata itself, so DATA_UPLOAD_MAX_MEMORY_SIZE stays small for form posts.
OPENDATA_MAX_BODY_BYTES = int(os.environ.get("OPENDATA_MAX_BODY_BYTES", str(8 * 1024 * 1024)))
# Annotations per AnnotationPage in the /annotations/ container.
OPENDATA_PAGE_SIZE = 100
#: Reader columns with more drawn claims than this send them as data, drawn in the browser with
#: the CSS Custom Highlight API, instead of as server-drawn marks (docs/page-hooks.md; measured
#: in docs/benchmarks.md, issue 18).
READER_DENSE_CLAIMS = int(os.environ.get("READER_DENSE_CLAIMS", "100"))

# Suggested connections are recomputed in a background thread after an import or an article edit
# (suggestions/services.py). The test suite turns this off except where it tests it.
SUGGESTIONS_AUTO_REFRESH = env_bool("SUGGESTIONS_AUTO_REFRESH", True)

# Bringing articles in from the browser (issue 16, newsroom/fetching.py and extraction.py).
NEWSROOM_MAX_BYTES = int(os.environ.get("NEWSROOM_MAX_BYTES", 5 * 1024 * 1024))
NEWSROOM_FETCH_TIMEOUT = 10.0  # seconds for a whole fetch, redirects included
NEWSROOM_FETCH_MAX_REDIRECTS = 3
NEWSROOM_FETCH_WORKERS = 4  # links of one batch fetched at once
#: Fetch links in a background thread (tests run the same work inline, after commit).
NEWSROOM_FETCH_BACKGROUND = env_bool("NEWSROOM_FETCH_BACKGROUND", True)
#: Networks a link may point into despite being private (tests serve pages on 127.0.0.1).
NEWSROOM_FETCH_ALLOWED_NETWORKS = env_list("NEWSROOM_FETCH_ALLOWED_NETWORKS", "")
