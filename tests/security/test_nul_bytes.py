"""A NUL byte (which PostgreSQL refuses in any text) in a category or a search: a 4xx, never a
500. Schemathesis found the category one on PostgreSQL (`POST /api/board/threads/`)."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from community.models import Category, Thread
from tests.support.factories import make_user

pytestmark = pytest.mark.django_db

NUL = "deb\x00riefs"


@pytest.fixture
def builder():
    Category.objects.get_or_create(slug="debriefs", defaults={"name": "Debriefs"})
    return make_user()


def test_a_thread_posted_to_a_nul_category_is_a_400_naming_the_category(builder):
    api = APIClient()
    api.force_authenticate(builder)
    response = api.post("/api/board/threads/", {"category": NUL, "title": "t", "body": "b"},
                        format="json")
    assert response.status_code == 400 and "category" in response.json()
    assert not Thread.objects.exists()


def test_a_nul_category_or_search_on_the_board_lists_is_a_404_or_an_empty_list(builder):
    api, page = APIClient(), Client()
    assert api.get("/api/board/threads/", {"category": NUL}).status_code == 404
    assert page.get("/board/", {"category": NUL}).status_code == 404
    assert api.get("/api/board/threads/", {"q": "\x00"}).status_code == 200
    assert page.get("/board/", {"q": "lr\x00"}).status_code == 200


def test_the_thread_form_with_a_nul_category_shows_the_form_again(builder):
    page = Client()
    page.force_login(builder)
    response = page.post("/board/new/", {"category": NUL, "title": "t", "body": "b"})
    assert response.status_code == 200 and "category" in response.context["form"].errors
    assert not Thread.objects.exists()
