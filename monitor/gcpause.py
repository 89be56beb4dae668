"""Pausing Python's cyclic garbage collector while long-lived objects are created.

Loading a model or importing a large library creates hundreds of thousands of objects that
live as long as the process. The collector, triggered every few hundred allocations, walks
them again and again while they are made, and none of them is ever garbage. Pausing it
for that work costs nothing: cycles made meanwhile are collected once it runs again.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run the block with the collector off; afterwards back on if it was on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
