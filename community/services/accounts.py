"""Account writes: creating builders and the site's admin."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.db import transaction

from community.models import User


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
