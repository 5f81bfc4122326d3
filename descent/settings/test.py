"""Settings for the test suite (`make test`): real Redis, a real database, fast hashing."""

import os

from descent.settings.base import *  # noqa: F403
from descent.settings.base import (
    CACHES,
    CHANNEL_LAYERS,
    DATABASES,
    MAINTENANCE_TASKS,
    VAR_DIR,
    celery_task_queues,
    require_redis_url,
)

require_redis_url()

# One namespace per test session, inherited by the workers and servers the tests start (they
# read these settings too): its own Celery queue and channel-layer prefix, so that a test never
# consumes a task or a message left in a shared Redis by another session.
TEST_NAMESPACE = os.environ.setdefault("DESCENT_TEST_NAMESPACE", f"test{os.getpid()}")
CELERY_TASK_DEFAULT_QUEUE = f"{TEST_NAMESPACE}.celery"
MAINTENANCE_QUEUE = f"{TEST_NAMESPACE}.maintenance"
CELERY_TASK_ROUTES = {name: {"queue": MAINTENANCE_QUEUE} for name in MAINTENANCE_TASKS}
RUN_QUEUE_SHORT = f"{TEST_NAMESPACE}.short"
RUN_QUEUE_LONG = f"{TEST_NAMESPACE}.long"
CELERY_TASK_QUEUES = celery_task_queues(CELERY_TASK_DEFAULT_QUEUE, RUN_QUEUE_SHORT,
                                        RUN_QUEUE_LONG, MAINTENANCE_QUEUE)
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"{TEST_NAMESPACE}.asgi"
CACHES["default"]["KEY_PREFIX"] = TEST_NAMESPACE



# A file, not SQLite's in-memory default: the Celery worker and ASGI server that the stack
# tests start in other processes must see the same database.
# Named for the session, so that two test sessions on one checkout never share (and destroy)
# one test database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"{TEST_NAMESPACE}.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_descent_{TEST_NAMESPACE}"}

# Hashing passwords slowly protects real accounts; test accounts need no protection.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
