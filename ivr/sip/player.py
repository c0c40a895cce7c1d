"""Frame-accurate playback queue, fed with int16 PCM and drained one frame per media tick.

Pure Python (no pjsua2): the media port calls :meth:`FramePlayer.next_frame` on the pjsua2 media
thread every frame; the session calls :meth:`play` and :meth:`stop` from its own thread. The
done-callback runs on the media thread, so it must only hand the news on (e.g. put it on a queue).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass

DoneCallback = Callable[[Hashable, int, bool], None]
"""``(tag, t_frames, completed)``: t_frames is the frame count at which the buffer ended;
completed is False when :meth:`FramePlayer.stop` cut it (barge-in)."""


@dataclass
class _Item:
    pcm: bytes
    tag: Hashable
    offset: int = 0


class FramePlayer:
    """Queue of PCM buffers played back to back, frame by frame; silence when idle."""

    def __init__(self, bytes_per_frame: int, on_done: DoneCallback | None = None) -> None:
        if bytes_per_frame <= 0 or bytes_per_frame % 2:
            raise ValueError(f"bytes_per_frame must be positive and even, not {bytes_per_frame}")
        self.bytes_per_frame = bytes_per_frame
        self.on_done = on_done
        self._silence = bytes(bytes_per_frame)
        self._queue: deque[_Item] = deque()
        self._lock = threading.Lock()
        self._t_frames = 0

    @property
    def t_frames(self) -> int:
        """Frames handed out so far (the playback clock)."""
        return self._t_frames

    @property
    def is_playing(self) -> bool:
        """True while a buffer is queued or partly played."""
        with self._lock:
            return bool(self._queue)

    def play(self, pcm: bytes, tag: Hashable = None) -> None:
        """Queue ``pcm`` (16-bit mono at the port's rate) after whatever is playing."""
        if len(pcm) % 2:
            raise ValueError("pcm must hold whole 16-bit samples (even byte count)")
        with self._lock:
            self._queue.append(_Item(bytes(pcm), tag))

    def stop(self) -> list[Hashable]:
        """Cut playback now (barge-in); returns the tags that were dropped, in order."""
        with self._lock:
            items = list(self._queue)
            self._queue.clear()
            t_now = self._t_frames
        for item in items:
            self._notify(item.tag, t_now, completed=False)
        return [item.tag for item in items]

    def next_frame(self) -> bytes:
        """The next frame to send: queued audio (zero-padded at a buffer's end) or silence."""
        finished: list[_Item] = []
        with self._lock:
            self._t_frames += 1
            if not self._queue:
                return self._silence
            chunk = b""
            need = self.bytes_per_frame
            while self._queue and need > 0:
                item = self._queue[0]
                take = item.pcm[item.offset : item.offset + need]
                item.offset += len(take)
                chunk += take
                need -= len(take)
                if item.offset >= len(item.pcm):
                    self._queue.popleft()
                    finished.append(item)
                    # A buffer ends within this frame: pad it rather than splice the next one
                    # in, so each buffer starts on a frame boundary (frame-accurate tags).
                    break
            t_now = self._t_frames
        for item in finished:
            self._notify(item.tag, t_now, completed=True)
        if len(chunk) < self.bytes_per_frame:
            chunk += self._silence[: self.bytes_per_frame - len(chunk)]
        return chunk

    def _notify(self, tag: Hashable, t_frames: int, *, completed: bool) -> None:
        callback = self.on_done
        if callback is not None:
            callback(tag, t_frames, completed)
