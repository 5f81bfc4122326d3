from django.apps import AppConfig


class ChallengesConfig(AppConfig):
    name = "challenges"
    verbose_name = "Challenges"

    def ready(self) -> None:
        # Plug run cards and profile sections into community's extension points: community
        # never imports challenges (the dependency runs one way). Imported here, not at the
        # top: Django imports apps.py while it fills the app registry, before any models
        # module can load, and these import models.
        from challenges.services.profile import runs_section
        from challenges.services.run_cards import (
            post_run_attach,
            run_cards_for_posts,
            run_choices_for,
            run_for_attachment,
        )
        from community.attachments import PostAttachmentProvider, register_post_attachment
        from community.notification_kinds import register_notification_kind
        from community.profile_sections import register_profile_section

        register_post_attachment(PostAttachmentProvider(
            key="run", validate=run_for_attachment, attach=post_run_attach,
            cards=run_cards_for_posts, choices=run_choices_for,
        ))
        register_profile_section("runs", runs_section, order=10)
        register_notification_kind("run.finished",
                                   "My run finished (succeeded, failed, diverged or cancelled)")
        register_notification_kind("rank.beaten", "Someone beat my rank on a leaderboard")
        register_notification_kind("node.threshold_met", "A run met a blueprint node's threshold")
        register_notification_kind("node.cleared", "I cleared a blueprint node")
