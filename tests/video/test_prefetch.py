"""prefetch: decode-ahead keeps order, raises the producer's errors and stops with its consumer."""

from __future__ import annotations

import threading

import pytest

from core.video import iter_frames, prefetch
from tests.conftest import shared_path


def test_order_and_every_item_once():
    assert list(prefetch(range(100), depth=3)) == list(range(100))
    assert list(prefetch([], depth=1)) == []


def test_producer_error_is_raised_where_it_happened():
    def items():
        yield 1
        yield 2
        raise ValueError("frame 3 is broken")

    got = []
    with pytest.raises(ValueError, match="frame 3 is broken"):
        for item in prefetch(items()):
            got.append(item)
    assert got == [1, 2]


def test_early_stop_closes_the_source_and_ends_the_thread():
    closed = threading.Event()

    def endless():
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.set()

    before = threading.active_count()
    stream = prefetch(endless(), depth=2)
    assert [next(stream) for _ in range(5)] == [0, 1, 2, 3, 4]
    stream.close()
    assert closed.wait(5.0)
    assert threading.active_count() == before


def test_bad_depth_is_refused_at_the_call():
    with pytest.raises(ValueError, match="depth"):
        prefetch(range(3), depth=0)


def test_frames_equal_the_sequential_ones():
    path = shared_path("data", "walking_side_view.mp4")
    ahead = [
        (f.index, f.time_s, f.rgb[::97, ::89].copy()) for f in prefetch(iter_frames(path, every=25))
    ]
    plain = [(f.index, f.time_s, f.rgb[::97, ::89].copy()) for f in iter_frames(path, every=25)]
    assert [a[:2] for a in ahead] == [p[:2] for p in plain]
    assert all((a[2] == p[2]).all() for a, p in zip(ahead, plain))
