"""Summary CSV, progress line, the batch key and failure ledger (no models)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from core.batch.ledger import FailureLedger
from core.batch.progress import Progress, format_duration
from core.batch.summary import COLUMNS, SummaryWriter
from core.sessions.key import gait_key, posture_key
from core.sessions.options import GaitOptions, PostureOptions

INFO = {"backend": "lite", "model": "full", "size": "", "device": "cpu", "dtype": "float32",
        "threshold": 0.5}  # fmt: skip


def test_summary_guards_formulas_and_keeps_numbers(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    with SummaryWriter(path) as out:
        out.write(file="=HYPERLINK(1).png", subject="@P1", status="processed", session_id=4,
                  measures={"trunk_lean_deg": -3.5, "hip_tilt_deg": float("nan")},
                  error="line1\nline2")  # fmt: skip
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert tuple(rows[0]) == COLUMNS
    assert rows[0]["file"] == "'=HYPERLINK(1).png"
    assert rows[0]["subject"] == "'@P1"
    assert rows[0]["trunk_lean_deg"] == "-3.5"  # a number stays a number, sign and all
    assert rows[0]["hip_tilt_deg"] == ""
    assert rows[0]["session_id"] == "4"
    assert rows[0]["error"] == "line1 line2"


def test_summary_refuses_unknown_status(tmp_path: Path) -> None:
    with SummaryWriter(tmp_path / "s.csv") as out, pytest.raises(ValueError, match="status"):
        out.write(file="a.png", status="done")


def test_progress_rate_and_time_left_count_analysed_files_only() -> None:
    now = [0.0]
    stream = io.StringIO()
    bar = Progress(10, stream=stream, clock=lambda: now[0])
    bar.advance("unchanged", analysed=False)
    now[0] = 60.0
    bar.advance("processed")
    bar.advance("processed")
    # 2 analysed files in 60 s = 2 files/min; 7 files left -> 3.5 min = 3:30.
    assert bar.rate_per_min() == pytest.approx(2.0)
    assert bar.seconds_left() == pytest.approx(210.0)
    assert "3/10" in bar.line() and "3:30 left" in bar.line()
    assert stream.getvalue().count("\n") >= 1  # not a terminal: whole lines


def test_progress_in_frames_per_second_without_counts() -> None:
    # The gait CLI's bar: 50 frames in 2 s = 25 frames/s; 150 left -> 6 s = 0:06.
    now = [0.0]
    bar = Progress(200, stream=io.StringIO(), clock=lambda: now[0], unit="frames",
                   per_second=True, show_counts=False)  # fmt: skip
    now[0] = 2.0
    for _ in range(50):
        bar.advance("analysed")
    line = bar.line()
    assert "50/200" in line and "25.0 frames/s" in line and "0:06 left" in line
    assert "analysed" not in line


def test_format_duration() -> None:
    assert format_duration(59.6) == "1:00"
    assert format_duration(3600) == "1:00:00"
    assert format_duration(float("inf")) == "?"


def test_key_follows_model_and_options_not_device() -> None:
    # The batch driver's key before analysing (core.sessions.key), which replaced its fingerprint.
    front = PostureOptions(view="front")
    base = posture_key(INFO, front)
    assert base == posture_key({**INFO, "device": "cuda"}, front)
    assert base != posture_key({**INFO, "dtype": "bfloat16"}, front)
    assert base != posture_key(INFO, PostureOptions(view="side"))
    assert base != gait_key(INFO, GaitOptions())


def test_ledger_remembers_and_forgets_failures(tmp_path: Path) -> None:
    with FailureLedger(tmp_path) as ledger:
        assert ledger.failed_at("h", "f") is None
        ledger.record_failure("h", "f")
        assert ledger.failed_at("h", "f") is not None
        assert ledger.failed_at("h", "other") is None
        ledger.clear("h", "f")
        assert ledger.failed_at("h", "f") is None
