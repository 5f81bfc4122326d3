"""/api/schema/ describes every response body, paginated lists, and the 4xx answers."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.challenges.test_blueprint import make_node
from tests.support.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def operations(schema: dict):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def resolve(schema: dict, body: dict) -> dict:
    ref = body.get("$ref")
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else body


def test_every_success_response_has_a_described_body(schema):
    for path, method, operation in operations(schema):
        for code, response in operation["responses"].items():
            if not code.startswith("2") or code == "204":
                continue
            body = response["content"]["application/json"]["schema"]
            described = resolve(schema, body)
            if described.get("type") == "array":
                described = resolve(schema, described["items"])
            assert described.get("properties"), (method, path, code, body)


@pytest.mark.parametrize("path", [
    "/api/challenges/", "/api/challenges/{slug}/runs/", "/api/board/threads/",
    "/api/board/threads/{thread_id}/posts/", "/api/notifications/",
])
def test_list_endpoints_are_paginated_objects_not_arrays(schema, path):
    body = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    page = resolve(schema, body["schema"])
    assert page["type"] == "object"
    assert {"count", "next", "previous", "results"} <= set(page["properties"])
    assert page["properties"]["results"]["type"] == "array"
    assert "404" in schema["paths"][path]["get"]["responses"]  # a page past the last


@pytest.mark.parametrize(("path", "method", "codes"), [
    ("/api/challenges/{slug}/submissions/", "post", {"201", "400", "401", "403", "404", "413",
                                                      "415", "429", "503"}),
    ("/api/challenges/{slug}/lab/", "post", {"201", "400", "401", "403", "404", "413", "415",
                                             "429", "503"}),
    ("/api/blueprint/{slug}/quiz/", "get", {"200", "401", "403", "404", "503"}),
    ("/api/runs/{run_id}/cancel/", "post", {"200", "401", "403", "404", "413", "415", "503"}),
    ("/api/auth/token/", "post", {"200", "400", "413", "415", "429", "503"}),
    ("/api/board/threads/", "post", {"201", "400", "401", "403", "413", "415", "429", "503"}),
])
def test_the_errors_an_operation_can_answer_are_documented(schema, path, method, codes):
    responses = schema["paths"][path][method]["responses"]
    assert set(responses) == codes
    for code in codes - {"200", "201"}:
        assert responses[code]["content"]["application/json"]["schema"], (path, code)
    if "429" in codes:
        assert "Retry-After" in responses["429"]["headers"]


def test_documented_errors_match_what_the_api_answers(schema):
    """A locked node's quiz, an unknown run, a bad body and no token answer as documented."""
    make_node("schema-first")
    make_node("schema-second", prerequisites=(make_node("schema-root"),))
    client = APIClient()
    assert client.get("/api/blueprint/schema-first/quiz/").status_code == 401
    client.force_authenticate(make_user())
    locked = client.get("/api/blueprint/schema-second/quiz/")
    assert locked.status_code == 403 and set(locked.json()) == {"detail"}
    missing = client.get("/api/runs/999999/")
    assert missing.status_code == 404 and missing.json() == {"detail": "no such run"}
    bad = client.post("/api/blueprint/schema-first/quiz/", {"answers": {"nope": "a"}},
                      format="json")
    assert bad.status_code == 400 and "nope" in bad.json()["answers"]
    assert client.get("/api/challenges/?page=99").status_code == 404
