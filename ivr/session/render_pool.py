"""The process-wide pool where phrases with call variables are synthesised, off the call thread."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

RENDER_WORKERS_COUNT = 2
_render_pool_instance: ThreadPoolExecutor | None = None
_render_pool_lock = threading.Lock()


def render_pool() -> ThreadPoolExecutor:
    """Shared by the calls of a process: phrases with call variables are synthesised here."""
    global _render_pool_instance
    with _render_pool_lock:
        if _render_pool_instance is None:
            _render_pool_instance = ThreadPoolExecutor(
                RENDER_WORKERS_COUNT, thread_name_prefix="prompt-render"
            )
        return _render_pool_instance
