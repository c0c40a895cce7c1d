"""Serving the console: in its own process (`ivr console`) or beside a running agent
(`ivr serve --admin-port`), where the agent supplies /health (and /metrics) itself."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ivr.console.app import Console, create_app

STARTUP_TIMEOUT_S = 20.0


def agent_app(
    console: Console | None, health: Callable[[], tuple[int, dict[str, Any]]],
    metrics: Callable[[], bytes] | None = None,
) -> Starlette:
    """The agent's admin port: the console when there is a ticket database, with the agent's
    own /health (status code and body) and /metrics (Prometheus text, ivr.ops.metrics)
    answering for the process."""

    async def agent_health(request: Request) -> Response:
        status, body = health()
        return JSONResponse(body, status_code=status)

    agent_metrics = None
    if metrics is not None:
        produce = metrics

        async def agent_metrics(request: Request) -> Response:
            from ivr.ops.metrics import CONTENT_TYPE

            return Response(produce(), media_type=CONTENT_TYPE)

    if console is None:
        routes = [Route("/health", agent_health)]
        if agent_metrics is not None:
            routes.append(Route("/metrics", agent_metrics))
        return Starlette(routes=routes)
    return create_app(console, health=agent_health, metrics=agent_metrics)


class BackgroundServer:
    """uvicorn on a daemon thread (signals stay with the agent's main thread)."""

    def __init__(self, app: Any, bind: str, port: int):
        import uvicorn

        self.server = uvicorn.Server(
            uvicorn.Config(app, host=bind, port=port, log_level="warning", access_log=False)
        )
        self.thread = threading.Thread(target=self.server.run, name="admin-http", daemon=True)
        self.on_stop: list[Callable[[], None]] = []

    def start(self) -> BackgroundServer:
        self.thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise OSError("the admin/console HTTP server did not start (port in use?)")
            time.sleep(0.02)
        return self

    @property
    def port(self) -> int:
        servers = getattr(self.server, "servers", [])
        for server in servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return int(self.server.config.port)

    def shutdown(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        for stop in self.on_stop:
            stop()
