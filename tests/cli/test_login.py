"""`descent login` against a real server: a token in a file only its owner can read."""

from __future__ import annotations

import json
import stat

import pytest
from rest_framework.authtoken.models import Token

from tests.cli.conftest import descent
from tests.support.factories import make_challenge, make_user

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-test-password-1\n"


def test_login_stores_the_token_0600_and_later_commands_use_that_server(server, config_dir):
    user = make_user("ada")
    make_challenge(slug="cli-login", title="Login challenge")
    result = descent("login", server + "/", "--username", "ada", "--password-stdin",
                     input=PASSWORD)
    assert result.returncode == 0, result.stderr
    path = config_dir / "credentials.json"
    assert f"logged in to {server} as ada; token stored in {path}" in result.stdout
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(config_dir.stat().st_mode) == 0o700
    stored = json.loads(path.read_text())
    assert stored["current"] == server
    assert stored["servers"][server]["token"] == Token.objects.get(user=user).key
    # No --server: the command talks to the server logged in to.
    listed = descent("challenges", COLUMNS="160")
    assert listed.returncode == 0, listed.stderr
    assert "cli-login" in listed.stdout and "Login challenge" in listed.stdout
    assert descent("logout").returncode == 0
    assert server not in json.loads(path.read_text())["servers"]


def test_a_wrong_password_is_refused_without_storing_anything(server, config_dir):
    make_user("bob")
    result = descent("login", server, "--username", "bob", "--password-stdin",
                     input="wrong-password\n")
    assert result.returncode == 2
    assert "password: this username and password do not match an active account" in \
        result.stderr
    assert "Traceback" not in result.stderr
    assert not (config_dir / "credentials.json").exists()


def test_an_unreachable_server_is_one_clear_line(config_dir):
    result = descent("challenges", "--server", "http://127.0.0.1:9")
    assert result.returncode == 3
    assert result.stderr.strip() == "error: cannot reach http://127.0.0.1:9: connection refused"


def test_without_a_login_or_server_the_command_says_what_to_do(config_dir):
    result = descent("challenges")
    assert result.returncode == 2
    assert "log in first (descent login http://HOST:PORT) or pass --server URL" in result.stderr
