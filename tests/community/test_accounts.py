"""Accounts: registration, tokens, log-in throttling, password change and reset by mail."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from community.models import User
from community.services.login_attempts import MAX_FAILURES
from tests.community.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_register_creates_a_builder_who_can_get_a_token():
    client = APIClient()
    response = client.post(
        "/api/auth/register/",
        {"username": "hinton", "password": PASSWORD, "email": "g@example.com"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["username"] == "hinton"
    token = client.post(
        "/api/auth/token/", {"username": "hinton", "password": PASSWORD}, format="json"
    ).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/notifications/").status_code == 200


def test_register_rejects_a_weak_password_naming_the_field_with_the_validator_messages():
    response = APIClient().post(
        "/api/auth/register/", {"username": "lecun", "password": "12345678"}, format="json"
    )
    assert response.status_code == 400
    messages = response.json()["password"]
    assert any("too common" in message for message in messages)
    assert any("entirely numeric" in message for message in messages)
    assert not User.objects.filter(username="lecun").exists()


def test_register_rejects_a_password_like_the_username():
    response = APIClient().post(
        "/api/auth/register/",
        {"username": "bengio-yoshua", "password": "bengio-yoshua"},
        format="json",
    )
    assert response.status_code == 400
    assert "similar" in " ".join(response.json()["password"])


def test_register_refuses_a_username_taken_in_another_case():
    make_user("ada")
    response = APIClient().post(
        "/api/auth/register/", {"username": "ADA", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 400
    assert "username" in response.json()


def test_register_rejects_unknown_keys_naming_them():
    response = APIClient().post(
        "/api/auth/register/",
        {"username": "x1", "password": PASSWORD, "is_staff": True},
        format="json",
    )
    assert response.status_code == 400
    assert "is_staff" in response.json()


def test_token_with_a_wrong_password_is_400_and_the_sixth_try_is_429_with_retry_after():
    make_user("ada")
    client = APIClient()
    for _ in range(MAX_FAILURES):
        response = client.post(
            "/api/auth/token/", {"username": "ada", "password": "nope"}, format="json"
        )
        assert response.status_code == 400
    response = client.post(
        "/api/auth/token/", {"username": "ada", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 15 * 60


def test_login_page_throttles_after_five_failures_even_with_the_right_password(client):
    make_user("ada")
    for _ in range(MAX_FAILURES):
        response = client.post("/accounts/login/", {"username": "ada", "password": "wrong"})
        assert response.status_code == 200
    response = client.post("/accounts/login/", {"username": "ada", "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed log-in attempts" in response.content
    assert "_auth_user_id" not in client.session


def test_login_page_logs_in_and_a_success_clears_earlier_failures(client):
    make_user("ada")
    for _ in range(MAX_FAILURES - 1):
        client.post("/accounts/login/", {"username": "ada", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "ada", "password": PASSWORD})
    assert response.status_code == 302
    client.post("/accounts/logout/")
    for _ in range(MAX_FAILURES - 1):
        client.post("/accounts/login/", {"username": "ada", "password": "wrong"})
    assert (
        client.post("/accounts/login/", {"username": "ada", "password": PASSWORD}).status_code
        == 302
    )


def test_signup_page_creates_the_account_and_logs_in(client):
    response = client.post(
        "/accounts/signup/", {"username": "karpathy", "email": "", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/u/karpathy/").status_code == 200
    assert client.session["_auth_user_id"] == str(User.objects.get(username="karpathy").pk)


def test_signup_page_shows_the_password_validator_messages(client):
    response = client.post("/accounts/signup/", {"username": "karpathy", "password": "short"})
    assert response.status_code == 200
    assert b"too short" in response.content


def test_password_reset_by_mail_sets_a_new_password(client):
    make_user("ada")
    response = client.post("/accounts/password/reset/", {"email": "ada@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link).url  # Django swaps the token for a session-bound URL
    response = client.post(
        form_url,
        {"new_password1": "a-new-long-password-7", "new_password2": "a-new-long-password-7"},
    )
    assert response.status_code == 302
    assert User.objects.get(username="ada").check_password("a-new-long-password-7")


def test_password_change_requires_the_old_password(client):
    user = make_user("ada")
    client.force_login(user)
    response = client.post(
        "/accounts/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-pass-9",
            "new_password2": "another-long-pass-9",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-long-pass-9")


def test_token_can_be_created_regenerated_and_revoked_on_the_profile(client):
    user = make_user("ada")
    client.force_login(user)
    client.post("/accounts/token/create/")
    first = Token.objects.get(user=user).key
    assert first[:6] in client.get("/u/ada/").content.decode()

    client.post("/accounts/token/regenerate/")
    second = Token.objects.get(user=user).key
    assert second != first
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert api.get("/api/notifications/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    assert api.get("/api/notifications/").status_code == 200

    client.post("/accounts/token/revoke/")
    assert not Token.objects.filter(user=user).exists()
    assert api.get("/api/notifications/").status_code == 401


def test_token_actions_need_a_post_and_a_login(client):
    assert client.post("/accounts/token/create/").status_code == 302  # to the log-in page
    assert not Token.objects.exists()
    client.force_login(make_user("ada"))
    assert client.get("/accounts/token/create/").status_code == 405


def test_logout_is_a_post(client):
    client.force_login(make_user("ada"))
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session
