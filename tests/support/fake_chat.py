"""Local HTTP servers that stand in for Slack and Feishu and record what they receive.

Loopback only, random ports, each in a daemon thread; ``behaviour`` lets a test make
them answer 429 (with Retry-After), 500, ``ok: false`` or Feishu's ``code != 0``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs

from tests.support.loopback import Loopback, QuietHandler


class Recorder:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        # A list of answers to give before answering normally: "429", "500", "refuse".
        self.script: list[str] = []
        self.down = False  # answer 503 to everything while True
        # Slack's conversations.history: what was posted, newest first, with its metadata;
        # ``history_error`` makes it refuse (e.g. "missing_scope").
        self.history_error: str | None = None
        self.lock = threading.Lock()

    def next_answer(self) -> str:
        with self.lock:
            if self.down:
                return "503"
            return self.script.pop(0) if self.script else "ok"


def _handler(recorder: Recorder, kind: str, secret: str | None):
    class Handler(QuietHandler):
        def _body(self) -> dict[str, Any]:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            ctype = self.headers.get("Content-Type", "")
            if "json" in ctype:
                return json.loads(raw or "{}")
            return {k: v[0] for k, v in parse_qs(raw).items()}

        def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            self.answer(status, json.dumps(body).encode(), headers=headers)

        def _history(self, body: dict[str, Any]) -> None:
            recorder.requests.append({"path": self.path, "body": body, "headers": dict(self.headers), "answer": "ok"})
            if recorder.history_error:
                return self._send(200, {"ok": False, "error": recorder.history_error})
            posted = [r["body"] for r in recorder.requests if r["path"].endswith("chat.postMessage") and r["answer"] == "ok"]
            messages = [{"type": "message", "text": b.get("text"), "ts": f"1700000000.{i:06d}", "metadata": b.get("metadata")}
                        for i, b in enumerate(posted)]
            return self._send(200, {"ok": True, "messages": messages[::-1], "has_more": False})

        def do_GET(self) -> None:  # noqa: N802
            self._history({k: v[0] for k, v in parse_qs(self.path.partition("?")[2]).items()})

        def do_POST(self) -> None:  # noqa: N802
            body = self._body()
            if "conversations.history" in self.path:  # slack_sdk sends it as a form POST
                return self._history(body)
            answer = recorder.next_answer()
            entry = {"path": self.path, "body": body, "headers": dict(self.headers), "answer": answer}
            if answer == "429":
                recorder.requests.append(entry)
                return self._send(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "7"})
            if answer in ("500", "503"):
                recorder.requests.append(entry)
                return self._send(int(answer), {"ok": False, "error": "internal_error"})
            if kind == "feishu":
                if answer == "refuse":
                    recorder.requests.append(entry)
                    return self._send(200, {"code": 19024, "msg": "Key Words Not Found", "data": {}})
                if secret is not None:
                    ts = int(body.get("timestamp", "0"))
                    key = f"{ts}\n{secret}".encode()
                    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
                    entry["signed"] = body.get("sign") == expected
                    if not entry["signed"]:
                        recorder.requests.append(entry)
                        return self._send(200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"})
                recorder.requests.append(entry)
                return self._send(200, {"code": 0, "msg": "success", "data": {}})
            # Slack Web API or incoming webhook
            if answer == "refuse":
                recorder.requests.append(entry)
                return self._send(200, {"ok": False, "error": "channel_not_found"})
            recorder.requests.append(entry)
            if self.path.startswith("/hook"):
                data = b"ok"
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(data)
                return
            return self._send(200, {"ok": True, "channel": body.get("channel"), "ts": "1700000000.000100"})

    return Handler


@contextmanager
def fake_server(kind: str, secret: str | None = None) -> Iterator[tuple[str, Recorder]]:
    """(base URL, recorder) of a fake ``slack`` or ``feishu`` server on 127.0.0.1."""
    recorder = Recorder()
    server = Loopback(_handler(recorder, kind, secret))
    try:
        yield server.url, recorder
    finally:
        server.close()
