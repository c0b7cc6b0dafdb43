"""The time budget of a gait analysis: how much of a long video is analysed, and what to tell the user.

A walk lasts seconds; a long recording (a 10-minute clip, a camera left running) costs minutes
of model time per minute of video and rarely holds more useful walking. By default only the first
:data:`DEFAULT_MAX_SECONDS` of video are analysed; the cut is announced before the analysis and
carried as a warning in its result, never silent.
"""

from __future__ import annotations

from core.limits import DEFAULT_MAX_SECONDS, check_max_seconds
from core.video.probe import VideoInfo

__all__ = ["DEFAULT_MAX_SECONDS", "check_max_seconds", "cut_at_s", "cut_message"]


def cut_at_s(info: VideoInfo, max_seconds: float | None) -> float | None:
    """Where the analysis stops (seconds), None when the whole video fits the budget."""
    budget = check_max_seconds(max_seconds)
    return budget if budget is not None and info.duration_s > budget else None


def cut_message(info: VideoInfo, cut_s: float, name: str = "the video") -> str:
    """One line saying what was left out and how to get it."""
    return (
        f"only the first {cut_s:g} s of the {info.duration_s:.0f} s of {name} were analysed "
        "(time budget --max-seconds); trim the video to the walk, or raise the budget "
        "(0 = no limit) to analyse the rest"
    )
