"""Errors the challenges services and selectors raise; the API and the pages translate them.

Each carries its HTTP status (`descent.errors.ServiceError`): the shared API base view maps
them to 4xx in one place. The 404 and 403 ones are also Django's `Http404` and
`PermissionDenied`, so a page that lets one through answers the same status as the API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from descent.errors import ServiceError

if TYPE_CHECKING:  # only for the annotation: the quota's type lives with its service
    from challenges.services.submissions import QuotaStatus

# A busy lab frees up when one of its runs ends: ask again in about this many seconds.
LAB_BUSY_RETRY_AFTER = 30


class ChallengeError(ServiceError):
    """A request the challenges rules refuse (400 unless a subclass says otherwise)."""


class NotFound(ChallengeError, Http404):
    """No such thing that the caller may see: drafts are secret, so they are 404 too."""

    status_code = 404


class NotAllowed(ChallengeError, PermissionDenied):
    """The caller may see this but not do it (403)."""

    status_code = 403


class SubmissionRejected(ChallengeError):
    """The spec cannot be trained on this challenge; `errors` maps field paths to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(_joined(errors), errors=errors)


class ChallengeInvalid(ChallengeError, ValueError):
    """A challenge's settings do not fit its dataset; `errors` maps fields to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(_joined(errors), errors=errors)


class ChallengeNotOpen(NotAllowed):
    """The challenge does not take submissions now; the message says why."""


class QuotaExceeded(ChallengeError):
    """The builder spent today's runs for this challenge (429 until the next UTC midnight)."""

    status_code = 429

    def __init__(self, quota: QuotaStatus):
        super().__init__(
            f"you have used all {quota.limit} runs for today on this challenge; "
            f"the quota resets at {quota.resets_at.isoformat()}"
        )
        self.quota = quota

    @property
    def retry_after(self) -> int:
        return self.quota.retry_after()

    @property
    def extra(self) -> dict[str, Any]:
        quota = self.quota
        return {"quota": {"limit": quota.limit, "used": quota.used, "left": quota.left,
                          "resets_at": quota.resets_at}}


class LabBusy(ChallengeError):
    """The builder already has the most labs training that one may (429)."""

    status_code = 429

    @property
    def retry_after(self) -> int:
        return LAB_BUSY_RETRY_AFTER


class NodeLocked(NotAllowed):
    """The node's prerequisites are not all cleared yet (403)."""


class QuizInvalid(ChallengeError):
    """The answers do not fit the quiz; `errors` maps question keys (or "answers") to messages.

    The API nests them under `answers`: `{"answers": {"q1": ["..."]}}`.
    """

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(_joined(errors), field="answers", errors=errors)


def _joined(errors: dict[str, list[str]]) -> str:
    return "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())


class VerificationRefused(ChallengeError):
    """The run cannot be verified (yet): it has not finished (400, the message says why)."""
