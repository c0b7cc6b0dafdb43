"""Video: defensive probing, sampled decoding with real timestamps, one frame by index (checked
seek), decode-ahead, subject strip, overlay writer, the time budget of long videos.

``from core.video import probe_video, iter_frames, prefetch, write_overlay_video, VideoInfo, Frame``.
"""

from __future__ import annotations

from core.video.budget import DEFAULT_MAX_SECONDS, check_max_seconds, cut_at_s, cut_message
from core.video.frames import Frame, iter_frames
from core.video.prefetch import prefetch
from core.video.probe import NoFrameRate, VideoInfo, check_video_limits, probe_video
from core.video.seek import frame_at
from core.video.strip import subject_strip
from core.video.writer import write_overlay_video

__all__ = [
    "DEFAULT_MAX_SECONDS",
    "Frame",
    "NoFrameRate",
    "VideoInfo",
    "check_max_seconds",
    "check_video_limits",
    "cut_at_s",
    "cut_message",
    "frame_at",
    "iter_frames",
    "prefetch",
    "probe_video",
    "subject_strip",
    "write_overlay_video",
]
