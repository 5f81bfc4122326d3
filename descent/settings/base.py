"""Settings shared by every environment, read from the environment.

`DATABASE_URL` (default: a SQLite file under `var/`), `REDIS_URL` (no default here: `make run`
and `make test` start an embedded Redis and set it), `SECRET_KEY`, `DEBUG`, `ALLOWED_HOSTS`,
`CSRF_TRUSTED_ORIGINS`, `USE_X_FORWARDED_HOST`; every setting a deployment needs is listed,
process by process, in docs/deploy.md.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from descent.client_address import trusted_proxies_from_env
from descent.stack.servers import MAINTENANCE_QUEUE as MAINTENANCE_QUEUE_NAME

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("DESCENT_VAR_DIR", BASE_DIR / "var"))

# A key that only ever serves a developer's machine; production.py refuses it.
DEFAULT_SECRET_KEY = "descent-insecure-development-key-change-me"  # noqa: S105 (refused in production)


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean environment variable: 1/true/yes/on or 0/false/no/off."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: use 1/true/yes/on or 0/false/no/off")


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated environment variable."""
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def embedded_redis_url() -> str | None:
    """Return the URL of the embedded Redis that `make run` started, if one is running."""
    url_file = VAR_DIR / "redis" / "url"
    try:
        return url_file.read_text().strip() or None
    except OSError:
        return None


SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
# Behind a proxy on another origin (scheme://host[:port]) forms must name it (docs/deploy.md).
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Take the host from X-Forwarded-Host: only behind a proxy that sets it and strips the client's.
USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", False)
# The reverse proxies whose X-Forwarded-For is believed (addresses or networks); empty: none.
# The ASGI server's --forwarded-allow-ips and Django's client_address read this one list.
TRUSTED_PROXIES = trusted_proxies_from_env()

# `manage.py shell` in the environment `make run` made finds the embedded Redis it started.
REDIS_URL = os.environ.get("REDIS_URL") or embedded_redis_url() or ""

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "csp",
    "community",
    "challenges",
    "workers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Redis down: a 503 with Retry-After, not a 500 (descent/unavailable.py).
    "descent.unavailable.RedisUnavailableMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# --- Headers every response carries (every environment, so the browser tests run under them) -
# Content-Security-Policy (django-csp): scripts only from this site — no inline script, no
# eval. Swagger UI (/api/docs/ only) may add inline <style> elements (descent/urls.py).
# style-src-attr allows style="" attributes: KaTeX and uPlot position their output with them,
# and they cannot run script. Images: ours, data: (the dataset preview), and https: (a board
# post may show an image from the web). Sockets and fetches: this origin only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # NONCE: the spec editor (CodeMirror) adds its styles in a <style> element that
        # carries the page's nonce (EditorView.cspNonce). django-csp sends a nonce only on a
        # page that used one, so every other page keeps style-src 'self' alone.
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:", "https:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
if env_bool("CSP_REPORT_ONLY", False):
    # Report, do not block: the XSS browser test runs so, to prove the escaping on its own.
    CONTENT_SECURITY_POLICY_REPORT_ONLY = CONTENT_SECURITY_POLICY
    CONTENT_SECURITY_POLICY = None
# Permissions-Policy (django-permissions-policy): no page uses a device or a sensor.
PERMISSIONS_POLICY = {
    "accelerometer": [], "camera": [], "display-capture": [], "geolocation": [],
    "gyroscope": [], "magnetometer": [], "microphone": [], "midi": [], "payment": [],
    "usb": [], "browsing-topics": [],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

ROOT_URLCONF = "descent.urls"
ASGI_APPLICATION = "descent.asgi.application"
WSGI_APPLICATION = "descent.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # `{% load ui %}`: the site's icons (descent/ui.py).
            "libraries": {"ui": "descent.ui"},
        },
    },
]


def database_from_env() -> dict:
    """Build the default database from DATABASE_URL (default: SQLite under var/)."""
    default_url = f"sqlite:///{VAR_DIR / 'descent.sqlite3'}"
    config = dj_database_url.parse(
        os.environ.get("DATABASE_URL") or default_url, conn_max_age=0, conn_health_checks=True
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # The web server and the workers write concurrently: WAL lets readers go on while one
        # writer holds the lock, IMMEDIATE takes the write lock up front instead of failing a
        # read transaction that upgrades, and the timeout waits out a busy writer.
        config["OPTIONS"] = {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return config


DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "community.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
# Front-end packages come from the npm registry through package-lock.json (`make install`
# runs `npm ci`) and are served from node_modules under /static/vendor/; without npm the pages
# work, without charts, typeset formulas, icons or the site's fonts.
NODE_MODULES = BASE_DIR / "node_modules"
FRONTEND_VENDOR = {
    "vendor/uplot": NODE_MODULES / "uplot" / "dist",  # charts
    "vendor/katex": NODE_MODULES / "katex" / "dist",  # the lessons' formulas
    "vendor/d3-array": NODE_MODULES / "d3-array" / "dist",  # d3-contour's one dependency
    "vendor/d3-contour": NODE_MODULES / "d3-contour" / "dist",  # the terrain's contour bands
    "vendor/fonts/ibm-plex-sans": NODE_MODULES / "@fontsource" / "ibm-plex-sans",
    "vendor/fonts/ibm-plex-mono": NODE_MODULES / "@fontsource" / "ibm-plex-mono",
}
# What esbuild bundles from frontend/ (`make frontend`: the spec editor).
BUILD_STATIC = BASE_DIR / "build" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"] + ([BUILD_STATIC] if BUILD_STATIC.is_dir() else []) + [
    (prefix, path) for prefix, path in FRONTEND_VENDOR.items() if path.is_dir()
]
# The SVG icon set (lucide-static): templates inline these files (descent/ui.py `icon`).
ICONS_DIR = NODE_MODULES / "lucide-static" / "icons"

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/board/"

# --- Django REST framework and the OpenAPI schema -------------------------------------------
REST_FRAMEWORK = {
    # Token first: an anonymous API call then gets 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["descent.api.parsers.LimitedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "descent.api.schema.ErrorDocumentingAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "descent.api.pagination.CappedPageNumberPagination",
    "PAGE_SIZE": 25,
    "EXCEPTION_HANDLER": "descent.api.exceptions.exception_handler",
    # Views opt in with `throttle_scope`; the rates are below.
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.ScopedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "submissions": os.environ.get("THROTTLE_SUBMISSIONS", "30/min"),
        "board_writes": os.environ.get("THROTTLE_BOARD_WRITES", "30/min"),
        "auth": os.environ.get("THROTTLE_AUTH", "20/min"),
        "lab": os.environ.get("THROTTLE_LAB", "20/hour"),
    },
}
API_MAX_JSON_BYTES = 256 * 1024
API_MAX_JSON_DEPTH = 32
# Any request body over this is refused with 413 before it is read (descent/body_limit.py);
# Django also refuses form bodies over it (400). No page takes more than a spec.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
# Open WebSockets per client address in one ASGI process (descent/websocket_guards.py).
WS_MAX_CONNECTIONS_PER_ADDRESS = int(os.environ.get("WS_MAX_CONNECTIONS_PER_ADDRESS", "50"))
SPECTACULAR_SETTINGS = {
    "TITLE": "Descent API",
    "DESCRIPTION": "Challenges, runs, leaderboards and the AI Builders Network board.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the installed sidecar package, not from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Two models have a `status`: name their enums apart.
    "ENUM_NAME_OVERRIDES": {
        "RunStatusEnum": "challenges.apis.serializers.RUN_STATUSES",
        "ChallengeStatusEnum": "challenges.apis.serializers.CHALLENGE_STATUSES",
    },
}

# --- Redis: the Channels layer and the Celery broker ------------------------------------------


def require_redis_url() -> str:
    """Return REDIS_URL, or explain how to get one."""
    if not REDIS_URL:
        raise ImproperlyConfigured(
            "REDIS_URL is not set and no embedded Redis is running: start Descent with "
            "`make run` (it starts one), or set REDIS_URL=redis://host:port/db"
        )
    return REDIS_URL


# Presence ("ONLINE n"): each connection refreshes an entry that lapses unless refreshed.
PRESENCE_TTL_SECONDS = int(os.environ.get("PRESENCE_TTL_SECONDS", "60"))
PRESENCE_REFRESH_SECONDS = int(os.environ.get("PRESENCE_REFRESH_SECONDS", "20"))
# A worker child keeps its database connection between tasks (workers/connections.py):
# Celery's Django fixup recycles it every CELERY_DB_REUSE_MAX tasks, and Django after
# WORKER_CONN_MAX_AGE seconds or once it breaks. The web side keeps CONN_MAX_AGE 0.
CELERY_DB_REUSE_MAX = int(os.environ.get("CELERY_DB_REUSE_MAX", "500"))
WORKER_CONN_MAX_AGE = int(os.environ.get("WORKER_CONN_MAX_AGE", "60"))
# The live path under a burst (docs/architecture.md, "Channels and the live path"): a
# challenge's leaderboard goes out at most once per LEADERBOARD_UPDATE_SECONDS from each
# publishing process (the last state always); protocol-2 watchers get run progress batched
# every LIVE_BATCH_SECONDS and the seq every LIVE_HEARTBEAT_SECONDS; their boards hold the
# top LEADERBOARD_LIVE_TOP rows (and the viewer's own).
LEADERBOARD_UPDATE_SECONDS = float(os.environ.get("LEADERBOARD_UPDATE_SECONDS", "0.5"))
LIVE_BATCH_SECONDS = float(os.environ.get("LIVE_BATCH_SECONDS", "0.5"))
LIVE_PUBLISH_LINGER_SECONDS = float(os.environ.get("LIVE_PUBLISH_LINGER_SECONDS", "0.2"))
LIVE_HEARTBEAT_SECONDS = float(os.environ.get("LIVE_HEARTBEAT_SECONDS", "1"))
LEADERBOARD_LIVE_TOP = int(os.environ.get("LEADERBOARD_LIVE_TOP", "100"))

# CHANNEL_LAYER=pubsub switches to RedisPubSubChannelLayer (for the comparison in
# docs/performance.md); the default is the list-based RedisChannelLayer, which buffers per
# channel with an expiry and a capacity, so a slow client loses only its own stale messages.
CHANNEL_LAYER = os.environ.get("CHANNEL_LAYER", "redis")
# redis-py 8 pools refuse (MaxConnectionsError) rather than wait past 100 connections, and
# time reads out after 5 s, exactly as long as the layer's own BZPOPMIN waits: under a
# thousand sockets both broke consumers. Room to grow, and reads that outlast the wait.
REDIS_ASYNC_POOL = {"max_connections": 4096, "socket_timeout": 30, "socket_connect_timeout": 5}
CHANNEL_LAYER_HOST = {"address": REDIS_URL or "redis://127.0.0.1:1/0", **REDIS_ASYNC_POOL}
if CHANNEL_LAYER == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [CHANNEL_LAYER_HOST], "prefix": "descent"},
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [CHANNEL_LAYER_HOST],
                # A message waits at most this long for a consumer before it is dropped: a
                # leaderboard update older than that is stale, and a snapshot replaces it.
                "expiry": 10,
                # Group membership outlives the longest WebSocket we expect (a day); consumers
                # re-add themselves on every connect.
                "group_expiry": 86400,
                # Per-channel buffer. In Redis a channel is per ASGI process (its consumers
                # share one); past this, or past `expiry`, the layer drops that process's
                # messages (seq tells its clients to resync) instead of stalling the others.
                "capacity": 500,
                "prefix": "descent",
            },
        }
    }

# Throttles, login attempt counters and presence keys live in Redis, shared by every process.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL or "redis://127.0.0.1:1/0",
        "KEY_PREFIX": "descent",
        # A Redis that hangs costs a request seconds, not the server's threads for minutes.
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5},
    }
}

# Mail (password resets): printed to the console unless EMAIL_HOST names an SMTP server.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Descent <noreply@descent.local>")

# Runs: a thread of the training process beats the run's heartbeat every
# RUN_HEARTBEAT_BEAT_SECONDS, whatever an epoch lasts. A running run whose heartbeat is older
# than RUN_HEARTBEAT_STALE_SECONDS lost its worker: a redelivered task takes it over at once,
# the sweeper re-enqueues it (the next attempt); after RUN_MAX_ATTEMPTS attempts it fails with
# a reason. On the same host a redelivered task does not wait for the stale mark: it takes over
# as soon as the process named in `Run.worker_process` is gone (docs/reliability.md).
RUN_HEARTBEAT_BEAT_SECONDS = float(os.environ.get("RUN_HEARTBEAT_BEAT_SECONDS", "2"))
RUN_HEARTBEAT_STALE_SECONDS = int(os.environ.get("RUN_HEARTBEAT_STALE_SECONDS", "10"))
# How long a worker retries a failing database write (an epoch flush, a run's end) with
# backoff before it gives the attempt up to the sweeper (docs/reliability.md).
RUN_DB_RETRY_SECONDS = float(os.environ.get("RUN_DB_RETRY_SECONDS", "30"))
RUN_MAX_ATTEMPTS = int(os.environ.get("RUN_MAX_ATTEMPTS", "3"))
# Address-space limit of each worker child (MiB): a runaway spec gets a MemoryError, becomes a
# failed run, and the worker survives.
WORKER_MEMORY_LIMIT_MB = int(os.environ.get("WORKER_MEMORY_LIMIT_MB", "4096"))
# Verified entries (docs/challenges.md, "Verification"): when a challenge closes, or staff ask,
# a second worker re-trains the top VERIFY_TOP_N entries and compares every epoch's values
# within VERIFY_RTOL / VERIFY_ATOL (an edited history never passes). A check still pending
# after VERIFY_RESEND_SECONDS (its worker died) is sent again by the beat sweep.
VERIFY_TOP_N = int(os.environ.get("VERIFY_TOP_N", "3"))
VERIFY_RTOL = float(os.environ.get("VERIFY_RTOL", "1e-9"))
VERIFY_ATOL = float(os.environ.get("VERIFY_ATOL", "1e-12"))
VERIFY_RESEND_SECONDS = int(os.environ.get("VERIFY_RESEND_SECONDS", "900"))

# --- Celery (read by descent/celery.py through `config_from_object(namespace="CELERY")`) ------
# The hard limit is the backstop for any task; a run's own budget sets a lower soft limit.
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", "900"))
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30
# Redis redelivers an unacknowledged task after the visibility timeout: it must exceed the
# hard limit, or a long task would start a second time while the first still runs. The Celery
# docs name each place that reads it: the broker's and the result backend's transport options.
CELERY_VISIBILITY_TIMEOUT = CELERY_TASK_TIME_LIMIT + 300
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
# JSON only: unpickling a message from the broker would execute whatever it carries.
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_ACCEPT_CONTENT = ["json"]
# Acknowledge after the task ran, and requeue it if the child process died under it.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TRACK_STARTED = True
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # Look for unacknowledged tasks whose visibility timeout passed every 2 s and scan every
    # time (the defaults, 10 s × 10, wait ~100 s), so a lost task comes back within seconds.
    "unacked_restore_interval": 2,
    "unacked_restore_throttle": 1,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Soft shutdown: on SIGTERM a busy worker lets its tasks run a few more seconds (long enough to
# finish and record an epoch) before the cold shutdown hands them back to the broker.
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = float(os.environ.get("CELERY_SOFT_SHUTDOWN_TIMEOUT", "5"))
CELERY_WORKER_ENABLE_SOFT_SHUTDOWN_ON_IDLE = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Each worker also listens on a queue of its own (`<node>.dq2`), so that a verification can be
# handed to a chosen worker other than the one that trained the run (workers/verification.py).
CELERY_WORKER_DIRECT = True

# --- Queues by size (issue 14) ----------------------------------------------------------------
# A run goes to the `long` queue when its budget estimate (multiply-adds over all its epochs,
# engine.budget's `macs_total`, stored as Run.estimated_work) reaches the threshold, else to
# `short`; every other task stays on the default queue. A few heavy runs then never hold up
# the quick ones, as long as some worker consumes `short`.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_DEFAULT_QUEUE", "celery")
RUN_QUEUE_SHORT = os.environ.get("RUN_QUEUE_SHORT", "short")
RUN_QUEUE_LONG = os.environ.get("RUN_QUEUE_LONG", "long")
# Fair shares: a builder's runs in flight (queued with a task sent, or running) at most; the
# rest wait, in order, for one of them to end. 0: no cap.
MAX_RUNS_IN_FLIGHT_PER_USER = int(os.environ.get("MAX_RUNS_IN_FLIGHT_PER_USER", "4"))
RUN_LONG_WORK_THRESHOLD = int(os.environ.get("RUN_LONG_WORK_THRESHOLD", "1000000000"))


CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"
# Sweeps and the beat's own heartbeat go to a queue of their own, served by a worker that
# trains nothing (`--pool solo`): a pool busy with long runs never starves them.
MAINTENANCE_QUEUE = MAINTENANCE_QUEUE_NAME  # declared once, beside the worker's command line
MAINTENANCE_TASKS = ("workers.tasks.beat_heartbeat", "workers.tasks.sweep_runs",
                     "workers.tasks.sweep_verifications")
CELERY_TASK_ROUTES = {name: {"queue": MAINTENANCE_QUEUE} for name in MAINTENANCE_TASKS}


def celery_task_queues(*names: str) -> tuple[Queue, ...]:
    """Name the queues a worker started without `--queues` consumes: every one of them."""
    return tuple(Queue(name, routing_key=name) for name in names)


CELERY_TASK_QUEUES = celery_task_queues(CELERY_TASK_DEFAULT_QUEUE, RUN_QUEUE_SHORT,
                                        RUN_QUEUE_LONG, MAINTENANCE_QUEUE)
# The periodic tasks (sweepers) are in descent/celery.py, next to the app.

# The live instruments of every run (boundary frames, layer statistics, the trajectory):
# on unless DESCENT_RUN_INSTRUMENTS=0 (bench/instrumented_runs.py times runs both ways).
RUN_INSTRUMENTS = os.environ.get("DESCENT_RUN_INSTRUMENTS", "1") != "0"

# The terrain of a finished run (workers/terrain.py): an n×n grid of the loss surface, whose
# cost is capped in rows of forward pass (fewer training rows per point past it).
TERRAIN_GRID = int(os.environ.get("TERRAIN_GRID", "25"))
TERRAIN_MAX_FORWARD_PASSES = int(os.environ.get("TERRAIN_MAX_FORWARD_PASSES", "500000"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
