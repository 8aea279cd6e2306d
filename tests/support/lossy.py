"""An HTTP proxy that loses answers: it forwards each request to the service, then, for the first few,
drops the connection instead of answering, as a network failing on the way back does; or answers the
first few itself with the 503 a service gives while its database is away, forwarding nothing."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

KEPT_HEADERS = ("content-type", "idempotent-replayed")


class LossyProxy:
    """`with LossyProxy(upstream, lose=1) as proxy:` then send to `proxy.url`; `proxy.answers` holds
    every answer the service gave, lost or delivered (not the proxy's own 503s)."""

    def __init__(self, upstream: str, *, lose: int = 0, unavailable: int = 0) -> None:
        self.upstream = upstream.rstrip("/")
        self.lose = lose
        self.unavailable = unavailable
        self.answers: list[httpx.Response] = []
        proxy = self

        class Forward(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                if proxy.unavailable > 0:
                    proxy.unavailable -= 1
                    self.send_response(503)
                    self.send_header("content-type", "application/problem+json")
                    self.send_header("retry-after", "1")
                    refusal = b'{"type": "urn:kh:spean:problem:unavailable", "status": 503}'
                    self.send_header("content-length", str(len(refusal)))
                    self.end_headers()
                    self.wfile.write(refusal)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                answer = httpx.post(proxy.upstream + self.path, content=body, headers=headers, timeout=60)
                proxy.answers.append(answer)
                if len(proxy.answers) <= proxy.lose:
                    self.close_connection = True
                    return
                self.send_response(answer.status_code)
                for name in KEPT_HEADERS:
                    if name in answer.headers:
                        self.send_header(name, answer.headers[name])
                self.send_header("content-length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> LossyProxy:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()
