"""Create the site's admin once, with a generated password, and print the login."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from community.services.accounts import admin_ensure


class Command(BaseCommand):
    help = "Create the admin account (generated password, kept in var/) and print the login."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--url", default="http://127.0.0.1:8000")

    def handle(self, *args, username: str, url: str, **options) -> None:
        password_file = settings.VAR_DIR / "admin-password"
        user, password = admin_ensure(username=username, password_file=password_file)
        self.stdout.write(
            f"descent: admin login at {url}/admin/  user: {user.username}  password: {password}"
            f"  (as first generated, kept in {password_file})"
        )
