"""Seed the demo world idempotently: running it twice changes nothing the second time."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from challenges.demo_challenges import DEMO_CHALLENGES, DEMO_DEFAULTS
from challenges.models import Challenge
from challenges.services.challenges import challenge_save
from community.services.accounts import user_get_or_create

# TODO(#7): the demo world grows here: blueprint nodes, runs and board posts.
DEMO_BUILDERS = [("ada", "ada@example.com"), ("grace", "grace@example.com")]


class Command(BaseCommand):
    help = "Create the demo world (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        for username, email in DEMO_BUILDERS:
            user_get_or_create(username=username, email=email)
        created = seed_challenges()
        self.stdout.write(
            f"descent: demo world seeded ({len(DEMO_BUILDERS)} builders, "
            f"{len(DEMO_CHALLENGES)} challenges, {created} new)"
        )


def seed_challenges() -> int:
    """Create the demo challenges that are missing; return how many were created.

    An existing challenge is left as it is: staff may have edited it in the admin, and a
    restart of `make run` must not undo that.
    """
    existing = set(
        Challenge.objects.filter(
            slug__in=[fields["slug"] for fields in DEMO_CHALLENGES]
        ).values_list("slug", flat=True)
    )
    created = 0
    for fields in DEMO_CHALLENGES:
        if fields["slug"] in existing:
            continue
        challenge_save(Challenge(**DEMO_DEFAULTS, **fields, status=Challenge.Status.PUBLISHED))
        created += 1
    return created
