"""The interface every channel implements, and what delivery needs back from it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from alerts.render import Renderer


@dataclass(frozen=True)
class DeliveryResult:
    """Outcome of one send.

    ``ok``: accepted. Otherwise ``retry`` says whether trying again may help (a 429, a
    5xx, a timeout, a full disk) and ``retry_after`` is the wait the far end asked for.
    ``error`` never contains a secret.
    """

    ok: bool
    retry: bool = False
    retry_after: float | None = None
    error: str | None = None

    @classmethod
    def success(cls) -> "DeliveryResult":
        return cls(True)

    @classmethod
    def temporary(cls, error: str, retry_after: float | None = None) -> "DeliveryResult":
        return cls(False, True, retry_after, error)

    @classmethod
    def permanent(cls, error: str) -> "DeliveryResult":
        return cls(False, False, None, error)


@dataclass(frozen=True)
class Outbound:
    """A stored notification on its way to one channel."""

    key: str
    kind: str
    tier: str | None
    payload: dict[str, Any]
    mention_all: bool = False


class Channel(Protocol):
    """A place messages go to. ``send`` must not raise for failures it can classify."""

    name: str
    flavour: str  # slack | feishu | plain: how untrusted text is escaped

    def send(self, message: Outbound, renderer: Renderer) -> DeliveryResult: ...


def already_delivered(channel: Channel, message: Outbound) -> bool | None:
    """Ask a channel that can read back whether ``message`` already arrived.

    Channels may implement ``already_delivered(message) -> bool | None``; the others
    (webhooks that cannot read back) answer ``None``: unknown.
    """
    check = getattr(channel, "already_delivered", None)
    return check(message) if check is not None else None
