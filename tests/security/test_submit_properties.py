"""Hypothesis against POST /api/challenges/{slug}/submissions/: any spec, random or hostile,
is a 201 within the budget or a 400 that names a field — never a 500, never over budget."""

from __future__ import annotations

import json
import math
import os
import re
from typing import Any

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from challenges.models import Run
from challenges.selectors.datasets import challenge_dataset
from challenges.services import runs as run_services
from descent.engine.budget import estimate_budget
from descent.engine.fields import key_text
from tests.engine.test_spec_properties import (
    FIELD_PATH,
    MAX_ERROR_BYTES,
    hostile_specs,
    oversized_specs,
    spec_like,
    trainable_specs,
)
from tests.support.factories import make_challenge, make_user

pytestmark = pytest.mark.django_db
BUDGET_KEY = re.compile(r"budget\.max_(parameters|work)")


def as_json(document: Any) -> str:
    """`{"spec": document}` as JSON text, without recursion (documents nest 3,000 deep), with
    non-finite floats written as 1e999: what a client can send, NaN and Infinity not being
    JSON."""
    out: list[str] = []
    stack: list[tuple[bool, Any]] = [(False, {"spec": document})]
    while stack:
        raw, item = stack.pop()
        if raw:
            out.append(item)
        elif isinstance(item, dict | list | tuple):
            pairs = list(item.items()) if isinstance(item, dict) else list(enumerate(item))
            opening, closing = ("{", "}") if isinstance(item, dict) else ("[", "]")
            out.append(opening)
            stack.append((True, closing))
            for index in range(len(pairs) - 1, -1, -1):
                key, value = pairs[index]
                stack.append((False, value))
                if isinstance(item, dict):
                    stack.append((True, json.dumps(str(key)) + ":"))
                if index:
                    stack.append((True, ","))
        elif isinstance(item, float) and not math.isfinite(item):
            out.append("-1e999" if item < 0 else "1e999")
        else:
            out.append(json.dumps(item))
    return "".join(out)


class Document:
    """A generated spec, shown short: Hypothesis would recurse printing a 3,000-deep one."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        text = as_json(self.value)
        return f"Document({text[:300]}{'...' if len(text) > 300 else ''})"


def hostile_documents():
    return st.one_of(spec_like, hostile_specs().map(lambda case: case[0]), oversized_specs(),
                     trainable_specs().map(lambda spec: {**spec, "epochs": 10**9}),
                     trainable_specs().map(lambda spec: {
                         **spec, "layers": [{"units": 4096, "activation": "relu"}] * 3
                         + spec["layers"]})).map(Document)


@pytest.fixture
def submit(monkeypatch):
    monkeypatch.setattr(run_services, "run_enqueue", lambda run: None)
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {
        scope: "100000/min" for scope in ScopedRateThrottle.THROTTLE_RATES})
    challenge = make_challenge(daily_quota=100_000, max_parameters=2_000, max_epochs=500,
                               max_work=20_000_000)
    client = APIClient()
    client.force_authenticate(make_user())
    data = challenge_dataset(challenge)

    def post(document: Any):
        body = as_json(document)
        response = client.post(f"/api/challenges/{challenge.slug}/submissions/",
                               data=body, content_type="application/json")
        return response, len(body.encode()), challenge, data

    return post


@settings(max_examples=int(os.environ.get("SUBMIT_EXAMPLES", "300")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(document=hostile_documents())
def test_any_spec_is_accepted_within_budget_or_refused_naming_a_field(submit, document):
    document = document.value
    response, size, challenge, data = submit(document)
    if size > django_settings.API_MAX_JSON_BYTES:  # 10,000 layers, say: too large to read at all
        assert response.status_code == 413
        return
    assert response.status_code in {201, 400}, response.content[:500]
    if response.status_code == 400:
        errors = response.json()
        assert errors and len(response.content) < MAX_ERROR_BYTES
        top_keys = {key_text(k) for k in document} if isinstance(document, dict) else set()
        for key in errors:
            assert (FIELD_PATH.fullmatch(key) or BUDGET_KEY.fullmatch(key)
                    or key.startswith("spec") or key in top_keys), key
        return
    run = Run.objects.get(pk=response.json()["id"])
    budget = estimate_budget(run.spec, n_inputs=data.n_inputs, n_train=len(data.X_train))
    assert budget.parameters <= challenge.max_parameters
    assert run.spec["epochs"] <= challenge.max_epochs
    assert budget.macs_total <= challenge.max_work
