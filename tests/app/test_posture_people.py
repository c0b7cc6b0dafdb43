"""Posture page with several people in the photo: a choice of who to measure, the result says who
was measured, and each person is saved as their own session."""

from __future__ import annotations

import re

import cv2
import numpy as np
import pytest

from core.backends.fake import FakeBackend
from core.store import Store
from tests.app.helpers import make_subject, open_page, problems, table_with, texts
from tests.cli.scenes import BIG, PHOTO_SIZE, SMALL
from tests.conftest import shared_path

pytestmark = [pytest.mark.slow]


def _png(image_rgb: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", np.ascontiguousarray(image_rgb[:, :, ::-1]))
    assert ok
    return data.tobytes()


def _upload(at, data: bytes, name: str = "two.png"):  # noqa: ANN001, ANN202
    at.radio(key="posture_source").set_value("Upload")
    at.file_uploader(key="posture_upload").set_value((name, data, "image/png"))
    return at.run()


def _values(at, *measures: str) -> list[str]:  # noqa: ANN001
    table = table_with(at, "measure")
    return [table[table["measure"] == m]["value"].iloc[0] for m in measures]


def _measured_box(at) -> tuple[int, ...]:  # noqa: ANN001
    """The box named in the page's "Measured: person i of n (box ...)" line."""
    line = next(i.value for i in at.info if str(i.value).startswith("Measured: person"))
    found = re.search(r"box (\d+),(\d+) to (\d+),(\d+) px", line)
    assert found, line
    return tuple(int(v) for v in found.groups())


@pytest.fixture
def two_fakes(monkeypatch):  # noqa: ANN001, ANN201
    import core.backends.selection
    from core.app import cache, resources

    backend = FakeBackend([SMALL, BIG])  # given smallest first: the page still numbers BIG first
    monkeypatch.setattr(core.backends.selection, "get_backend", lambda *a, **k: backend)
    resources.clear_backends()
    cache.clear()  # an earlier test's fake (same name and model) may have cached this photo
    yield backend
    resources.clear_backends()


def test_two_people_offer_a_choice_and_person_two_is_measured_and_saved(two_fakes) -> None:
    subject_id = make_subject()
    at = open_page("pages/posture.py")
    at.radio(key="posture_view").set_value("front")  # the scenes' measures are front-view ones
    grey = np.full((PHOTO_SIZE[1], PHOTO_SIZE[0], 3), 128, np.uint8)  # the fake ignores pixels
    at = _upload(at, _png(grey))
    assert problems(at) == []
    choice = at.selectbox(key="posture_person")
    assert choice.options == ["Person 1 (largest)", "Person 2"] and choice.value == 0
    assert "Measured: person 1 of 2" in texts(at)
    assert _measured_box(at) == (100, 0, 500, 500)  # scenes.BIG's box
    assert not any("--point" in w.value for w in at.warning)  # the CLI's advice is not shown
    # BIG's knees (scenes.BIG_MEASURES): 90 and 45 deg, left and right as the view has them.
    first = _values(at, "Knee angle (left)", "Knee angle (right)")
    assert sorted(first) == ["45.0°", "90.0°"]
    at.button(key="posture_save").click().run()
    assert problems(at) == []

    choice = at.selectbox(key="posture_person").set_value(1)
    at.run()
    assert problems(at) == []
    assert "Measured: person 2 of 2" in texts(at)
    assert _measured_box(at)[0] >= 600  # SMALL stands at x >= 600 (scenes.SMALL)
    # SMALL stands straight: hip, knee and ankle on one vertical line, 180 deg at both knees.
    assert _values(at, "Knee angle (left)", "Knee angle (right)") == ["180.0°", "180.0°"]
    # Person 1's saved session is not person 2's: saving is offered again, not "already saved".
    assert "already saved" not in texts(at)
    at.button(key="posture_save").click().run()
    assert problems(at) == []
    with Store() as store:
        sessions = store.list_sessions(subject_id)
        assert len(sessions) == 2
        knees = {}
        for s in sessions:
            rows = store.load_measurements(s.id)
            left = rows[(rows["metric"] == "knee_angle_deg") & (rows["side"] == "left")]
            knees[s.params.get("person", 1)] = float(left["value"].iloc[0])
    assert knees[2] == pytest.approx(180.0) and knees[1] in (
        pytest.approx(90.0),
        pytest.approx(45.0),
    )
    at.run()
    assert "already saved" in texts(at)  # person 2 again: its own saved session is found


def test_a_new_photo_starts_at_the_largest_person(two_fakes) -> None:
    make_subject()
    at = open_page("pages/posture.py")
    grey = np.full((PHOTO_SIZE[1], PHOTO_SIZE[0], 3), 128, np.uint8)
    at = _upload(at, _png(grey))
    at.selectbox(key="posture_person").set_value(1).run()
    assert "Measured: person 2 of 2" in texts(at)
    at = _upload(at, _png(grey + 1), "other.png")  # other bytes: another photo
    assert at.selectbox(key="posture_person").value == 0
    assert "Measured: person 1 of 2" in texts(at)


def _walk_frame(index: int) -> np.ndarray:
    """Frame ``index`` of the shared walking video, RGB (read in order: seeking VP9 may land on
    another frame)."""
    cap = cv2.VideoCapture(str(shared_path("data", "walking_side_view.mp4")))
    try:
        for _ in range(index):
            cap.grab()
        ok, frame = cap.read()
    finally:
        cap.release()
    assert ok
    return frame[:, :, ::-1]


@pytest.mark.shared
def test_real_frame_with_two_people_measures_the_one_chosen() -> None:
    # Frame 195 (6.5 s) of walking_side_view.mp4 (../shared/data/SOURCES.md): the walker leaving
    # on the left edge and the man crouching at the lower right after his backflip. The lite
    # backend finds both (on image tiles: the whole frame shows it nobody), the walker's box larger.
    make_subject()
    at = _upload(open_page("pages/posture.py"), _png(_walk_frame(195)), "frame195.png")
    assert problems(at) == []
    choice = at.selectbox(key="posture_person")
    assert len(choice.options) >= 2 and choice.value == 0
    x1, _, x2, _ = _measured_box(at)
    first = table_with(at, "measure").set_index("measure")["value"].to_dict()
    at.selectbox(key="posture_person").set_value(1).run()
    assert problems(at) == []
    assert "Measured: person 2 of" in texts(at)
    box = _measured_box(at)
    assert box[0] >= x2 or box[2] <= x1  # another person, side by side, not the first one again
    second = table_with(at, "measure").set_index("measure")["value"].to_dict()
    # A walker mid-stride and a crouching man: not one measure the two share reads the same.
    shared_rows = set(first) & set(second)
    assert shared_rows and all(first[m] != second[m] for m in shared_rows)
