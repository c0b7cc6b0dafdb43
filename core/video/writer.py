"""Write annotated frames as a video every browser plays: H.264 (yuv420p) in MP4 with +faststart.

Encoded by the ffmpeg binary that the ``imageio-ffmpeg`` wheel bundles (it includes libx264), so
there is no system dependency. OpenCV's own writer is not used: its ``mp4v`` output does not play
in browsers, and its wheels have no H.264 encoder. yuv420p (not 4:4:4) and the moov atom at the
front (+faststart) are what Safari and progressive playback need.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from core.errors import InputError
from core.types import check_rgb
from core.video.frames import Frame

#: libx264 constant-rate factor: 18-23 looks clean for overlays; lower is larger and better.
DEFAULT_CRF = 20


def _as_rgb(frame: Frame | np.ndarray, i: int) -> np.ndarray:
    return check_rgb(
        np.asarray(frame.rgb if isinstance(frame, Frame) else frame), name=f"frame {i}"
    )


def _even(rgb: np.ndarray) -> np.ndarray:
    # yuv420p halves the chroma resolution, so both sides must be even: repeat the last row/column
    # rather than rescale (rescaling would move every overlay line by a fraction of a pixel).
    h, w = rgb.shape[:2]
    if h % 2 or w % 2:
        rgb = np.pad(rgb, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
    return np.ascontiguousarray(rgb)


def write_overlay_video(
    frames: Iterable[Frame | np.ndarray],
    path: str | Path,
    fps: float,
    *,
    crf: int = DEFAULT_CRF,
) -> Path:
    """Encode RGB frames to a browser-playable H.264 MP4.

    Parameters
    ----------
    frames : iterable of (H, W, 3) uint8 RGB arrays or Frame
        All of the same size; consumed lazily (one frame in memory at a time).
    path : str or Path
        Output file; must end in ``.mp4``. Written to a temporary file beside it and renamed at
        the end, so a failure never leaves a half-written video at ``path``.
    fps : float > 0
        Playback frame rate (for sampled frames: the video's fps / ``every``).
    crf : int in [0, 51]
        libx264 quality (lower is better).

    Returns
    -------
    Path of the written file. Odd widths/heights are padded by one repeated row/column.

    Raises
    ------
    InputError
        No frames, frames of different sizes or types, bad fps/crf/suffix, or the encoder failed.
    """
    out = Path(path)
    if out.suffix.lower() != ".mp4":
        raise InputError(f"overlay video path must end in .mp4 (H.264 MP4), got {out.name!r}")
    if not (np.isfinite(fps) and fps > 0):
        raise InputError(f"fps must be a positive number, got {fps}")
    if not 0 <= int(crf) <= 51:
        raise InputError(f"crf must be within 0-51, got {crf}")
    try:
        import imageio_ffmpeg
    except ImportError:
        raise InputError(
            "writing overlay videos needs the imageio-ffmpeg package: pip install imageio-ffmpeg"
        ) from None

    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(suffix=".mp4", prefix=".partial-", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    writer = None
    size: tuple[int, int] | None = None
    try:
        for i, frame in enumerate(frames):
            rgb = _as_rgb(frame, i)
            if size is None or writer is None:
                size = rgb.shape[1], rgb.shape[0]
                even = _even(rgb)
                writer = imageio_ffmpeg.write_frames(
                    str(tmp),
                    (even.shape[1], even.shape[0]),
                    fps=float(fps),
                    codec="libx264",
                    pix_fmt_in="rgb24",
                    pix_fmt_out="yuv420p",
                    quality=None,  # our own -crf below
                    macro_block_size=2,  # we already made the size even; never let it rescale
                    ffmpeg_log_level="error",
                    output_params=[
                        "-crf",
                        str(int(crf)),
                        "-preset",
                        "veryfast",
                        "-movflags",
                        "+faststart",
                    ],
                )
                writer.send(None)  # start the ffmpeg process
            elif (rgb.shape[1], rgb.shape[0]) != size:
                raise InputError(
                    f"frame {i} is {rgb.shape[1]}x{rgb.shape[0]}, the first was {size[0]}x{size[1]}"
                )
            writer.send(_even(rgb).tobytes())
        if writer is None:
            raise InputError("no frames to write: the overlay video would be empty")
        writer.close()
        writer = None
        os.replace(tmp, out)
    except (OSError, RuntimeError) as exc:
        raise InputError(f"encoding {out.name} failed: {exc}") from exc
    finally:
        if writer is not None:
            # The ffmpeg process may already be gone; the original error is the one to report.
            with contextlib.suppress(Exception):
                writer.close()
        tmp.unlink(missing_ok=True)
    return out
