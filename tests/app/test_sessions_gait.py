"""Sessions review with gait sessions saved straight into the store (no model is run).

The sessions are measured by the real gait code (``analyze_gait`` → ``gait_rows``) on synthetic
side-view walks of known cadence (``tests.measure.synthetic``), so the page is checked against
values that come from the measurement code and are known beforehand.
"""

from __future__ import annotations

import io
import json
import math
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from core.app.notice import DISCLAIMER
from core.measure.gait import analyze_gait
from core.measure.summary import gait_rows, posture_rows
from core.store import Store
from tests.app.helpers import make_subject, open_page, problems, table_with, texts
from tests.measure.synthetic import walk_truth, walking_series

pytestmark = pytest.mark.slow

HEIGHT_M = 1.7
#: Not a model: the poses are drawn by ``tests.measure.synthetic.walking_series``.
SYNTHETIC = {
    "backend": "synthetic",
    "model": "tests.measure.synthetic.walking_series",
    "size": "",
    "device": "cpu",
    "dtype": "float64",
    "threshold": None,
}
#: (cadence steps/min, step-time symmetry index %) of the two walks, oldest first.
WALKS = ((100.0, 0.0), (120.0, 10.0))


def _walk(cadence: float, si_pct: float) -> tuple[pd.DataFrame, dict[str, float]]:
    result = analyze_gait(walking_series(cadence_spm=cadence, si_pct=si_pct), height_m=HEIGHT_M)
    assert result.warnings == []
    # The measurement code finds the walk's known timing (the tests below rely on these values).
    _, left, right = walk_truth(cadence, si_pct)
    assert result.cadence_spm == pytest.approx(cadence, abs=0.5)
    assert result.params["step_time_left_s"] == pytest.approx(left, abs=0.02)
    assert result.params["step_time_right_s"] == pytest.approx(right, abs=0.02)
    return gait_rows(result), dict(result.params)


def _save_gait(store: Store, subject_id: int, cadence: float, si_pct: float) -> int:
    rows, _ = _walk(cadence, si_pct)
    return store.save_session(
        subject_id,
        kind="gait",
        backend_info=SYNTHETIC,
        source_hash=f"synthetic-walk-{cadence:g}-{si_pct:g}",
        measurements=rows,
        params={"kind": "gait", "every": 1, "height_m": HEIGHT_M, "cadence_spm": cadence},
        notes=f"synthetic walk at {cadence:g} steps/min",
    )


@pytest.fixture
def two_walks() -> tuple[int, list[int], list[dict[str, float]]]:
    """A subject with two saved gait sessions: (subject id, session ids, each walk's params)."""
    subject_id = make_subject(height_m=HEIGHT_M)
    with Store() as store:
        ids = [_save_gait(store, subject_id, c, si) for c, si in WALKS]
    return subject_id, ids, [_walk(c, si)[1] for c, si in WALKS]


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """What the page's download buttons offer: media file id -> bytes (AppTest keeps the media
    files in an in-memory store it drops after each run, so the bytes are recorded on the way in)."""
    seen: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):  # noqa: ANN001, ANN202
        file_id = original(self, path_or_data, mimetype, kind, filename)
        data = path_or_data if isinstance(path_or_data, bytes) else Path(path_or_data).read_bytes()
        seen[file_id] = data
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return seen


def download(at: AppTest, key: str, seen: dict[str, bytes]) -> bytes:
    """The bytes behind the download button ``key`` as the page last offered them."""
    url = at.download_button(key=key).proto.url
    file_id = Path(url).stem
    assert file_id in seen, f"no recorded file for {key} ({url})"
    return seen[file_id]


def charts(at: AppTest) -> list[tuple[dict, pd.DataFrame]]:
    """Every Vega-Lite chart on the page as (spec, its data)."""
    out = []
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        data = {d.name: d.data.data for d in chart.proto.datasets}
        (frame,) = [convert_arrow_bytes_to_pandas_df(data[spec["data"]["name"]])]
        out.append((spec, frame))
    return out


def trend_data(at: AppTest, measure: str) -> pd.DataFrame:
    found = [
        df
        for spec, df in charts(at)
        # A trend is a layered chart (line, then points): its y axis is the line's.
        if (spec.get("layer", [spec])[0]["encoding"]["y"].get("title") or "").startswith(measure)
    ]
    assert len(found) == 1, f"expected one trend chart of {measure}, got {len(found)}"
    return found[0]


class _Tables(HTMLParser):
    """The report's <table>s as lists of rows of cell text (the stdlib has no read_html)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def report_tables(report: str) -> list[pd.DataFrame]:
    parser = _Tables()
    parser.feed(report)
    return [pd.DataFrame(t[1:], columns=t[0]) for t in parser.tables]


def _numbers(cells: pd.Series) -> list[float]:
    """Shown cells ("100.0", "+20.0 steps/min", "0.48 s") back to numbers, to compare with a
    tolerance."""
    return [float(str(c).split()[0].rstrip("°%")) for c in cells]


def _column(table: pd.DataFrame, session_id: int) -> str:
    """The compare table's column of a session (titled "#3 · 3 Dec 14:05")."""
    (name,) = [c for c in table.columns if c.startswith(f"#{session_id} ·")]
    return name


def test_table_lists_both_walks_with_cadence(two_walks) -> None:
    _, (a, b), (pa, pb) = two_walks
    at = open_page("pages/sessions.py")
    assert problems(at) == []
    listing = table_with(at, "kind")
    assert list(listing["session"]) == [a, b]
    assert list(listing["kind"]) == ["gait", "gait"]
    assert list(listing["backend"]) == ["synthetic", "synthetic"]
    # The table is text to read: steps/min with 1 decimal, seconds 2, percent 1 (display table).
    assert list(listing["cadence (steps/min)"]) == [
        f"{pa['cadence_spm']:.1f}",
        f"{pb['cadence_spm']:.1f}",
    ]
    assert _numbers(listing["cadence (steps/min)"]) == pytest.approx([100.0, 120.0], abs=0.5)
    # 120 steps/min with SI 10 %: left 0.475 s, right 0.525 s (walk_truth).
    assert list(listing["step L (s)"]) == [f"{p['step_time_left_s']:.2f}" for p in (pa, pb)]
    assert _numbers(listing["step L (s)"]) == pytest.approx([0.6, 0.475], abs=0.02)
    assert _numbers(listing["step R (s)"]) == pytest.approx([0.6, 0.525], abs=0.02)
    assert _numbers(listing["SI step time (%)"]) == pytest.approx([0.0, 10.0], abs=1.0)
    assert "knee L (°)" not in listing.columns  # no posture session, no posture columns
    # The newest session is open: its whole-walk values, not its per-frame signals or events.
    values = table_with(at, "measure")
    shown = values[values["measure"] == "Cadence"]["value"].iloc[0]
    assert shown == f"{pb['cadence_spm']:.1f} steps/min"  # steps/min: 1 decimal
    assert not values["measure"].isin(["Trunk lean", "Heel strike (left)"]).any()


def test_trend_of_cadence_has_both_sessions(two_walks) -> None:
    _, (a, b), (pa, pb) = two_walks
    at = open_page("pages/sessions.py")
    trend = at.selectbox(key="sessions_trend_measure_gait")
    # Whole-walk values only: per-frame signals and gait events are not session trends. The
    # options read in words (core.measure.display), one per measure with both sides in it.
    assert "Cadence" in trend.options and "Step time" in trend.options
    assert not {"Trunk lean", "Heel strike", "Toe-off"} & set(trend.options)
    assert not any("_" in o for o in trend.options)
    trend.set_value("cadence_spm").run()
    assert problems(at) == []
    data = trend_data(at, "Cadence (steps/min)").sort_values("created")
    assert list(data["session"]) == [a, b]
    assert list(data["value"]) == pytest.approx([pa["cadence_spm"], pb["cadence_spm"]], abs=1e-6)
    assert list(data["value"]) == pytest.approx([100.0, 120.0], abs=0.5)
    # Another measure redraws the trend with that measure's values, left and right as two
    # lines whose legend names the side and the measure.
    at.selectbox(key="sessions_trend_measure_gait").set_value("step_time_s").run()
    data = trend_data(at, "Step time (s)")
    assert set(data["measure"]) == {"Step time (left)", "Step time (right)"}
    right = data[data["side"] == "right"].sort_values("created")
    assert list(right["value"]) == pytest.approx(
        [pa["step_time_right_s"], pb["step_time_right_s"]], abs=1e-6
    )


def test_compare_shows_both_cadences(two_walks) -> None:
    _, (a, b), (pa, pb) = two_walks
    at = open_page("pages/sessions.py")
    assert problems(at) == []
    diff = table_with(at, "difference")
    cadence = diff[diff["measure"] == "Cadence"].iloc[0]
    col_a, col_b = _column(diff, a), _column(diff, b)
    assert cadence[col_a] == f"{pa['cadence_spm']:.1f} steps/min"
    assert cadence[col_b] == f"{pb['cadence_spm']:.1f} steps/min"
    assert cadence["difference"].startswith("+")
    assert _numbers([cadence["difference"]]) == pytest.approx([20.0], abs=0.5)
    # One chart per unit: cadence's bars are alone with steps/min, never with seconds or %.
    bar_charts = [
        (spec, df) for spec, df in charts(at) if spec.get("mark", {}).get("type") == "bar"
    ]
    (bars,) = [df for _, df in bar_charts if (df["measure"] == "Cadence").any()]
    assert set(bars["measure"]) == {"Cadence"}
    shown = bars.set_index("session")["value"]
    assert shown.to_dict() == pytest.approx({col_a: pa["cadence_spm"], col_b: pb["cadence_spm"]})
    # Left and right side by side: step times drawn in a left chart and a right chart.
    titles = [spec["title"]["text"] for spec, _ in bar_charts]
    assert "Times (s), left side" in titles and "Times (s), right side" in titles
    (left,) = [df for spec, df in bar_charts if spec["title"]["text"] == "Times (s), left side"]
    assert set(left["measure"]) >= {"Step time (left)"}
    assert not left["measure"].str.contains("right").any()
    # Swapping the two sessions flips the difference.
    at.selectbox(key="sessions_compare_b").set_value(a).run()
    at.selectbox(key="sessions_compare_a").set_value(b).run()
    assert problems(at) == []
    diff = table_with(at, "difference")
    flipped = diff[diff["measure"] == "Cadence"]["difference"].iloc[0]
    assert flipped.startswith("-") and _numbers([flipped]) == pytest.approx([-20.0], abs=0.5)


def test_session_csv_download_matches_the_store(two_walks, downloads) -> None:
    _, (a, b), _ = two_walks
    at = open_page("pages/sessions.py")
    store = Store()
    for session_id in (b, a):  # the newest opens first, then the older one
        if session_id == a:
            at.selectbox(key="sessions_open").set_value(a).run()
        assert problems(at) == []
        csv = pd.read_csv(io.BytesIO(download(at, "sessions_csv_long", downloads)))
        stored = store.load_measurements(session_id)
        assert len(csv) == len(stored) > 100  # per-frame signals, events and whole-walk values
        assert set(csv["session_id"]) == {session_id}
        assert set(csv["kind"]) == {"gait"} and set(csv["backend"]) == {"synthetic"}
        assert list(csv["metric"]) == list(stored["metric"])
        assert list(csv["side"].fillna("")) == list(stored["side"])
        assert list(csv["unit"]) == list(stored["unit"])
        assert np.array_equal(
            csv["frame"].to_numpy(float),
            stored["frame"].to_numpy(float, na_value=math.nan),
            equal_nan=True,
        )
        assert np.allclose(csv["time_s"], stored["time_s"], equal_nan=True, rtol=0, atol=0)
        assert np.allclose(csv["value"], stored["value"], equal_nan=True, rtol=0, atol=0)
        cadence = csv[csv["metric"] == "cadence_spm"]["value"]
        assert list(cadence) == pytest.approx([100.0 if session_id == a else 120.0], abs=0.5)


def test_report_has_label_cadences_and_disclaimer(two_walks, downloads) -> None:
    _, (a, b), (pa, pb) = two_walks
    at = open_page("pages/sessions.py")
    assert problems(at) == []
    report = download(at, "sessions_report", downloads).decode("utf-8")
    assert "<h1>Sapiens Measure report: P001</h1>" in report
    assert "Measurements, not diagnoses" in report and DISCLAIMER in report
    assert "<script" not in report.lower()  # it must open offline
    tables = report_tables(report)
    sessions = tables[0]
    assert list(sessions["session"]) == [str(a), str(b)]
    # Steps/min with one decimal (core.measure.display), as on the page.
    assert list(sessions["cadence (steps/min)"]) == [
        f"{pa['cadence_spm']:.1f}",
        f"{pb['cadence_spm']:.1f}",
    ]
    assert list(sessions["cadence (steps/min)"]) == ["100.0", "120.0"]
    # One values table per session, each with its own cadence, and a cadence trend chart.
    per_session = [t for t in tables[1:] if "measure" in t.columns]
    assert len(per_session) == 2
    for table, params in zip(per_session, (pa, pb)):
        row = table[table["measure"] == "Cadence"].iloc[0]
        assert (row["value"], row["unit"]) == (f"{params['cadence_spm']:.1f}", "steps/min")
        assert not table["measure"].str.contains("_").any()  # words, never raw keys
    assert 'aria-label="Cadence (steps/min) by session"' in report
    assert "cadence_spm" not in report and "None" not in report


def test_report_of_a_posture_and_a_gait_session(two_walks, downloads) -> None:
    # A photo's row has no gait numbers: blank cells, never "not visible" or "None".
    subject_id, (a, b), _ = two_walks
    with Store() as store:
        p = store.save_session(
            subject_id,
            kind="posture",
            backend_info={**SYNTHETIC, "model": "hand-made measures"},
            source_hash="posture",
            measurements=posture_rows({"left_knee_angle_deg": 170.0, "trunk_lean_deg": math.nan}),
        )
    at = open_page("pages/sessions.py")
    assert problems(at) == []
    report = download(at, "sessions_report", downloads).decode("utf-8")
    assert "not visible" not in report and "None" not in report
    sessions = report_tables(report)[0].set_index("session")
    assert sessions.loc[str(p), "cadence (steps/min)"] == ""
    assert sessions.loc[str(p), "knee L (°)"] == "170.0"
    assert sessions.loc[str(a), "knee L (°)"] == ""
    (photo,) = [
        t
        for t in report_tables(report)[1:]
        if "measure" in t.columns and "Trunk lean" in set(t["measure"])
    ]
    assert photo.set_index("measure").loc["Trunk lean", "value"] == "not measured"


def test_posture_and_gait_of_one_subject(two_walks) -> None:
    subject_id, (a, b), _ = two_walks
    with Store() as store:
        p = store.save_session(
            subject_id,
            kind="posture",
            backend_info={**SYNTHETIC, "model": "hand-made measures"},
            source_hash="posture",
            measurements=posture_rows(
                {
                    "left_knee_angle_deg": 170.0,
                    "right_knee_angle_deg": math.nan,
                    "trunk_lean_deg": 2.0,
                    "neck_flexion_deg": 10.0,
                }
            ),
        )
    at = open_page("pages/sessions.py")
    assert problems(at) == []
    listing = table_with(at, "kind").set_index("session")
    assert list(listing["kind"]) == ["gait", "gait", "posture"]
    # A photo has no gait numbers: its gait cells are blank, not "not visible" or "None".
    assert listing.loc[p, "knee L (°)"] == "170.0" and listing.loc[p, "cadence (steps/min)"] == ""
    assert _numbers([listing.loc[a, "cadence (steps/min)"]]) == pytest.approx([100.0], abs=0.5)
    assert listing.loc[a, "knee L (°)"] == ""
    # Each kind has its own trend, offering that kind's measures only.
    posture = set(at.selectbox(key="sessions_trend_measure_posture").options)
    gait = set(at.selectbox(key="sessions_trend_measure_gait").options)
    assert posture == {"Knee angle", "Trunk lean", "Neck flexion"}
    assert "Cadence" in gait and not gait & posture
    assert not any(m.startswith(("Knee", "Neck")) for m in gait)
    at.selectbox(key="sessions_trend_measure_posture").set_value("trunk_lean_deg").run()
    assert problems(at) == []
    data = trend_data(at, "Trunk lean")
    assert list(data["session"]) == [p] and list(data["value"]) == [2.0]
    # The posture photo is the latest: compare offers no walk against it and says so.
    assert at.selectbox(key="sessions_compare_b").value == p
    assert not [s for s in at.selectbox if s.key == "sessions_compare_a"]
    assert f"No other posture session to compare #{p} with" in texts(at)
    assert not [t for t in at.table if "difference" in t.value.columns]
    # A walk as B: A offers the other walk only, never the photo.
    at.selectbox(key="sessions_compare_b").set_value(b).run()
    assert problems(at) == []
    offered = at.selectbox(key="sessions_compare_a")
    assert offered.value == a and len(offered.options) == 1
    assert all("gait" in o for o in offered.options)
    diff = table_with(at, "difference")
    assert "Cadence" in set(diff["measure"]) and not diff["measure"].str.startswith("Knee").any()


def test_compare_defaults_to_the_latest_walk_against_the_previous_walk() -> None:
    # Sessions in the order walk, posture photo, walk: the default pair is the two walks, not
    # the photo and the latest walk (which would share no measure).
    subject_id = make_subject(height_m=HEIGHT_M)
    with Store() as store:
        first = _save_gait(store, subject_id, 100.0, 0.0)
        store.save_session(
            subject_id,
            kind="posture",
            backend_info={**SYNTHETIC, "model": "hand-made measures"},
            source_hash="posture",
            measurements=posture_rows({"trunk_lean_deg": 2.0}),
        )
        last = _save_gait(store, subject_id, 120.0, 10.0)
    at = open_page("pages/sessions.py")
    assert problems(at) == []
    assert at.selectbox(key="sessions_compare_a").value == first
    assert at.selectbox(key="sessions_compare_b").value == last
    diff = table_with(at, "difference")
    cadence = diff[diff["measure"] == "Cadence"].iloc[0]
    assert _numbers([cadence["difference"]]) == pytest.approx([20.0], abs=0.5)
