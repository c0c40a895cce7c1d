"""Create and retire many media ports while the conference clock ticks (run as a subprocess).

Every port in the pjmedia conference gets ``onFrameReceived`` each 20 ms tick, connected or not.
Ports are retired the way finished calls retire them and buried with no retire delay, so each
one is destroyed while the media thread is busy calling the others, and a busy Python thread
makes each of its callbacks wait for the GIL (as call sessions do), which widens the window.
Prints ``churned N``.
``--drop`` drops retired ports by reference instead (the old, unsafe way) to measure the race.
"""

from __future__ import annotations

import queue
import sys
import threading
import time

import ivr.sip.engine as engine_mod
from ivr.sip.call import FRAMES_IN_MAX_COUNT
from ivr.sip.config import SipConfig
from ivr.sip.engine import SipEngine
from ivr.sip.player import FramePlayer
from ivr.sip.port import CallMediaPort

LIVE_COUNT = 8


def main() -> int:
    rounds = int(sys.argv[1])
    drop = "--drop" in sys.argv
    engine_mod.PORT_RETIRE_S = 0.0
    engine = SipEngine(SipConfig(bind_address="127.0.0.1", port=0, transports=("udp",)))
    engine.start()
    live: list[CallMediaPort] = []
    seq = iter(range(10**9))

    def churn() -> None:
        port = CallMediaPort(FramePlayer(engine.config.bytes_per_frame),
                             queue.Queue(FRAMES_IN_MAX_COUNT))
        port.open(f"churn{next(seq)}", engine.config.clock_rate_hz, engine.config.frame_ms)
        live.append(port)
        if len(live) > LIVE_COUNT:
            old = live.pop(0)
            old.detach()
            if drop:
                del old  # last reference gone: the pre-fix teardown
            else:
                engine._retire_port(old)

    stop = threading.Event()

    def busy() -> None:  # a session's Python work: the media thread waits for the GIL
        while not stop.is_set():
            sum(range(2000))

    spinner = threading.Thread(target=busy, daemon=True)
    spinner.start()
    try:
        for _ in range(rounds):
            engine.submit(churn).result(5)
            time.sleep(0.002)
        def retire_all() -> None:
            for port in live:
                port.detach()
                if not drop:
                    engine._retire_port(port)
            live.clear()

        engine.submit(retire_all).result(5)
    finally:
        stop.set()
        spinner.join()
        engine.stop()
    print(f"churned {rounds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
