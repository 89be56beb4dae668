"""A local HTTP server that serves recorded responses for spider tests.

Routes map a path (optionally with its query string) to a list of answers served in
turn (the last one repeats): ``(status, content_type, body)`` or a fixture file name.
Every request is recorded. Loopback only, random port, a daemon thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
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

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            state.requests.append({"path": unquote(self.path), "headers": dict(self.headers)})
            status, ctype, body = state.answer(self.path)
            data = body.encode() if isinstance(body, str) else body
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            if status == 429:
                self.send_header("Retry-After", "1")
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
