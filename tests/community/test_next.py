"""Log in, sign up and log out return the builder to the page they were on (same site only)."""

from __future__ import annotations

import pytest
from django.test import Client

from community.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "gradient-descent-42"


def test_the_header_links_carry_the_current_page_as_next():
    page = Client().get("/glossary/?q=loss").content.decode()
    assert 'href="/accounts/login/?next=/glossary/%3Fq%3Dloss"' in page
    assert 'href="/accounts/signup/?next=/glossary/%3Fq%3Dloss"' in page


def test_logging_in_returns_to_next():
    User.objects.create_user(username="ada", password=PASSWORD)
    response = Client().post("/accounts/login/", {
        "username": "ada", "password": PASSWORD, "next": "/glossary/"})
    assert response.status_code == 302 and response["Location"] == "/glossary/"


def test_signing_up_returns_to_next_and_the_form_keeps_it():
    client = Client()
    form = client.get("/accounts/signup/?next=/blueprint/").content.decode()
    assert 'name="next" value="/blueprint/"' in form
    response = client.post("/accounts/signup/", {
        "username": "newcomer", "email": "new@example.com", "password": PASSWORD,
        "next": "/blueprint/"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == "/blueprint/"


def test_logging_out_returns_to_the_page_but_never_off_site():
    user = User.objects.create_user(username="ada", password=PASSWORD)
    client = Client()
    client.force_login(user)
    page = client.get("/glossary/").content.decode()
    assert 'name="next" value="/glossary/"' in page
    response = client.post("/accounts/logout/", {"next": "/glossary/"})
    assert response["Location"] == "/glossary/"

    client.force_login(user)
    response = client.post("/accounts/logout/", {"next": "https://evil.example/"})
    assert response["Location"] == "/board/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x"])
def test_next_off_site_is_ignored_on_log_in_and_sign_up(target):
    User.objects.create_user(username="ada", password=PASSWORD)
    response = Client().post("/accounts/login/", {
        "username": "ada", "password": PASSWORD, "next": target})
    assert response["Location"] == "/board/"
    response = Client().post("/accounts/signup/", {
        "username": "grace", "email": "g@example.com", "password": PASSWORD, "next": target})
    assert response["Location"] == "/board/"
