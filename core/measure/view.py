"""Which way the camera sees the subject, from the keypoints: front, back, left side or right side.

The one list of views every entry point offers (CLI, pages, batch) lives here. ``infer_view`` reads
the picture; ``core.measure.sides`` turns a requested view into the view used, with warnings and
the left/right correction of front and back views. Rules and thresholds: ``docs/MEASURES.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.keypoints import INDEX

#: Views a measurement accepts: "left"/"right" = that side of the subject toward the camera (they
#: face the image's left/right); "side" = a side view of either side.
MEASURE_VIEWS = ("front", "back", "left", "right", "side")
#: What a user may choose: "auto" infers the view from the picture (the default).
VIEW_CHOICES = ("auto", *MEASURE_VIEWS)
DEFAULT_VIEW = "auto"
VIEW_LABELS = {
    "auto": "Auto (from the picture)",
    "front": "Front",
    "back": "Back",
    "left": "Left side",
    "right": "Right side",
    "side": "Side (either)",
}
FRONTAL = ("front", "back")
SIDEWAYS = ("left", "right", "side")

#: Square-on adult, joint landmarks of a pose model: shoulder points about 0.8 trunk lengths apart
#: (shoulder joint centres ~0.23 H apart over a 0.288 H trunk, shoulder 0.818 H to hip 0.530 H:
#: Winter, Biomechanics and Motor Control of Human Movement, fig. 4.1); hip points about 0.5 (the
#: joint centres are ~0.34 trunk lengths apart, pose models put the hip points further out).
#: Rounded typical values: they scale a spread to a cosine of the body's turn, nothing finer.
SHOULDER_SPREAD = 0.8
HIP_SPREAD = 0.5
#: Body turn (degrees from square-on) below which the view is frontal, above which it is a side
#: view; in between the face decides when it is clearly turned, else the nearer of the two.
FRONTAL_MAX_DEG = 30.0
SIDE_MIN_DEG = 60.0
#: A face turned this far (nose against the ears) is a profile.
FACE_PROFILE_DEG = 45.0
#: Feet: toe below the heel by this share of the trunk length points the feet at the camera (a
#: foot ~0.5 trunk lengths long seen ~10 deg from above drops ~0.09); heel-to-toe x spread of a
#: side view beyond this share of the trunk length gives the facing direction.
FEET_DROP = 0.04
FEET_REACH = 0.1


@dataclass(frozen=True)
class ViewInference:
    """What the picture says.

    view: "front", "back", "left", "right", "side" (a side view whose facing is unknown) or None
    (too few points to tell). sure: the evidence agrees and the body is not oblique (False: the
    view is a best guess, see ``notes``). facing_sure: front against back (or left against right)
    is known, whether or not the body is oblique. body_turn_deg: the turn from square-on read from the shoulder/hip spread (0-90,
    NaN without a trunk); face_turn_deg: nose against the ears, positive = the face points toward
    the image's right (NaN without nose and ears). notes: why, in words.
    """

    view: str | None
    sure: bool
    facing_sure: bool
    body_turn_deg: float
    face_turn_deg: float
    notes: tuple[str, ...]


def _p(xy: np.ndarray, name: str) -> np.ndarray | None:
    p = xy[INDEX[name]]
    return p if np.all(np.isfinite(p)) else None


def _first(xy: np.ndarray, *names: str) -> np.ndarray | None:
    for name in names:
        p = _p(xy, name)
        if p is not None:
            return p
    return None


def trunk_length_px(xy: np.ndarray) -> float:
    """Mid-shoulder to mid-hip (the visible joints when one side is hidden), pixels; NaN if absent."""
    sh = _first(xy, "mid_shoulder", "left_shoulder", "right_shoulder")
    hip = _first(xy, "mid_hip", "left_hip", "right_hip")
    if sh is None or hip is None:
        return math.nan
    return float(np.hypot(*(sh - hip)))


def body_turn_deg(xy: np.ndarray) -> float:
    """How far the trunk is turned from square-on, 0-90 degrees, from the shoulder and hip spreads
    against the trunk length; NaN when neither pair or the trunk is seen."""
    length = trunk_length_px(xy)
    if not length > 0:
        return math.nan
    cosines = []
    for joint, spread in (("shoulder", SHOULDER_SPREAD), ("hip", HIP_SPREAD)):
        left, right = _p(xy, f"left_{joint}"), _p(xy, f"right_{joint}")
        if left is not None and right is not None:
            cosines.append(min(1.0, float(np.hypot(*(left - right))) / (spread * length)))
    return math.degrees(math.acos(float(np.mean(cosines)))) if cosines else math.nan


def face_turn_deg(xy: np.ndarray) -> float:
    """Head turn from the nose against the ears, (-90, 90), positive = face toward the image's right.

    A head seen turned by t puts the ears at ±r cos t about its centre and the nose r sin t ahead,
    so t = atan2(2 (nose - ear midpoint), ear spread). With one ear the other is hidden: ±90.
    NaN without the nose or without both ears.
    """
    nose, le, re = _p(xy, "nose"), _p(xy, "left_ear"), _p(xy, "right_ear")
    if nose is None or (le is None and re is None):
        return math.nan
    if le is None or re is None:
        ear = next(e for e in (le, re) if e is not None)
        dx = float(nose[0] - ear[0])
        return math.copysign(90.0, dx) if dx != 0 else math.nan
    mid = (le + re) / 2
    return math.degrees(math.atan2(2.0 * float(nose[0] - mid[0]), abs(float(le[0] - re[0]))))


def feet_forward_x(xy: np.ndarray, length: float) -> float:
    """+1 / -1 when the feet (heel to toe, summed over the feet seen) point clearly to the image's
    right / left, NaN otherwise (Sports2D decides its side the same way)."""
    total, seen = 0.0, False
    for side in ("left", "right"):
        heel, toe = _p(xy, f"{side}_heel"), _p(xy, f"{side}_big_toe")
        if heel is not None and toe is not None:
            total, seen = total + float(toe[0] - heel[0]), True
    if not seen or not length > 0 or abs(total) < FEET_REACH * length:
        return math.nan
    return math.copysign(1.0, total)


def feet_toward_camera(xy: np.ndarray, length: float) -> float:
    """+1 when the toes are clearly below the heels (the feet point at the camera), -1 when clearly
    above (they point away), NaN when the feet are not seen or the drop is small."""
    drops = []
    for side in ("left", "right"):
        heel, toe = _p(xy, f"{side}_heel"), _p(xy, f"{side}_big_toe")
        if heel is not None and toe is not None:
            drops.append(float(toe[1] - heel[1]))
    if not drops or not length > 0 or abs(float(np.mean(drops))) < FEET_DROP * length:
        return math.nan
    return math.copysign(1.0, float(np.mean(drops)))


def _frontal_facing(xy: np.ndarray, length: float) -> tuple[str, bool, list[str]]:
    """("front" or "back", sure, notes): a face seen votes front (2), a face not seen votes back
    (1: it may be hidden or pixelated), feet clearly toward or away from the camera vote 3."""
    nose, eyes = _p(xy, "nose"), [_p(xy, n) for n in ("left_eye", "right_eye")]
    face_seen = nose is not None and any(e is not None for e in eyes)
    face_hidden = nose is None and all(e is None for e in eyes)
    feet = feet_toward_camera(xy, length)
    score = 2.0 * face_seen - 1.0 * face_hidden + (3.0 * feet if np.isfinite(feet) else 0.0)
    notes = []
    if face_seen:
        notes.append("nose and eyes seen")
    elif face_hidden:
        notes.append("no nose or eyes seen")
    if np.isfinite(feet):
        notes.append("feet point " + ("toward" if feet > 0 else "away from") + " the camera")
    view = "front" if score >= 0 else "back"
    sure = abs(score) >= 2 and not (face_seen and np.isfinite(feet) and feet < 0)
    if not sure:
        notes.append("cannot tell for sure whether the subject faces the camera or turns away")
    return view, sure, notes


def _side_facing(xy: np.ndarray, face: float, length: float) -> tuple[str, bool, list[str]]:
    """("left", "right" or "side", sure, notes) from where the face and the feet point."""
    face_x = math.copysign(1.0, face) if abs(face) >= 20.0 else math.nan
    feet_x = feet_forward_x(xy, length)
    notes = []
    if np.isfinite(face_x):
        notes.append("face points to the image's " + ("right" if face_x > 0 else "left"))
    if np.isfinite(feet_x):
        notes.append("feet point to the image's " + ("right" if feet_x > 0 else "left"))
    if not np.isfinite(face_x) and not np.isfinite(feet_x):
        return "side", False, notes + ["cannot tell which way the subject faces"]
    x = face_x if np.isfinite(face_x) else feet_x
    sure = not (np.isfinite(face_x) and np.isfinite(feet_x) and face_x != feet_x)
    if not sure:
        notes.append("face and feet disagree; the face is followed")
    return ("right" if x > 0 else "left"), sure, notes


def infer_view(xy: np.ndarray) -> ViewInference:
    """Infer the camera's view of one subject from canonical keypoints.

    Parameters
    ----------
    xy : (K, 2) float, pixels in canonical order, NaN where missing or below the score threshold.

    Returns
    -------
    ViewInference. Frontal or side comes from the body's turn (shoulder and hip spread against the
    trunk length); between FRONTAL_MAX_DEG and SIDE_MIN_DEG a clearly turned face (a profile) makes
    it a side view. Front or back: a face seen, a face hidden, the feet pointing toward or away
    from the camera. Left or right side: where the face points, else where the feet point.
    """
    xy = np.asarray(xy, dtype=np.float64)
    length = trunk_length_px(xy)
    body, face = body_turn_deg(xy), face_turn_deg(xy)
    notes: list[str] = []
    if np.isfinite(body):
        notes.append(f"trunk turned about {body:.0f} deg from square-on")
    if np.isfinite(face):
        notes.append(f"head turned about {abs(face):.0f} deg")
    profile = np.isfinite(face) and abs(face) >= FACE_PROFILE_DEG
    if np.isfinite(body) and body <= FRONTAL_MAX_DEG:
        sideways = False
    elif (np.isfinite(body) and body >= SIDE_MIN_DEG) or profile:
        sideways = True
    elif np.isfinite(face) and abs(face) < FRONTAL_MAX_DEG:
        sideways = False
    elif np.isfinite(body):
        sideways = body > 45.0
    else:
        return ViewInference(None, False, False, body, face, ("too few points to tell the view",))
    oblique = np.isfinite(body) and FRONTAL_MAX_DEG < body < SIDE_MIN_DEG
    if sideways:
        view, sure, more = _side_facing(xy, face, length)
    else:
        view, sure, more = _frontal_facing(xy, length)
    if oblique:
        more.append("between a front and a side view: image-plane angles are distorted")
    return ViewInference(view, sure and not oblique, sure, body, face, tuple(notes + more))
