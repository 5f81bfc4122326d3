"""Fixed-window counters in the shared cache (Redis): log-in failures, password resets.

Every web process sees the same counts. A window opens at the first hit and is not extended
by later ones; past `limit` hits the subject waits until it closes.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class FixedWindow:
    """At most `limit` hits per `subject` in `seconds`."""

    name: str
    limit: int
    seconds: int

    def _keys(self, subject: str) -> tuple[str, str]:
        digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
        return f"{self.name}:{digest}", f"{self.name}-since:{digest}"

    def retry_after(self, subject: str) -> int:
        """Return the seconds until `subject` may go on; 0 when under the limit."""
        count_key, since_key = self._keys(subject)
        if (cache.get(count_key) or 0) < self.limit:
            return 0
        since = cache.get(since_key) or time.time()
        return max(1, int(self.seconds - (time.time() - since)) + 1)

    def hit(self, subject: str) -> int:
        """Count one hit; return the hits in the current window."""
        count_key, since_key = self._keys(subject)
        # add() only sets a missing key: the window starts at the first hit.
        cache.add(since_key, time.time(), self.seconds)
        cache.add(count_key, 0, self.seconds)
        try:
            return cache.incr(count_key)
        except ValueError:  # expired between add() and incr()
            cache.add(count_key, 1, self.seconds)
            return 1

    def clear(self, subject: str) -> None:
        """Forget `subject`'s hits."""
        cache.delete_many(list(self._keys(subject)))
