"""What an HTTP channel's answer means for delivery, decided in one place.

Every webhook-style channel (Slack, Feishu, the ones still to come) reduces the far end's
answer to an :class:`Answer` — the HTTP status, the headers, and the platform's own error
code when the body carries one — and :func:`outcome` turns it into one of three results:

- **sent**: a 2xx answer whose body reports no error;
- **retry after T**: 429 (T from Retry-After or the platform's own header, else the
  delivery backoff), any 5xx, a platform error the channel lists as temporary (rate
  limits or "busy" codes sent with a 200), an answer whose body cannot be read, and
  network faults (:func:`network_failure`);
- **failed for good**: every other refusal (bad token, unknown channel, bad signature, 4xx).

Error texts name the channel and what the far end said, never a URL or a secret.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from alerts.base import DeliveryResult

RETRY_AFTER = "Retry-After"
# delay-seconds: RFC 9110 says digits; a fraction is accepted as some platforms send one.
_SECONDS = re.compile(r"[0-9]+(\.[0-9]+)?")


@dataclass(frozen=True)
class Answer:
    """The parts of an HTTP answer that decide a delivery's outcome.

    ``error``: the platform's error name or code when the body says the request failed
    (``"channel_not_found"``, ``19021``); ``None`` when the body reports success or the
    platform does not use one. Numeric codes read as "code N" in error texts.
    ``message``: the platform's short human explanation, if any (shown, never parsed).
    ``readable``: ``False`` when the body should have said how it went but could not be
    parsed — the message may or may not have arrived, so it is tried again.
    """

    status: int
    headers: Mapping[str, Any] | None = None
    error: str | int | None = None
    message: str = ""
    readable: bool = True


def outcome(who: str, answer: Answer, *, temporary_errors: Collection[str | int] = (),
            retry_after_headers: tuple[str, ...] = (RETRY_AFTER,), now: datetime | None = None) -> DeliveryResult:
    """Sent, retry (after the far end's wait if it gave one) or failed for good.

    ``who`` names the channel in error texts (``"slack alerts"``). ``temporary_errors``
    are the platform error codes worth retrying. ``retry_after_headers`` are read in
    order on a 429 (Retry-After first; some platforms add their own reset header).
    """
    if answer.status == 429:
        return DeliveryResult.temporary(f"{who}: rate limited", retry_after(answer.headers, retry_after_headers, now))
    if answer.status >= 500:
        return DeliveryResult.temporary(f"{who}: {describe(answer)}")
    if not answer.readable:
        return DeliveryResult.temporary(f"{who}: HTTP {answer.status}, answer is not readable")
    if answer.error is not None and answer.error in temporary_errors:
        return DeliveryResult.temporary(f"{who}: {describe(answer)}")
    if 200 <= answer.status < 300 and answer.error is None:
        return DeliveryResult.success()
    return DeliveryResult.permanent(f"{who}: refused ({describe(answer)})")


def network_failure(who: str, exc: BaseException) -> DeliveryResult:
    """A request that got no answer (refused, DNS, timeout): worth trying again.

    Only the exception's class is shown: its text may hold the URL, and webhook URLs are secrets.
    """
    return DeliveryResult.temporary(f"{who}: network error ({exc.__class__.__name__})")


def describe(answer: Answer) -> str:
    """``HTTP 503 internal_error`` / ``HTTP 200 code 19021 sign match fail``: status, error, message."""
    error = f"code {answer.error}" if isinstance(answer.error, int) else answer.error
    return " ".join(part for part in (f"HTTP {answer.status}", error, answer.message) if part)


def retry_after(headers: Mapping[str, Any] | None, names: tuple[str, ...] = (RETRY_AFTER,),
                now: datetime | None = None) -> float | None:
    """Seconds to wait from the first of ``names`` present in ``headers`` that parses (case-insensitive)."""
    for name in names:
        value = header(headers, name)
        if value is not None:
            seconds = parse_retry_after(value, now)
            if seconds is not None:
                return seconds
    return None


def header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    """The value of header ``name`` in any case; the first one when a client gives a list."""
    if not headers:
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if str(key).lower() == wanted:
            if isinstance(value, (list, tuple)):
                value = value[0] if value else None
            return None if value is None else str(value)
    return None


def parse_retry_after(value: str, now: datetime | None = None) -> float | None:
    """A Retry-After value in seconds: delay-seconds (``"7"``, ``"1.5"``) or an HTTP-date.

    A date in the past means "now" (0). ``None`` when the value is neither (empty,
    negative, "soon", a malformed date): the caller then falls back to its own backoff.
    """
    text = value.strip()
    if _SECONDS.fullmatch(text):
        return float(text)
    if not text or text[0] in "+-" or text[0].isdigit():
        return None  # empty, or a number that is not a wait: negative, signed, "1e3"
    return _seconds_until(text, now)


def _seconds_until(http_date: str, now: datetime | None) -> float | None:
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # HTTP-dates are GMT; "-0000" parses as naive
        when = when.replace(tzinfo=timezone.utc)
    return max((when - (now or datetime.now(timezone.utc))).total_seconds(), 0.0)
