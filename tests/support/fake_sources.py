"""Fake source sites: recorded responses for spider tests, and a Weibo-like pager that hangs.

Routes map a path (optionally with its query string) to a list of answers served in
turn (the last one repeats): ``(status, content_type, body)`` or a fixture file name.
Every request is recorded. Loopback only, random port, a daemon thread.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from tests.support.loopback import Loopback, QuietHandler

FIXTURES = Path(__file__).parent.parent / "fixtures" / "sources"
Answer = tuple[int, str, bytes | str]

TYPES = {".json": "application/json", ".xml": "application/rss+xml", ".html": "text/html; charset=utf-8", ".atom": "application/atom+xml"}


def fixture(name: str, status: int = 200) -> Answer:
    path = FIXTURES / name
    return status, TYPES.get(path.suffix, "application/octet-stream"), path.read_bytes()


class SourceServer:
    def __init__(self) -> None:
        self.routes: dict[str, list[Answer]] = {}
        self.requests: list[dict[str, Any]] = []
        self.url = ""

    def route(self, path: str, *answers: Answer | str) -> None:
        self.routes[path] = [fixture(a) if isinstance(a, str) else a for a in answers]

    def answer(self, raw_path: str) -> Answer:
        path = unquote(raw_path)
        for key in (path, path.split("?")[0]):
            if key in self.routes:
                answers = self.routes[key]
                return answers.pop(0) if len(answers) > 1 else answers[0]
        return 404, "text/plain", b"not found"


@contextmanager
def source_server() -> Iterator[SourceServer]:
    state = SourceServer()

    class Handler(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802
            state.requests.append({"path": unquote(self.path), "headers": dict(self.headers)})
            status, ctype, body = state.answer(self.path)
            data = body.encode() if isinstance(body, str) else body
            self.answer(status, data, ctype, {"Retry-After": "1"} if status == 429 else None)

    server = Loopback(Handler)
    state.url = server.url
    try:
        yield state
    finally:
        server.close()


class SlowPager:
    """Serves weibo-like search pages; page 2 only after a long pause (a crawl to kill)."""

    def __init__(self, pause: float):
        self.pause = pause
        self.release = threading.Event()
        self.page_2_asked = threading.Event()  # the crawl has parsed page 1 and asks for page 2
        outer = self

        class Handler(QuietHandler):
            def do_GET(self):
                page = int(self.path.rsplit("page=", 1)[-1]) if "page=" in self.path else 1
                if page == 2:
                    outer.page_2_asked.set()
                if page == 2 and not outer.release.is_set():
                    outer.release.wait(outer.pause)
                cards = [{"card_type": 9, "mblog": {"id": str(page * 100 + i), "text": f"手镯之家 第{page}页 {i}", "created_at": "刚刚",
                                                     "reposts_count": 1, "user": {"id": i, "screen_name": "u"}}} for i in range(10)]
                self.answer(200, json.dumps({"ok": 1, "data": {"cards": cards if page <= 2 else []}}).encode())

        self.server = Loopback(Handler)
        self.url = self.server.url

    def close(self):
        self.release.set()
        self.server.close()
