"""Feishu / Lark custom bot webhook with an interactive card whose header follows the tier.

Signing follows Feishu's custom-bot documentation: ``sign = base64(HMAC-SHA256(key =
f"{timestamp}\\n{secret}", message = b""))``, sent with ``timestamp`` (seconds) in the body.
Feishu answers most errors as HTTP 200 with a non-zero ``code``: those are failures.
Custom-bot cards can only carry link buttons, so the console link is a button.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

import httpx

from alerts.base import DeliveryResult, Outbound
from alerts.render import Renderer

HEADER_TEMPLATE = {"yellow": "yellow", "orange": "orange", "red": "red"}
# Feishu's documented "too many requests" and "server busy" style codes: retry later.
TEMPORARY_CODES = {9499, 11232, 11233, 11247, 99991400}


def sign(secret: str, timestamp: int) -> str:
    """The custom-bot signature for ``timestamp`` (seconds since the epoch)."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", digestmod=hashlib.sha256).digest()).decode()


def build_card(message: Outbound, renderer: Renderer) -> dict[str, Any]:
    r = renderer.render(message.payload, mention_all="<at id=all></at>" if message.mention_all else "")
    elements: list[dict[str, Any]] = [{"tag": "div", "text": {"tag": "lark_md", "content": r.body}}]
    if r.statement:
        elements += [{"tag": "hr"}, {"tag": "div", "text": {"tag": "lark_md", "content": "**回应草稿 / Draft statement**\n" + r.statement}}]
    url = renderer.variables(message.payload).get("incident_url")
    if url:
        elements.append({"tag": "action", "actions": [
            {"tag": "button", "text": {"tag": "plain_text", "content": "打开事件 / Open incident"}, "type": "primary", "url": url}]})
    return {
        "config": {"wide_screen_mode": True},
        "header": {"template": HEADER_TEMPLATE.get(message.tier or "", "grey"), "title": {"tag": "plain_text", "content": r.title}},
        "elements": elements,
    }


class FeishuChannel:
    flavour = "feishu"

    def __init__(self, name: str, *, webhook_url: str, secret: str | None = None, timeout: float = 15.0,
                 clock: Any = time.time):
        self.name = name
        self._url = webhook_url
        self._secret = secret
        self._timeout = timeout
        self._clock = clock

    def send(self, message: Outbound, renderer: Renderer) -> DeliveryResult:
        body: dict[str, Any] = {"msg_type": "interactive", "card": build_card(message, renderer)}
        if self._secret:
            ts = int(self._clock())
            body["timestamp"] = str(ts)
            body["sign"] = sign(self._secret, ts)
        try:
            resp = httpx.post(self._url, json=body, timeout=self._timeout)
        except httpx.HTTPError as exc:
            return DeliveryResult.temporary(f"feishu {self.name}: network error ({exc.__class__.__name__})")
        if resp.status_code == 429:
            after = resp.headers.get("Retry-After") or resp.headers.get("x-ogw-ratelimit-reset")
            return DeliveryResult.temporary(f"feishu {self.name}: rate limited", float(after) if after and after.isdigit() else None)
        if resp.status_code >= 500:
            return DeliveryResult.temporary(f"feishu {self.name}: HTTP {resp.status_code}")
        try:
            data = resp.json()
        except ValueError:
            return DeliveryResult.temporary(f"feishu {self.name}: HTTP {resp.status_code}, answer is not JSON")
        code = data.get("code", data.get("StatusCode", 0))
        if resp.status_code == 200 and code == 0:
            return DeliveryResult.success()
        msg = str(data.get("msg") or data.get("StatusMessage") or "")[:120]
        if code in TEMPORARY_CODES:
            return DeliveryResult.temporary(f"feishu {self.name}: code {code} {msg}")
        return DeliveryResult.permanent(f"feishu {self.name}: refused (code {code} {msg})")
