"""Sign-up names, password spraying, spoofed addresses and reset floods."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client, override_settings
from rest_framework.test import APIClient

from community.models import User
from community.services.login_attempts import MAX_ADDRESS_FAILURES, MAX_FAILURES
from community.usernames import username_skeleton
from descent.client_address import address_behind_proxies, trusted_proxies_from_env
from descent.stack.servers import asgi_server_command

pytestmark = pytest.mark.django_db
PASSWORD = "gradient-descent-42"


def register(username: str):
    return APIClient().post("/api/auth/register/", {"username": username, "password": PASSWORD},
                            format="json")


@pytest.mark.parametrize("username", [
    "<b>ada</b>", "ada/../admin", "ada?x=1", "ada#top", "ada lovelace", "admin\u200b",
    "\u200badmin", "ad\u00admin", "ada\u0000", "ad\na", "\u0430da", "ab", "a" * 31,
    "-ada", "ada.", "ad@a", "ada+1", "\uff41\u200b",
])
def test_a_username_that_breaks_the_rule_is_a_400_on_username(username):
    response = register(username)
    assert response.status_code == 400, response.content
    assert "username" in response.json()
    assert not User.objects.exists()


def test_the_page_refuses_the_same_names_with_a_message():
    response = Client().post("/accounts/signup/", {"username": "admin\u200b",
                                                   "password": PASSWORD})
    assert response.status_code == 200  # the form again, with the error
    assert "U+200B" in response.content.decode()
    assert not User.objects.exists()


def test_length_is_checked_after_nfkc_normalisation():
    # Three fullwidth letters: NFKC makes them "ada" (3, allowed); a ligature counts as two.
    assert register("\uff41\uff44\uff41").status_code == 201
    assert User.objects.get().username == "ada"
    assert register("\ufb03" + "x").status_code == 201  # "ffi" + "x": 4 characters
    assert User.objects.filter(username="ffix").exists()


@pytest.mark.parametrize(("existing", "newcomer"), [
    ("ada", "ADA"), ("admin", "adm1n"), ("admin", "admln"), ("moon", "rnoon"),
    ("will", "wi11"), ("bob", "b0b"), ("wave", "vvave"),
])
def test_a_name_confusable_with_an_existing_one_is_refused(existing, newcomer):
    assert register(existing).status_code == 201
    response = register(newcomer)
    assert response.status_code == 400
    assert "username" in response.json()
    assert username_skeleton(existing) == username_skeleton(newcomer)


def test_names_made_before_the_rule_still_log_in_and_have_a_profile():
    for name in ("old name", "who?", "x#y", "a/b"):
        User.objects.create_user(username=name, password=PASSWORD)
        token = APIClient().post("/api/auth/token/", {"username": name, "password": PASSWORD},
                                 format="json")
        assert token.status_code == 200, name
        client = Client()
        client.login(username=name, password=PASSWORD)
        page = client.get("/board/")
        link = page.content.decode().split('href="/u/', 1)[1].split('"', 1)[0]
        assert client.get("/u/" + link).status_code == 200, (name, link)


def test_every_allowed_name_has_a_profile_url():
    for name in ("ada", "a.b", "a-b_c", "A1b2C3", "x" * 30):
        assert register(name).status_code == 201, name
        assert Client().get(f"/u/{name}/").status_code == 200


def spray(client, *, count: int, password: str = "wrong", **extra):
    return [client.post("/accounts/login/", {"username": f"user{i}", "password": password},
                        **extra).status_code for i in range(count)]


def test_password_spraying_from_one_address_is_stopped_with_retry_after():
    client = Client()
    statuses = spray(client, count=MAX_ADDRESS_FAILURES + 5)
    assert statuses[:MAX_ADDRESS_FAILURES] == [200] * MAX_ADDRESS_FAILURES
    assert set(statuses[MAX_ADDRESS_FAILURES:]) == {429}
    response = client.post("/accounts/login/", {"username": "user99", "password": "x"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    api = APIClient().post("/api/auth/token/", {"username": "other", "password": "x"},
                           format="json")
    assert api.status_code == 429 and int(api["Retry-After"]) > 0  # one service, both doors


def test_one_username_from_one_address_is_blocked_after_five_with_retry_after():
    User.objects.create_user(username="ada", password=PASSWORD)
    client = Client()
    for _ in range(MAX_FAILURES):
        client.post("/accounts/login/", {"username": "ada", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "ada", "password": PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 60


def test_a_spoofed_forwarded_for_does_not_reset_the_count():
    client = Client()
    spray(client, count=MAX_ADDRESS_FAILURES)
    spoofed = [client.post("/accounts/login/", {"username": "x", "password": "y"},
                           HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code
               for i in range(5)]
    assert set(spoofed) == {429}


@override_settings(TRUSTED_PROXIES=["127.0.0.1"])
def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client():
    client = Client(REMOTE_ADDR="127.0.0.1")
    spray(client, count=MAX_ADDRESS_FAILURES, HTTP_X_FORWARDED_FOR="198.51.100.7")
    blocked = client.post("/accounts/login/", {"username": "x", "password": "y"},
                          HTTP_X_FORWARDED_FOR="198.51.100.7")
    other = client.post("/accounts/login/", {"username": "x", "password": "y"},
                        HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert (blocked.status_code, other.status_code) == (429, 200)


def test_the_forwarded_address_rule():
    trusted = ["10.0.0.0/8"]
    assert address_behind_proxies("1.2.3.4", "9.9.9.9", trusted) == "1.2.3.4"
    assert address_behind_proxies("10.0.0.2", "6.6.6.6, 9.9.9.9", trusted) == "9.9.9.9"
    assert address_behind_proxies("10.0.0.2", "9.9.9.9, 10.0.0.3", trusted) == "9.9.9.9"
    assert address_behind_proxies("127.0.0.1", "9.9.9.9", []) == "127.0.0.1"


def test_the_asgi_command_trusts_proxy_headers_only_from_trusted_proxies():
    default = asgi_server_command("uvicorn", host="127.0.0.1", port=1, trusted_proxies=[])
    assert "--no-proxy-headers" in default and "--forwarded-allow-ips" not in default
    behind = asgi_server_command("uvicorn", host="127.0.0.1", port=1,
                                 trusted_proxies=["10.0.0.1", "10.1.0.0/16"])
    assert behind[behind.index("--forwarded-allow-ips") + 1] == "10.0.0.1,10.1.0.0/16"
    assert "--proxy-headers" not in asgi_server_command("daphne", host="h", port=1,
                                                        trusted_proxies=[])


def test_trusted_proxies_come_from_one_variable_or_uvicorns_own():
    assert trusted_proxies_from_env({}) == []
    assert trusted_proxies_from_env({"TRUSTED_PROXIES": "10.0.0.1, 10.0.0.2"}) == [
        "10.0.0.1", "10.0.0.2"]
    assert trusted_proxies_from_env({"FORWARDED_ALLOW_IPS": "10.77.0.30"}) == ["10.77.0.30"]
    # "*" (trust every peer) is never taken: a client could then write its own address.
    assert trusted_proxies_from_env({"FORWARDED_ALLOW_IPS": "*"}) == []


def test_password_reset_is_throttled_per_email_and_per_address():
    User.objects.create_user(username="ada", password=PASSWORD, email="ada@example.com")
    client = Client()
    statuses = [client.post("/accounts/password/reset/", {"email": "ada@example.com"}).status_code
                for _ in range(5)]
    assert statuses[:3] == [302, 302, 302] and statuses[3:] == [429, 429]
    assert len(mail.outbox) == 3
    blocked = client.post("/accounts/password/reset/", {"email": "ada@example.com"})
    assert int(blocked["Retry-After"]) > 0
    other = Client(REMOTE_ADDR="192.0.2.9")
    per_address = [other.post("/accounts/password/reset/",
                              {"email": f"n{i}@example.com"}).status_code for i in range(7)]
    assert per_address[:5] == [302] * 5 and per_address[5:] == [429, 429]
