"""A posed 3D skeleton with exact joint centres and the body primitives that dress it.

Body frame (metres): x = the subject's left, y = up, z = the subject's forward; the floor is y = 0.
Joints are spheres whose radius is the surface-to-centre offset ``core.measure.pose3d`` assumes
(times ``radius_scale``), joined by thinner cylinders, so at ``radius_scale = 1`` the offset model
is exact wherever a joint's own sphere is what the camera sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.measure.pose3d_tables import JOINT_DEPTH_FRACTION

#: Segment lengths as fractions of stature (Drillis & Contini / Winter's anthropometric table).
THIGH, SHANK, UPPER_ARM, FOREARM, TRUNK = 0.245, 0.246, 0.186, 0.146, 0.288
HIP_HALF_WIDTH_M, SHOULDER_HALF_WIDTH_M = 0.09, 0.19


@dataclass(frozen=True)
class Posture:
    """Sagittal joint angles in degrees (0 = upright/straight); per side where it differs."""

    knee_flexion: tuple[float, float] = (20.0, 35.0)  # (left, right)
    hip_flexion: tuple[float, float] = (25.0, -10.0)  # thigh forward of the vertical
    shoulder_flexion: tuple[float, float] = (30.0, 50.0)  # upper arm forward of the vertical
    elbow_flexion: tuple[float, float] = (60.0, 30.0)
    shoulder_abduction: tuple[float, float] = (10.0, 15.0)  # upper arm out to the side
    trunk_lean: float = 12.0  # forward
    trunk_side_lean: float = 0.0  # towards the subject's right
    neck_flexion: float = 15.0  # head forward of the trunk line


@dataclass(frozen=True)
class Primitive:
    """A sphere (b is None) or a finite cylinder a->b, in world metres, with its seg class name."""

    label: str
    a: np.ndarray
    radius: float
    b: np.ndarray | None = None


@dataclass
class Skeleton:
    joints: dict[str, np.ndarray]  # canonical name -> (3,) world metres
    primitives: list[Primitive] = field(default_factory=list)
    stature_m: float = 1.75


def _down(angle_deg: float) -> np.ndarray:
    """Unit vector pointing down, rotated forward by ``angle_deg`` in the sagittal plane."""
    a = np.radians(angle_deg)
    return np.array([0.0, -np.cos(a), np.sin(a)])


def _with_abduction(v: np.ndarray, abd_deg: float, side: float) -> np.ndarray:
    """Tilt a downward limb vector out to the subject's ``side`` (+1 left, -1 right)."""
    a = np.radians(abd_deg)
    return np.array([side * np.sin(a) * np.hypot(v[1], v[2]), v[1] * np.cos(a), v[2] * np.cos(a)])


def build_skeleton(
    posture: Posture = Posture(),
    *,
    stature_m: float = 1.75,
    facing_deg: float = 0.0,
    radius_scale: float = 1.0,
) -> Skeleton:
    """Joints of ``posture`` for a subject of ``stature_m``, turned ``facing_deg`` about the vertical
    (positive: towards the subject's left), the lowest foot point on the floor."""
    h, p = stature_m, posture
    pelvis = np.zeros(3)
    # Up, tilted forward by the trunk lean and towards the subject's right (-x) by the side lean.
    fwd, side = np.radians(p.trunk_lean), np.radians(p.trunk_side_lean)
    up_trunk = np.array([-np.tan(side), 1.0, np.tan(fwd)])
    up_trunk /= np.linalg.norm(up_trunk)
    mid_sh = pelvis + TRUNK * h * up_trunk
    j: dict[str, np.ndarray] = {}
    for s, sign in (("left", 1.0), ("right", -1.0)):
        i = 0 if s == "left" else 1
        hip = pelvis + [sign * HIP_HALF_WIDTH_M, 0, 0]
        knee = hip + THIGH * h * _down(p.hip_flexion[i])
        ankle = knee + SHANK * h * _down(p.hip_flexion[i] - p.knee_flexion[i])
        sh = mid_sh + [sign * SHOULDER_HALF_WIDTH_M, 0, 0]
        upper = _with_abduction(_down(p.shoulder_flexion[i]), p.shoulder_abduction[i], sign)
        elbow = sh + UPPER_ARM * h * upper
        fore = _with_abduction(
            _down(p.shoulder_flexion[i] + p.elbow_flexion[i]), p.shoulder_abduction[i], sign
        )
        wrist = elbow + FOREARM * h * fore
        j.update({f"{s}_hip": hip, f"{s}_knee": knee, f"{s}_ankle": ankle, f"{s}_shoulder": sh,
                  f"{s}_elbow": elbow, f"{s}_wrist": wrist,
                  f"{s}_heel": ankle + [0, -0.035 * h, -0.05],
                  f"{s}_big_toe": ankle + [0.02 * sign, -0.035 * h, 0.15]})  # fmt: skip
    neck = mid_sh + 0.06 * up_trunk
    head_dir = np.array(
        [0.0, np.cos(np.radians(p.trunk_lean + p.neck_flexion)),
         np.sin(np.radians(p.trunk_lean + p.neck_flexion))]
    )  # fmt: skip
    head = neck + 0.14 * head_dir
    fwd_head = np.array([0.0, -head_dir[2], head_dir[1]])
    j["neck"] = neck
    j["nose"] = head + 0.1 * fwd_head
    j["left_ear"], j["right_ear"] = head + [0.1, 0, 0], head - [0.1, 0, 0]
    lowest = min(v[1] for k, v in j.items() if k.endswith(("heel", "big_toe")))
    foot_r = JOINT_DEPTH_FRACTION["heel"] * h * radius_scale
    turn = _yaw_matrix(facing_deg)
    lift = np.array([0.0, foot_r - lowest, 0.0])
    joints = {k: turn @ (v + lift) for k, v in j.items()}
    return Skeleton(joints, _primitives(joints, h, radius_scale, turn @ (head + lift)), h)


def _yaw_matrix(deg: float) -> np.ndarray:
    a = np.radians(deg)
    return np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])


def _primitives(
    j: dict[str, np.ndarray], h: float, scale: float, head: np.ndarray
) -> list[Primitive]:
    """Joint spheres and limb cylinders, labelled like a person in a T-shirt, shorts and shoes."""

    def rad(name: str) -> float:
        return JOINT_DEPTH_FRACTION[name.split("_", 1)[1]] * h * scale

    prims: list[Primitive] = []
    for s in ("left", "right"):
        S = s.capitalize()
        labels = {"shoulder": "Upper_Clothing", "elbow": f"{S}_Lower_Arm", "wrist": f"{S}_Hand",
                  "hip": "Lower_Clothing", "knee": f"{S}_Lower_Leg", "ankle": f"{S}_Sock",
                  "heel": f"{S}_Shoe", "big_toe": f"{S}_Shoe"}  # fmt: skip
        for part, label in labels.items():
            prims.append(Primitive(label, j[f"{s}_{part}"], rad(f"{s}_{part}")))
        bones = (("shoulder", "elbow", "Upper_Clothing"), ("elbow", "wrist", f"{S}_Lower_Arm"),
                 ("hip", "knee", "Lower_Clothing"), ("knee", "ankle", f"{S}_Lower_Leg"),
                 ("ankle", "heel", f"{S}_Shoe"), ("heel", "big_toe", f"{S}_Shoe"))  # fmt: skip
        for a, b, label in bones:
            # 0.9 x the thinner end's sphere: near a joint its own sphere is the visible surface.
            r = 0.9 * min(rad(f"{s}_{a}"), rad(f"{s}_{b}"))
            prims.append(Primitive(label, j[f"{s}_{a}"], r, j[f"{s}_{b}"]))
    mid_hip = (j["left_hip"] + j["right_hip"]) / 2
    mid_sh = (j["left_shoulder"] + j["right_shoulder"]) / 2
    # Torso narrower than the hip and shoulder spacing, so moderate turns leave both joints visible.
    prims.append(Primitive("Lower_Clothing", j["left_hip"], 0.8 * rad("left_hip"), j["right_hip"]))
    prims.append(Primitive("Upper_Clothing", mid_hip, 0.075, mid_sh))
    prims.append(Primitive("Upper_Clothing", j["left_shoulder"], 0.035, j["right_shoulder"]))
    prims.append(Primitive("Face_Neck", mid_sh, 0.045, head))
    prims.append(Primitive("Face_Neck", head, 0.1))
    return prims
