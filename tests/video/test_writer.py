"""write_overlay_video: the written file decodes back as H.264 yuv420p with every frame."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import InputError
from core.video import Frame, iter_frames, probe_video, write_overlay_video


def _frames(n: int, h: int = 49, w: int = 65):
    for i in range(n):
        rgb = np.zeros((h, w, 3), np.uint8)
        rgb[:, : w // 2] = (0, 0, 255)  # blue left half
        rgb[0, 0] = (i * 10, 0, 0)
        yield rgb


def test_round_trip_codec_and_frame_count(tmp_path):
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    path = write_overlay_video(_frames(12), tmp_path / "out" / "overlay.mp4", fps=10)
    assert path == tmp_path / "out" / "overlay.mp4"
    info = probe_video(path)
    # Odd 65x49 is padded by one column and row to 66x50 for yuv420p.
    assert (info.codec, info.n_frames, info.width, info.height, info.fps) == (
        "h264",
        12,
        66,
        50,
        10.0,
    )
    decoded = list(iter_frames(path))
    assert len(decoded) == 12
    b = decoded[5].rgb[25, 10].astype(int)
    assert b[2] > 200 and b[0] < 40  # still blue, so the channels were not swapped
    meta = next(imageio_ffmpeg.read_frames(str(path)))
    assert meta["codec"] == "h264" and meta["pix_fmt"].startswith("yuv420p")
    head = path.read_bytes()
    assert head.index(b"moov") < head.index(b"mdat")  # +faststart: playable while downloading
    assert [p.name for p in path.parent.iterdir()] == ["overlay.mp4"]  # no partial file left


def test_accepts_frame_objects(tmp_path):
    frames = (Frame(i, i / 5, rgb) for i, rgb in enumerate(_frames(3, 32, 32)))
    assert probe_video(write_overlay_video(frames, tmp_path / "f.mp4", fps=5)).n_frames == 3


def test_failures_leave_no_file(tmp_path):
    with pytest.raises(InputError, match="no frames"):
        write_overlay_video([], tmp_path / "empty.mp4", fps=10)

    def mixed():
        yield np.zeros((32, 32, 3), np.uint8)
        yield np.zeros((16, 32, 3), np.uint8)

    with pytest.raises(InputError, match="frame 1 is 32x16, the first was 32x32"):
        write_overlay_video(mixed(), tmp_path / "mixed.mp4", fps=10)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "kw", "message"),
    [
        ("a.webm", {"fps": 10}, r"\.mp4"),
        ("a.mp4", {"fps": 0}, "fps"),
        ("a.mp4", {"fps": 10, "crf": 99}, "crf"),
    ],
)
def test_bad_options(tmp_path, name, kw, message):
    with pytest.raises(InputError, match=message):
        write_overlay_video(_frames(1), tmp_path / name, **kw)


def test_bad_frames(tmp_path):
    with pytest.raises(InputError, match="uint8"):
        write_overlay_video([np.zeros((8, 8, 3), np.float32)], tmp_path / "x.mp4", fps=10)
