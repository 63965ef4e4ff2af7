"""Chat creation throttled per IP address and channel: a sliding window kept in process memory.

In-process means each app process counts on its own: with N processes behind a balancer a client
gets up to N times the limit. That is acceptable for abuse control (it bounds the damage), and
keeps Redis out of the path; a shared window can replace this class behind the same ``hit``.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from starlette.datastructures import State

from parley.errors import TooManyRequests

DEFAULT_PER_MINUTE = 10


class SlidingWindow:
    def __init__(
        self,
        *,
        window_s: float = 60.0,
        max_keys: int = 50_000,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window_s = window_s
        self.max_keys = max_keys
        self._now = now
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str, limit: int) -> None:
        """Count one attempt under ``key``; raise TooManyRequests past ``limit`` per window."""
        now = self._now()
        hits = self._hits.get(key)
        if hits is None:
            self._make_room(now)
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        if len(hits) >= limit:
            retry = max(1, math.ceil(hits[0] + self.window_s - now))
            raise TooManyRequests("too many chats started from this address", retry_after=retry)
        hits.append(now)

    def _make_room(self, now: float) -> None:
        """Bound memory: forget idle keys, then the oldest ones, when there are too many."""
        if len(self._hits) < self.max_keys:
            return
        for key in [k for k, h in self._hits.items() if not h or h[-1] <= now - self.window_s]:
            del self._hits[key]
        while len(self._hits) >= self.max_keys:
            del self._hits[next(iter(self._hits))]


def chat_starts(state: State) -> SlidingWindow:
    """The app's window, made on first use (so importing this module builds nothing)."""
    window = getattr(state, "webchat_chat_starts", None)
    if not isinstance(window, SlidingWindow):
        window = SlidingWindow()
        state.webchat_chat_starts = window
    return window
