"""Create the load bench's challenge: the demo "blobs" challenge under a slug of its own.

    python -m bench.load.seed [--slug load-blobs] [--daily-quota 20]

Same data, budgets, lesson and time limit as the demo world's "blobs"; its own slug so that
only the bench's builders rank on it (the board can then be recomputed from their run
lists), and a daily quota of at least the runs each bench builder submits — the challenge's
own row in the bench's own database, so no default is weakened. Idempotent: an existing
challenge of that slug is left as it is, its quota raised if needed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

SOURCE_SLUG = "blobs"


def seed(*, slug: str, daily_quota: int) -> str:
    """Create (or keep) the bench challenge; return what was done."""
    import django

    django.setup()
    from challenges.models import Challenge
    from challenges.services.challenges import challenge_save
    from challenges.world.loader import load_world

    existing = Challenge.objects.filter(slug=slug).first()
    if existing is not None:
        if existing.daily_quota < daily_quota:
            existing.daily_quota = daily_quota
            existing.save(update_fields=["daily_quota", "updated_at"])
        return f"challenge {slug} exists (daily quota {existing.daily_quota})"
    # The demo challenge as the content files have it (challenges/content/challenges/).
    fields = next(c for c in load_world().challenges if c.slug == SOURCE_SLUG).fields()
    fields.update(slug=slug, title=f"{fields['title']} (load bench)",
                  daily_quota=max(fields["daily_quota"], daily_quota),
                  status=Challenge.Status.PUBLISHED)
    challenge_save(Challenge(**fields))
    return f"challenge {slug} created from the demo's {SOURCE_SLUG!r} (daily quota " \
           f"{fields['daily_quota']})"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slug", default="load-blobs")
    parser.add_argument("--daily-quota", type=int, default=20)
    args = parser.parse_args(argv)
    print(f"bench.load.seed: {seed(slug=args.slug, daily_quota=args.daily_quota)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
