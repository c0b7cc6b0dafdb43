"""``python -m core posture``: who was measured (people found, index, box), how they were found,
and the numbered boxes in the saved overlay."""

from __future__ import annotations

import numpy as np

from core.backends.base import Detection
from core.backends.fake import FakeBackend
from core.imaging.decode import decode_image
from core.store import Store
from tests.cli.conftest import run_json
from tests.cli.scenes import BIG, SMALL, SMALL_POINT, write_image


class _FoundOnTiles(FakeBackend):
    """The fake people, reported as found only on tiles (as the lite backend's second look does)."""

    def find_people(self, image: np.ndarray, *, flip_test: bool | None = None) -> Detection:
        return Detection(tuple(self.estimate_pose(image)), "tile")


def _who(out: dict) -> list[str]:
    """The warnings about who was measured; the view's own warnings (the scenes' stick figures read
    as a best-guess front view, core/measure/sides.py) are tested in tests/measure/test_view.py."""
    return [w for w in out["warnings"] if not w.startswith(("view ", "left and right"))]


def test_json_names_the_measured_person_among_several(cli, install, tmp_path):
    install(FakeBackend([SMALL, BIG]))
    out = run_json(cli, "posture", write_image(tmp_path / "a.png"), "--json")
    assert out["found_by"] == "full_image" and out["people_found"] == 2
    # BIG is the larger (box 100,0 to 500,500: scenes.BIG), so index 0 of the largest-first list.
    assert out["person_index"] == 0
    np.testing.assert_allclose(out["person_box"], [100, 0, 500, 500])
    (warning,) = _who(out)
    assert warning.startswith(
        "2 people found; measured person 1 (the largest, box 100,0 to 500,500"
    )


def test_json_point_picks_person_two(cli, install, tmp_path):
    install(FakeBackend([SMALL, BIG]))
    x, y = SMALL_POINT
    out = run_json(cli, "posture", write_image(tmp_path / "a.png"), "--json", "--point", f"{x},{y}")
    assert out["person_index"] == 1 and out["person_box"][0] >= 600  # SMALL lies at x >= 600
    assert "measured person 2 (the one nearest the given point" in _who(out)[0]


def test_one_person_no_warning_and_a_second_look_is_said(cli, install, tmp_path):
    install(FakeBackend([BIG]))
    out = run_json(cli, "posture", write_image(tmp_path / "a.png"), "--json")
    assert (out["people_found"], out["person_index"], _who(out)) == (1, 0, [])
    install(_FoundOnTiles([BIG]))
    out = run_json(cli, "posture", write_image(tmp_path / "b.png"), "--json")
    assert out["found_by"] == "tile"
    assert _who(out) == [
        "nobody was found on the whole image; the person was found on image tiles: "
        "check the overlay that the skeleton lies on the person"
    ]
    code, text, _ = cli("posture", write_image(tmp_path / "c.png"))
    assert code == 0 and "warning: nobody was found on the whole image" in text


def test_saved_overlay_has_numbered_boxes_with_several_people(cli, install, tmp_path):
    with Store() as s:
        s.create_subject("P1", consent=True)
    install(FakeBackend([SMALL, BIG]))
    out = run_json(cli, "posture", write_image(tmp_path / "a.png"), "--json", "--save", "P1")
    with Store() as s:
        overlay = decode_image(s.load_artifact(out["session_id"], "overlay.png"))
    # The measured person's box (BIG: 100,0 to 500,500) is white on the grey photo, the other's
    # light grey (160): sampled on each box's left edge, half-way down, where no limb is drawn.
    (small,) = FakeBackend([SMALL]).estimate_pose(overlay)
    x1, y1, _, y2 = (round(v) for v in small.box)
    assert (overlay[250, 98:103] == 255).all(axis=1).any()
    assert (overlay[(y1 + y2) // 2, x1 - 2 : x1 + 3] == 160).all(axis=1).any()
