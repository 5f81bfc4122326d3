"""Privacy of specs and scores per role (the endpoint × role matrix is
tests/security/test_permission_matrix.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from rest_framework.test import APIClient

from challenges.models import Challenge, RunStatus
from challenges.selectors.datasets import challenge_dataset
from tests.support.factories import make_challenge, make_run, make_user

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "owner", "other", "staff")


@pytest.fixture
def world():
    challenge = make_challenge(slug="matrix")
    draft = make_challenge(slug="matrix-draft", status=Challenge.Status.DRAFT)
    owner, other, staff = make_user("owner"), make_user("other"), make_user("staff", staff=True)
    run = make_run(challenge, owner, status=RunStatus.QUEUED, val_score=None, test_score=None)
    done = make_run(challenge, owner, val_score=0.9, test_score=0.88)
    users = {"anonymous": None, "owner": owner, "other": other, "staff": staff}
    return {"challenge": challenge, "draft": draft, "run": run, "done": done, "users": users}


def client_for(world, role: str) -> APIClient:
    client = APIClient()
    if world["users"][role] is not None:
        client.force_authenticate(world["users"][role])
    return client


@pytest.mark.parametrize(("role", "sees_spec"),
                         [("anonymous", False), ("owner", True), ("other", False),
                          ("staff", True)])
def test_specs_are_private_while_open_unless_shared(world, role, sees_spec):
    body = client_for(world, role).get(f"/api/runs/{world['done'].pk}/").json()
    assert body["spec_visible"] is sees_spec
    assert (body["spec"] is not None) is sees_spec
    assert body["val_score"] == 0.9  # progress and score are public
    assert (body["test_score"] is not None) is (role == "staff")  # hidden until close


def test_a_shared_spec_and_a_closed_challenge_make_specs_public(world):
    done = world["done"]
    done.shared = True
    done.save(update_fields=["shared"])
    assert client_for(world, "other").get(f"/api/runs/{done.pk}/").json()["spec"]
    run = world["run"]
    world["challenge"].status = Challenge.Status.CLOSED
    world["challenge"].save(update_fields=["status"])
    body = client_for(world, "anonymous").get(f"/api/runs/{run.pk}/").json()
    assert body["spec"] is not None


def test_hidden_test_labels_never_leave_the_server(world):
    challenge = world["challenge"]
    y_test = challenge_dataset(challenge).y_test
    responses = []
    for role in ROLES:
        client = client_for(world, role)
        for url in ("/api/challenges/", "/api/challenges/matrix/",
                    "/api/challenges/matrix/leaderboard/", f"/api/runs/{world['done'].pk}/"):
            responses.append(client.get(url).content.decode())
    labels = json.dumps([int(v) for v in np.asarray(y_test)])
    compact = labels.replace(" ", "")
    for text in responses:
        assert "y_test" not in text and "X_test" not in text
        assert labels[1:-1] not in text and compact[1:-1] not in text
