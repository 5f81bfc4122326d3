"""The board: threads and replies over the API and the pages, moderation, search, sorting,
the attachment and profile-section extension points, throttled writes."""

from __future__ import annotations

import pytest
from django.utils.html import format_html
from rest_framework.throttling import ScopedRateThrottle

from community.attachments import (
    AttachmentCard,
    AttachmentError,
    PostAttachmentProvider,
    register_post_attachment,
    unregister_post_attachment,
)
from community.models import Notification, Post, Report, Thread
from community.profile_sections import (
    ProfileSection,
    register_profile_section,
    unregister_profile_section,
)
from community.services.moderation import post_hide
from community.services.posts import post_create
from community.services.threads import thread_create, thread_fork_count_increment, thread_moderate
from community.services.votes import post_vote
from tests.community.conftest import api_client, make_user

pytestmark = pytest.mark.django_db


def test_starting_a_thread_renders_markdown_once_and_safely(author, category):
    response = api_client(author).post(
        "/api/board/threads/",
        {"category": "debriefs", "title": "Spirals", "body": "**lr 0.01** <script>x</script>"},
        format="json",
    )
    assert response.status_code == 201
    opening = response.json()["opening_post"]
    assert "<strong>lr 0.01</strong>" in opening["body_html"]
    assert "<script>" not in opening["body_html"]
    assert Post.objects.get(pk=opening["id"]).body_html == opening["body_html"]


def test_unknown_input_keys_are_a_400_naming_the_key(author, category):
    response = api_client(author).post(
        "/api/board/threads/",
        {"category": "debriefs", "title": "t", "body": "b", "titel": "typo"},
        format="json",
    )
    assert response.status_code == 400
    assert "titel" in response.json()


def test_missing_fields_are_named(author, category):
    response = api_client(author).post(
        "/api/board/threads/", {"category": "debriefs"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"title", "body"}


def test_a_run_without_a_run_card_provider_is_a_400(author, category):
    response = api_client(author).post(
        "/api/board/threads/",
        {"category": "debriefs", "title": "t", "body": "b", "run": 7},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"run": ["run cards are not available"]}


@pytest.fixture
def run_provider():
    attached: dict[int, int] = {}

    def validate(value, user):
        if value != 7:
            raise AttachmentError(f"run {value} is not one of your runs")
        return value

    def attach(post, run_id):
        attached[post.pk] = run_id

    def cards(posts, viewer):
        return {
            post.pk: [
                AttachmentCard(
                    "run",
                    {"id": attached[post.pk]},
                    format_html("<b>run {}</b>", attached[post.pk]),
                )
            ]
            for post in posts
            if post.pk in attached
        }

    register_post_attachment(PostAttachmentProvider("run", validate, attach, cards))
    yield attached
    unregister_post_attachment("run")


def test_a_registered_provider_validates_attaches_and_shows_the_run_card(
    run_provider, author, other, category
):
    client = api_client(author)
    refused = client.post(
        "/api/board/threads/",
        {"category": "debriefs", "title": "t", "body": "b", "run": 8},
        format="json",
    )
    assert refused.status_code == 400
    assert refused.json() == {"run": ["run 8 is not one of your runs"]}
    assert not Thread.objects.exists()

    created = client.post(
        "/api/board/threads/",
        {"category": "debriefs", "title": "t", "body": "b", "run": 7},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["opening_post"]["attachments"] == [{"kind": "run", "data": {"id": 7}}]
    thread_id = created.json()["id"]
    posts = api_client(other).get(f"/api/board/threads/{thread_id}/posts/").json()["results"]
    assert posts[0]["attachments"] == [{"kind": "run", "data": {"id": 7}}]
    page = api_client(None).get(f"/board/t/{thread_id}/")
    assert b"<b>run 7</b>" in page.content


def test_a_locked_thread_refuses_replies_with_403_thread_is_locked(thread_and_post, other, staff):
    thread, _post = thread_and_post
    thread_moderate(thread=thread, moderator=staff, is_locked=True)
    response = api_client(other).post(
        f"/api/board/threads/{thread.pk}/posts/", {"body": "hello?"}, format="json"
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "thread is locked"}
    # Staff can still answer in a locked thread.
    staff_reply = api_client(staff).post(
        f"/api/board/threads/{thread.pk}/posts/", {"body": "Locked: see the FAQ."}, format="json"
    )
    assert staff_reply.status_code == 201


def test_a_hidden_post_shows_the_reason_in_place_of_its_body(thread_and_post, reply, staff):
    thread, _post = thread_and_post
    post_hide(post=reply, moderator=staff, reason="off topic")
    data = api_client(None).get(f"/api/board/posts/{reply.pk}/").json()
    assert data["body_html"] is None and data["body_markdown"] is None
    assert data["hidden_reason"] == "off topic"
    page = api_client(None).get(f"/board/t/{thread.pk}/").content.decode()
    assert "Hidden by a moderator: off topic" in page
    assert "Try a lower learning rate." not in page


def test_deleting_the_opening_post_deletes_the_thread(thread_and_post, reply, author):
    thread, post = thread_and_post
    assert api_client(author).delete(f"/api/board/posts/{post.pk}/").status_code == 204
    assert not Thread.objects.filter(pk=thread.pk).exists()


def test_deleting_a_reply_lowers_the_reply_count(thread_and_post, reply, other):
    thread, _post = thread_and_post
    assert Thread.objects.get(pk=thread.pk).reply_count == 1
    assert api_client(other).delete(f"/api/board/posts/{reply.pk}/").status_code == 204
    assert Thread.objects.get(pk=thread.pk).reply_count == 0


def test_threads_sort_by_top_and_most_forked_with_pinned_first(author, other, staff, category):
    low, _ = thread_create(author=author, category=category, title="low", body="x")
    _high, high_post = thread_create(author=author, category=category, title="high", body="x")
    forked, _ = thread_create(author=author, category=category, title="forked", body="x")
    post_vote(post=high_post, user=other)
    post_vote(post=high_post, user=staff)
    thread_fork_count_increment(thread_id=forked.pk, by=3)

    def titles(sort):
        results = api_client(None).get(f"/api/board/threads/?sort={sort}").json()["results"]
        return [row["title"] for row in results]

    assert titles("top")[0] == "high"
    assert titles("most-forked")[0] == "forked"
    assert titles("newest") == ["forked", "high", "low"]
    thread_moderate(thread=low, moderator=staff, is_pinned=True)
    assert titles("top")[0] == "low"


def test_fork_count_increment_ignores_a_deleted_thread(db):
    thread_fork_count_increment(thread_id=987654)


def test_search_finds_titles_and_bodies_but_not_hidden_posts(author, other, staff, category):
    thread_create(author=author, category=category, title="Spirals with tanh", body="plain")
    thread, _ = thread_create(author=author, category=category, title="Other", body="plain")
    hidden_reply = post_create(thread=thread, author=other, body="momentum saved me")
    thread_create(author=author, category=category, title="Third", body="adam diverged")

    def found(query):
        results = api_client(None).get("/api/board/threads/", {"q": query}).json()["results"]
        return sorted(row["title"] for row in results)

    assert found("spirals") == ["Spirals with tanh"]
    assert found("diverged") == ["Third"]
    assert found("momentum") == ["Other"]
    post_hide(post=hidden_reply, moderator=staff, reason="spam")
    assert found("momentum") == []
    page = api_client(None).get("/board/", {"q": "diverged"}).content.decode()
    assert "Third" in page and "Spirals with tanh" not in page


def test_board_lists_are_paginated(author, category):
    for index in range(30):
        thread_create(author=author, category=category, title=f"t{index}", body="x")
    first = api_client(None).get("/api/board/threads/").json()
    assert first["count"] == 30 and len(first["results"]) == 25 and first["next"]
    page = api_client(None).get("/board/")
    assert b"page 1 of 2" in page.content


def test_board_writes_are_throttled_with_retry_after(author, category, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"board_writes": "2/min"})
    client = api_client(author)
    body = {"category": "debriefs", "title": "t", "body": "b"}
    assert client.post("/api/board/threads/", body, format="json").status_code == 201
    assert client.post("/api/board/threads/", body, format="json").status_code == 201
    response = client.post("/api/board/threads/", body, format="json")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    # Reading is never throttled.
    assert client.get("/api/board/threads/").status_code == 200


def test_reporting_twice_is_refused_and_the_report_lands_in_the_admin(
    thread_and_post, other, staff, client
):
    _thread, post = thread_and_post
    api = api_client(other)
    assert (
        api.post(
            f"/api/board/posts/{post.pk}/report/", {"reason": "spam"}, format="json"
        ).status_code
        == 201
    )
    again = api.post(f"/api/board/posts/{post.pk}/report/", {"reason": "spam"}, format="json")
    assert again.status_code == 400 and "post" in again.json()
    client.force_login(staff)
    staff.is_superuser = True
    staff.save(update_fields=["is_superuser"])
    listing = client.get("/admin/community/report/?resolved_at__isnull=True")
    assert listing.status_code == 200 and b"spam" in listing.content
    report = Report.objects.get()
    response = client.post(
        "/admin/community/report/",
        {"action": "hide_posts_and_resolve", "_selected_action": [report.pk]},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.resolved_by == staff and Post.objects.get(pk=post.pk).is_hidden


def test_thread_page_shows_replies_vote_report_and_moderation_buttons(
    thread_and_post, reply, staff, client
):
    thread, _post = thread_and_post
    client.force_login(staff)
    page = client.get(f"/board/t/{thread.pk}/").content.decode()
    assert "It <em>learned</em>." in page and "Try a lower learning rate." in page
    assert f"/board/p/{reply.pk}/up/" in page and f"/board/p/{reply.pk}/report/" in page
    assert f"/board/t/{thread.pk}/lock/" in page and f"/board/p/{reply.pk}/hide/" in page


def test_pages_let_a_builder_start_a_thread_reply_and_vote(author, other, category, client):
    client.force_login(author)
    response = client.post(
        "/board/new/", {"category": "debriefs", "title": "From the page", "body": "hello"}
    )
    thread = Thread.objects.get(title="From the page")
    assert response.status_code == 302 and response.url == f"/board/t/{thread.pk}/"
    client.force_login(other)
    client.post(f"/board/t/{thread.pk}/reply/", {"body": "welcome"})
    opening = thread.posts.get(is_opening=True)
    client.post(f"/board/p/{opening.pk}/up/")
    client.post(f"/board/p/{opening.pk}/up/")
    assert Post.objects.get(pk=opening.pk).score == 1
    assert Notification.objects.filter(recipient=author, kind="reply").count() == 1


def test_non_staff_cannot_start_a_thread_in_a_staff_only_category_from_the_page(
    author, categories, client
):
    client.force_login(author)
    response = client.post("/board/new/", {"category": "announcements", "title": "x", "body": "y"})
    assert response.status_code == 200
    assert not Thread.objects.exists()


def test_locked_thread_refuses_a_page_reply(thread_and_post, other, staff, client):
    thread, _post = thread_and_post
    thread_moderate(thread=thread, moderator=staff, is_locked=True)
    client.force_login(other)
    client.post(f"/board/t/{thread.pk}/reply/", {"body": "hi"})
    assert thread.posts.count() == 1
    assert b"This thread is locked" in client.get(f"/board/t/{thread.pk}/").content


def test_profile_shows_posts_date_joined_and_registered_sections(thread_and_post, author, client):
    register_profile_section(
        "runs",
        lambda user, viewer: ProfileSection("Runs and best ranks", format_html("<p>#{}</p>", 1)),
    )
    register_profile_section("empty", lambda user, viewer: None, order=1)
    try:
        page = client.get("/u/ada/").content.decode()
    finally:
        unregister_profile_section("runs")
        unregister_profile_section("empty")
    assert "My first MLP" in page
    assert f"Joined {author.date_joined:%-d %B %Y}" in page
    assert "Runs and best ranks" in page and "<p>#1</p>" in page


def test_unknown_profile_is_404(client, db):
    assert client.get("/u/nobody/").status_code == 404


def test_schema_describes_the_board_and_auth_endpoints(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = (
        response.json()["paths"]
        if response["Content-Type"].startswith("application/json")
        else None
    )
    if paths is None:
        import yaml  # pragma: no cover - drf-spectacular serves YAML by default

        paths = yaml.safe_load(response.content)["paths"]
    for path in (
        "/api/auth/register/",
        "/api/auth/token/",
        "/api/board/threads/",
        "/api/board/threads/{thread_id}/posts/",
        "/api/board/posts/{post_id}/vote/",
    ):
        assert path in paths


def test_a_builder_cannot_vote_twice_from_two_sessions(thread_and_post, db):
    _thread, post = thread_and_post
    voter = make_user("twice")
    api_client(voter).post(f"/api/board/posts/{post.pk}/vote/")
    api_client(voter).post(f"/api/board/posts/{post.pk}/vote/")
    assert Post.objects.get(pk=post.pk).score == 1


@pytest.mark.parametrize(
    "path",
    [
        "/board/",
        "/board/?sort=top&category=help",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/accounts/password/reset/sent/",
        "/accounts/reset/done/",
    ],
)
def test_public_pages_render(client, categories, path):
    assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    "path", ["/board/new/", "/notifications/", "/accounts/password/change/", "/u/ada/"]
)
def test_pages_for_a_logged_in_builder_render_and_ask_anonymous_to_log_in(
    client, author, categories, path
):
    response = client.get(path)
    if path != "/u/ada/":
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    client.force_login(author)
    assert client.get(path).status_code == 200
