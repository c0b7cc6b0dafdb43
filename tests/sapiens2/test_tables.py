"""The keypoint and class tables in core/sapiens2 agree entry by entry with shared/sapiens2/*.json."""

from __future__ import annotations

import json

from core.sapiens2 import classes, keypoints308
from tests.conftest import shared_path


def _load(name: str) -> dict:
    return json.loads(shared_path("sapiens2", name).read_text())


def test_keypoint_names_flip_and_colours_match_json() -> None:
    ref = _load("keypoints308.json")
    kps = sorted(ref["keypoints"], key=lambda k: k["id"])
    assert keypoints308.NUM_KEYPOINTS == ref["num_keypoints"] == len(kps) == 308
    assert list(keypoints308.KEYPOINT_NAMES) == [k["name"] for k in kps]
    assert list(keypoints308.FLIP_INDICES) == ref["flip_indices"]
    assert [list(c) for c in keypoints308.KEYPOINT_COLOURS_RGB] == [k["color_rgb"] for k in kps]
    assert sorted(map(list, keypoints308.FLIP_PAIRS)) == sorted(
        sorted(p) for p in ref["flip_pairs"]
    )


def test_flip_indices_are_an_involution() -> None:
    # Flipping twice must give the identity, else the flip test would scramble keypoints.
    f = keypoints308.FLIP_INDICES
    assert all(f[f[k]] == k for k in range(len(f)))


def test_skeleton_and_groups_match_json() -> None:
    ref = _load("keypoints308.json")
    links = [(list(ids), list(colour)) for ids, colour in keypoints308.SKELETON_LINKS]
    assert links == [(link["ids"], link["color_rgb"]) for link in ref["skeleton_links"]]
    for name, ids in keypoints308.GROUPS.items():
        assert list(ids) == ref["groups"][name], name


def test_body_ids_named_in_spec() -> None:
    # SPEC.md section 6: wrists are 62 (left) and 41 (right), hips 9/10, neck 69.
    names = keypoints308.KEYPOINT_NAMES
    assert (names[62], names[41], names[9], names[10], names[69]) == (
        "left_wrist", "right_wrist", "left_hip", "right_hip", "neck",
    )  # fmt: skip


def test_seg_classes_match_json() -> None:
    ref = _load("seg_classes.json")
    assert list(classes.CLASS_NAMES) == [
        c["name"] for c in sorted(ref["classes"], key=lambda c: c["id"])
    ]
    assert [list(c) for c in classes.PALETTE_RGB] == ref["palette_rgb"]
    assert [list(p) for p in classes.FLIP_SWAP_PAIRS] == ref["flip_swap_pairs"]
    assert classes.NUM_CLASSES == ref["num_classes"] == 29
    assert classes.BACKGROUND == ref["background_id"] == 0
    assert classes.CLASS_ID["Torso"] == 22
