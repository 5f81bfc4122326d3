"""Account writes: registering builders and the site's admin."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from community.errors import InvalidInput
from community.models import User
from community.usernames import username_clean


@transaction.atomic
def user_get_or_create(*, username: str, email: str = "", password: str | None = None) -> User:
    """Return the builder named `username`, creating it (unusable password if none) if needed."""
    user, created = User.objects.get_or_create(username=username, defaults={"email": email})
    if created:
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def user_register(*, username: str, password: str, email: str = "") -> User:
    """Create a builder account; raise InvalidInput naming the field at fault.

    The username must pass `community.usernames` (NFKC-normalised, 3–30 ASCII letters,
    digits, `_ - .`, not confusable with an existing name, whatever the case). The password
    goes through AUTH_PASSWORD_VALIDATORS, with the new account's own attributes (a password
    like the username is refused).
    """
    username, problems = username_clean(username.strip())
    if problems:
        raise InvalidInput(problems, field="username")
    candidate = User(username=username, email=User.objects.normalize_email(email))
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise InvalidInput(exc.messages, field="password") from exc
    return User.objects.create_user(username=username, email=candidate.email, password=password)


@transaction.atomic
def admin_ensure(*, username: str, password_file: Path) -> tuple[User, str]:
    """Ensure a superuser exists; return it and its password as first generated.

    The password is generated once, kept in `password_file` (mode 0600) and printed by
    `make run`; an admin who changed it keeps their own.
    """
    user = User.objects.filter(username=username).first()
    if user is not None and user.is_superuser and password_file.exists():
        return user, password_file.read_text().strip()
    password = secrets.token_urlsafe(12)
    if user is None:
        user = User.objects.create_superuser(username=username, email="", password=password)
    else:
        user.is_superuser = True
        user.is_staff = True
        user.set_password(password)
        user.save(update_fields=["is_superuser", "is_staff", "password"])
    password_file.parent.mkdir(parents=True, exist_ok=True)
    password_file.write_text(password + "\n")
    password_file.chmod(0o600)
    return user, password
