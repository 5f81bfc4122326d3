"""`manage.py leaderboard_check [SLUG ...] [--repair]`: prove the kept boards equal a recompute.

Recomputes each challenge's best entries from its runs and compares them with the kept
`BestEntry` rows. Exits 1 when any board differs (after printing each difference); with
`--repair` it rewrites the boards that differ to the recompute, and still exits 1 so that a
check in CI notices that something wrote runs behind the services' back.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from challenges.models import Challenge
from challenges.services.best_entries import best_entries_check


class Command(BaseCommand):
    help = "Recompute every leaderboard from the runs and compare it with the kept board."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slugs", nargs="*", help="challenges to check (default: all)")
        parser.add_argument("--repair", action="store_true",
                            help="rewrite a board that differs to the recompute")

    def handle(self, *args: Any, slugs: list[str], repair: bool, **options: Any) -> None:
        challenges = Challenge.objects.order_by("pk")
        if slugs:
            challenges = challenges.filter(slug__in=slugs)
            unknown = sorted(set(slugs) - set(challenges.values_list("slug", flat=True)))
            if unknown:
                raise CommandError(f"no challenge {', '.join(unknown)}; "
                                   "`manage.py leaderboard_check` with no names checks all")
        differing = 0
        for challenge in challenges:
            difference = best_entries_check(challenge=challenge, repair=repair)
            if not difference:
                self.stdout.write(f"{challenge.slug}: kept board equals the recompute")
                continue
            differing += 1
            self.stdout.write(f"{challenge.slug}: {len(difference.missing)} entries missing, "
                              f"{len(difference.extra)} wrong"
                              + (" (repaired)" if repair else ""))
            for entry in sorted(difference.missing, key=lambda e: (e.basis, e.owner_id)):
                self.stdout.write(f"  missing  {entry}")
            for entry in sorted(difference.extra, key=lambda e: (e.basis, e.owner_id)):
                self.stdout.write(f"  wrong    {entry}")
        if differing:
            raise CommandError(f"{differing} leaderboard(s) differ from the recompute"
                               + ("; repaired" if repair else "; run with --repair to rewrite"))
