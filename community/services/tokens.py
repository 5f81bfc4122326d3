"""API tokens (DRF authtoken: one per builder), created, regenerated and revoked on the profile."""

from __future__ import annotations

from django.db import transaction
from rest_framework.authtoken.models import Token

from community.models import User


@transaction.atomic
def token_get_or_create(*, user: User) -> Token:
    """Return the builder's API token, creating it if they have none."""
    token, _created = Token.objects.get_or_create(user=user)
    return token


@transaction.atomic
def token_regenerate(*, user: User) -> Token:
    """Replace the builder's API token with a new key; the old one stops working at once."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


@transaction.atomic
def token_revoke(*, user: User) -> bool:
    """Delete the builder's API token; return whether there was one."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)
