"""The TCP guard walks every socket of the process: sockets that are not TCP over IP (the
recogniser service's Unix socket, a socketpair) must be skipped, not crash the engine's sweep."""

from __future__ import annotations

import socket

from ivr.sip.tcpguard import accepted_connections, defer_accept


def test_unix_stream_sockets_are_skipped_by_the_sweep_and_defer_accept() -> None:
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = listener.accept()
        try:
            found = accepted_connections([port])
            assert ("127.0.0.1", client.getsockname()[1]) in found
            assert defer_accept([port]) == 1
        finally:
            client.close()
            accepted.close()
    finally:
        listener.close()
        left.close()
        right.close()
