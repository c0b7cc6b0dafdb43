"""``python -m core posture``: JSON contract, person choice, exit codes, one-line errors, saving."""

from __future__ import annotations

import hashlib
import json

import pytest
from numpy.testing import assert_allclose

from core.backends.fake import FakeBackend
from core.imaging.decode import decode_image
from core.measure.posture import MEASURE_INFO
from core.store import Store
from tests.cli.conftest import run_json
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
    assert {"backend", "model", "size", "dtype", "measures"} <= set(out)
    # FakeBackend.describe(): its own name and model, the Backend defaults for size and dtype.
    assert (out["backend"], out["model"], out["size"], out["dtype"]) == (
        "fake (test double)",
        "fake",
        "",
        "float32",
    )
    assert set(POSTURE_KEYS) <= set(out["measures"])
    got = {k: out["measures"][k] for k in BIG_MEASURES}
    assert_allclose(list(got.values()), list(BIG_MEASURES.values()), atol=1e-6)  # see scenes.BIG
    assert out["measures"][BIG_NOT_VISIBLE] is None  # NaN (front view) becomes null
    assert requests == [("lite", "1b")] and backend.calls == 1


def test_json_says_which_view_was_used(cli, install, tmp_path):
    # The view keys were added on purpose (issue 15): view used, the picture's reading, warnings.
    from tests.measure.test_sagittal import RIGHT_FACING

    install(FakeBackend([RIGHT_FACING]))  # a side view facing the image's right (hand-derived)
    image = write_image(tmp_path / "a.png", size=(1000, 800))
    out = run_json(cli, "posture", image, "--json")
    assert (out["view"], out["inferred_view"], out["warnings"]) == ("right", "right", [])
    # Thigh straight forward of a vertical trunk: +90 deg of flexion (tests/measure/test_sagittal).
    assert_allclose(out["measures"]["right_hip_signed_flexion_deg"], 90.0, atol=1e-6)
    # An explicit front view is used as asked, with a warning that the picture says otherwise.
    out = run_json(cli, "posture", image, "--json", "--view", "front")
    assert out["view"] == "front" and out["inferred_view"] == "right"
    assert "looks like a right view" in out["warnings"][0]
    # Measured as front, the one-sided pose cannot say which of its sides is which.
    assert "left and right are uncertain" in out["warnings"][1]
    assert out["measures"]["right_hip_signed_flexion_deg"] is None  # side-view only


def test_point_selects_another_person(cli, two_people, tmp_path):
    x, y = SMALL_POINT
    out = run_json(cli, "posture", write_image(tmp_path / "a.png"), "--json", "--point", f"{x},{y}")
    # SMALL stands straight: hip, knee and ankle on one vertical line -> 180 deg at both knees.
    assert_allclose(
        [out["measures"]["left_knee_angle_deg"], out["measures"]["right_knee_angle_deg"]],
        [180.0, 180.0],
        atol=1e-6,
    )


def test_json_has_no_nan_literal(cli, two_people, tmp_path):
    code, out, _ = cli("posture", write_image(tmp_path / "a.png"), "--json")
    assert code == 0 and "NaN" not in out and json.loads(out)["measures"][BIG_NOT_VISIBLE] is None


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
        overlay = decode_image(s.load_artifact(session.id, "overlay.png"))
    assert len(rows) == len(MEASURE_INFO)  # every measure, NaN ones included
    knee = rows[(rows.metric == "knee_angle_deg") & (rows.side == "left")]
    assert_allclose(knee.value, [90.0], atol=1e-6)  # BIG's left knee (scenes.BIG)
    # The photo is flat grey 128: anything else in the overlay is the drawn skeleton.
    assert overlay.shape == (PHOTO_SIZE[1], PHOTO_SIZE[0], 3) and (overlay != 128).any()


def test_text_output(cli, two_people, tmp_path):
    code, out, _ = cli("posture", write_image(tmp_path / "a.png"))
    knee = next(line for line in out.splitlines() if "left_knee_angle_deg" in line)
    cva = next(line for line in out.splitlines() if BIG_NOT_VISIBLE in line)
    assert code == 0 and knee.split()[-1] == "90.0" and cva.split()[-1] == "n/a"
