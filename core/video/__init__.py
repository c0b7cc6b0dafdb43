"""Video: defensive probing, sampled decoding with real timestamps, decode-ahead, subject strip,
overlay writer.

``from core.video import probe_video, iter_frames, prefetch, write_overlay_video, VideoInfo, Frame``.
"""

from __future__ import annotations

from core.video.frames import Frame, iter_frames
from core.video.prefetch import prefetch
from core.video.probe import NoFrameRate, VideoInfo, check_video_limits, probe_video
from core.video.strip import subject_strip
from core.video.writer import write_overlay_video

__all__ = [
    "Frame",
    "NoFrameRate",
    "VideoInfo",
    "check_video_limits",
    "iter_frames",
    "prefetch",
    "probe_video",
    "subject_strip",
    "write_overlay_video",
]
