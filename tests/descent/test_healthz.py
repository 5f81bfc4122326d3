"""/healthz: 200 when database, Redis and a worker are up; 503 naming what is down."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.support import stack


@pytest.mark.stack
def test_healthz_is_200_with_a_live_worker_and_503_once_it_stops(client, transactional_db):
    with stack.celery_worker():
        response = client.get("/healthz")
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["status"] == "ok"
        assert body["down"] == []
        assert all(check["ok"] for check in body["checks"].values())

    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["workers"]
    assert "no Celery worker answered" in body["checks"]["workers"]["detail"]


@pytest.mark.django_db
def test_healthz_names_redis_and_workers_when_redis_is_down(client):
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["redis", "workers"]
    assert body["checks"]["database"]["ok"] is True
