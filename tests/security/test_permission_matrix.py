"""Every HTTP endpoint and WebSocket route × anonymous / owner / other builder / staff.

The rows below are checked against the URL conf itself (`get_resolver()`, and the WebSocket
router): an endpoint — or an API method — without a row fails `test_every_endpoint_has_a_row`,
so a new one cannot ship without saying who may use it. The admin's generated URLs are one
rule (staff only; see `test_the_admin_is_for_staff_only`).

"owner" owns the run, the lab, the thread and its opening post; "staff" is a moderator
(is_staff, not a superuser). The board's and the challenges' earlier matrices
(tests/community/test_permissions.py, tests/challenges/test_api_permissions.py) are rows here.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token

from challenges.models import Challenge, Run, RunStatus
from challenges.services import runs as run_services
from community.models import Category, Post, Thread
from community.services.notifications import notification_create
from community.services.threads import thread_create
from descent.api.views import ServiceApi
from descent.routing import websocket_urlpatterns
from tests.challenges.test_blueprint import make_node
from tests.support.factories import blobs_spec, make_challenge, make_run, make_user

ROLES = ("anonymous", "owner", "other", "staff")
SAME = "same for every role"  # e.g. /healthz, whose answer depends on the workers, not on you


@dataclass(frozen=True)
class Row:
    pattern: str  # as the URL conf spells it
    method: str
    path: str  # with {run}, {done}, {thread}, {post}, {lab}, {slug}, {draft}
    statuses: tuple[Any, Any, Any, Any] | str  # per ROLES, or SAME
    body: dict | None = None
    api: bool = True
    # After a write: which roles' request changed the state (checked by `effect`).
    effect: str | None = None
    changed_for: frozenset[str] = field(default_factory=frozenset)


A = "api/"
OWNER_STAFF = frozenset({"owner", "staff"})
STAFF = frozenset({"staff"})

ROWS = [
    # --- the challenges API (was tests/challenges/test_api_permissions.py) -----------------
    Row(A + "challenges/", "get", "/api/challenges/", (200, 200, 200, 200)),
    Row(A + "challenges/<slug:slug>/", "get", "/api/challenges/{slug}/", (200, 200, 200, 200)),
    Row(A + "challenges/<slug:slug>/", "get", "/api/challenges/{draft}/", (404, 404, 404, 200)),
    Row(A + "challenges/<slug:slug>/leaderboard/", "get", "/api/challenges/{slug}/leaderboard/",
        (200, 200, 200, 200)),
    Row(A + "challenges/<slug:slug>/runs/", "get", "/api/challenges/{slug}/runs/",
        (401, 200, 200, 200)),
    Row(A + "challenges/<slug:slug>/submissions/", "post", "/api/challenges/{slug}/submissions/",
        (401, 201, 201, 201), body={"spec": blobs_spec()}),
    Row(A + "challenges/<slug:slug>/submissions/", "post", "/api/challenges/{draft}/submissions/",
        (401, 404, 404, 403), body={"spec": blobs_spec()}),
    Row(A + "runs/<id:run_id>/", "get", "/api/runs/{run}/", (200, 200, 200, 200)),
    Row(A + "runs/<id:run_id>/", "get", "/api/runs/999999/", (404, 404, 404, 404)),
    Row(A + "runs/<id:run_id>/share/", "post", "/api/runs/{run}/share/", (401, 200, 403, 200),
        body={"shared": True}, effect="run_shared", changed_for=OWNER_STAFF),
    Row(A + "runs/<id:run_id>/cancel/", "post", "/api/runs/{run}/cancel/", (401, 200, 403, 200),
        effect="run_cancelled", changed_for=OWNER_STAFF),
    Row(A + "runs/<id:run_id>/verify/", "post", "/api/runs/{done}/verify/",
        (401, 403, 403, 202)),
    Row(A + "challenges/<slug:slug>/verify/", "post", "/api/challenges/{slug}/verify/",
        (401, 403, 403, 202)),
    Row(A + "blueprint/", "get", "/api/blueprint/", (200, 200, 200, 200)),
    Row(A + "blueprint/<slug:slug>/quiz/", "get", "/api/blueprint/{slug}/quiz/",
        (401, 200, 200, 200)),
    Row(A + "blueprint/<slug:slug>/quiz/", "post", "/api/blueprint/{slug}/quiz/",
        (401, 200, 200, 200), body={"answers": {"q1": "a"}}),
    Row(A + "challenges/<slug:slug>/lab/", "post", "/api/challenges/{slug}/lab/",
        (401, 201, 201, 201), body={"spec": blobs_spec()}),
    Row(A + "labs/<uuid:group>/", "get", "/api/labs/{lab}/", (200, 200, 200, 200)),
    Row(A + "labs/<uuid:group>/terrain/", "get", "/api/labs/{lab}/terrain/",
        (200, 200, 200, 200)),
    Row(A + "labs/<uuid:group>/terrain/", "get", "/api/labs/{nolab}/terrain/",
        (404, 404, 404, 404)),
    Row(A + "runs/<id:run_id>/instruments/", "get", "/api/runs/{run}/instruments/",
        (200, 200, 200, 200)),
    Row(A + "blueprint/step/", "get", "/api/blueprint/step/", (200, 200, 200, 200)),
    Row(A + "labs/<uuid:group>/", "get", "/api/labs/{nolab}/", (404, 404, 404, 404)),
    # --- accounts and the board (was tests/community/test_permissions.py) ------------------
    Row(A + "auth/register/", "post", "/api/auth/register/", (201, 201, 201, 201),
        body={"username": "newcomer", "password": "a-long-test-password-1"}),
    Row(A + "auth/token/", "post", "/api/auth/token/", (400, 400, 400, 400),
        body={"username": "nobody", "password": "wrong"}),
    Row(A + "board/categories/", "get", "/api/board/categories/", (200, 200, 200, 200)),
    Row(A + "board/threads/", "get", "/api/board/threads/", (200, 200, 200, 200)),
    Row(A + "board/threads/", "post", "/api/board/threads/", (401, 201, 201, 201),
        body={"category": "debriefs", "title": "Spirals", "body": "x"}),
    Row(A + "board/threads/", "post", "/api/board/threads/", (401, 403, 403, 201),
        body={"category": "announcements", "title": "News", "body": "x"}),
    Row(A + "board/threads/<id:thread_id>/", "get", "/api/board/threads/{thread}/",
        (200, 200, 200, 200)),
    Row(A + "board/threads/<id:thread_id>/", "patch", "/api/board/threads/{thread}/",
        (401, 200, 403, 200), body={"title": "Renamed"}, effect="thread_renamed",
        changed_for=OWNER_STAFF),
    Row(A + "board/threads/<id:thread_id>/", "delete", "/api/board/threads/{thread}/",
        (401, 204, 403, 204), effect="thread_gone", changed_for=OWNER_STAFF),
    Row(A + "board/threads/<id:thread_id>/moderate/", "post",
        "/api/board/threads/{thread}/moderate/", (401, 403, 403, 200),
        body={"is_locked": True}, effect="thread_locked", changed_for=STAFF),
    Row(A + "board/threads/<id:thread_id>/posts/", "get", "/api/board/threads/{thread}/posts/",
        (200, 200, 200, 200)),
    Row(A + "board/threads/<id:thread_id>/posts/", "post", "/api/board/threads/{thread}/posts/",
        (401, 201, 201, 201), body={"body": "a reply"}),
    Row(A + "board/posts/<id:post_id>/", "get", "/api/board/posts/{post}/", (200, 200, 200, 200)),
    Row(A + "board/posts/<id:post_id>/", "patch", "/api/board/posts/{post}/",
        (401, 200, 403, 200), body={"body": "edited"}, effect="post_edited",
        changed_for=OWNER_STAFF),
    Row(A + "board/posts/<id:post_id>/", "delete", "/api/board/posts/{post}/",
        (401, 204, 403, 204), effect="thread_gone", changed_for=OWNER_STAFF),
    Row(A + "board/posts/<id:post_id>/vote/", "post", "/api/board/posts/{post}/vote/",
        (401, 403, 200, 200), body={"value": 1}),
    Row(A + "board/posts/<id:post_id>/vote/", "delete", "/api/board/posts/{post}/vote/",
        (401, 200, 200, 200)),
    Row(A + "board/posts/<id:post_id>/report/", "post", "/api/board/posts/{post}/report/",
        (401, 400, 201, 201), body={"reason": "spam"}),
    Row(A + "board/posts/<id:post_id>/hide/", "post", "/api/board/posts/{post}/hide/",
        (401, 403, 403, 200), body={"reason": "off topic"}, effect="post_hidden",
        changed_for=STAFF),
    Row(A + "notifications/", "get", "/api/notifications/", (401, 200, 200, 200)),
    Row(A + "notifications/read/", "post", "/api/notifications/read/", (401, 200, 200, 200),
        body={}),
    Row(A + "version/", "get", "/api/version/", (200, 200, 200, 200), api=False),
    Row(A + "schema/", "get", "/api/schema/", (200, 200, 200, 200), api=False),
    Row(A + "docs/", "get", "/api/docs/", (200, 200, 200, 200), api=False),
    # --- pages --------------------------------------------------------------------------
    Row("", "get", "/", (200, 200, 200, 200), api=False),
    Row("home/figures/", "get", "/home/figures/", (200, 200, 200, 200), api=False),
    Row("favicon.ico", "get", "/favicon.ico", (301, 301, 301, 301), api=False),
    Row("healthz", "get", "/healthz", SAME, api=False),
    Row("accounts/login/", "get", "/accounts/login/", (200, 200, 200, 200), api=False),
    Row("accounts/login/", "post", "/accounts/login/", (200, 200, 200, 200), api=False,
        body={"username": "nobody", "password": "wrong"}),
    Row("accounts/logout/", "post", "/accounts/logout/", (302, 302, 302, 302), api=False),
    Row("accounts/signup/", "get", "/accounts/signup/", (200, 302, 302, 302), api=False),
    Row("accounts/password/change/", "get", "/accounts/password/change/",
        (302, 200, 200, 200), api=False),
    Row("accounts/password/change/done/", "get", "/accounts/password/change/done/",
        (302, 200, 200, 200), api=False),
    Row("accounts/password/reset/", "get", "/accounts/password/reset/", (200, 200, 200, 200),
        api=False),
    Row("accounts/password/reset/sent/", "get", "/accounts/password/reset/sent/",
        (200, 200, 200, 200), api=False),
    Row("accounts/reset/<uidb64>/<token>/", "get", "/accounts/reset/MQ/not-a-token/",
        (200, 200, 200, 200), api=False),
    Row("accounts/reset/done/", "get", "/accounts/reset/done/", (200, 200, 200, 200),
        api=False),
    Row("accounts/token/<str:action>/", "post", "/accounts/token/create/",
        (302, 302, 302, 302), api=False),
    Row("u/<path:username>/", "get", "/u/{owner_name}/", (200, 200, 200, 200), api=False),
    Row("board/", "get", "/board/", (200, 200, 200, 200), api=False),
    Row("board/new/", "get", "/board/new/", (302, 200, 200, 200), api=False),
    Row("board/t/<id:thread_id>/", "get", "/board/t/{thread}/", (200, 200, 200, 200), api=False),
    Row("board/t/<id:thread_id>/reply/", "post", "/board/t/{thread}/reply/",
        (302, 302, 302, 302), api=False, body={"body": "a reply"}),
    Row("board/t/<id:thread_id>/<str:action>/", "post", "/board/t/{thread}/lock/",
        (302, 302, 302, 302), api=False, effect="thread_locked", changed_for=STAFF),
    Row("board/p/<id:post_id>/<str:action>/", "post", "/board/p/{post}/hide/",
        (302, 302, 302, 302), api=False, body={"reason": "off topic"}, effect="post_hidden",
        changed_for=STAFF),
    Row("board/p/<id:post_id>/<str:action>/", "post", "/board/p/{post}/delete/",
        (302, 302, 302, 302), api=False, effect="thread_gone", changed_for=OWNER_STAFF),
    Row("notifications/", "get", "/notifications/", (302, 200, 200, 200), api=False),
    Row("notifications/read/", "post", "/notifications/read/", (302, 302, 302, 302), api=False),
    Row("notifications/settings/", "get", "/notifications/settings/", (302, 200, 200, 200),
        api=False),
    Row("notifications/settings/", "post", "/notifications/settings/", (302, 302, 302, 302),
        api=False, body={"hear": ["reply"]}),
    Row("challenges/", "get", "/challenges/", (200, 200, 200, 200), api=False),
    Row("challenges/<slug:slug>/", "get", "/challenges/{slug}/", (200, 200, 200, 200), api=False),
    Row("challenges/<slug:slug>/", "get", "/challenges/{draft}/", (404, 404, 404, 200),
        api=False),
    Row("challenges/<slug:slug>/submit/", "get", "/challenges/{slug}/submit/",
        (302, 200, 200, 200), api=False),
    Row("challenges/<slug:slug>/submit/", "post", "/challenges/{slug}/submit/",
        (302, 302, 302, 302), api=False, body={"spec": json.dumps(blobs_spec())}),
    Row("runs/<id:run_id>/", "get", "/runs/{run}/", (200, 200, 200, 200), api=False),
    Row("runs/<id:run_id>/cancel/", "post", "/runs/{run}/cancel/", (302, 302, 403, 302),
        api=False, effect="run_cancelled", changed_for=OWNER_STAFF),
    Row("runs/<id:run_id>/share/", "post", "/runs/{run}/share/", (302, 302, 403, 302),
        api=False, body={"shared": "1"}, effect="run_shared", changed_for=OWNER_STAFF),
    Row("blueprint/", "get", "/blueprint/", (200, 200, 200, 200), api=False),
    Row("blueprint/<slug:slug>/", "get", "/blueprint/{slug}/", (200, 200, 200, 200), api=False),
    Row("blueprint/<slug:slug>/quiz/", "post", "/blueprint/{slug}/quiz/", (302, 200, 200, 200),
        api=False, body={"q-q1": "a"}),
    Row("challenges/<slug:slug>/lab/", "get", "/challenges/{slug}/lab/", (302, 200, 200, 200),
        api=False),
    Row("challenges/<slug:slug>/lab/", "post", "/challenges/{slug}/lab/", (302, 302, 302, 302),
        api=False, body={"spec": json.dumps(blobs_spec())}),
    Row("lab/<uuid:group>/", "get", "/lab/{lab}/", (200, 200, 200, 200), api=False),
    Row("glossary/", "get", "/glossary/", (200, 200, 200, 200), api=False),
    Row("compare/", "get", "/compare/?runs={run},{done}", (200, 200, 200, 200), api=False),
    Row("blueprint/step/", "get", "/blueprint/step/", (200, 200, 200, 200), api=False),
    Row("faq/", "get", "/faq/", (200, 200, 200, 200), api=False),
]

# WebSocket routes: what each role's handshake ends in — "open" (accepted, stays open) or the
# close code the server sends at once.
WS_ROWS = [
    ("ws/ping/", "/ws/ping/", ("open", "open", "open", "open")),
    ("ws/presence/<slug:room>/", "/ws/presence/board/", ("open", "open", "open", "open")),
    ("ws/presence/<slug:room>/", "/ws/presence/nowhere/", (4404, 4404, 4404, 4404)),
    ("ws/notifications/", "/ws/notifications/", (4401, "open", "open", "open")),
    ("ws/challenges/<slug:slug>/", "/ws/challenges/{slug}/", ("open", "open", "open", "open")),
    ("ws/challenges/<slug:slug>/", "/ws/challenges/{draft}/", (4404, 4404, 4404, "open")),
    ("ws/runs/<id:run_id>/", "/ws/runs/{run}/", ("open", "open", "open", "open")),
    ("ws/runs/<id:run_id>/", "/ws/runs/999999/", (4404, 4404, 4404, 4404)),
]


def url_patterns(patterns=None, prefix: str = "") -> list[tuple[str, Any]]:
    """Return every (route, callback) of the URL conf, includes flattened."""
    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            found += url_patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            found.append((prefix + str(entry.pattern), entry.callback))
    return found


def api_methods(callback: Any) -> set[str]:
    """The HTTP methods one of our API views answers (empty for a page)."""
    view = getattr(callback, "cls", None)
    if view is None or not issubclass(view, ServiceApi):
        return set()
    return {m for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)}


def test_every_endpoint_has_a_row():
    rows = {(row.pattern, row.method) for row in ROWS}
    patterns_with_rows = {row.pattern for row in ROWS}
    missing = []
    for route, callback in url_patterns():
        if route.startswith("admin/"):
            continue  # one rule: test_the_admin_is_for_staff_only
        if route not in patterns_with_rows:
            missing.append(route)
        for method in api_methods(callback):
            if (route, method) not in rows:
                missing.append(f"{method.upper()} {route}")
    ws_routes = {str(entry.pattern) for entry in websocket_urlpatterns}
    missing += sorted(ws_routes - {route for route, _path, _statuses in WS_ROWS})
    assert missing == [], f"endpoints without a row in the permission matrix: {missing}"


@pytest.fixture
def world(monkeypatch):
    monkeypatch.setattr(run_services, "run_enqueue", lambda run: None)
    node = make_node("matrix")
    challenge = node.challenge
    draft = make_challenge(slug="matrix-draft", status=Challenge.Status.DRAFT)
    owner, other = make_user("owner"), make_user("other")
    staff = make_user("staff", staff=True)
    run = make_run(challenge, owner, status=RunStatus.QUEUED, val_score=None, test_score=None)
    done = make_run(challenge, owner, val_score=0.9, test_score=0.88)
    lab = uuid.uuid4()
    make_run(challenge, owner, ranked=False, lab_group=lab)
    for slug, name, staff_only in [("announcements", "Announcements", True),
                                   ("debriefs", "Debriefs", False)]:
        Category.objects.get_or_create(slug=slug, defaults={"name": name,
                                                            "staff_only": staff_only})
    thread, post = thread_create(author=owner, category=Category.objects.get(slug="debriefs"),
                                 title="My first MLP", body="It *learned*.")
    for user in (owner, other, staff):
        notification_create(recipient=user, kind="reply", text="hi")
    return {"users": {"anonymous": None, "owner": owner, "other": other, "staff": staff},
            "ids": {"run": run.pk, "done": done.pk, "thread": thread.pk, "post": post.pk,
                    "lab": lab, "nolab": uuid.uuid4(), "slug": challenge.slug,
                    "draft": draft.slug, "owner_name": owner.username}}


def effect(name: str, world) -> bool:
    """Tell whether the write `name` took place."""
    ids = world["ids"]
    return {
        "run_shared": lambda: Run.objects.get(pk=ids["run"]).shared,
        "run_cancelled": lambda: Run.objects.get(pk=ids["run"]).status == RunStatus.CANCELLED,
        "thread_renamed": lambda: Thread.objects.filter(title="Renamed").exists(),
        "thread_gone": lambda: not Thread.objects.filter(pk=ids["thread"]).exists(),
        "thread_locked": lambda: Thread.objects.get(pk=ids["thread"]).is_locked,
        "post_edited": lambda: Post.objects.get(pk=ids["post"]).body_markdown == "edited",
        "post_hidden": lambda: Post.objects.get(pk=ids["post"]).is_hidden,
    }[name]()


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


CASES = [pytest.param(row, role, id=f"{row.method.upper()} {row.path} as {role}")
         for row in ROWS for role in ROLES]


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "role"), CASES)
def test_each_endpoint_answers_each_role_as_the_matrix_says(world, row, role):
    user = world["users"][role]
    url = row.path.format(**world["ids"])
    client = client_for(user)
    if row.api and row.body is not None:
        response = getattr(client, row.method)(url, json.dumps(row.body),
                                               content_type="application/json")
    elif row.body is not None:
        response = getattr(client, row.method)(url, row.body)
    else:
        response = getattr(client, row.method)(url)
    if row.statuses == SAME:
        assert response.status_code in {200, 503}
    else:
        assert response.status_code == row.statuses[ROLES.index(role)], response.content[:300]
    if row.api and response.status_code >= 400:
        assert response["Content-Type"].startswith("application/json")
    if row.effect is not None:
        assert effect(row.effect, world) is (role in row.changed_for), row.effect


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_the_admin_is_for_staff_only(world, role):
    """Every model the admin registers: its list is a log-in redirect for all but staff."""
    client = client_for(world["users"][role])
    urls = ["/admin/"] + [f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
                          for model in admin.site._registry]
    for url in urls:
        status = client.get(url).status_code
        if role == "staff":
            # A moderator without model permissions sees the index, and a 403 for a model.
            assert status in {200, 403}, url
        else:
            assert status == 302, url


async def _handshake(path: str, token: str | None) -> Any:
    from descent.asgi import application

    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    if token is not None:
        headers.append((b"authorization", f"Token {token}".encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=10)
    if not connected:
        return code
    try:
        if await communicator.receive_nothing(timeout=1):
            return "open"
        output = await communicator.receive_output(timeout=5)
        return output.get("code") if output["type"] == "websocket.close" else "open"
    finally:
        await communicator.disconnect()


WS_CASES = [pytest.param(path, statuses, role, id=f"{path} as {role}")
            for _route, path, statuses in WS_ROWS for role in ROLES]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("path", "statuses", "role"), WS_CASES)
def test_each_websocket_route_admits_each_role_as_the_matrix_says(world, path, statuses, role):
    from asgiref.sync import async_to_sync

    user = world["users"][role]
    token = Token.objects.create(user=user).key if user is not None else None
    result = async_to_sync(_handshake)(path.format(**world["ids"]), token)
    assert result == statuses[ROLES.index(role)]
