"""The Gait page decodes the real walking video twice, no more: once for the analysis, once for the
overlay video; the header probe decodes nothing and there is no estimate pass. The page then reads
as issue 17 asks: percentages at 1 decimal, the symmetry index in its own column, a note on why the
signals start late, and a frame inspector with that frame's values and tracking."""

from __future__ import annotations

import re

import pytest

import core.video.frames as frames_module
import core.video.probe as probe_module
import core.video.seek as seek_module
from tests.app.helpers import make_subject, open_page, problems, table_with, texts
from tests.conftest import shared_path

pytestmark = [pytest.mark.slow, pytest.mark.shared]

#: SOURCES.md: 230 frames at 30 fps.
N_FRAMES = 230


class _CountedCapture:
    """A ``cv2.VideoCapture`` that counts its ``grab`` calls (each grab decodes one frame)."""

    def __init__(self, cap: object, log: list[_CountedCapture], kind: str) -> None:
        self._cap, self.kind, self.grabs = cap, kind, 0
        log.append(self)

    def grab(self) -> bool:
        self.grabs += 1
        return self._cap.grab()  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self._cap, name)


@pytest.fixture
def captures(monkeypatch) -> list[_CountedCapture]:
    """Every capture the page opens, in order: ``probe`` (header reads), ``frames`` (decoding in
    order) and ``seek`` (the inspector's one frame)."""
    log: list[_CountedCapture] = []
    opened = probe_module.open_capture
    for module, kind in ((probe_module, "probe"), (frames_module, "frames"), (seek_module, "seek")):
        monkeypatch.setattr(
            module, "open_capture", lambda path, kind=kind: _CountedCapture(opened(path), log, kind)
        )
    return log


def test_two_passes_and_what_the_page_reads(captures) -> None:
    make_subject(height_m=1.72)  # a height of its own: no other test's cached analysis matches
    at = open_page("pages/gait.py")
    data = shared_path("data", "walking_side_view.mp4").read_bytes()
    at.file_uploader(key="gait_upload").set_value(("walking_side_view.mp4", data, "video/mp4"))
    at.run()
    assert problems(at) == []
    # Before the button: header reads only, not one frame decoded (no estimate pass).
    assert captures and all(c.grabs == 0 for c in captures)
    assert "230 frames at 30.0 fps with lite" in texts(at)
    del captures[:]

    at.button(key="gait_run").click().run()
    assert problems(at) == []
    # The analysis and the overlay video each decode every frame (a grab past the last frame
    # ends the loop, so a whole pass is N_FRAMES + 1 grabs); the inspector reads its one frame.
    assert [c.grabs for c in captures if c.kind == "frames"] == [N_FRAMES + 1, N_FRAMES + 1]
    assert [c.grabs for c in captures if c.kind == "seek"] == [1]
    assert all(c.grabs == 0 for c in captures if c.kind == "probe")
    assert len(at.get("video")) == 1

    # Parameters: words from core/measure/display.py, shares to 1 decimal, the symmetry index in
    # its own column on the row it compares (never in "left").
    params = table_with(at, "symmetry index")
    assert list(params.columns) == ["parameter", "unit", "left", "right", "symmetry index"]
    stance = params[params["parameter"] == "Stance share"].iloc[0]
    assert stance["unit"] == "%"
    assert re.fullmatch(r"\d+\.\d", stance["left"]) and re.fullmatch(r"\d+\.\d", stance["right"])
    assert not params["parameter"].str.contains("ymmetry").any()
    step = params[params["parameter"] == "Step time"].iloc[0]
    assert re.fullmatch(r"-?\d+\.\d %", step["symmetry index"])
    assert params[params["parameter"] == "Stride time"].iloc[0]["symmetry index"] == ""

    # The walker enters the picture after the clip starts (SOURCES.md): the note says when the
    # signals start and why, against the clip's length (230 / 30 = 7.7 s).
    note = next(i.value for i in at.info if i.value.startswith("Signals cover"))
    m = re.match(r"Signals cover (\d+\.\d)–(\d+\.\d) s of the 7\.7 s clip: before \1 s", note)
    assert m is not None, note
    start, end = float(m.group(1)), float(m.group(2))
    assert 0.0 < start < end <= 7.7
    assert "not tracked" in note or "partly in view" in note

    # The inspector: frame 0 lies before the signals start, so it has none; frame 150 (5.0 s)
    # lies inside them and shows its values with units.
    inspector = at.table[-1].value
    assert list(inspector.columns) == ["signal", "filtered", "raw"]
    assert "Trunk lean" in list(inspector["signal"])
    assert (inspector["filtered"] == "not measured").all()
    del captures[:]
    at.slider(key="gait_frame").set_value(150).run()
    assert problems(at) == []
    # Another frame: one seek, not the 150 frames before it decoded again (nor another pass).
    assert sorted((c.kind, c.grabs) for c in captures if c.grabs) == [("seek", 1)]
    assert any("frame 150 at 5.00 s" in str(img.proto) for img in at.get("image"))
    inspector = at.table[-1].value
    lean = inspector[inspector["signal"] == "Trunk lean"].iloc[0]
    assert re.fullmatch(r"-?\d+\.\d°", lean["filtered"]), lean["filtered"]
    head = inspector[inspector["signal"] == "Head lateral deviation"].iloc[0]
    assert re.fullmatch(r"-?\d\.\d{3} frame widths", head["filtered"]), head["filtered"]
    assert any(re.match(r"The walker was tracked in this frame \(\d+ of \d+ keypoints\)", i.value)
               for i in at.info)  # fmt: skip
