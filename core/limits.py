"""The default input limits, one definition each: ``core.config`` reads overrides of them from the
environment, and ``core.imaging`` / ``core.video`` take them as parameters (they read no settings).
"""

#: Decoded images (and video frames) with more pixels than this are refused.
MAX_IMAGE_PIXELS = 100_000_000
#: Videos with more frames than this to decode are refused (10 min at 30 fps).
MAX_VIDEO_FRAMES = 18_000
#: Seconds of video a gait analysis reads by default (5 minutes: dozens of passes across a room).
DEFAULT_MAX_SECONDS = 300.0
