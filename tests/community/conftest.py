"""Fixtures for the community tests: builders in each role, API clients, a clean cache."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from community.models import Category, User
from community.services.posts import post_create
from community.services.threads import thread_create

PASSWORD = "gradient-descent-42"




def make_user(username: str, **extra) -> User:
    return User.objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.com", **extra
    )


@pytest.fixture
def author(db) -> User:
    return make_user("ada")


@pytest.fixture
def other(db) -> User:
    return make_user("grace")


@pytest.fixture
def staff(db) -> User:
    return make_user("moderator", is_staff=True)


@pytest.fixture
def categories(db) -> dict[str, Category]:
    """The categories of the data migration (a transactional test's flush removes them)."""
    defaults = [
        ("announcements", "Announcements", True),
        ("debriefs", "Debriefs", False),
        ("help", "Help", False),
    ]
    return {
        slug: Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "staff_only": staff_only}
        )[0]
        for slug, name, staff_only in defaults
    }


@pytest.fixture
def category(categories) -> Category:
    return categories["debriefs"]


@pytest.fixture
def thread_and_post(author, category):
    return thread_create(
        author=author, category=category, title="My first MLP", body="It *learned*."
    )


@pytest.fixture
def reply(thread_and_post, other):
    thread, _opening = thread_and_post
    return post_create(thread=thread, author=other, body="Try a lower learning rate.")


def api_client(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture(autouse=True)
def isolated_extension_registries(monkeypatch):
    """Give each test its own copy of the extension registries.

    The challenges app registers the real run-card provider and profile sections at start-up;
    tests here register fakes or none, and must not remove the real ones for later tests.
    """
    from community import attachments, profile_sections

    monkeypatch.setattr(attachments, "_providers", {})
    monkeypatch.setattr(profile_sections, "_sections", {})
