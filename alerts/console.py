"""The console channel: messages printed on the terminal (offline use, demos)."""

from __future__ import annotations

import sys
from typing import TextIO

from alerts.base import DeliveryResult, Outbound
from alerts.render import Renderer
from monitor.config import Config, ConsoleChannelConfig

BAR = {"yellow": "🟡", "orange": "🟠", "red": "🔴"}


class ConsoleChannel:
    config_model = ConsoleChannelConfig
    flavour = "plain"

    def __init__(self, name: str, stream: TextIO | None = None):
        self.name = name
        self.stream = stream

    @classmethod
    def from_config(cls, name: str, cfg: ConsoleChannelConfig, config: Config) -> "ConsoleChannel":
        """The console channel ``name`` (it has no settings)."""
        return cls(name)

    def send(self, message: Outbound, renderer: Renderer) -> DeliveryResult:
        r = renderer.render(message.payload)
        out = self.stream or sys.stdout
        mark = BAR.get(message.tier or "", "ℹ")
        lines = [f"{mark} {r.title}", r.body]
        if r.statement:
            lines += ["", "— 回应草稿 / draft statement —", r.statement]
        try:
            out.write("\n".join(lines) + "\n" + "-" * 60 + "\n")
            out.flush()
        except OSError as exc:
            return DeliveryResult.temporary(f"console: {exc.strerror or exc.__class__.__name__}")
        return DeliveryResult.success()
