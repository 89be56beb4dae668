"""Values that came from ``${ENV}`` in the config, and redaction of them.

Config values written as ``${VAR}`` are secrets by convention (tokens, webhook URLs,
cookies, passwords inside URLs). The loader registers every value it substituted; any
text that may reach a log, an error message, a stored source error, a notification or
the web console goes through :func:`redact` first, so a secret is never shown even
when it is embedded in a longer string (a URL with ``?token=…``, an exception text).
"""

from __future__ import annotations

import logging
import threading

MASK = "***"
# Shorter values ("1", "on", "443") are settings rather than secrets, and masking them
# would blank ordinary words and numbers out of every log line.
MIN_SECRET_LENGTH = 6

_lock = threading.Lock()
_values: frozenset[str] = frozenset()


def register(values: set[str] | frozenset[str] | list[str]) -> None:
    """Remember secret values (process-wide; a reloaded config adds its own)."""
    global _values
    keep = {v for v in values if isinstance(v, str) and len(v) >= MIN_SECRET_LENGTH}
    if not keep - _values:
        return
    with _lock:
        _values = _values | keep


def registered() -> frozenset[str]:
    """The secret values known so far."""
    return _values


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***`` (longest first)."""
    if not _values or not text:
        return text
    for value in sorted(_values, key=len, reverse=True):
        if value in text:
            text = text.replace(value, MASK)
    return text


class RedactFilter(logging.Filter):
    """A handler filter that masks secrets in the formatted message and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _values:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string is the logger's problem, not ours
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            # Exception texts (URLs in HTTP errors) are formatted later; pre-format and mask them.
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(text)
            record.exc_info = None
            record.msg = f"{record.msg}\n{record.exc_text}"
            record.exc_text = None
        return True
