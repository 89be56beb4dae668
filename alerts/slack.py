"""Slack: a bot token and channel (``chat.postMessage``) or an incoming webhook.

Messages use Block Kit inside an attachment so the colour bar shows the tier. The API
base URL and the webhook URL are configurable (proxies, tests). Answers are judged by
``alerts.http.outcome``: 429 is retried after its Retry-After; 5xx, Slack's "busy" errors
and network faults are retried with backoff; refusals such as ``channel_not_found`` or
``invalid_auth`` are permanent.

With a bot token, each message carries its idempotency key as Slack message metadata,
so a message whose first send had an unknown outcome (the process died mid-request) is
looked up in the channel's recent history before it is sent again: no visible duplicate.
That needs the ``channels:history`` (or ``groups:history``) scope; without it, or with an
incoming webhook (which cannot read back), the message is sent again — at most one
duplicate.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from alerts.base import DeliveryResult, Outbound
from alerts.http import Answer, network_failure, outcome
from alerts.render import Renderer, escape_slack
from monitor.config import Config, SlackChannelConfig
from monitor.presentation import tier_colour

METADATA_EVENT = "repmon_notification"
HISTORY_LOOKBACK = 200  # messages read back when checking for an earlier send
SECTION_LIMIT = 2900  # Slack allows 3000 characters per section text
# Errors Slack may send with a 200 that mean "try again later", not "no".
TEMPORARY_ERRORS = {"ratelimited", "service_unavailable", "fatal_error", "internal_error", "request_timeout"}


def _sections(text: str) -> list[dict[str, Any]]:
    blocks = []
    chunk = ""
    for line in text.splitlines():
        if len(chunk) + len(line) + 1 > SECTION_LIMIT:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk or " "}})
            chunk = ""
        chunk += line[:SECTION_LIMIT] + "\n"
    if chunk.strip():
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
    return blocks


def build_message(message: Outbound, renderer: Renderer) -> dict[str, Any]:
    """``text`` (notification fallback) and ``attachments`` with Block Kit blocks."""
    r = renderer.render(message.payload, mention_all="<!channel>" if message.mention_all else "")
    # The title is plain text: as it is in the header (plain_text), escaped in the
    # notification text (which Slack reads as mrkdwn).
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": r.title[:150], "emoji": True}}]
    blocks += _sections(r.body)
    if r.statement:
        blocks.append({"type": "divider"})
        quoted = "\n".join("> " + line if line.strip() else ">" for line in r.statement.splitlines())
        blocks += _sections("*Draft statement*\n" + quoted)
    url = renderer.variables(message.payload).get("incident_url")
    if url:
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Open incident"}, "url": url}]})
    return {"text": escape_slack(r.title), "attachments": [{"color": tier_colour(message.tier), "blocks": blocks[:50]}]}


class SlackChannel:
    config_model = SlackChannelConfig
    flavour = "slack"

    def __init__(self, name: str, *, token: str | None = None, channel: str | None = None, webhook_url: str | None = None,
                 base_url: str = "https://slack.com/api/", timeout: float = 15.0):
        self.name = name
        self.channel = channel
        if webhook_url:
            self._webhook: WebhookClient | None = WebhookClient(webhook_url, timeout=int(timeout))
            self._client: WebClient | None = None
        else:
            self._webhook = None
            self._client = WebClient(token=token, base_url=base_url if base_url.endswith("/") else base_url + "/", timeout=int(timeout))
        self._who = f"slack {name}"

    @classmethod
    def from_config(cls, name: str, cfg: SlackChannelConfig, config: Config) -> "SlackChannel":
        """The Slack channel ``name``: a bot token and channel, or an incoming webhook."""
        return cls(
            name,
            token=cfg.token.get_secret_value() if cfg.token else None,
            channel=cfg.channel,
            webhook_url=cfg.webhook_url.get_secret_value() if cfg.webhook_url else None,
            base_url=cfg.base_url,
            timeout=cfg.timeout.total_seconds(),
        )

    def send(self, message: Outbound, renderer: Renderer) -> DeliveryResult:
        body = build_message(message, renderer)
        try:
            if self._webhook is not None:
                return self._send_webhook(body)
            return self._send_api(body, message.key)
        except OSError as exc:  # connection refused, DNS, timeout
            return network_failure(self._who, exc)

    def already_delivered(self, message: Outbound) -> bool | None:
        """Whether a message with this key is already in the channel (``None``: cannot tell)."""
        if self._client is None:
            return None
        try:
            resp = self._client.conversations_history(channel=self.channel, limit=HISTORY_LOOKBACK, include_all_metadata=True)
        except (SlackApiError, OSError):
            return None  # no history scope, rate limited, network: send again rather than risk losing it
        for msg in resp.get("messages") or []:
            meta = msg.get("metadata") or {}
            if meta.get("event_type") == METADATA_EVENT and (meta.get("event_payload") or {}).get("key") == message.key:
                return True
        return False

    def _send_api(self, body: dict[str, Any], key: str) -> DeliveryResult:
        assert self._client is not None
        try:
            self._client.chat_postMessage(channel=self.channel, text=body["text"], attachments=body["attachments"],
                                          unfurl_links=False, unfurl_media=False,
                                          metadata={"event_type": METADATA_EVENT, "event_payload": {"key": key}})
        except SlackApiError as exc:
            # slack_sdk raises for an error HTTP status and for a 200 with ``ok: false`` alike;
            # the latter is a refusal even without an error name.
            status = exc.response.status_code
            data = exc.response.data if isinstance(exc.response.data, dict) else {}
            error = data.get("error") or ("ok: false" if 200 <= status < 300 else None)
            return outcome(self._who, Answer(status, exc.response.headers, error), temporary_errors=TEMPORARY_ERRORS)
        return DeliveryResult.success()

    def _send_webhook(self, body: dict[str, Any]) -> DeliveryResult:
        assert self._webhook is not None
        resp = self._webhook.send(text=body["text"], attachments=body["attachments"])
        # A webhook answers 200 "ok", or an error status with the error name as plain text.
        error = None if 200 <= resp.status_code < 300 else (str(resp.body or "")[:80] or None)
        return outcome(self._who, Answer(resp.status_code, resp.headers, error), temporary_errors=TEMPORARY_ERRORS)
