"""Stand-in worker for scale tests: a bare pjsua2 agent that answers and holds calls.

It is a real SIP peer built on the same pjsua2 wheel as `ivr serve`, so it has the same call cap
(4, answered 486 by the library beyond it), answers OPTIONS like the agent, drains on SIGTERM
(503 to new calls, exits when the last call ends or after --drain-timeout-s) and logs SIGHUP.
Used until/unless the tests run real `ivr serve` workers (IVR_SCALE_WORKER=serve).

    python standin_worker.py --sip-port 5071 --bind 127.0.0.1 --worker-id 1
"""

from __future__ import annotations

import argparse
import gc
import signal
import sys
import time

import pjsua2 as pj

flags = {"term": False, "hup": False}


def log(worker_id: int, text: str) -> None:
    print(f"standin worker {worker_id}: {text}", file=sys.stderr, flush=True)


class Call(pj.Call):
    def __init__(self, acc: pj.Account, call_id: int, owner: Agent) -> None:
        super().__init__(acc, call_id)
        self.owner = owner

    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        info = self.getInfo()
        if info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.owner.ended.append(self)


class Account(pj.Account):
    def __init__(self, owner: Agent) -> None:
        super().__init__()
        self.owner = owner

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        call = Call(self, prm.callId, self.owner)
        op = pj.CallOpParam()
        if flags["term"]:
            op.statusCode = 503
            call.hangup(op)
            return
        self.owner.calls.add(call)
        op.statusCode = 200
        call.answer(op)
        self.owner.answered += 1
        log(self.owner.worker_id, f"answered call #{self.owner.answered} "
                                  f"({len(self.owner.calls)} up)")


class Agent:
    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id
        self.calls: set[Call] = set()
        self.ended: list[Call] = []
        self.answered = 0

    def prune(self) -> None:
        """Forget ended calls (no Call may outlive libDestroy: pjsua2 aborts)."""
        self.calls = {c for c in self.calls if c not in self.ended and c.isActive()}
        self.ended.clear()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sip-port", type=int, required=True)
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--worker-id", type=int, default=1)
    parser.add_argument("--drain-timeout-s", type=float, default=10.0)
    parser.add_argument("--exit-after-s", type=float, default=0.0,
                        help="crash on purpose after this many seconds (0 = never)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: flags.__setitem__("term", True))
    signal.signal(signal.SIGHUP, lambda *_: flags.__setitem__("hup", True))

    ep = pj.Endpoint()
    ep.libCreate()
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = True
    cfg.uaConfig.maxCalls = 4
    cfg.logConfig.level = 0
    cfg.logConfig.consoleLevel = 0
    cfg.medConfig.noVad = True
    ep.libInit(cfg)
    ep.audDevManager().setNullDev()
    tcfg = pj.TransportConfig()
    tcfg.port = args.sip_port
    tcfg.boundAddress = args.bind
    tcfg.publicAddress = args.bind
    ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tcfg)
    ep.libStart()
    agent = Agent(args.worker_id)
    acfg = pj.AccountConfig()
    acfg.idUri = f"sip:ivr@{args.bind}:{args.sip_port}"
    acc = Account(agent)
    acc.create(acfg)
    log(args.worker_id, f"listening on {args.bind}:{args.sip_port}")

    started = time.monotonic()
    drain_deadline: float | None = None
    while True:
        ep.libHandleEvents(20)
        agent.prune()
        if flags["hup"]:
            flags["hup"] = False
            log(args.worker_id, "SIGHUP: configuration reloaded")
        if args.exit_after_s and time.monotonic() - started > args.exit_after_s:
            log(args.worker_id, "exiting on purpose")
            return 3
        if flags["term"]:
            if drain_deadline is None:
                drain_deadline = time.monotonic() + args.drain_timeout_s
                log(args.worker_id, f"SIGTERM: draining {len(agent.calls)} call(s)")
            if not agent.calls or time.monotonic() > drain_deadline:
                break
    ep.hangupAllCalls()
    for _ in range(10):
        ep.libHandleEvents(20)
    agent.calls.clear()
    agent.ended.clear()
    del acc
    gc.collect()
    ep.libDestroy()
    log(args.worker_id, f"stopped after {agent.answered} call(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
