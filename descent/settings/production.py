"""Production settings: refuse to start insecurely; pass `check --deploy`."""

import os

from django.core.exceptions import ImproperlyConfigured

from descent.settings.base import *  # noqa: F403
from descent.settings.base import (
    DEFAULT_SECRET_KEY,
    REST_FRAMEWORK,
    SECRET_KEY,
    env_bool,
    env_list,
)

DEBUG = env_bool("DEBUG", False)
if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production: unset DEBUG or set DEBUG=0")
if SECRET_KEY == DEFAULT_SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "SECRET_KEY is the development default or shorter than 50 characters: set SECRET_KEY "
        "to a long random value, e.g. from "
        "`python -c 'import secrets; print(secrets.token_urlsafe(64))'`"
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is empty: set it to the site's host names")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [f"https://{h}" for h in ALLOWED_HOSTS])

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The client's address is REMOTE_ADDR, which the ASGI server sets from X-Forwarded-For only for
# the proxies it trusts (Uvicorn: FORWARDED_ALLOW_IPS). DRF's default (no NUM_PROXIES) would
# throttle by the whole X-Forwarded-For header, which any client can write.
REST_FRAMEWORK = {**REST_FRAMEWORK, "NUM_PROXIES": int(os.environ.get("NUM_PROXIES", "0"))}
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
