"""Heel-strike frames of a synthetic walk seen from near the side: the legs split, the pelvis one
step further on at each strike, left and right leading in turn. Each frame is a rendered scene
with the exact heel positions, so the step length has an exact answer."""

from __future__ import annotations

import dataclasses

import numpy as np

from tests.scenes.render import Camera, Scene, render
from tests.scenes.skeleton import Posture, Skeleton, build_skeleton

#: Near the side (the subject's left towards the camera, 10 degrees towards the front), far enough
#: for three steps in view, focal length for a ~370 px tall subject (9 px heel windows).
WALK_CAMERA = Camera(
    yaw_deg=80.0, pitch_deg=5.0, distance_m=4.5, focal_px=960.0, width=480, height=480
)
#: Hip flexion of the leading (+) and trailing (-) leg at heel strike, degrees.
SPLIT_DEG = 20.0


def _shifted(skel: Skeleton, offset: np.ndarray) -> Skeleton:
    joints = {k: v + offset for k, v in skel.joints.items()}
    prims = [
        dataclasses.replace(p, a=p.a + offset, b=None if p.b is None else p.b + offset)
        for p in skel.primitives
    ]
    return Skeleton(joints, prims, skel.stature_m)


def strike_posture(side: str) -> Posture:
    lead, trail = (SPLIT_DEG, -SPLIT_DEG) if side == "left" else (-SPLIT_DEG, SPLIT_DEG)
    return Posture(
        knee_flexion=(5.0, 15.0) if side == "left" else (15.0, 5.0),
        hip_flexion=(lead, trail),
        shoulder_flexion=(-10.0, 10.0) if side == "left" else (10.0, -10.0),
        elbow_flexion=(15.0, 15.0),
        shoulder_abduction=(12.0, 12.0),
        trunk_lean=3.0,
        neck_flexion=5.0,
    )


def walk_strikes(
    n: int = 3, *, step_m: float = 0.6, camera: Camera = WALK_CAMERA
) -> list[tuple[str, Scene]]:
    """``n`` heel-strike scenes (left first), the pelvis moving ``step_m`` forward (+z) per strike,
    centred on the camera's target."""
    out = []
    for k in range(n):
        side = "left" if k % 2 == 0 else "right"
        skel = build_skeleton(strike_posture(side))
        offset = np.array([0.0, 0.0, (k - (n - 1) / 2) * step_m])
        out.append((side, render(_shifted(skel, offset), camera)))
    return out


def true_step_m(side: str, scene: Scene) -> float:
    """(striking heel - other heel) along the walking direction (world +z), metres."""
    other = "right" if side == "left" else "left"
    lead, trail = scene.skeleton.joints[f"{side}_heel"], scene.skeleton.joints[f"{other}_heel"]
    return float(lead[2] - trail[2])
