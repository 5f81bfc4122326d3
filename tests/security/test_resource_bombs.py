"""Resource bombs: a spec at the very edge of its budget trains on a real worker within the
challenge's time and memory limits; one unit past it is refused before anything runs; deep and
oversized bodies get 400/413 from the real server on every endpoint."""

from __future__ import annotations

import json
import time

import httpx
import pytest
import redis
from django.conf import settings
from rest_framework.authtoken.models import Token

from challenges.models import FINAL_STATUSES, Run, RunStatus
from challenges.selectors.datasets import challenge_dataset
from community.models import Category
from community.services.threads import thread_create
from descent.engine.budget import estimate_budget
from descent.engine.spec import parse_spec
from tests.challenges.test_blueprint import make_node
from tests.security.test_permission_matrix import ROWS
from tests.support import stack
from tests.support.factories import blobs_spec, make_challenge, make_run, make_user

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

EDGE_SPEC = blobs_spec(layers=[{"units": 48, "activation": "relu"},
                               {"units": 48, "activation": "relu"},
                               {"units": 3, "activation": "softmax"}], epochs=150)


def edge_challenge(*, slack: int):
    """A challenge whose budgets fit EDGE_SPEC exactly (slack 0) or miss it by `-slack`."""
    challenge = make_challenge(time_limit_seconds=60)
    data = challenge_dataset(challenge)
    budget = estimate_budget(parse_spec(EDGE_SPEC), n_inputs=data.n_inputs,
                             n_train=len(data.X_train))
    challenge.max_parameters = budget.parameters
    challenge.max_epochs = EDGE_SPEC["epochs"]
    challenge.max_work = budget.macs_total + slack
    challenge.save(update_fields=["max_parameters", "max_epochs", "max_work"])
    return challenge, budget


def post(port: int, token: str, path: str, **kwargs) -> httpx.Response:
    return httpx.post(f"http://127.0.0.1:{port}{path}", timeout=60,
                      headers={"Authorization": f"Token {token}", **kwargs.pop("headers", {})},
                      **kwargs)


def test_a_spec_at_the_edge_of_its_budget_trains_within_the_limits(live_worker):
    challenge, budget = edge_challenge(slack=0)
    token = Token.objects.create(user=make_user()).key
    with stack.asgi_server() as (_server, port):
        response = post(port, token, f"/api/challenges/{challenge.slug}/submissions/",
                        json={"spec": EDGE_SPEC})
    assert response.status_code == 201, response.text
    run = Run.objects.get(pk=response.json()["id"])
    deadline = time.monotonic() + challenge.time_limit_seconds + 30
    while run.status not in FINAL_STATUSES and time.monotonic() < deadline:
        time.sleep(0.5)
        run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, (run.status, run.error)
    took = (run.finished_at - run.started_at).total_seconds()
    assert took < challenge.time_limit_seconds
    assert budget.peak_memory_bytes < settings.WORKER_MEMORY_LIMIT_MB * 2**20
    print(f"edge spec: {budget.parameters:,} parameters, {budget.macs_total:,} MACs, "
          f"peak {budget.peak_memory_bytes / 2**20:.2f} MiB est.; trained in {took:.2f} s "
          f"(limit {challenge.time_limit_seconds} s)")


def test_one_multiply_add_past_the_budget_is_refused_before_any_work():
    challenge, _budget = edge_challenge(slack=-1)
    token = Token.objects.create(user=make_user()).key
    queue = redis.Redis.from_url(settings.REDIS_URL)
    queued_before = queue.llen(settings.CELERY_TASK_DEFAULT_QUEUE)
    with stack.asgi_server() as (_server, port):
        started = time.perf_counter()
        response = post(port, token, f"/api/challenges/{challenge.slug}/submissions/",
                        json={"spec": EDGE_SPEC})
        took = time.perf_counter() - started
    assert response.status_code == 400
    assert "budget.max_work" in response.json()
    assert not Run.objects.exists()
    assert queue.llen(settings.CELERY_TASK_DEFAULT_QUEUE) == queued_before
    assert took < 5  # refused on the estimate, not after training


def test_deep_and_oversized_bodies_are_400_or_413_on_every_endpoint():
    """Every URL of the permission matrix: 2 MiB → 413 before it is read; every API write
    with a body: 5,000-deep JSON → 400, 300 KiB of JSON → 413."""
    owner = make_user("bomber", staff=True)
    token = Token.objects.create(user=owner).key
    challenge = make_node("bombs").challenge
    run = make_run(challenge, owner)
    category, _ = Category.objects.get_or_create(slug="debriefs", defaults={"name": "D"})
    thread, opening = thread_create(author=owner, category=category, title="t", body="b")
    ids = {"slug": "bombs", "draft": "bombs", "run": run.pk, "done": run.pk,
           "thread": thread.pk, "post": opening.pk, "lab": "0" * 32, "nolab": "0" * 32,
           "owner_name": owner.username}
    deep = '{"spec": ' + "[" * 5000 + "]" * 5000 + "}"
    large = json.dumps({"body": "x" * 300_000})
    huge = b"x" * (2 * 1024 * 1024 + 1)
    wrong = []
    with stack.asgi_server() as (_server, port):
        for row in ROWS:
            path = row.path.format(**ids)
            answer = httpx.request(row.method.upper(), f"http://127.0.0.1:{port}{path}",
                                   content=huge, timeout=60,
                                   headers={"Content-Type": "application/json"})
            if answer.status_code != 413:
                wrong.append(f"{row.method} {path} with 2 MiB: {answer.status_code}")
            if not row.api or row.body is None:
                continue
            for body, expected in ((deep, 400), (large, 413)):
                answer = httpx.request(row.method.upper(), f"http://127.0.0.1:{port}{path}",
                                       content=body, timeout=60, headers={
                                           "Content-Type": "application/json",
                                           "Authorization": f"Token {token}"})
                if answer.status_code != expected:
                    wrong.append(f"{row.method} {path} with {len(body):,} bytes: "
                                 f"{answer.status_code} {answer.text[:120]}")
    assert wrong == []
