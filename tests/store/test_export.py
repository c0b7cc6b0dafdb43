"""CSV export: round trip through pandas, wide per-frame layout, formula injection neutralised."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from core.store.export import (
    LONG_COLUMNS,
    neutralise_cell,
    session_long_csv,
    session_wide_csv,
    subject_csv,
)
from tests.store.conftest import INFO, rows


def _read(text):
    return pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""])


def test_long_csv_round_trips_measurements(store):
    sid = store.create_subject("P1", consent=True)
    df = rows(4, seed=3)
    session_id = store.save_session(
        sid, kind="gait", backend_info=INFO, source_hash="abc", measurements=df
    )
    back = _read(session_long_csv(session_id, store=store))
    assert tuple(back.columns) == LONG_COLUMNS
    assert (back["session_id"] == session_id).all() and (back["subject_label"] == "P1").all()
    assert (back["backend"] == "fake").all() and (back["threshold"] == 0.5).all()
    got = back[["frame", "time_s", "metric", "side", "value", "unit"]].fillna({"side": ""})
    pd.testing.assert_frame_equal(got, df, check_dtype=False, rtol=0, atol=0)


def test_wide_csv_one_row_per_frame_one_column_per_metric_side(store):
    sid = store.create_subject("P1", consent=True)
    df = rows(3, seed=1)
    session_id = store.save_session(
        sid, kind="gait", backend_info=INFO, source_hash="", measurements=df
    )
    wide = _read(session_wide_csv(session_id, store=store))
    # rows(): per frame knee left, knee right, trunk lean (no side) -> those three columns in that order.
    assert list(wide.columns) == [
        "frame",
        "time_s",
        "knee_angle_deg_left",
        "knee_angle_deg_right",
        "trunk_lean_deg",
    ]
    assert wide["frame"].tolist() == [0, 1, 2]
    assert wide["time_s"].tolist() == pytest.approx([0, 1 / 30, 2 / 30])
    # trunk lean is -3.2 - frame (see rows()).
    assert wide["trunk_lean_deg"].tolist() == pytest.approx([-3.2, -4.2, -5.2])
    left = df[(df.metric == "knee_angle_deg") & (df.side == "left")]["value"].tolist()
    assert wide["knee_angle_deg_left"].tolist() == pytest.approx(left)


def test_wide_csv_of_a_whole_image_session_has_one_row_with_empty_frame(store):
    sid = store.create_subject("P1")
    df = pd.DataFrame([(None, None, "neck_flexion_deg", "", 12.0, "deg")], columns=rows(1).columns)
    wide = _read(
        session_wide_csv(
            store.save_session(
                sid, kind="posture", backend_info=INFO, source_hash="", measurements=df
            ),
            store=store,
        )
    )
    assert wide["frame"].isna().tolist() == [True] and wide["neck_flexion_deg"].tolist() == [12.0]


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_prefixes_in_label_and_notes_are_neutralised(store, prefix):
    label = f"{prefix}SUM(A1)"
    notes = f'{prefix}HYPERLINK("http://x")'
    sid = store.create_subject(label.strip() if prefix in "\t\r" else label)
    stored_label = store.get_subject(
        sid
    ).label  # tab/CR are refused in labels (control characters)...
    df = rows(1)
    session_id = store.save_session(
        sid, kind="posture", backend_info=INFO, source_hash="", measurements=df, notes=notes
    )
    for text in (session_long_csv(session_id, store=store), subject_csv(sid, store=store)):
        back = _read(text)
        # ...but notes may hold them, and every text cell that starts like a formula gets a quote.
        assert set(back["notes"]) == {"'" + notes}
        assert set(back["subject_label"]) == {neutralise_cell(stored_label)}
        assert not any(
            str(c).startswith(("=", "+", "-", "@", "\t", "\r"))
            for col in back.columns
            for c in back[col]
            if isinstance(c, str)
        )
        # Negative numbers stay numbers: the trunk lean row reads back as the float -3.2.
        assert back.loc[back.metric == "trunk_lean_deg", "value"].tolist() == [-3.2]
        assert back["value"].dtype == float


def test_neutralise_cell_leaves_numbers_and_safe_text():
    assert neutralise_cell(-3.2) == -3.2
    assert neutralise_cell("left") == "left"
    assert neutralise_cell("=1+1") == "'=1+1"
    assert neutralise_cell("-3.2") == "'-3.2"  # text that merely looks numeric is still text


def test_subject_csv_holds_every_session(store):
    sid = store.create_subject("P1")
    ids = [
        store.save_session(
            sid, kind="gait", backend_info=INFO, source_hash=str(i), measurements=rows(2)
        )
        for i in range(3)
    ]
    back = _read(subject_csv(sid, store=store))
    # rows(2) has 2 frames x 3 rows = 6 rows per session.
    assert back.groupby("session_id").size().to_dict() == {i: 6 for i in ids}


def test_csv_is_utf8_with_header(store):
    sid = store.create_subject("Zoë")
    session_id = store.save_session(
        sid, kind="posture", backend_info=INFO, source_hash="", measurements=rows(1), notes="naïve"
    )
    text = session_long_csv(session_id, store=store)
    assert text.splitlines()[0] == ",".join(LONG_COLUMNS)
    assert "Zoë" in text.encode("utf-8").decode("utf-8") and "naïve" in text


def test_gait_joint_angle_samples_export_with_their_flags(store):
    # Issue 15: every number carries its confidence, the walk's per-frame curves included.
    from core.measure.gait import analyze_gait
    from core.measure.summary import gait_rows
    from tests.measure.synthetic import walking_series

    sid = store.create_subject("P1", consent=True)
    result = analyze_gait(walking_series(gap=(50, 53)), reliable_score=0.8)
    session_id = store.save_session(
        sid, kind="gait", backend_info=INFO, source_hash="walk", measurements=gait_rows(result)
    )
    long = _read(session_long_csv(session_id, store=store))
    knee = long[(long["metric"] == "knee_signed_flexion_deg") & (long["side"] == "left")]
    assert len(knee) == 180
    by_frame = knee.set_index("frame")
    # The filled gap: a value, no score, not reliable, and why.
    gap = by_frame.loc[[50, 51, 52]]
    assert gap["score"].isna().all() and (gap["reliable"].astype(str) == "False").all()
    assert (gap["reason"] == "gap_filled").all()
    seen = by_frame.loc[[40, 60]]
    assert (seen["score"] == 0.9).all() and (seen["reliable"].astype(str) == "True").all()
    assert seen["reason"].isna().all()
    # No companion row leaks into the CSV as a measure of its own.
    assert not long["metric"].str.contains(":").any()
    assert long[long["metric"] == "reliable_min_score"]["value"].tolist() == [0.8]

    wide = _read(session_wide_csv(session_id, store=store))
    cols = [c for c in wide.columns if c.startswith("knee_signed_flexion_deg_left")]
    assert cols == ["knee_signed_flexion_deg_left", "knee_signed_flexion_deg_left_score",
                    "knee_signed_flexion_deg_left_reliable", "knee_signed_flexion_deg_left_sigma",
                    "knee_signed_flexion_deg_left_reason"]  # fmt: skip
    row = wide[wide["frame"] == 51].iloc[0]
    assert str(row["knee_signed_flexion_deg_left_reliable"]) == "False"
    assert row["knee_signed_flexion_deg_left_reason"] == "gap_filled"
