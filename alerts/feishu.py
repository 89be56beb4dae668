"""Feishu / Lark custom bot webhook with an interactive card whose header follows the tier.

Signing follows Feishu's custom-bot documentation: ``sign = base64(HMAC-SHA256(key =
f"{timestamp}\\n{secret}", message = b""))``, sent with ``timestamp`` (seconds) in the body.
Feishu answers most errors as HTTP 200 with a non-zero ``code``: those are failures,
judged like every HTTP channel's answer by ``alerts.http.outcome`` (rate-limit and "busy"
codes are retried, the others are permanent).
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
from alerts.http import RETRY_AFTER, Answer, network_failure, outcome
from alerts.render import Renderer
from monitor.config import Config, FeishuChannelConfig

HEADER_TEMPLATE = {"yellow": "yellow", "orange": "orange", "red": "red"}
# Feishu's documented "too many requests" and "server busy" style codes: retry later.
TEMPORARY_CODES = {9499, 11232, 11233, 11247, 99991400}
# Feishu's gateway says when a rate limit resets in its own header too (seconds).
RETRY_AFTER_HEADERS = (RETRY_AFTER, "x-ogw-ratelimit-reset")


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
    config_model = FeishuChannelConfig
    flavour = "feishu"

    def __init__(self, name: str, *, webhook_url: str, secret: str | None = None, timeout: float = 15.0,
                 clock: Any = time.time):
        self.name = name
        self._url = webhook_url
        self._secret = secret
        self._timeout = timeout
        self._clock = clock
        self._who = f"feishu {name}"

    @classmethod
    def from_config(cls, name: str, cfg: FeishuChannelConfig, config: Config) -> "FeishuChannel":
        """The Feishu channel ``name``: its webhook, signed when a secret is set."""
        return cls(
            name,
            webhook_url=cfg.webhook_url.get_secret_value(),
            secret=cfg.secret.get_secret_value() if cfg.secret else None,
            timeout=cfg.timeout.total_seconds(),
        )

    def send(self, message: Outbound, renderer: Renderer) -> DeliveryResult:
        body: dict[str, Any] = {"msg_type": "interactive", "card": build_card(message, renderer)}
        if self._secret:
            ts = int(self._clock())
            body["timestamp"] = str(ts)
            body["sign"] = sign(self._secret, ts)
        try:
            resp = httpx.post(self._url, json=body, timeout=self._timeout)
        except httpx.HTTPError as exc:
            return network_failure(self._who, exc)
        return outcome(self._who, read_answer(resp), temporary_errors=TEMPORARY_CODES, retry_after_headers=RETRY_AFTER_HEADERS)


def read_answer(resp: httpx.Response) -> Answer:
    """Feishu's answer: ``code`` (``StatusCode`` on older endpoints) 0 is success."""
    try:
        data = resp.json()
    except ValueError:
        return Answer(resp.status_code, resp.headers, readable=False)
    if not isinstance(data, dict):
        return Answer(resp.status_code, resp.headers, readable=False)
    code = data.get("code", data.get("StatusCode", 0))
    if not isinstance(code, (int, str)):
        code = str(code)  # not a documented shape; shown as given, never retried
    message = str(data.get("msg") or data.get("StatusMessage") or "")[:120]
    return Answer(resp.status_code, resp.headers, code if code != 0 else None, message)
