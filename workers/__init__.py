"""The Celery app and its tasks: thin shells around services and the engine."""
