"""probe_video on the real walking clip, rotation metadata, limits, and every bad file."""

from __future__ import annotations

import pytest

from core.errors import InputError
from core.video import VideoInfo, check_video_limits, probe_video
from tests.conftest import shared_path
from tests.video.conftest import run_ffmpeg

# 64x48 H.264, 10 fps, 5 frames of a white band on the left quarter (columns 0..15).
BAND = ("-f", "lavfi", "-i", "color=c=black:s=64x48:r=10,drawbox=x=0:y=0:w=16:h=48:c=white:t=fill")


def test_walking_clip():
    info = probe_video(shared_path("data", "walking_side_view.mp4"))
    # shared/data/SOURCES.md: 1768x994, 30 fps, 230 frames (7.67 s), VP9.
    assert info == VideoInfo(1768, 994, 30.0, 230, 230 / 30.0, 0, "vp9")


def test_rotation_metadata_is_reported_and_applied(make_video, ffmpeg, tmp_path):
    from core.video import iter_frames

    src = make_video("band.mp4", *BAND, "-frames:v", "5", "-c:v", "libx264", "-pix_fmt", "yuv420p")
    rotated = tmp_path / "rotated.mp4"
    # A display matrix of 90 degrees counter-clockwise, as a phone held upright writes it.
    run_ffmpeg(ffmpeg, "-display_rotation", "90", "-i", str(src), "-c", "copy", str(rotated))
    info = probe_video(rotated)
    assert (info.width, info.height, info.n_frames, info.codec) == (48, 64, 5, "h264")
    assert info.rotation_deg in (90, 270)
    rgb = next(iter_frames(rotated)).rgb
    # Turning 90 degrees counter-clockwise moves the left band to the bottom rows.
    assert rgb.shape == (64, 48, 3)
    assert rgb[60, 24].min() > 200 and rgb[10, 24].max() < 50


def test_limits():
    info = VideoInfo(1768, 994, 30.0, 230, 230 / 30.0, 0, "vp9")
    with pytest.raises(InputError, match="230 frames to decode .* over the limit of 100 frames"):
        check_video_limits(info, max_frames=100, max_pixels=10**8)
    # Only 2.0 s .. 4.0 s analysed: 60 frames fit under 100.
    check_video_limits(info, start_s=2.0, end_s=4.0, max_frames=100, max_pixels=10**8)
    with pytest.raises(InputError, match=r"1768x994 = 2 Mpx, over the 1 Mpx limit"):
        check_video_limits(info, max_frames=1000, max_pixels=1_000_000)


def test_limits_default_to_the_settings_defaults_and_the_analysis_passes_the_settings(monkeypatch):
    # core.video reads no settings (it sits below core.config): its defaults are the ones the
    # settings start from, and the gait analysis passes the configured values in.
    from core.analysis import _plan
    from core.config import Settings

    assert (Settings.max_video_frames, Settings.max_image_pixels) == (18_000, 100_000_000)
    check_video_limits(VideoInfo(64, 48, 10.0, 60, 6.0, 0, "h264"))  # 60 frames < 18 000
    with pytest.raises(InputError, match="limit of 18000 frames"):
        check_video_limits(VideoInfo(64, 48, 10.0, 18_001, 1800.1, 0, "h264"))
    monkeypatch.setenv("SAPIENS_MEASURE_MAX_VIDEO_FRAMES", "50")
    frames = _plan(shared_path("data", "walking_side_view.mp4"), 1, None, None).frames
    with pytest.raises(InputError, match="230 frames to decode .* over the limit of 50 frames"):
        next(frames)


def test_zero_frame_video(make_video):
    empty = make_video("empty.mp4", *BAND, "-frames:v", "0", "-c:v", "libx264")
    with pytest.raises(InputError, match="empty.mp4 holds no streams"):
        probe_video(empty)


def test_audio_only_file(make_video):
    wav = make_video("tone.wav", "-f", "lavfi", "-i", "sine=d=0.2")
    with pytest.raises(InputError, match="tone.wav has no video stream"):
        probe_video(wav)


def test_not_a_video(tmp_path):
    fake = tmp_path / "clip.mp4"
    fake.write_text("definitely not a movie")
    with pytest.raises(InputError, match="clip.mp4 is not a video file"):
        probe_video(fake)


def test_missing_empty_and_folder(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        probe_video(tmp_path / "nope.mp4")
    (tmp_path / "zero.mp4").write_bytes(b"")
    with pytest.raises(InputError, match=r"zero.mp4 is empty \(0 bytes\)"):
        probe_video(tmp_path / "zero.mp4")
    with pytest.raises(InputError, match="is a folder"):
        probe_video(tmp_path)
