"""Extension point: the kinds of notification a builder can mute, with the words they read.

Community registers its own ("reply"); other apps register theirs from `AppConfig.ready()`:

    register_notification_kind("run.finished", "My run finished (succeeded, failed, diverged)")

The preferences page lists the registered kinds in registration order; a kind nobody
registered is still delivered (and cannot be muted from the page).
"""

from __future__ import annotations

_kinds: dict[str, str] = {}


def register_notification_kind(kind: str, label: str) -> None:
    """Register (or relabel) a kind of notification that builders may mute."""
    if not kind or len(kind) > 40:
        raise ValueError(f"Invalid notification kind: {kind!r} (1 to 40 characters)")
    _kinds[kind] = label


def notification_kinds() -> dict[str, str]:
    """Return {kind: label} for every registered kind, in registration order."""
    return dict(_kinds)


register_notification_kind("reply", "Someone replied to my thread")
