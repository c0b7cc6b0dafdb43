"""``core.analysis3d.gait_steps_3d``: a real video file is decoded, the seg and pointmap heads run on
the heel-strike frames only, and the steps come back in metres with their rows."""

from __future__ import annotations

from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from core.analysis3d import gait_steps_3d
from core.measure.gait_events import GaitEvent
from tests.scenes.fakes import ScenePointmap, SceneSeg
from tests.scenes.walk import walk_strikes

#: Grey level of video frame k: 20 + 35 k (up to 230), far apart so MJPG's rounding never confuses two.
FRAMES = 7
STRIKE_FRAMES = (1, 3, 5)


def _level(k: int) -> int:
    return 20 + 35 * k


class _ByLevel:
    """A head double that answers with the scene of the frame whose grey level it is shown."""

    def __init__(self, heads: dict[int, object]) -> None:
        self.heads, self.seen = heads, []
        self.name = next(iter(heads.values())).name

    def predict(self, image: np.ndarray):  # noqa: ANN201
        k = int(round((float(image.mean()) - 20) / 35))
        self.seen.append(k)
        return self.heads[k].predict(image)


@pytest.fixture(scope="module")
def walk():
    return walk_strikes(3)


def test_steps_from_strike_frames_only(tmp_path, walk):
    h, w = walk[0][1].class_map.shape
    path = tmp_path / "walk.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (w, h))
    for k in range(FRAMES):
        writer.write(np.full((h, w, 3), _level(k), np.uint8))
    writer.release()
    scenes = dict(zip(STRIKE_FRAMES, (scene for _, scene in walk), strict=True))
    seg = _ByLevel({k: SceneSeg(s) for k, s in scenes.items()})
    pointmap = _ByLevel({k: ScenePointmap(s) for k, s in scenes.items()})
    # The tracked series holds every frame; only the strike frames have the scene's keypoints.
    xy = np.full((FRAMES, *walk[0][1].xy.shape), np.nan)
    for k, scene in scenes.items():
        xy[k] = scene.xy
    strikes = [
        GaitEvent(k / 10.0, side, k) for k, (side, _) in zip(STRIKE_FRAMES, walk, strict=True)
    ]
    gait = SimpleNamespace(
        result=SimpleNamespace(heel_strikes=strikes),
        series=SimpleNamespace(frame_index=np.arange(FRAMES), xy=xy),
    )
    steps, rows = gait_steps_3d(path, gait, (seg, pointmap), height_m=1.75)
    assert seg.seen == list(STRIKE_FRAMES) and pointmap.seen == list(STRIKE_FRAMES)
    for k, (side, scene), (frame, s, value, _) in zip(
        STRIKE_FRAMES, walk, steps.per_strike, strict=True
    ):
        assert frame == k
        j = scene.skeleton.joints
        other = "right" if side == "left" else "left"
        truth = j[f"{side}_heel"][2] - j[f"{other}_heel"][2]
        assert s == side and abs(value - truth) < 0.01  # tests/measure/test_step3d.py TOL_M
    per = rows[rows.metric == "step_3d_m"]
    assert per.frame.tolist() == list(STRIKE_FRAMES) and (per.unit == "m").all()
    whole = rows[rows.metric == "step_length_3d_m"].set_index("side")["value"]
    assert set(whole.index) == {"left", "right"} and whole.notna().all()


def test_the_3d_time_estimate_follows_the_cpu_kind() -> None:
    # Measured: 12.5 s on an AMX Xeon against 32 s estimated from the EPYC (docs/PERFORMANCE.md),
    # and pose-0.4b in float32 at 0.092 TFLOP/s on an AVX2-only EPYC (the old table gave every
    # CPU without AMX the AVX512 EPYC's 0.155: an estimate 40 % short there).
    from core.analysis3d import cpu_kind, extra_seconds_3d

    amx = frozenset({"avx512_bf16", "amx_bf16", "amx_tile"})
    epyc = frozenset({"avx512f", "avx512_bf16"})
    avx2 = frozenset({"avx2", "fma"})
    assert cpu_kind(amx) == "amx" and cpu_kind(epyc) == "avx512_bf16"
    assert cpu_kind(avx2) == cpu_kind(frozenset()) == "avx2"  # unknown flags: the slowest kind
    on_amx = extra_seconds_3d("0.4b", "cpu", "bfloat16", flags=amx)
    on_epyc = extra_seconds_3d("0.4b", "cpu", "bfloat16", flags=epyc)
    assert on_amx is not None and on_epyc is not None and 10 < on_amx < 15 < 30 < on_epyc < 35
    f32_epyc = extra_seconds_3d("0.4b", "cpu", "float32", flags=epyc)
    f32_avx2 = extra_seconds_3d("0.4b", "cpu", "float32", flags=avx2)
    assert f32_epyc is not None and f32_avx2 is not None and 70 < f32_epyc < 85 < 120 < f32_avx2
    emulated = extra_seconds_3d("0.4b", "cpu", "bfloat16", flags=avx2)
    assert emulated is not None and emulated > 3600  # emulated bf16: hours, not seconds
    assert extra_seconds_3d("0.4b", "cuda", "bfloat16", flags=amx) is None  # not measured there


def test_the_estimate_reads_in_seconds_minutes_or_hours() -> None:
    # Emulated bf16 on an AVX2 CPU is estimated at ~9900 s: "about 9933 s more" says nothing at a
    # glance, "about 2.8 h more" does.
    from core.analysis3d import duration_words

    assert [duration_words(s) for s in (40.2, 99.4, 129.6, 5000.0, 9933.0)] == [
        "40 s",
        "99 s",
        "2 min",
        "83 min",
        "2.8 h",
    ]
