"""Every board endpoint, for anonymous callers, authors, other builders and staff."""

from __future__ import annotations

import pytest

from community.models import Post, Thread
from tests.community.conftest import api_client

ANON, AUTHOR, OTHER, STAFF = "anonymous", "author", "other", "staff"

# (method, path template, body, {role: expected status})
# {thread} is a thread by the author; {post} its opening post (by the author).
MATRIX = [
    ("get", "/api/board/categories/", None, {ANON: 200, AUTHOR: 200, OTHER: 200, STAFF: 200}),
    ("get", "/api/board/threads/", None, {ANON: 200, AUTHOR: 200, OTHER: 200, STAFF: 200}),
    (
        "post",
        "/api/board/threads/",
        {"category": "debriefs", "title": "Spirals", "body": "x"},
        {ANON: 401, AUTHOR: 201, OTHER: 201, STAFF: 201},
    ),
    (
        "post",
        "/api/board/threads/",
        {"category": "announcements", "title": "News", "body": "x"},
        {ANON: 401, AUTHOR: 403, OTHER: 403, STAFF: 201},
    ),
    ("get", "/api/board/threads/{thread}/", None, {ANON: 200, AUTHOR: 200, OTHER: 200, STAFF: 200}),
    (
        "patch",
        "/api/board/threads/{thread}/",
        {"title": "Renamed"},
        {ANON: 401, AUTHOR: 200, OTHER: 403, STAFF: 200},
    ),
    (
        "delete",
        "/api/board/threads/{thread}/",
        None,
        {ANON: 401, AUTHOR: 204, OTHER: 403, STAFF: 204},
    ),
    (
        "post",
        "/api/board/threads/{thread}/moderate/",
        {"is_locked": True},
        {ANON: 401, AUTHOR: 403, OTHER: 403, STAFF: 200},
    ),
    (
        "get",
        "/api/board/threads/{thread}/posts/",
        None,
        {ANON: 200, AUTHOR: 200, OTHER: 200, STAFF: 200},
    ),
    (
        "post",
        "/api/board/threads/{thread}/posts/",
        {"body": "a reply"},
        {ANON: 401, AUTHOR: 201, OTHER: 201, STAFF: 201},
    ),
    ("get", "/api/board/posts/{post}/", None, {ANON: 200, AUTHOR: 200, OTHER: 200, STAFF: 200}),
    (
        "patch",
        "/api/board/posts/{post}/",
        {"body": "edited"},
        {ANON: 401, AUTHOR: 200, OTHER: 403, STAFF: 200},
    ),
    ("delete", "/api/board/posts/{post}/", None, {ANON: 401, AUTHOR: 204, OTHER: 403, STAFF: 204}),
    (
        "post",
        "/api/board/posts/{post}/vote/",
        {"value": 1},
        {ANON: 401, AUTHOR: 403, OTHER: 200, STAFF: 200},
    ),
    (
        "delete",
        "/api/board/posts/{post}/vote/",
        None,
        {ANON: 401, AUTHOR: 200, OTHER: 200, STAFF: 200},
    ),
    (
        "post",
        "/api/board/posts/{post}/report/",
        {"reason": "spam"},
        {ANON: 401, AUTHOR: 400, OTHER: 201, STAFF: 201},
    ),
    (
        "post",
        "/api/board/posts/{post}/hide/",
        {"reason": "off topic"},
        {ANON: 401, AUTHOR: 403, OTHER: 403, STAFF: 200},
    ),
    ("get", "/api/notifications/", None, {ANON: 401, AUTHOR: 200, OTHER: 200, STAFF: 200}),
    ("post", "/api/notifications/read/", {}, {ANON: 401, AUTHOR: 200, OTHER: 200, STAFF: 200}),
]

CASES = [
    pytest.param(method, path, body, role, expected, id=f"{method} {path} as {role}")
    for method, path, body, statuses in MATRIX
    for role, expected in statuses.items()
]


@pytest.mark.parametrize(("method", "path", "body", "role", "expected"), CASES)
def test_board_permission_matrix(
    method, path, body, role, expected, author, other, staff, thread_and_post
):
    thread, post = thread_and_post
    user = {ANON: None, AUTHOR: author, OTHER: other, STAFF: staff}[role]
    client = api_client(user)
    url = path.format(thread=thread.pk, post=post.pk)
    response = (
        getattr(client, method)(url, body, format="json")
        if body is not None
        else (getattr(client, method)(url))
    )
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert response["Content-Type"].startswith("application/json")
    # A refused write changed nothing.
    if method in {"patch", "delete"} and expected in {401, 403}:
        assert Thread.objects.filter(pk=thread.pk, title="My first MLP").exists()
        assert Post.objects.get(pk=post.pk).body_markdown == "It *learned*."
