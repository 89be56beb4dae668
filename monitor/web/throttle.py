"""Slowing down token guessing on the console's login form."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta


class LoginThrottle:
    """At most ``limit`` failed logins per client address within ``window``: slows down
    guessing the token without locking out the rest of the team. Time is passed in."""

    def __init__(self, limit: int = 5, window: timedelta = timedelta(minutes=1), max_clients: int = 10_000):
        self.limit, self.window, self.max_clients = limit, window, max_clients
        self._failures: dict[str, deque[datetime]] = {}

    def _recent(self, client: str, now: datetime) -> deque[datetime]:
        times = self._failures.get(client, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        return times

    def blocked(self, client: str, now: datetime) -> bool:
        """Whether ``client`` has used up its failed attempts for now."""
        return len(self._recent(client, now)) >= self.limit

    def failed(self, client: str, now: datetime) -> None:
        """Count one failed login of ``client``."""
        if len(self._failures) >= self.max_clients:
            # Bounded memory: forget addresses with no failure inside the window.
            self._failures = {c: t for c, t in self._failures.items() if self._recent(c, now)}
        times = self._recent(client, now)
        times.append(now)
        self._failures[client] = times

    def succeeded(self, client: str) -> None:
        """A successful login clears the address's count."""
        self._failures.pop(client, None)
