"""The posture page's parts without a running page: headline split, desk-check sentence, target
labels, the person in saved parameters, the overlay drawn for the screen."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.analysis import analyze_posture
from core.app.posture_desk import rula_table, summary
from core.app.posture_overlay import DISPLAY_WIDTH_PX, DRAW_WIDTH_PX, display_factor, draw_overlay
from core.app.posture_people import measured_text, page_warnings, person_label
from core.app.posture_table import HEADLINE_FRONTAL, measure_name, measures_table, split_headline
from core.app.posture_target import CUSTOM, NONE, option_label
from core.backends.fake import FakeBackend
from core.measure.ergonomics import desk_check
from tests.cli.scenes import BIG, PHOTO_SIZE, SMALL, SMALL_POINT

GREY = np.full((PHOTO_SIZE[1], PHOTO_SIZE[0], 3), 128, np.uint8)


@pytest.fixture(scope="module")
def two() -> object:
    return analyze_posture(GREY, FakeBackend([SMALL, BIG]), view="front")


def test_headline_holds_the_measured_main_measures_in_order(two) -> None:  # noqa: ANN001
    table = measures_table(two)
    headline, rest = split_headline(table, two.view)
    # BIG is seen whole from the front: all eight frontal main measures, in HEADLINE_FRONTAL order.
    assert list(headline["key"]) == list(HEADLINE_FRONTAL)
    assert len(headline) + len(rest) == len(two.measures)
    assert "Craniovertebral angle" in set(rest["measure"])  # side view only: not measured here
    # The rest: measured ones first, then those not measured.
    seen = (rest["value"] != "not measured").tolist()
    assert seen == sorted(seen, reverse=True) and any(seen) and not all(seen)
    # Each row's meaning is its own side's.
    hip = rest[rest["key"] == "left_hip_signed_flexion_deg"]["meaning"].iloc[0]
    assert hip.startswith("side view: left thigh")
    knee = headline[headline["key"] == "left_knee_angle_deg"]["meaning"].iloc[0]
    assert knee.startswith("knee interior angle")  # the side is in the name already
    row = headline[headline["key"] == "shoulder_tilt_deg"].iloc[0]
    # scenes.BIG_MEASURES; unreliable: BIG's trunk reads turned 41 deg from square-on (shoulders
    # 141 px and hips 100 px apart over a 250 px trunk), too far for a frontal-plane tilt.
    assert (row["measure"], row["value"]) == ("Shoulder tilt", "45.0° (unreliable)")
    knee_row = headline[headline["key"] == "left_knee_angle_deg"].iloc[0]
    assert knee_row["value"] == "90.0°"  # a joint angle has no plane rule: BIG's scores are 1.0


def test_a_main_measure_not_measured_goes_to_the_rest() -> None:
    only_top = {k: v for k, v in BIG.items() if "knee" not in k and "ankle" not in k}
    result = analyze_posture(GREY, FakeBackend([only_top]), view="front")
    headline, rest = split_headline(measures_table(result), result.view)
    assert "left_knee_angle_deg" not in set(headline["key"])
    knee = rest[rest["key"] == "left_knee_angle_deg"].iloc[0]
    assert (knee["measure"], knee["value"]) == ("Knee angle (left)", "not measured")


def test_desk_sentence_names_parts_to_look_at_in_words() -> None:
    # Neck 25 deg: above 20 -> ">20° flexion" (RULA score 3, not the best band); trunk 2 deg:
    # "upright (<5°)", the best band; the left elbow at 90 deg flexion is in the best lower-arm
    # band (60-100); the right shoulder angle 50 deg lies in 45-90 (score 3).
    measures = {
        "neck_flexion_deg": 25.0,
        "trunk_lean_deg": 2.0,
        "left_elbow_flexion_deg": 90.0,
        "right_shoulder_angle_deg": 50.0,
    }
    text = summary(desk_check(measures, view="left"))
    assert text == (
        "Look at the neck (25.0°, >20° flexion) and the right upper arm (50.0°, 45-90°); "
        "the other 2 measured parts are in their best RULA band; 2 parts could not be measured."
    )
    fine = summary(desk_check({"neck_flexion_deg": 5.0, "trunk_lean_deg": 1.0}, view="left"))
    assert fine.startswith("All measured parts are in their best RULA band")
    none = summary(desk_check({"neck_flexion_deg": math.nan, "trunk_lean_deg": math.nan}))
    assert none.startswith("No body part was visible enough")
    parts = rula_table(desk_check(measures, view="left").items)["part"].tolist()
    assert parts[:4] == ["Neck", "Trunk", "Left upper arm", "Right upper arm"]


def test_an_unreliable_part_says_so_in_the_sentence_and_the_table() -> None:
    from core.app.posture_desk import unreliable_parts
    from tests.cli.fakes import ScoredFakeBackend

    # BIG's left wrist at 0.6: measured (threshold 0.5), below the reliable score 0.8, so the left
    # elbow's flexion (45 deg, scenes.BIG_MEASURES: "<60° flexion", RULA 2, not the best band) is
    # unreliable, and with it the left forearm's RULA reading.
    result = analyze_posture(GREY, ScoredFakeBackend([BIG], {"left_wrist": 0.6}), view="front")
    check = desk_check(result.measures, view=result.view)
    flagged = unreliable_parts(result, check.items)
    # Neck and trunk too, by the plane rule: BIG's trunk reads turned 41 deg from square-on and
    # their angles lie in the frontal plane in a front view (core.measure.confidence).
    assert flagged == {"left forearm", "neck", "trunk"}
    reasons = {k: c.reason for k, c in result.confidence.measures.items() if c.reason}
    assert reasons["left_elbow_flexion_deg"] == "low_score"
    assert reasons["neck_flexion_deg"] == reasons["trunk_lean_deg"] == "off_plane"
    assert "the left forearm (45.0°, <60° flexion, unreliable)" in summary(check, flagged)
    table = rula_table(check.items, flagged).set_index("part")
    assert table.loc["Left forearm", "angle"] == "45.0° (unreliable)"
    assert table.loc["Right forearm", "angle"] == "0.0°"  # its points all score 1.0


def test_target_options_read_as_words() -> None:
    assert option_label(NONE) == "No target"
    assert option_label("squat knee flexion (left)") == "Squat knee flexion (left): 90 ± 10°"
    assert option_label(CUSTOM).startswith("Custom target")
    assert measure_name("left_elbow_angle_deg") == "Elbow angle (left)"


def test_person_two_is_saved_under_its_own_key(two) -> None:  # noqa: ANN001
    from core.sessions.key import posture_key
    from core.sessions.options import PostureOptions

    second = analyze_posture(GREY, FakeBackend([SMALL, BIG]), view="front", point=SMALL_POINT)
    assert two.person_index == 0 and second.person_index == 1
    first_key = posture_key(two.backend_info, PostureOptions(view="front"))
    assert posture_key(second.backend_info, PostureOptions(view="front", point=SMALL_POINT)) != (
        first_key
    )
    assert person_label(0) == "Person 1 (largest)" and person_label(1) == "Person 2"
    assert measured_text(second).startswith("Measured: person 2 of 2 (box 676,")
    assert not any("people found" in w for w in page_warnings(second))
    assert any("people found" in w for w in second.warnings)  # the CLI's line, left out above


def test_small_photos_are_drawn_larger_for_the_screen(two) -> None:  # noqa: ANN001
    # Drawn twice as wide as shown (sharp on high-density screens and in fullscreen).
    assert DRAW_WIDTH_PX == 2 * DISPLAY_WIDTH_PX
    assert display_factor(DRAW_WIDTH_PX // 2) == pytest.approx(2.0)  # a small photo: up
    assert display_factor(2 * DRAW_WIDTH_PX) == pytest.approx(0.5)  # a large one: down
    small = draw_overlay(GREY, two, factor=0.5)
    assert small.shape == (PHOTO_SIZE[1] // 2, PHOTO_SIZE[0] // 2, 3)
    big = draw_overlay(GREY, two, factor=2.0)
    assert big.shape == (2 * PHOTO_SIZE[1], 2 * PHOTO_SIZE[0], 3)
    # The measured person's box (BIG: 100,0 to 500,500) is drawn white at twice its coordinates:
    # its left edge at x = 200, sampled at y = 800, below where an unscaled box would end (500).
    assert (big[800, 196:205] == 255).all(axis=1).any()
    assert not (big[800, 96:105] == 255).all(axis=1).any()  # not at the unscaled x = 100
    assert (
        big[1010:, :] == 128
    ).all()  # below both boxes (their lines end by y = 1005): the photo only, smoothly scaled


def test_the_unreliable_warning_names_each_reason() -> None:
    from core.app.posture_table import unreliable_lines
    from tests.cli.fakes import ScoredFakeBackend

    # BIG's left wrist at 0.6 (below the reliable 0.8): the left elbow's two measures by their
    # score; BIG's trunk reads 41 deg from square-on: the tilts, neck and trunk lean by the plane.
    result = analyze_posture(GREY, ScoredFakeBackend([BIG], {"left_wrist": 0.6}), view="front")
    low, off = unreliable_lines(result, measures_table(result))
    assert low.startswith("2 measure(s) unreliable: a point they use scores below 0.8")
    assert off.startswith("4 measure(s) unreliable: the trunk is turned about 41 deg")
    # Every point at its full score: the plane's line alone.
    full = analyze_posture(GREY, ScoredFakeBackend([BIG], {}), view="front")
    assert [line[:2] for line in unreliable_lines(full, measures_table(full))] == ["4 "]


def test_the_unreliable_warning_names_the_flip_views_disagreeing() -> None:
    import dataclasses

    from core.app.posture_table import unreliable_lines
    from core.backends.fake import FakeBackend
    from core.keypoints import INDEX

    class TwoViews(FakeBackend):
        """BIG as a lite flip test would give it: the mirror view's left wrist 40 px lower."""

        def estimate_pose(self, image, boxes=None, *, timestamp_ms=None, flip_test=None):
            out = []
            for pose in super().estimate_pose(image, boxes, timestamp_ms=timestamp_ms):
                mirror = pose.xy.copy()
                mirror[INDEX["left_wrist"], 1] += 40.0
                out.append(dataclasses.replace(pose, flip_views=(pose.xy.copy(), mirror)))
            return out

    result = analyze_posture(GREY, TwoViews([BIG]), view="front")
    reasons = {k: c.reason for k, c in result.confidence.measures.items() if c.reason}
    assert reasons["left_elbow_angle_deg"] == "views_disagree"
    lines = unreliable_lines(result, measures_table(result))
    assert lines[-1].startswith("2 measure(s) unreliable: the photo and its mirror image give")
