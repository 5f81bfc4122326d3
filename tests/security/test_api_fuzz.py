"""Schemathesis over /api/schema/: every operation, signed in, hundreds of examples each.

Positive and negative examples (schema-valid, and deliberately invalid) against the Django
application in this process (WSGI — the same views, middleware and database as the ASGI
server; in-process, so each example costs milliseconds and shares the test's data). Checks:
no 5xx, every status documented, bodies and headers as documented. `FUZZ_EXAMPLES` sets the
examples per operation (200 in CI; `make fuzz` runs 2,000).

Path parameters are mapped half the time onto the world's real objects (a challenge, a run,
a thread, a post, a lab, a blueprint node), so the fuzz reaches the code behind a 404. Writes
are throttled and quotas spent as in production, except that the rates are raised so that a
429 does not end the exploration early (429s stay documented and checked).
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from rest_framework.throttling import ScopedRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from challenges.models import RunHistoryChunk
from challenges.services import runs as run_services
from community.models import Category
from community.services.notifications import notification_create
from community.services.threads import thread_create
from descent.wsgi import application
from tests.challenges.test_blueprint import make_node
from tests.support.factories import blobs_spec, make_run, make_user

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
# Operations only staff may do: fuzzed with a staff token (the others with a builder's).
STAFF_OPERATIONS = {"/api/board/threads/{thread_id}/moderate/", "/api/board/posts/{post_id}/hide/"}

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
WORLD: dict[str, Any] = {}


@schema.hook
def map_path_parameters(context, path_parameters: dict[str, Any]) -> dict[str, Any]:
    """Point about half of the generated ids and slugs at objects that exist."""
    if not isinstance(path_parameters, dict):
        return path_parameters
    real = {"slug": WORLD.get("slug"), "run_id": WORLD.get("run_id"),
            "thread_id": WORLD.get("thread_id"), "post_id": WORLD.get("post_id"),
            "group": WORLD.get("lab")}
    mapped = dict(path_parameters)
    for name, value in path_parameters.items():
        if real.get(name) is not None and hash(str(value)) % 2 == 0:
            mapped[name] = real[name]
    return mapped


@pytest.fixture
def world(db, monkeypatch):
    """A builder and staff with tokens, a challenge with a node, runs, a lab, a thread."""
    # As Django's test client does: the request signals must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {
        scope: "100000/min" for scope in ScopedRateThrottle.THROTTLE_RATES})
    monkeypatch.setattr(run_services, "run_enqueue", lambda run: None)
    builder, staff = make_user("fuzzer"), make_user("fuzzstaff", staff=True)
    node = make_node("fuzz", daily_quota=100_000)
    run = make_run(node.challenge, builder, note="fuzz run")
    RunHistoryChunk.objects.create(run=run, attempt=run.attempt, first_epoch=1, records=[
        {"epoch": 1, "train_loss": 1.0, "val_loss": 1.0, "accuracy": 0.5,
         "learning_rate": 0.05}])
    lab = uuid.uuid4()
    make_run(node.challenge, builder, ranked=False, lab_group=lab,
             spec=blobs_spec(optimizer={"name": "adam", "learning_rate": 0.05}))
    category, _ = Category.objects.get_or_create(slug="debriefs",
                                                 defaults={"name": "Debriefs"})
    thread, post = thread_create(author=builder, category=category, title="Fuzz",
                                 body="A *debrief*.")
    notification_create(recipient=builder, kind="reply", text="hello", url="/board/")
    WORLD.update(slug="fuzz", run_id=run.pk, thread_id=thread.pk, post_id=post.pk,
                 lab=str(lab))
    yield {"builder": Token.objects.create(user=builder).key,
           "staff": Token.objects.create(user=staff).key}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_every_operation_answers_as_documented_and_never_5xx(case, world):
    role = "staff" if case.path in STAFF_OPERATIONS else "builder"
    case.call_and_validate(headers={"Authorization": f"Token {world[role]}"}, checks=CHECKS)
