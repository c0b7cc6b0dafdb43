"""The gait page's 3D option: offered with its cost when the backend reports Sapiens2, runs the seg
and pointmap doubles on the heel-strike frames only, shows the steps and saves their rows."""

from __future__ import annotations

import pytest

from core.backends.base import Capability
from core.backends.fake import FakeBackend
from core.store import Store
from tests.app.helpers import make_subject, open_page, problems, table_with
from tests.cli.scenes import series_motion, write_walk_video
from tests.cli.test_gait_3d import _Blank
from tests.measure.synthetic import walking_series

pytestmark = pytest.mark.slow

WALK_S = 4.0


class _Sapiens2Walker(FakeBackend):
    """The synthetic walker, described as a Sapiens2 backend with seg and pointmap heads loaded
    (blank doubles that count their calls): what the 3D option reads of a backend."""

    capabilities = FakeBackend.capabilities | {Capability.POINTMAP}

    def __init__(self) -> None:
        series = walking_series(
            fps=30.0, duration_s=WALK_S, frame_size=(1280, 720), cadence_spm=110.0, si_pct=10.0
        )
        super().__init__(motion=series_motion(series))
        self.heads = {"seg": _Blank("seg"), "pointmap": _Blank("pointmap")}

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "backend": "sapiens2", "size": "0.4b", "device": "cpu",
                "dtype": "bfloat16", "loaded_tasks": ["pose", "seg", "pointmap"]}  # fmt: skip

    def task_predictor(self, task: str) -> _Blank:
        return self.heads[task]


def test_gait_3d_option_runs_on_strike_frames_and_saves(monkeypatch, tmp_path) -> None:
    import core.backends.selection
    from core.app import cache, resources

    backend = _Sapiens2Walker()
    monkeypatch.setattr(core.backends.selection, "get_backend", lambda *a, **k: backend)
    resources.clear_backends()
    cache.clear()
    try:
        make_subject(height_m=1.7)
        at = open_page("pages/gait.py")
        data = write_walk_video(tmp_path / "walk.avi", WALK_S).read_bytes()
        at.file_uploader(key="gait_upload").set_value(("walk.avi", data, "video/x-msvideo"))
        at.run()
        at.button(key="gait_run").click().run()
        assert problems(at) == []
        n = int({m.label: m.value for m in at.metric}["Heel strikes"])
        toggle = at.toggle(key="gait_3d")
        assert f"{n} heel-strike frames, about" in toggle.label and " more (" in toggle.label
        assert backend.heads["pointmap"].calls == 0  # nothing runs before it is turned on
        toggle.set_value(True).run()
        assert problems(at) == []
        assert backend.heads["seg"].calls == backend.heads["pointmap"].calls == n
        strikes = table_with(at, "foot")
        assert len(strikes) == n and (strikes["note"] != "").all()  # blank heads: no heel seen
        assert any("could not be measured in 3D" in w.value for w in at.warning)
        at.button(key="gait_save").click().run()
        assert problems(at) == []
        with Store() as s:
            session = s.list_sessions(s.list_subjects()[0].id)[0]
            rows = s.load_measurements(session.id)
        assert session.params.get("3d") is True and (rows.metric == "step_3d_m").sum() == n
    finally:
        resources.clear_backends()
