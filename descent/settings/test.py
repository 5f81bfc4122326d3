"""Settings for the test suite (`make test`): real Redis, a real database, fast hashing."""

from descent.settings.base import *  # noqa: F403
from descent.settings.base import DATABASES, VAR_DIR, require_redis_url

require_redis_url()

# A file, not SQLite's in-memory default: the Celery worker and ASGI server that the stack
# tests start in other processes must see the same database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-descent.sqlite3")}

# Hashing passwords slowly protects real accounts; test accounts need no protection.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
