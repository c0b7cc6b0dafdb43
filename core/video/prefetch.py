"""Decode ahead: run a frame iterator in a background thread so decoding overlaps inference.

OpenCV's decoder and MediaPipe's inference both release the GIL, so on a 2-core CPU the next
frames are decoded on the second core while the current one is analysed. Frames are produced
once, in order, and handed over without copies; at most ``depth`` wait in memory.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterable
from typing import TypeVar

T = TypeVar("T")

_DONE = object()
#: How often a blocked producer looks whether the consumer has gone (seconds).
_POLL_S = 0.1


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def prefetch(items: Iterable[T], *, depth: int = 4) -> Generator[T, None, None]:
    """Yield the items of ``items`` in order while a background thread produces the next ones.

    Parameters
    ----------
    items : any iterable, e.g. ``iter_frames(path)``; it is iterated (and closed) in the thread.
    depth : most items produced ahead of the consumer (each 1080p frame is about 5 MB).

    An exception raised by ``items`` is raised here, at the position it happened. When the
    consumer stops early (``break``, an exception, ``close()``), the thread stops at its next
    item and closes ``items`` (for ``iter_frames``: releases the video file).

    Examples
    --------
    >>> [f.index for f in prefetch(iter_frames("walk.mp4"), depth=2)][:3]  # doctest: +SKIP
    [0, 1, 2]
    """
    if int(depth) != depth or depth < 1:
        raise ValueError(f"depth must be a whole number >= 1, got {depth}")
    return _prefetched(items, int(depth))


def _prefetched(items: Iterable[T], depth: int) -> Generator[T, None, None]:
    # A separate generator so that prefetch() checks its arguments when called, not on first next().
    handoff: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        source = iter(items)
        try:
            for item in source:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            put(_Failure(exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="decode-ahead", daemon=True)
    worker.start()
    try:
        while True:
            item = handoff.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item  # type: ignore[misc]  # neither _DONE nor a _Failure: one of the items, a T
    finally:
        stop.set()
        worker.join()
