"""Seed the demo world idempotently: running it twice changes nothing the second time."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from community.services.accounts import user_get_or_create

# TODO(#7): the demo world grows here: blueprint nodes, challenges, runs and board posts.
DEMO_BUILDERS = [("ada", "ada@example.com"), ("grace", "grace@example.com")]


class Command(BaseCommand):
    help = "Create the demo world (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        for username, email in DEMO_BUILDERS:
            user_get_or_create(username=username, email=email)
        self.stdout.write(f"descent: demo world seeded ({len(DEMO_BUILDERS)} builders)")
