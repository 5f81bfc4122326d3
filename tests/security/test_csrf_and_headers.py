"""CSRF on every session-authenticated write (log-in included); headers and cookies in
production settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.descent.test_settings import GOOD_SECRET
from tests.support.factories import blobs_spec, make_challenge, make_user
from tests.support.stack import ROOT

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-test-password-1"


def csrf_client(user=None) -> Client:
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client


def test_log_in_without_a_csrf_token_is_refused():
    user = make_user()
    client = csrf_client()
    assert client.post("/accounts/login/", {"username": user.username,
                                            "password": PASSWORD}).status_code == 403
    client.get("/accounts/login/")
    token = client.cookies["csrftoken"].value
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD,
                                                "csrfmiddlewaretoken": token})
    assert response.status_code == 302


@pytest.mark.parametrize(("path", "body"), [
    ("/api/board/threads/", {"category": "help", "title": "t", "body": "b"}),
    ("/api/challenges/{slug}/submissions/", {"spec": blobs_spec()}),
    ("/api/notifications/read/", {}),
])
def test_session_authenticated_api_writes_need_the_csrf_token(path, body, monkeypatch):
    from challenges.services import runs as run_services
    monkeypatch.setattr(run_services, "run_enqueue", lambda run: None)
    user = make_user()
    url = path.format(slug=make_challenge().slug)
    client = csrf_client(user)
    refused = client.post(url, json.dumps(body), content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    client.get("/accounts/login/")  # any page sets the cookie
    token = client.cookies["csrftoken"].value
    allowed = client.post(url, json.dumps(body), content_type="application/json",
                          HTTP_X_CSRFTOKEN=token)
    assert allowed.status_code in {200, 201}, allowed.content
    # A token-authenticated client (no cookie) needs none: a page elsewhere cannot send it.
    key = Token.objects.create(user=make_user()).key
    with_token = Client(enforce_csrf_checks=True).post(
        url, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}")
    assert with_token.status_code in {200, 201}


PRODUCTION_PROBE = """
import django, json
django.setup()
from django.conf import settings
from django.test import Client
client = Client(HTTP_HOST="descent.example")
response = client.get("/accounts/login/", secure=True)
cookie = response.cookies["csrftoken"]
print(json.dumps({
    "status": response.status_code,
    "headers": {k: v for k, v in response.items()},
    "csrf_cookie": {"secure": bool(cookie["secure"]), "samesite": cookie["samesite"]},
    "session": [settings.SESSION_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY,
                settings.SESSION_COOKIE_SAMESITE],
    "redirect": Client(HTTP_HOST="descent.example").get("/accounts/login/").status_code,
}))
"""


def test_production_sends_the_security_headers_and_secure_cookies():
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    env.update(DJANGO_SETTINGS_MODULE="descent.settings.production", SECRET_KEY=GOOD_SECRET,
               ALLOWED_HOSTS="descent.example")
    result = subprocess.run([sys.executable, "-c", PRODUCTION_PROBE], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    headers = probe["headers"]
    assert probe["status"] == 200 and probe["redirect"] == 301  # HTTP goes to HTTPS
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src-attr")[0]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "camera=()" in headers["Permissions-Policy"]
    assert headers["Referrer-Policy"] == "same-origin"
    assert probe["csrf_cookie"] == {"secure": True, "samesite": "Lax"}
    assert probe["session"] == [True, True, "Lax"]
