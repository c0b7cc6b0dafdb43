"""What a caller asks of a posture or gait session: the typed options of ``core.sessions.make``."""

from __future__ import annotations

from dataclasses import dataclass

from core.limits import DEFAULT_MAX_SECONDS, check_max_seconds

#: ``core.measure.view.DEFAULT_VIEW`` (a test holds them equal): named here, not imported, because
#: the store reads this module and importing ``core.measure`` would load scipy into every command.
DEFAULT_VIEW = "auto"


@dataclass(frozen=True)
class PostureOptions:
    """view: a ``core.measure.view.VIEW_CHOICES`` entry; fast: skip the flip test (one pose
    pass instead of the photo and its mirror: Sapiens2, and the lite backend since its flip test); point: (x, y) pixels, the
    person to measure instead of the largest."""

    view: str = DEFAULT_VIEW
    fast: bool = False
    point: tuple[float, float] | None = None


@dataclass(frozen=True)
class GaitOptions:
    """every: analyse every N-th frame; fps: the frame rate of a video whose header states none;
    max_seconds: the time budget (None or 0: the whole video); height_m: the subject's height
    (step lengths in metres); batch: frames per pose call (speed only, not part of the key);
    fast: skip the lite backend's flip test on the frames (half the time; joint-angle curves less
    steady: docs/VALIDATION.md, section 6)."""

    every: int = 1
    fps: float | None = None
    max_seconds: float | None = DEFAULT_MAX_SECONDS
    height_m: float | None = None
    batch: int = 1
    fast: bool = False

    def budget_s(self) -> float | None:
        """The time budget as the analysis reads it: None for "the whole video" (None or 0)."""
        return check_max_seconds(self.max_seconds)
