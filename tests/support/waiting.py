"""Waiting on a condition with a deadline, instead of sleeping for a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, every: float = 0.2) -> bool:
    """Poll ``predicate`` every ``every`` seconds until it is true (True) or ``timeout`` passes (False).

    Returns a bool so that the caller's ``assert wait_for(...), context`` says what it waited for.
    """
    end = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= end:
            return False
        time.sleep(every)
