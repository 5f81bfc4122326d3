"""Errors the community services raise; the API and the pages translate them."""

from __future__ import annotations


class CommunityError(Exception):
    """A request the rules refuse; `field` names the input at fault, if one is."""

    status_code = 400

    def __init__(self, message: str | list[str], *, field: str | None = None) -> None:
        self.messages = [message] if isinstance(message, str) else list(message)
        self.message = " ".join(self.messages)
        super().__init__(self.message)
        self.field = field


class InvalidInput(CommunityError):
    """The input breaks a rule (400)."""


class NotAllowed(CommunityError):
    """The caller may not do this (403)."""

    status_code = 403


class ThreadLocked(NotAllowed):
    """A moderator locked the thread: no new replies (403)."""

    def __init__(self) -> None:
        super().__init__("thread is locked")
