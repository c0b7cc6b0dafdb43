"""Posture snapshot with the lite backend on a real photo: headline and full measures tables,
desk check, targets, save, cache."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from core.app.posture_target import UNRELIABLE_VERDICT
from core.backends.fake import FakeBackend
from core.store import Store
from tests.app.helpers import make_subject, open_page, problems, table_with, texts
from tests.conftest import shared_path

pytestmark = [pytest.mark.slow, pytest.mark.shared]


def _upload(at, name: str = "cameraman_standing.png"):  # noqa: ANN001, ANN202
    data = shared_path("data", name).read_bytes()
    at.radio(key="posture_source").set_value("Upload")
    at.file_uploader(key="posture_upload").set_value((name, data, "image/png"))
    return at.run()


def _value(table, measure: str) -> float:  # noqa: ANN001
    cell = table[table["measure"] == measure]["value"].iloc[0]
    return (
        math.nan
        if cell == "not measured"
        else float(cell.removesuffix(" (unreliable)").rstrip("°"))
    )


def _all_measures(at) -> pd.DataFrame:  # noqa: ANN001
    """The headline table and the expander's table of the other measures, together."""
    tables = [t.value for t in at.table if {"measure", "reliability"} <= set(t.value.columns)]
    assert len(tables) == 2, "a headline table and the expander's table"
    return pd.concat(tables, ignore_index=True)


def test_cameraman_gives_a_measures_table() -> None:
    make_subject()
    at = _upload(open_page("pages/posture.py"))
    assert problems(at) == []
    table = _all_measures(at)
    # posture_measures returns 28 measures (knee/hip/elbow/shoulder angles, three flexions per
    # side, neck, trunk, two tilts, craniovertebral, and 9 signed side-view measures: hip,
    # shoulder, knee flexion and ankle dorsiflexion per side, forward trunk lean): one row each.
    assert len(table) == 28
    # The view is left on auto: the picture reads as a right side view (he faces the image's
    # right), a best guess because his trunk is turned toward the camera; the page says both.
    assert "(right side view)" in texts(at)
    assert any("best guess" in w.value for w in at.warning)
    # SOURCES.md: the photo is cut at the thighs, so the knees are not in it: no number is invented.
    assert _value(table, "Knee angle (left)") != _value(table, "Knee angle (left)")  # NaN
    knees = table[table["measure"].str.startswith("Knee angle")]
    assert len(knees) == 2 and (knees["value"] == "not measured").all()
    # He leans forward at a tripod with his arms raised to the camera: bent elbows, a visible
    # shoulder angle, a clear trunk lean (lite: elbows ~131 and ~71 deg, trunk ~-28 deg).
    for side in ("left", "right"):
        assert 30.0 < _value(table, f"Elbow angle ({side})") < 180.0
    assert 5.0 < abs(_value(table, "Trunk lean")) < 60.0
    assert "2D image-plane" in texts(at)
    # Every value has a score and a reliability; an unreliable one never reads as a plain number.
    seen = table[table["value"] != "not measured"]
    assert (seen["score"] != "").all() and set(seen["reliability"]) <= {"reliable", "unreliable"}
    flagged = seen[seen["reliability"] == "unreliable"]
    assert flagged["value"].str.endswith("(unreliable)").all()
    assert (flagged["score"].astype(float) < 0.8).all()  # below the lite reliable score
    assert "green = score at or above" in texts(at)  # the overlay's colour legend
    rula = table_with(at, "part")
    assert set(rula["readout"]) <= {"fine", "look at this", "not measured"}
    assert len(rula) == 6


def test_main_measures_first_the_rest_in_an_expander_and_a_plain_desk_check() -> None:
    from core.app.posture_table import HEADLINE_SIDEWAYS, measure_name

    make_subject()
    at = _upload(open_page("pages/posture.py"))
    assert problems(at) == []
    headline = at.table[0].value  # the first table on the page, in the DOM (st.table)
    assert list(headline.columns) == ["measure", "value", "score", "reliability"]
    # A right side view: the side-view main measures that were measured (he is cut at the thighs,
    # so no knee), named in words; neck and trunk carriage are seen with high scores.
    assert set(headline["measure"]) <= {measure_name(k) for k in HEADLINE_SIDEWAYS}
    assert {"Neck flexion", "Forward trunk lean"} <= set(headline["measure"])
    assert "not measured" not in set(headline["value"])
    (expander,) = at.expander
    assert expander.label.startswith("All other measures")
    (rest,) = expander.table
    rest = rest.value
    assert set(rest["measure"]).isdisjoint(headline["measure"])
    assert len(headline) + len(rest) == 28  # every measure once (see the test above)
    assert "Elbow angle (left)" in set(rest["measure"]) and "meaning" in rest.columns
    table = pd.concat([headline, rest], ignore_index=True)
    names = table["measure"]
    assert not names.str.contains("_").any()  # no raw keys such as elbow_angle_deg
    # The desk check: one sentence naming the parts to look at, with angle and band.
    (desk,) = [w.value for w in at.warning if "Desk check" in w.value]
    assert "look at:" not in desk and "_" not in desk
    rula = table_with(at, "part")
    looked = rula[rula["readout"] == "look at this"]
    assert len(looked) > 0
    for part, angle, band in zip(looked["part"], looked["angle"], looked["band"]):
        # An angle from a point below the reliable score says so in the table and the sentence.
        flag = ", unreliable" if angle.endswith(" (unreliable)") else ""
        assert f"the {part.lower()} ({angle.removesuffix(' (unreliable)')}, {band}{flag})" in desk
    # The left arm's points score below 0.8 (the measures table flags its shoulder angle).
    left_arm = table[table["measure"] == "Shoulder angle (left)"]["reliability"].iloc[0]
    upper = rula[rula["part"] == "Left upper arm"]["angle"].iloc[0]
    assert upper.endswith(" (unreliable)") == (left_arm == "unreliable")


def test_a_named_preset_target_is_checked() -> None:
    from core.measure.targets import PRESETS, check_target

    make_subject()
    at = _upload(open_page("pages/posture.py"))
    preset = at.selectbox(key="posture_target_preset")
    assert "Upright standing trunk: 0 ± 5°" in preset.options
    preset.set_value("upright standing trunk").run()
    assert problems(at) == []
    (metric,) = at.metric
    assert metric.label == "Trunk lean: target 0 ± 5°"
    lean = _value(_all_measures(at), "Trunk lean")
    target = PRESETS["upright standing trunk"]
    # The cameraman's measures are all flagged (a stooped side view): the verdict says so too.
    assert metric.delta == check_target(lean, target.target, target.tolerance) + (
        UNRELIABLE_VERDICT if metric.value.endswith(" (unreliable)") else ""
    )
    assert metric.value.removesuffix(" (unreliable)") == f"{lean:.1f}°"


def test_a_target_on_an_unreliable_measure_says_so() -> None:
    make_subject()
    seen = set()
    # The cameraman's measures are all flagged (a stooped side view), the astronaut's reliable.
    for photo in ("cameraman_standing.png", "astronaut_upper_body.png"):
        at = _upload(open_page("pages/posture.py"), photo)
        table = _all_measures(at)
        names = {r["measure"]: r["reliability"] for _, r in table.iterrows() if r["reliability"]}
        at.selectbox(key="posture_target_preset").set_value("custom").run()
        metric = at.selectbox(key="posture_target_metric")
        for key in metric.options:
            shown = metric.format_func(key)
            if shown not in names:
                continue  # not measured: no verdict to qualify
            metric.set_value(key).run()
            (readout,) = at.metric
            flagged = names[shown] == "unreliable"
            assert readout.delta.endswith(UNRELIABLE_VERDICT) == flagged, (photo, shown)
            assert readout.value.endswith(" (unreliable)") == flagged, (photo, shown)
            seen.add(flagged)
            metric = at.selectbox(key="posture_target_metric")
    assert seen == {True, False}


def test_an_explicit_view_the_photo_contradicts_is_used_and_warned() -> None:
    make_subject()
    at = _upload(open_page("pages/posture.py"))
    assert at.radio(key="posture_view").value == "auto"  # the default
    at.radio(key="posture_view").set_value("front").run()
    assert problems(at) == []
    assert "(front view)" in texts(at)
    assert any("looks like a right view" in w.value for w in at.warning)
    table = _all_measures(at)
    # Measured as a front view: the tilts are given, the side-view signed measures are not.
    assert _value(table, "Shoulder tilt") == _value(table, "Shoulder tilt")  # finite
    hip = _value(table, "Hip signed flexion (right)")
    assert hip != hip  # NaN: "not visible"


def test_target_reports_within_or_outside() -> None:
    make_subject()
    at = _upload(open_page("pages/posture.py"))
    assert at.selectbox(key="posture_target_preset").value == "none"  # the default: no target
    assert not at.metric
    at.selectbox(key="posture_target_preset").set_value("custom").run()
    metric = at.selectbox(key="posture_target_metric")
    assert "Elbow angle (left)" in metric.options  # readable names, never a raw key
    assert not any("_deg" in o for o in metric.options)
    metric.set_value("left_elbow_angle_deg")
    at.number_input(key="posture_target_value").set_value(130.0)
    at.number_input(key="posture_target_tol").set_value(10.0)
    at.run()
    assert at.metric[0].delta.removesuffix(UNRELIABLE_VERDICT) == "within"
    at.number_input(key="posture_target_value").set_value(60.0).run()
    assert at.metric[0].delta.removesuffix(UNRELIABLE_VERDICT) == "above"
    assert at.metric[0].label.startswith("Elbow angle (left): target 60")


def test_save_stores_the_table_and_a_second_save_is_not_offered() -> None:
    subject_id = make_subject()
    at = _upload(open_page("pages/posture.py"))
    table = _all_measures(at)
    at.button(key="posture_save").click().run()
    assert problems(at) == []
    store = Store()
    (session,) = store.list_sessions(subject_id)
    assert session.kind == "posture" and session.backend == "lite"
    assert "overlay.png" in session.artifacts
    rows = store.load_measurements(session.id)
    assert len(rows) == len(table)
    stored = {(m, s): v for m, s, v in zip(rows["metric"], rows["side"], rows["value"])}
    assert stored[("elbow_angle_deg", "left")] == pytest.approx(
        _value(table, "Elbow angle (left)"), abs=0.05
    )
    assert math.isnan(stored[("knee_angle_deg", "left")])
    # Same photo, model and view: the page says it is saved instead of offering a duplicate.
    at.run()
    assert "already saved" in texts(at)


def test_same_photo_is_not_measured_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    import core.analysis
    from core.app import cache

    calls = []
    real = core.analysis.analyze_posture

    def counting(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(core.analysis, "analyze_posture", counting)
    make_subject()
    cache.clear()
    at = _upload(open_page("pages/posture.py"), "astronaut_upper_body.png")
    at.run()  # a rerun (any widget change) with the same photo, model and view
    at.switch_page("pages/sessions.py").run()
    at.switch_page("pages/posture.py").run()
    _upload(at, "astronaut_upper_body.png")
    assert problems(at) == []
    assert len(calls) == 1


def test_repeatability_of_the_same_photo_is_stable() -> None:
    make_subject()
    at = open_page("pages/posture.py")
    at.toggle(key="posture_repeat").set_value(True).run()
    data = shared_path("data", "cameraman_standing.png").read_bytes()
    at.file_uploader(key="posture_uploads").set_value(
        [("a.png", data, "image/png"), ("b.png", data, "image/png")]
    )
    at.run()
    assert problems(at) == []
    rep = table_with(at, "sd")
    elbow = rep[rep["measure"] == "Elbow angle (left)"]
    assert elbow["n"].iloc[0] == 2 and elbow["sd"].iloc[0] == "0.0°"
    knees = rep[rep["measure"].str.startswith("Knee angle")]
    assert len(knees) == 2 and (knees["readout"] == "not visible").all()
    # The same photo twice agrees with itself; a measure it flags stays flagged in the summary.
    doubtful = rep[rep["readout"] == "unreliable in 2 of 2 photos"]["measure"].tolist()
    assert doubtful and "unreliable in at least one photo" in texts(at)
    assert set(rep["readout"]) <= {"stable", "not visible", "unreliable in 2 of 2 photos"}


class _FlipSwitchBackend(FakeBackend):
    """Test double with Sapiens2's ``flip_test`` (its default, and per call); records the flip
    test of every pose call."""

    def __init__(self) -> None:
        super().__init__()
        self.flip_test = True
        self.seen: list[bool] = []

    def estimate_pose(self, image, boxes=None, *, timestamp_ms=None, flip_test=None):  # noqa: ANN001, ANN201
        self.seen.append(self.flip_test if flip_test is None else flip_test)
        return super().estimate_pose(image, boxes, timestamp_ms=timestamp_ms)


def test_fast_mode_turns_the_flip_test_off(monkeypatch) -> None:  # noqa: ANN001
    import core.backends.selection
    from core.app import resources

    backend = _FlipSwitchBackend()
    monkeypatch.setattr(core.backends.selection, "get_backend", lambda *a, **k: backend)
    resources.clear_backends()
    try:
        make_subject()
        at = _upload(open_page("pages/posture.py"))
        assert problems(at) == [] and backend.seen == [True]  # default: flip test on
        at.toggle(key="posture_fast").set_value(True).run()
        assert problems(at) == [] and backend.seen == [True, False]  # a new result, flip test off
        at.toggle(key="posture_fast").set_value(False).run()
        assert backend.seen == [True, False]  # the flip-test result comes from the cache
    finally:
        resources.clear_backends()


def test_a_low_score_point_marks_its_measures_unreliable(monkeypatch) -> None:  # noqa: ANN001
    import core.backends.selection
    from core.app import cache, resources
    from tests.cli.fakes import ScoredFakeBackend

    # The fake's standing skeleton with the left wrist at 0.6: measured (threshold 0.5) but below
    # the default reliable score 0.8, so the left elbow's angle and flexion are flagged.
    backend = ScoredFakeBackend(None, {"left_wrist": 0.6})
    monkeypatch.setattr(core.backends.selection, "get_backend", lambda *a, **k: backend)
    resources.clear_backends()
    cache.clear()  # an earlier test's fake (same name and model) may have cached this photo
    try:
        make_subject()
        at = _upload(open_page("pages/posture.py"))
        assert problems(at) == []
        table = _all_measures(at)
        flagged = table[table["reliability"] == "unreliable"]
        assert set(flagged["measure"]) == {"Elbow angle (left)", "Elbow flexion (left)"}
        assert (flagged["score"] == "0.60").all()
        assert flagged["value"].str.endswith("° (unreliable)").all()
        assert "2 measure(s) unreliable" in texts(at)
        knee = table[table["measure"] == "Knee angle (left)"].iloc[0]
        assert (knee["value"], knee["reliability"]) == ("180.0°", "reliable")
    finally:
        resources.clear_backends()
