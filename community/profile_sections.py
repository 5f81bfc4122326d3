"""Extension point: sections of the profile page (/u/<username>/) provided by other apps.

    register_profile_section("runs", runs_and_best_ranks, order=10)

A provider is `(profile_user, viewer) -> ProfileSection | None` (None: nothing to show).
`ProfileSection.html` goes on the page as is: build it with `format_html` or a template.
Register from `AppConfig.ready()`; registering a key again replaces it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from community.models import User


@dataclass(frozen=True)
class ProfileSection:
    """A titled block of HTML on a builder's profile."""

    title: str
    html: str

    def safe_html(self) -> SafeString:
        """Return the provider's HTML, which it promised to have escaped."""
        return mark_safe(self.html)  # noqa: S308 (the provider builds it with format_html)


ProfileSectionProvider = Callable[["User", "User | None"], ProfileSection | None]

_sections: dict[str, tuple[int, ProfileSectionProvider]] = {}


def register_profile_section(
    key: str, provider: ProfileSectionProvider, *, order: int = 100
) -> None:
    """Register (or replace) the profile section `key`; lower `order` comes first."""
    _sections[key] = (order, provider)


def unregister_profile_section(key: str) -> None:
    """Remove the profile section `key`, if registered (tests)."""
    _sections.pop(key, None)


def profile_sections_for(*, profile_user: User, viewer: User | None) -> list[ProfileSection]:
    """Return the registered sections for one profile, in order, skipping empty ones."""
    sections = []
    for _key, (_order, provider) in sorted(_sections.items(), key=lambda item: item[1][0]):
        section = provider(profile_user, viewer)
        if section is not None:
            sections.append(section)
    return sections
