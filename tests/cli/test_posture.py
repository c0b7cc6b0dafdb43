"""``python -m core posture``: JSON contract, person choice, exit codes, one-line errors, saving."""

from __future__ import annotations

import hashlib
import io
import json

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from core.backends.fake import FakeBackend
from core.imaging.decode import decode_image
from core.measure.confidence import REPORTED_KEYPOINTS
from core.measure.posture import MEASURE_INFO
from core.store import Store
from tests.cli.conftest import run_json
from tests.cli.fakes import ScoredFakeBackend
from tests.cli.scenes import (
    BIG,
    BIG_MEASURES,
    BIG_NOT_VISIBLE,
    PHOTO_SIZE,
    SMALL,
    SMALL_POINT,
    write_image,
)

#: The measures the JSON always carries (core/cli/posture.py promises them to outside tools).
POSTURE_KEYS = (
    "left_knee_angle_deg", "right_knee_angle_deg", "left_hip_angle_deg", "right_hip_angle_deg",
    "left_elbow_angle_deg", "right_elbow_angle_deg", "neck_flexion_deg", "trunk_lean_deg",
    "shoulder_tilt_deg", "hip_tilt_deg",
)  # fmt: skip


@pytest.fixture
def two_people(install) -> tuple[FakeBackend, list[tuple[str, str]]]:
    backend = FakeBackend([SMALL, BIG])  # given smallest first: the largest must still win
    return backend, install(backend)


def test_json_keys_and_measures_of_the_largest_person(cli, two_people, tmp_path):
    backend, requests = two_people
    out = run_json(
        cli,
        "posture",
        write_image(tmp_path / "a.png"),
        "--json",
        "--backend",
        "lite",
        "--size",
        "1b",
    )
    assert {"backend", "model", "size", "dtype", "view", "measures", "keypoints"} <= set(out)
    # FakeBackend.describe(): its own name and model, the Backend defaults for size and dtype.
    assert (out["backend"], out["model"], out["size"], out["dtype"]) == (
        "fake (test double)",
        "fake",
        "",
        "float32",
    )
    assert set(POSTURE_KEYS) <= set(out["measures"])
    got = {k: out["measures"][k]["value"] for k in BIG_MEASURES}
    assert_allclose(list(got.values()), list(BIG_MEASURES.values()), atol=1e-6)  # see scenes.BIG
    assert out["measures"][BIG_NOT_VISIBLE]["value"] is None  # NaN (front view) becomes null
    assert requests == [("lite", "1b")] and backend.calls == 1
    assert out["view"] == "front"  # the default, as passed


def test_json_measure_carries_score_reliable_flag_and_keypoints(cli, install, tmp_path):
    # BIG with its left wrist at score 0.6: above the fake's threshold 0.5 (so still measured),
    # below the default reliable score 0.8 (core/config.py).
    install(ScoredFakeBackend([BIG], {"left_wrist": 0.6}))
    out = run_json(cli, "posture", write_image(tmp_path / "a.png"), "--json", "--view", "front")
    assert out["min_reliable_score"] == 0.8
    elbow = out["measures"]["left_elbow_angle_deg"]
    assert_allclose(elbow["value"], BIG_MEASURES["left_elbow_angle_deg"], atol=1e-6)
    assert elbow["unit"] == "deg" and elbow["score"] == 0.6 and elbow["reliable"] is False
    assert elbow["keypoints"] == ["left_shoulder", "left_elbow", "left_wrist"]
    assert out["measures"]["left_elbow_flexion_deg"]["reliable"] is False  # the same three points
    knee = out["measures"]["left_knee_angle_deg"]
    assert (knee["score"], knee["reliable"]) == (1.0, True)  # hip, knee, ankle all at 1.0
    cva = out["measures"][BIG_NOT_VISIBLE]
    assert (cva["value"], cva["score"], cva["reliable"], cva["keypoints"]) == (
        None,
        None,
        False,
        [],
    )
    points = {p["name"]: p for p in out["keypoints"]}
    assert points["left_wrist"] == {"name": "left_wrist", "x": 500.0, "y": 0.0, "score": 0.6}
    # BIG has no ears: reported as missing (no position) with the source's unknown score.
    assert points["left_ear"] == {"name": "left_ear", "x": None, "y": None, "score": None}
    assert set(elbow["keypoints"]) <= set(points)


def test_json_says_which_view_was_used(cli, install, tmp_path):
    # The view keys were added on purpose (issue 15): view used, the picture's reading, warnings.
    from tests.measure.test_sagittal import RIGHT_FACING

    install(FakeBackend([RIGHT_FACING]))  # a side view facing the image's right (hand-derived)
    image = write_image(tmp_path / "a.png", size=(1000, 800))
    out = run_json(cli, "posture", image, "--json")
    assert (out["view"], out["inferred_view"], out["warnings"]) == ("right", "right", [])
    # Thigh straight forward of a vertical trunk: +90 deg of flexion (tests/measure/test_sagittal).
    assert_allclose(out["measures"]["right_hip_signed_flexion_deg"]["value"], 90.0, atol=1e-6)
    # An explicit front view is used as asked, with a warning that the picture says otherwise.
    out = run_json(cli, "posture", image, "--json", "--view", "front")
    assert out["view"] == "front" and out["inferred_view"] == "right"
    assert "looks like a right view" in out["warnings"][0]
    # Measured as front, the one-sided pose cannot say which of its sides is which.
    assert "left and right are uncertain" in out["warnings"][1]
    assert out["measures"]["right_hip_signed_flexion_deg"]["value"] is None  # side-view only


def test_point_selects_another_person(cli, two_people, tmp_path):
    x, y = SMALL_POINT
    out = run_json(cli, "posture", write_image(tmp_path / "a.png"), "--json", "--point", f"{x},{y}")
    # SMALL stands straight: hip, knee and ankle on one vertical line -> 180 deg at both knees.
    assert_allclose(
        [out["measures"][f"{side}_knee_angle_deg"]["value"] for side in ("left", "right")],
        [180.0, 180.0],
        atol=1e-6,
    )


def test_json_has_no_nan_literal(cli, two_people, tmp_path):
    code, out, _ = cli("posture", write_image(tmp_path / "a.png"), "--json")
    measure = json.loads(out)["measures"][BIG_NOT_VISIBLE]
    assert code == 0 and "NaN" not in out and measure["value"] is None and measure["score"] is None


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: None, "no such file"),
        (lambda p: p.write_bytes(b""), "is empty"),
        (lambda p: p.write_bytes(b"this is text, not an image" * 4), "x.png is not an image"),
        (lambda p: write_image(p, value=0), "no person found"),
    ],
)
def test_bad_input_one_line_on_stderr_nothing_stored(cli, install, tmp_path, setup, message):
    install(FakeBackend([]))  # an empty people list: nobody in any image
    with Store() as s:
        s.create_subject("P1", consent=True)
    path = tmp_path / "x.png"
    setup(path)
    code, out, err = cli("posture", path, "--json", "--save", "P1")
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ")
    assert message in err.lower() and "Traceback" not in err
    with Store() as s:
        assert s.list_sessions() == []


def test_bad_point_is_a_clear_error(cli, two_people, tmp_path):
    code, _, err = cli("posture", write_image(tmp_path / "a.png"), "--point", "twenty")
    assert code == 1 and "--point must be X,Y" in err


def test_save_requires_existing_subject_with_consent(cli, two_people, tmp_path):
    backend, requests = two_people
    img = write_image(tmp_path / "a.png")
    code, _, err = cli("posture", img, "--save", "NOBODY")
    assert code == 1 and "python -m core subject add NOBODY --consent" in err
    with Store() as s:
        s.create_subject("NOCONSENT")
    code, _, err = cli("posture", img, "--save", "NOCONSENT")
    assert code == 1 and "no consent recorded" in err
    assert requests == [] and backend.calls == 0  # refused before any analysis


def test_save_stores_session_with_rows_overlay_and_hash(cli, two_people, tmp_path):
    with Store() as s:
        sid = s.create_subject("P1", consent=True)
    img = write_image(tmp_path / "a.png")
    out = run_json(cli, "posture", img, "--json", "--save", "P1", "--notes", "=x")
    with Store() as s:
        session = s.get_session(out["session_id"])
        assert (session.subject_id, session.kind, session.notes) == (sid, "posture", "=x")
        assert session.source_hash == hashlib.sha256(img.read_bytes()).hexdigest()
        rows = s.load_measurements(session.id)
        companions = s.load_measurements(session.id, companions=True)
        overlay = decode_image(s.load_artifact(session.id, "overlay.png"))
    assert len(rows) == len(MEASURE_INFO)  # every measure, NaN ones included
    # Beside them: a score and a flag per measure, x, y, score per keypoint, the reliable score,
    # and a reason row per unreliable measure (the JSON's "reason").
    extra = len(companions) - len(rows)
    reasons = {k: m["reason"] for k, m in out["measures"].items() if m["reason"]}
    assert extra == 2 * len(MEASURE_INFO) + 3 * len(REPORTED_KEYPOINTS) + 1 + len(reasons)
    stored = companions[companions.metric.str.contains(":reason:", regex=False)]
    assert sorted(m.partition(":reason:")[2] for m in stored.metric) == sorted(reasons.values())
    knee = rows[(rows.metric == "knee_angle_deg") & (rows.side == "left")]
    assert_allclose(knee.value, [90.0], atol=1e-6)  # BIG's left knee (scenes.BIG)
    # The photo is flat grey 128: anything else in the overlay is the drawn skeleton.
    assert overlay.shape == (PHOTO_SIZE[1], PHOTO_SIZE[0], 3) and (overlay != 128).any()


def test_text_output(cli, two_people, tmp_path):
    code, out, _ = cli("posture", write_image(tmp_path / "a.png"))
    knee = next(line for line in out.splitlines() if "left_knee_angle_deg" in line)
    cva = next(line for line in out.splitlines() if BIG_NOT_VISIBLE in line)
    assert code == 0 and knee.split()[-1] == "90.0" and cva.split()[-1] == "n/a"


def test_text_output_flags_an_unreliable_measure(cli, install, tmp_path):
    install(ScoredFakeBackend([BIG], {"left_wrist": 0.6}))
    code, out, _ = cli("posture", write_image(tmp_path / "a.png"))
    elbow = next(line for line in out.splitlines() if "left_elbow_angle_deg" in line)
    knee = next(line for line in out.splitlines() if "left_knee_angle_deg" in line)
    assert code == 0 and elbow.endswith("135.0  unreliable (score 0.60)")
    assert "unreliable" not in knee


def test_saved_rows_and_csv_flag_the_unreliable_measure(cli, install, tmp_path):
    from core.store.export import session_long_csv, session_wide_frame

    install(ScoredFakeBackend([BIG], {"left_wrist": 0.6}))
    with Store() as s:
        s.create_subject("P1", consent=True)
    out = run_json(cli, "posture", write_image(tmp_path / "a.png"), "--json", "--save", "P1")
    with Store() as s:
        rows = s.load_measurements(out["session_id"], companions=True)
        long = pd.read_csv(io.StringIO(session_long_csv(out["session_id"], store=s)))
        wide = session_wide_frame(out["session_id"], store=s)
    stored = {(m, side): v for m, side, v in zip(rows.metric, rows.side, rows.value)}
    assert stored[("elbow_angle_deg:score", "left")] == 0.6
    assert stored[("elbow_angle_deg:reliable", "left")] == 0.0
    assert stored[("knee_angle_deg:reliable", "left")] == 1.0
    assert stored[("kp:left_wrist:score", "")] == 0.6
    elbow = long[(long.metric == "elbow_angle_deg") & (long.side == "left")].iloc[0]
    assert_allclose(elbow.value, 135.0, atol=1e-6)  # the value stays, flagged beside it
    assert (elbow.score, bool(elbow.reliable)) == (0.6, False)
    knee = long[(long.metric == "knee_angle_deg") & (long.side == "left")].iloc[0]
    assert (knee.score, bool(knee.reliable)) == (1.0, True)
    wrist_x = long[long.metric == "kp_left_wrist_x"].iloc[0]
    assert (wrist_x.value, wrist_x.unit, wrist_x.score, bool(wrist_x.reliable)) == (
        500.0,
        "px",
        0.6,
        False,
    )
    assert not long.metric.str.contains(":").any()  # companions folded, none left as rows
    assert long[long.metric == "reliable_min_score"].value.tolist() == [0.8]
    assert wide.loc[0, "elbow_angle_deg_left_score"] == 0.6
    assert not wide.loc[0, "elbow_angle_deg_left_reliable"]
    cols = list(wide.columns)
    assert cols[cols.index("elbow_angle_deg_left") + 1] == "elbow_angle_deg_left_score"
