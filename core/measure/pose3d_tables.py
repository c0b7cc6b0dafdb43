"""Which seg classes show each joint, and how deep its centre lies under the surface: the tables
behind ``core.measure.pose3d`` (anthropometric fractions of stature)."""

from __future__ import annotations

#: Sideless clothing: on a clothed person thighs, knees, shoulders and trunk are these classes.
CLOTHING = ("Apparel", "Upper_Clothing", "Lower_Clothing")
_FACE = ("Face_Neck", "Hair", "Eyeglass", "Upper_Lip", "Lower_Lip")


def _side(side: str, parts: tuple[str, ...], extra: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{side.capitalize()}_{p}" for p in parts) + extra


def _joint_classes() -> dict[str, tuple[str, ...]]:
    """Seg classes a joint's window may use: its side's limb parts, then sideless classes."""
    out: dict[str, tuple[str, ...]] = {
        "nose": _FACE, "left_eye": _FACE, "right_eye": _FACE, "left_ear": _FACE,
        "right_ear": _FACE, "neck": ("Face_Neck", "Torso", *CLOTHING),
    }  # fmt: skip
    for s in ("left", "right"):
        out[f"{s}_shoulder"] = _side(s, ("Upper_Arm",), ("Torso", *CLOTHING))
        out[f"{s}_elbow"] = _side(s, ("Upper_Arm", "Lower_Arm"), CLOTHING)
        out[f"{s}_wrist"] = _side(s, ("Lower_Arm", "Hand"), CLOTHING)
        out[f"{s}_hip"] = _side(s, ("Upper_Leg",), ("Torso", *CLOTHING))
        out[f"{s}_knee"] = _side(s, ("Upper_Leg", "Lower_Leg"), CLOTHING)
        # Not the foot or shoe: seen from the front the foot lies in front of the ankle.
        out[f"{s}_ankle"] = _side(s, ("Lower_Leg", "Sock"), CLOTHING)
        for foot in ("heel", "big_toe", "small_toe"):
            out[f"{s}_{foot}"] = _side(s, ("Foot", "Sock", "Shoe"), ())
    return out


JOINT_CLASSES: dict[str, tuple[str, ...]] = _joint_classes()

#: Depth of the joint centre behind the visible surface, as a fraction of stature: half a typical
#: joint thickness (adult anthropometry, e.g. knee breadth ~0.06 H, elbow ~0.04 H, ankle ~0.04 H,
#: shoulder joint under the deltoid ~0.026 H, hip joint centre ~0.05 H behind the skin of the
#: thigh/buttock, neck radius ~0.035 H). Face points are themselves surface points (offset 0).
JOINT_DEPTH_FRACTION: dict[str, float] = {
    "nose": 0.0, "eye": 0.0, "ear": 0.0, "neck": 0.035, "shoulder": 0.026, "elbow": 0.02,
    "wrist": 0.015, "hip": 0.05, "knee": 0.03, "ankle": 0.02, "heel": 0.01, "big_toe": 0.005,
    "small_toe": 0.005,
}  # fmt: skip

#: Stature used for the offset when neither given nor measurable (metres); the offset is a few
#: centimetres, so a 10% stature error moves a joint by at most ~5 mm.
DEFAULT_STATURE_M = 1.70
#: Shoulder height minus ankle height is ~0.78 of stature (Drillis & Contini segment table).
SHOULDER_ANKLE_FRACTION = 0.78
#: The limb segments leaving each joint (for the "covered by its own limb" check).
NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "shoulder": ("elbow",), "elbow": ("shoulder", "wrist"), "wrist": ("elbow",),
    "hip": ("knee",), "knee": ("hip", "ankle"), "ankle": ("knee",),
}  # fmt: skip
