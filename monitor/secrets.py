"""Masking secrets: values that came from ``${ENV}`` in the config, credentials inside
URLs, and the secret fields of the config shown on the web console. The one place that
decides what is a secret and how it is masked.

Config values written as ``${VAR}`` are secrets by convention (tokens, webhook URLs,
cookies, passwords inside URLs). The loader registers every value it substituted; any
text that may reach a log, an error message, a stored source error, a notification or
the web console goes through :func:`redact` first, so a secret is never shown even
when it is embedded in a longer string (a URL with ``?token=…``, an exception text).
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any
from urllib.parse import unquote

# A secret inside a longer text (a log line, an error, a URL).
MASK = "***"
# A whole value the config page hides (a token field, a cookie, a header value): longer,
# so that it reads as "a value is set here" rather than as part of the text.
MASKED_VALUE = "******"
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


# ---------------------------------------------------------------------------- URLs

# Query parameters whose value is a credential even when typed into the file directly.
SECRET_PARAMS = re.compile(r"(key|token|secret|password|passwd|pwd|sig|signature|auth|session)", re.IGNORECASE)
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s]+")


def _mask_one_url(url: str, mask: str) -> str:
    scheme, _, rest = url.partition("://")
    end = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    netloc, tail = rest[:end], rest[end:]
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, sep, _password = userinfo.partition(":")
        if sep:
            netloc = f"{user}:{mask}@{hostport}"
    path, qmark, query = tail.partition("?")
    if qmark:
        query, hash_, fragment = query.partition("#")
        pairs = []
        for pair in query.split("&"):
            name, eq, value = pair.partition("=")
            pairs.append(f"{name}={mask}" if eq and SECRET_PARAMS.search(unquote(name)) else pair)
        tail = f"{path}?{'&'.join(pairs)}{hash_}{fragment}"
    return f"{scheme}://{netloc}{tail}"


def mask_url(text: str, mask: str = MASK) -> str:
    """``text`` with the password and the credential-like query values (``token=``,
    ``api_key=``, ``sig=`` …) of every URL in it masked; everything else unchanged, byte
    for byte. Never fails, whatever the text."""
    if "://" not in text:
        return text
    return _URL_IN_TEXT.sub(lambda m: _mask_one_url(m.group(0), mask), text)


# ---------------------------------------------------------------------------- the config page

# Config keys whose whole value is a secret (a dict keeps its keys: cookie and header
# names, never their values). Matched on the key's last word, so ``token``,
# ``access_token``, ``api_key``, ``client_secret`` and the source's whole-string
# ``cookie`` are all masked; ``token_env`` (a variable's name) and ``key_prefix`` are not.
# Every header value is masked, not just Cookie / Authorization / X-Api-Key: a custom
# header may carry a credential too.
SECRET_KEYS = re.compile(
    r"(?:^|[_-])(?:token|secret|password|passwd|pwd|cookies?|headers|authorization|auth|api[_-]?key|apikey"
    r"|access[_-]?key|private[_-]?key|credentials?|webhook_url|session)$",
    re.IGNORECASE,
)


def mask_config(data: Any) -> Any:
    """Config as plain data (``Config.model_dump(mode="json")``) with every secret
    replaced by ``******``.

    Three layers, because a secret can hide in any of them: values under a secret key
    name, passwords and credential parameters inside URLs (the database URL's too), and
    any value that came from ``${ENV}`` wherever it sits in a longer string."""
    if isinstance(data, dict):
        out = {}
        for k, v in data.items():
            if isinstance(k, str) and SECRET_KEYS.search(k) and v:
                out[k] = {kk: MASKED_VALUE for kk in v} if isinstance(v, dict) else MASKED_VALUE
            else:
                out[k] = mask_config(v)
        return out
    if isinstance(data, list):
        return [mask_config(x) for x in data]
    if isinstance(data, str):
        return mask_url(redact(data), MASKED_VALUE)
    return data
