"""The admin endpoint: GET /health (JSON, 200/503) and GET /metrics (Prometheus text).

One per deployment: `ivr serve` runs it for its one agent; `ivr serve --workers N` runs it in
the supervisor for the whole set (front, every worker, the metrics of all of them).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger(__name__)

HealthFn = Callable[[], tuple[int, dict[str, Any]]]
MetricsFn = Callable[[], bytes]


def start_admin(bind: str, port: int, health: HealthFn, metrics: MetricsFn | None = None
                ) -> ThreadingHTTPServer:
    """Serve on bind:port from a daemon thread; ``shutdown()`` the result to stop."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            try:
                if path == "/health":
                    status, body = health()
                    self._send(status, "application/json", json.dumps(body).encode())
                elif path == "/metrics" and metrics is not None:
                    from ivr.ops.metrics import CONTENT_TYPE

                    self._send(200, CONTENT_TYPE, metrics())
                else:
                    self.send_error(404)
            except Exception:
                log.exception("admin: %s failed", path)
                self._send(500, "text/plain", b"internal error\n")

        def _send(self, status: int, content_type: str, data: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, fmt: str, *args: Any) -> None:
            log.debug("admin: " + fmt, *args)

    server = ThreadingHTTPServer((bind, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="admin-http", daemon=True).start()
    log.info("admin endpoint on http://%s:%d/health and /metrics", bind, port)
    return server
