"""Errors the community services raise; the API and the pages translate them."""

from __future__ import annotations

from descent.errors import ServiceError


class CommunityError(ServiceError):
    """A request the rules refuse; `field` names the input at fault, if one is."""


class InvalidInput(CommunityError):
    """The input breaks a rule (400)."""


class NotAllowed(CommunityError):
    """The caller may not do this (403)."""

    status_code = 403


class ThreadLocked(NotAllowed):
    """A moderator locked the thread: no new replies (403)."""

    def __init__(self) -> None:
        super().__init__("thread is locked")


class TooManyRequests(CommunityError):
    """A counted limit was reached; ask again after `retry_after` seconds (429)."""

    status_code = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self._retry_after = retry_after

    @property
    def retry_after(self) -> int:
        return self._retry_after


class TooManyLoginAttempts(TooManyRequests):
    """Too many failed log-ins for one username, or from one address (429)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many failed log-in attempts; try again later", retry_after)


class TooManyResetRequests(TooManyRequests):
    """Too many password-reset mails asked for, from one address or for one email (429)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many password-reset requests; try again later", retry_after)
