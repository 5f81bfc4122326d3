"""Settings from the environment, and a production module that refuses to start insecurely."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from descent.settings.base import env_bool
from tests.support.stack import ROOT

GOOD_SECRET = "x" * 20 + "-a-long-random-production-secret-for-tests-only-" + "y" * 20


def _production(**env: str) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    full_env.update(DJANGO_SETTINGS_MODULE="descent.settings.production", **env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120,
    )


def test_production_refuses_debug():
    result = _production(DEBUG="1", SECRET_KEY=GOOD_SECRET, ALLOWED_HOSTS="descent.example")
    assert result.returncode != 0
    assert "DEBUG must be off in production" in result.stderr


def test_production_refuses_the_default_secret():
    result = _production(ALLOWED_HOSTS="descent.example")
    assert result.returncode != 0
    assert "SECRET_KEY is the development default" in result.stderr


def test_production_passes_check_deploy_at_warning_level():
    result = _production(SECRET_KEY=GOOD_SECRET, ALLOWED_HOSTS="descent.example")
    assert result.returncode == 0, result.stdout + result.stderr


def test_env_bool_names_the_variable_and_the_accepted_values(monkeypatch):
    monkeypatch.setenv("DESCENT_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DESCENT_FLAG='maybe'"):
        env_bool("DESCENT_FLAG", False)
    monkeypatch.setenv("DESCENT_FLAG", "on")
    assert env_bool("DESCENT_FLAG", False) is True
