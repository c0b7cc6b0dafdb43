"""Open a video defensively and describe it: size, frame rate, frame count, rotation, codec.

Every way a file can fail to be a usable video becomes one ``InputError`` a user can act on:
missing, empty, not a video, no video stream, zero frames, too long or too large.
"""

from __future__ import annotations

import math
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import cv2

from core.errors import InputError
from core.imaging.decode import check_user_file, pixels_text
from core.limits import MAX_IMAGE_PIXELS, MAX_VIDEO_FRAMES

# FourCC tags as OpenCV reports them -> the codec name people know.
_CODEC_NAMES = {
    "avc1": "h264",
    "h264": "h264",
    "x264": "h264",
    "hev1": "hevc",
    "hvc1": "hevc",
    "hevc": "hevc",
    "vp90": "vp9",
    "vp09": "vp9",
    "vp80": "vp8",
    "av01": "av1",
    "mp4v": "mpeg4",
    "mjpg": "mjpeg",
}


@dataclass(frozen=True)
class VideoInfo:
    """What a video holds, as displayed (rotation applied to width/height).

    width, height: pixels; fps: frames per second (nominal, from the container); n_frames: count
    from the container header; duration_s: n_frames / fps, seconds; rotation_deg: the rotation
    metadata (0, 90, 180, 270) that decoding applies; codec: e.g. "h264", "vp9".
    """

    width: int
    height: int
    fps: float
    n_frames: int
    duration_s: float
    rotation_deg: int
    codec: str
    #: True when the header states no frame rate and ``fps`` is the one the user gave; frame
    #: times are then index / fps (the demuxer's own clock assumed a rate it made up).
    fps_given: bool = False


#: Frame rates taken as stated; outside them (0, 1e-6, 1e6 ...) the header is treated as stating none.
MIN_FPS, MAX_FPS = 1.0, 1000.0


class NoFrameRate(InputError):
    """The video states no usable frame rate and none was given (the Gait page then asks for one)."""


def _y4m_header(path: Path) -> bytes | None:
    """The first line of a YUV4MPEG2 file, None for any other file."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(256)
    except OSError:
        return None
    return head.split(b"\n", 1)[0] if head.startswith(b"YUV4MPEG2") else None


def _y4m_rate(header: bytes) -> float | None:
    """The ``F<num>:<den>`` rate of a YUV4MPEG2 header; None when absent or not positive."""
    for token in header.split()[1:]:
        if token.startswith(b"F"):
            num, _, den = token[1:].partition(b":")
            try:
                n, d = int(num), int(den)
            except ValueError:
                return None
            return n / d if n > 0 and d > 0 else None
    return None


def stated_fps(path: Path | None, reported: float) -> float | None:
    """The frame rate the file states (OpenCV's ``reported`` reading, checked); None when none.

    ffmpeg reads a YUV4MPEG2 header with no rate or ``F0:1`` as 25 fps without saying so, so that
    header is read here; any other rate outside [MIN_FPS, MAX_FPS] (0, NaN, 1e6) counts as none.
    """
    header = _y4m_header(path) if path is not None else None
    if header is not None:
        rate = _y4m_rate(header)
        if rate is None:
            return None
        reported = rate
    return reported if math.isfinite(reported) and MIN_FPS <= reported <= MAX_FPS else None


def check_given_fps(fps: float) -> float:
    """A frame rate the user typed, as a float; ``InputError`` when it is not one."""
    try:
        value = float(fps)
    except (TypeError, ValueError):
        raise InputError(f"the frame rate must be a number, got {fps!r}") from None
    if not (math.isfinite(value) and MIN_FPS <= value <= MAX_FPS):
        raise InputError(
            f"the frame rate must be between {MIN_FPS:g} and {MAX_FPS:g} fps, got {fps!r}"
        )
    return value


def _diagnose(path: Path) -> str:
    """Why OpenCV could not open ``path``, from ffmpeg's own reading of the container."""
    try:
        import imageio_ffmpeg

        exe = imageio_ffmpeg.get_ffmpeg_exe()
        # ffmpeg with only an input lists the streams on stderr and exits; it decodes nothing.
        text = subprocess.run(
            [exe, "-hide_banner", "-i", str(path)], capture_output=True, text=True, timeout=30
        ).stderr
    except (ImportError, OSError, RuntimeError, subprocess.SubprocessError):
        return "is not a video file OpenCV can read"
    if re.search(r"Stream #\S+.*: Video:", text):
        return "has a video stream but zero decodable frames"
    if re.search(r"Stream #\S+.*: (Audio|Subtitle|Data):", text):
        return "has no video stream"
    if "Input #0" in text:  # ffmpeg understood the container, and it holds no stream at all
        return "holds no streams (zero frames)"
    return "is not a video file (the container is not recognised)"


def open_capture(path: str | Path) -> cv2.VideoCapture:
    """An opened ``cv2.VideoCapture`` with rotation metadata honoured, or ``InputError``."""
    p = Path(path)
    # Only regular files: a FIFO would block the decoder forever, /dev/zero would never end.
    if check_user_file(p, kind="video file") == 0:
        raise InputError(f"{p.name} is empty (0 bytes)")
    cap = cv2.VideoCapture(str(p), cv2.CAP_FFMPEG)
    if not cap.isOpened():
        cap.release()
        raise InputError(f"{p.name} {_diagnose(p)}")
    # Phones store portrait video as landscape + a rotation tag; decode it the way it is shown.
    cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    if cap.get(cv2.CAP_PROP_FRAME_WIDTH) <= 0 or cap.get(cv2.CAP_PROP_FRAME_HEIGHT) <= 0:
        cap.release()
        raise InputError(f"{p.name} has no video stream")
    return cap


def _codec(cap: cv2.VideoCapture) -> str:
    tag = int(cap.get(cv2.CAP_PROP_FOURCC)) & 0xFFFFFFFF
    text = tag.to_bytes(4, "little").decode("ascii", errors="replace").strip("\x00 ").lower()
    return _CODEC_NAMES.get(text, text or "unknown")


def info_from_capture(
    cap: cv2.VideoCapture, name: str, *, path: Path | None = None, fps: float | None = None
) -> VideoInfo:
    """Read a :class:`VideoInfo` from an opened capture (does not move its position).

    ``fps``: the frame rate to use when the video (at ``path``) states none; refused when it
    states another one. Without it, a video that states none raises :class:`NoFrameRate`.
    """
    stated = stated_fps(path, float(cap.get(cv2.CAP_PROP_FPS)))
    given = None if fps is None else check_given_fps(fps)
    n = int(round(cap.get(cv2.CAP_PROP_FRAME_COUNT)))
    if stated is not None and given is not None and abs(stated - given) > 1e-3 * stated:
        raise InputError(
            f"{name} states {stated:g} fps; a frame rate is only given for a video that states none"
        )
    fps = stated if stated is not None else given
    if fps is None:
        raise NoFrameRate(
            f"{name} does not state a frame rate; give it (`gait --fps 30`, or the frame-rate "
            "box of the Gait page) or re-encode the video (e.g. to MP4)"
        )
    if n <= 0:
        raise InputError(f"{name} has zero frames")
    return VideoInfo(
        width=int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
        height=int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
        fps=fps,
        n_frames=n,
        duration_s=n / fps,
        rotation_deg=int(round(cap.get(cv2.CAP_PROP_ORIENTATION_META))) % 360,
        codec=_codec(cap),
        fps_given=stated is None,
    )


def probe_video(path: str | Path, *, fps: float | None = None) -> VideoInfo:
    """Describe a video file without decoding its frames.

    ``fps``: the frame rate of a video whose header states none (see :func:`info_from_capture`).

    Raises
    ------
    InputError
        Missing or empty file, not a regular file, not a video, no video stream, zero frames;
        ``NoFrameRate`` (an InputError) when it states no frame rate and ``fps`` is not given.

    Examples
    --------
    >>> info = probe_video("walking.mp4")  # doctest: +SKIP
    >>> info.width, info.height, info.fps
    (1768, 994, 30.0)
    """
    cap = open_capture(path)
    try:
        return info_from_capture(cap, Path(path).name, path=Path(path), fps=fps)
    finally:
        cap.release()


def check_video_limits(
    info: VideoInfo,
    *,
    start_s: float | None = None,
    end_s: float | None = None,
    max_frames: int = MAX_VIDEO_FRAMES,
    max_pixels: int = MAX_IMAGE_PIXELS,
    name: str = "the video",
) -> None:
    """Raise ``InputError`` when the part [start_s, end_s] of a video is longer or larger than the app processes.

    Defaults: ``core.limits`` (frames, and pixels per frame); callers with settings pass
    ``Settings.max_video_frames`` and ``Settings.max_image_pixels`` (this module reads none).
    """
    t0 = 0.0 if start_s is None else max(0.0, start_s)
    t1 = info.duration_s if end_s is None else min(info.duration_s, end_s)
    n = min(info.n_frames, int(round(max(0.0, t1 - t0) * info.fps)))
    if n > max_frames:
        raise InputError(
            f"{name} has {n} frames to decode ({n / info.fps:.0f} s at {info.fps:g} fps), over the "
            f"limit of {max_frames} frames ({max_frames / info.fps:.0f} s); trim it or analyse a part "
            "with start/end times"
        )
    if info.width * info.height > max_pixels:
        raise InputError(
            f"{name} frames are {info.width}x{info.height} = {pixels_text(info.width * info.height)}, "
            f"over the {pixels_text(max_pixels)} limit"
        )
