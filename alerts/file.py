"""The file channel: one JSON line per message (offline use, audit trail)."""

from __future__ import annotations

import errno
import json
from datetime import datetime, timezone
from pathlib import Path

from alerts.base import DeliveryResult, Outbound
from alerts.render import Renderer
from monitor.config import Config, FileChannelConfig


TAIL_BYTES = 256 * 1024  # how far back an interrupted write is looked for


class FileChannel:
    config_model = FileChannelConfig
    flavour = "plain"

    def __init__(self, name: str, path: Path):
        self.name = name
        self.path = path

    @classmethod
    def from_config(cls, name: str, cfg: FileChannelConfig, config: Config) -> "FileChannel":
        """The file channel ``name``, its path read relative to config.yaml."""
        return cls(name, config.resolve_path(cfg.path))

    def already_delivered(self, message: Outbound) -> bool | None:
        """Whether the last part of the file holds a complete line with this message's key."""
        try:
            with self.path.open("rb") as f:
                f.seek(0, 2)
                size = f.tell()
                f.seek(max(0, size - TAIL_BYTES))
                tail = f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return False
        except OSError:
            return None
        for line in tail.splitlines()[1 if size > TAIL_BYTES else 0:]:
            try:
                if json.loads(line).get("key") == message.key:
                    return True
            except (ValueError, AttributeError):
                continue  # a line torn by the interruption is not a delivery
        return False

    def send(self, message: Outbound, renderer: Renderer) -> DeliveryResult:
        r = renderer.render(message.payload)
        record = {
            "at": datetime.now(timezone.utc).isoformat(),
            "channel": self.name,
            "key": message.key,
            "kind": message.kind,
            "tier": message.tier,
            "incident_id": message.payload.get("incident_id"),
            "title": r.title,
            "text": r.body,
            "statement": r.statement,
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a+b") as f:
                # A write cut short by a crash leaves a partial line; start afresh after it.
                if f.tell() > 0:
                    f.seek(-1, 2)
                    if f.read(1) != b"\n":
                        line = "\n" + line
                f.write(line.encode("utf-8"))
        except OSError as exc:
            what = f"file channel {self.name} ({self.path}): {exc.strerror or exc.__class__.__name__}"
            # A full disk or a busy file may clear up; a missing permission may be fixed
            # by an operator too, so keep retrying (with backoff) until max_attempts.
            return DeliveryResult.temporary(what) if exc.errno != errno.EISDIR else DeliveryResult.permanent(what)
        return DeliveryResult.success()
