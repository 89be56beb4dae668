"""Logging set-up: readable text by default, JSON lines with ``--log-json``."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

from monitor.secrets import RedactFilter


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: int = logging.WARNING, as_json: bool = False) -> None:
    """Configure the root logger once; Scrapy is told not to install its own handler."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_repmon", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler._repmon = True  # type: ignore[attr-defined]
    handler.setFormatter(
        JsonFormatter() if as_json else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.setLevel(level)
    # Every line passes the redaction filter: values from ${ENV} never reach the log.
    handler.addFilter(RedactFilter())
    root.addHandler(handler)
    root.setLevel(level)
    # Scrapy and Twisted are chatty at INFO; keep them one step quieter than ours.
    for name in ("scrapy", "twisted", "filelock", "asyncio", "alembic", "apscheduler"):
        logging.getLogger(name).setLevel(max(level + 10, logging.INFO) if level < logging.WARNING else level)
    # slack_sdk logs request URLs (an incoming webhook URL is itself the secret) at DEBUG.
    for name in ("slack_sdk", "urllib3", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
