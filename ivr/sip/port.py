"""The per-call media port: moves 20 ms PCM frames between pjsua2 and Python.

Both callbacks run on the pjsua2 media (conference clock) thread. Receiving copies the frame with
one ctypes read and puts it on a bounded queue; sending pops a prepared frame from the
:class:`FramePlayer` and writes it into a reused ByteVector. Nothing else happens here.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable

import pjsua2 as pj

from ivr.sip.fastbuf import read_bytes, write_bytes
from ivr.sip.player import FramePlayer

logger = logging.getLogger(__name__)

FRAMES_IN_MAX_COUNT = 1500  # 30 s of 20 ms frames; older frames are dropped when nobody reads
FrameHook = Callable[[bytes, int], None]


class CallMediaPort(pj.AudioMediaPort):
    """AudioMediaPort bound to one call's FramePlayer and frames_in queue."""

    def __init__(
        self,
        player: FramePlayer,
        frames_in: queue.Queue[tuple[int, bytes]],
        on_frame: FrameHook | None = None,
    ) -> None:
        self.detached = False  # set first: pjsua2 may call back as soon as the port exists
        super().__init__()
        self.player = player
        self.frames_in = frames_in
        self.on_frame = on_frame
        self.bytes_per_frame = player.bytes_per_frame
        self.rx_frames = 0
        self.dropped_frames = 0
        self._out = pj.ByteVector(bytes(self.bytes_per_frame))

    def open(self, name: str, clock_rate_hz: int, frame_ms: int) -> None:
        """Create the underlying conference port (pjsua thread only)."""
        fmt = pj.MediaFormatAudio()
        fmt.type = pj.PJMEDIA_TYPE_AUDIO
        fmt.clockRate = clock_rate_hz
        fmt.channelCount = 1
        fmt.bitsPerSample = 16
        fmt.frameTimeUsec = frame_ms * 1000
        fmt.avgBps = clock_rate_hz * 16
        fmt.maxBps = clock_rate_hz * 16
        self.createPort(name, fmt)

    def detach(self) -> None:
        """Make both callbacks inert (the call is gone); the port is destroyed later."""
        self.detached = True
        self.on_frame = None

    def destroy(self) -> None:
        """Delete the C++ port (engine thread) while this Python object is still whole.

        The conference calls ``onFrameReceived`` on every port every tick, connected or not, so
        the callbacks only stop once the C++ port is removed. Dropping the last reference
        instead would first clear this object's ``__dict__`` and then, with the GIL released,
        remove the port: a media tick in that window runs ``onFrameReceived`` on a dying object
        (AttributeError on ``detached`` that keeps a freed object alive), which corrupts
        memory and later crashed or froze the agent under short-call load. Deleting the C++
        object explicitly keeps ``detached`` readable until the last callback; SWIG disowns
        the pointer, so the later Python deallocation deletes nothing.
        """
        self.detach()
        if self.this.own():
            pj._pjsua2.delete_AudioMediaPort(self)

    def onFrameRequested(self, frame: pj.MediaFrame) -> None:
        if self.detached:
            return
        try:
            write_bytes(self._out, self.player.next_frame())
            frame.buf = self._out
            frame.size = self.bytes_per_frame
            frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
        except Exception:
            logger.exception("playback frame failed")

    def onFrameReceived(self, frame: pj.MediaFrame) -> None:
        if self.detached:
            return
        try:
            if frame.type != pj.PJMEDIA_FRAME_TYPE_AUDIO:
                return
            pcm = read_bytes(frame.buf)
            if len(pcm) != self.bytes_per_frame:
                return
            t_frames = self.rx_frames
            self.rx_frames += 1
            try:
                self.frames_in.put_nowait((t_frames, pcm))
            except queue.Full:
                try:
                    self.frames_in.get_nowait()
                except queue.Empty:
                    pass
                self.dropped_frames += 1
                self.frames_in.put_nowait((t_frames, pcm))
            hook = self.on_frame
            if hook is not None:
                hook(pcm, t_frames)
        except Exception:
            logger.exception("received frame failed")
