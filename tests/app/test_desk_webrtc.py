"""The browser camera's frame callback without a browser: rate limit, queue, drawing, and the
hand-over to the work period's watcher, on synthetic frames with the fake backend."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from core.app import desk_ui
from core.app import desk_webrtc as web
from core.backends.fake import FakeBackend, standing_skeleton
from core.measure.desk_watch import TRACKS, WatchConfig

W, H = 320, 240
NECK = TRACKS.index(("neck", ""))


class Clock:
    """Seconds advanced by hand; steps of 0.25 s are exact in binary, so no rounding at 0.5 s."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def bent_neck() -> dict[str, tuple[float, float]]:
    """The standing skeleton with the nose 0.08 body heights forward of the mid-shoulder point,
    0.10 above it: neck flexion atan(0.08 / 0.10) = 38.7 degrees, in the ">20° flexion" band."""
    person = standing_skeleton(W, H)
    mid_x, mid_y = person["neck"][0], person["left_shoulder"][1]
    tall = 0.8 * H
    person["nose"] = (mid_x + 0.08 * tall, mid_y - 0.10 * tall)
    return person


def make_meter(people=None, **kwargs) -> tuple[web.FrameMeter, list[FakeBackend], Clock]:  # noqa: ANN001
    made: list[FakeBackend] = []
    clock = Clock()

    def factory() -> FakeBackend:
        made.append(FakeBackend(people))
        return made[-1]

    kwargs.setdefault("view", "front")
    return web.FrameMeter(factory, clock=clock, **kwargs), made, clock


def frames(n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.integers(0, 60, (H, W, 3), dtype=np.uint8) for _ in range(n)]


def test_at_most_one_frame_per_period_is_measured_the_rest_pass_through() -> None:
    meter, made, clock = make_meter(every_s=0.5)
    for frame in frames(10):  # 0, 0.25, ..., 2.25 s: measured at 0, 0.5, 1.0, 1.5, 2.0
        meter.process(frame)
        clock.t += 0.25
    samples = meter.drain()
    assert [s.time_s for s in samples] == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert meter.measured == 5 and meter.passed == 5
    assert len(made) == 1 and made[0].calls >= 5  # one backend of its own, made on first use
    assert all(s.person for s in samples) and meter.drain() == []  # drained means emptied
    # A standing person seen from the front: neck upright, in the "0-10°" band (fake skeleton).
    assert all(abs(s.angles[NECK]) < 10 for s in samples)


def test_nobody_in_view_queues_nan_angles_and_shows_the_frame_as_it_came() -> None:
    meter, _, _ = make_meter(people=[])
    frame = frames(1)[0]
    out = meter.process(frame)
    (sample,) = meter.drain()
    assert not sample.person and np.isnan(sample.angles).all()
    np.testing.assert_array_equal(out, frame)
    assert out is not frame


def test_the_last_measured_pose_and_bands_are_drawn_on_every_frame() -> None:
    meter, _, clock = make_meter(every_s=10.0)
    first, second = frames(2)
    before = second.copy()
    drawn_first = meter.process(first)
    clock.t += 1.0  # not measured (10 s rate), still drawn with the last pose
    drawn_second = meter.process(second)
    assert meter.measured == 1 and meter.passed == 1
    np.testing.assert_array_equal(second, before)  # the input frame is left alone
    for frame, drawn in ((first, drawn_first), (second, drawn_second)):
        changed = np.any(drawn != frame, axis=2)
        assert drawn.shape == frame.shape and drawn.dtype == np.uint8
        assert changed[:40, :60].mean() > 0.5  # the bands' dark box in the top-left corner
        # The skeleton: pixels changed around the centre column, where the fake person stands.
        assert changed[:, W // 2 - 40 : W // 2 + 40].sum() > 200


def test_band_text_is_ascii_for_opencv() -> None:
    meter, _, _ = make_meter(people=[bent_neck()])
    meter.process(frames(1)[0])
    _, items = meter._shown
    lines = [web.band_text(i) for i in items]
    assert lines[0].startswith("neck 39 deg: >20 flexion (RULA 3)"), lines
    assert all(line.isascii() for line in lines)


def test_a_full_queue_keeps_the_newest_samples() -> None:
    meter, _, clock = make_meter(every_s=0.25, max_samples=3)
    for frame in frames(5):
        meter.process(frame)
        clock.t += 0.25
    assert [s.time_s for s in meter.drain()] == [0.5, 0.75, 1.0]


def test_close_releases_the_backend_and_the_next_frame_makes_a_new_one() -> None:
    meter, made, clock = make_meter(every_s=0.25)
    meter.process(frames(1)[0])
    meter.close()
    assert meter._shown is None
    clock.t += 0.25
    meter.process(frames(1)[0])
    assert len(made) == 2 and meter.backend_info["backend"] == "fake (test double)"


def test_a_backend_that_will_not_load_is_an_error_and_frames_still_pass() -> None:
    from core.errors import ModelNotAvailable

    def factory():  # noqa: ANN202
        raise ModelNotAvailable("lite model files missing; run python -m core fetch lite")

    clock = Clock()
    meter = web.FrameMeter(factory, clock=clock)
    frame = frames(1)[0]
    np.testing.assert_array_equal(meter.process(frame), frame)
    assert "fetch lite" in meter.error and meter.drain() == []
    meter._make_backend = FakeBackend  # the files are there now: the next measured frame clears it
    clock.t += 1.0
    meter.process(frame)
    assert meter.error == "" and len(meter.drain()) == 1


def test_the_callback_takes_and_returns_video_frames() -> None:
    av = pytest.importorskip("av")
    meter, _, _ = make_meter()
    frame = av.VideoFrame.from_ndarray(frames(1)[0], format="rgb24")
    out = meter(frame)
    assert (out.width, out.height, out.format.name) == (W, H, "rgb24")
    assert len(meter.drain()) == 1


def test_samples_from_the_stream_thread_reach_the_period_and_a_held_strain_alerts() -> None:
    """The callback in its own thread, the page draining in this one, as in the app: a neck held
    at 38.7 degrees (above its neutral 0-10° band) for 4 s alerts once, at the 3 s set."""
    meter, _, clock = make_meter(people=[bent_neck()], every_s=0.5)
    config = WatchConfig(window_s=1.0, alert_after_s=3.0)
    period = desk_ui.Period(desk_ui.DeskWatch(config), None, web.SOURCE, desk_ui.utc_now())
    done = threading.Event()

    def stream() -> None:
        for frame in frames(17):  # 0 .. 4 s in steps of 0.25 s: measured every 0.5 s
            meter.process(frame)
            clock.t += 0.25
        done.set()

    thread = threading.Thread(target=stream)
    thread.start()
    events = []
    while not done.is_set() or not meter.samples.empty():
        events += web.feed(period, meter.drain())
    thread.join()
    events += web.feed(period, meter.drain())
    # Every frame holds the same angle, so the smoothed neck is 38.7 from the first frame (t = 0),
    # and the first frame at or after 3 s of strain is the one at 3.0 s.
    neck = [e for e in events if e.part == "neck"]
    assert [(e.kind, e.time_s) for e in neck] == [("alert", 3.0)]
    assert period.alerts and period.alerts[0].band == ">20° flexion"
    assert math.isclose(period.watch.end_s, 4.0) and period.person


def test_the_ice_configuration_is_an_empty_server_list_each_time() -> None:
    a, b = web.rtc_configuration(), web.rtc_configuration()
    assert a == {"iceServers": []} and a is not b  # a caller cannot change the next one


def test_a_browser_period_is_saved_with_its_source_and_the_meter_backend() -> None:
    from core.store import Store
    from tests.app.helpers import make_subject

    subject_id = make_subject()
    meter, _, clock = make_meter(people=[bent_neck()], every_s=0.5)
    period = desk_ui.Period(
        desk_ui.DeskWatch(WatchConfig(window_s=1.0, alert_after_s=1.0)), None, web.SOURCE, "t0"
    )
    for frame in frames(8):
        meter.process(frame)
        clock.t += 0.25
    web.feed(period, meter.drain())
    with Store() as store:
        subject = store.get_subject(subject_id)
        sid = desk_ui.save(store, subject, period, meter.backend_info, "browser")
        (session,) = store.list_sessions(subject_id)
        params = session.params
    assert session.id == sid and session.kind == "desk" and params["source"] == "browser camera"
    assert period.ended


def test_each_new_alert_is_announced_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.measure.desk_watch import Event

    shown: list[str] = []
    monkeypatch.setattr(desk_ui.st, "toast", lambda text, **kw: shown.append(text))
    desk_ui.announce(
        [
            Event("alert", "neck", "", 3.0, 3.0, ">20° flexion", 38.7),
            Event("recovered", "trunk", "", 3.0, 9.0, "0-20° flexion", 12.0),
        ]
    )
    assert shown == ["ALERT: neck outside its neutral band for 3 s"]
