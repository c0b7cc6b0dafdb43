"""End to end on the local engine: real media, lite backend, the session store, the summary CSV."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from core.batch.run import BatchOptions, run_batch
from core.batch.summary import POSTURE_KEYS as KEYS
from core.errors import InputError
from core.store import Store
from tests.batch.conftest import assert_same_rows, build_archive

pytestmark = [pytest.mark.slow, pytest.mark.shared]

SOURCE = {
    "P01/standing.png": "cameraman_standing.png",
    "P01/upper.png": "astronaut_upper_body.png",
    "P02/standing_copy.png": "cameraman_standing.png",
    "P02/walk.mp4": "walk.mp4",
}


def read_summary(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return {row["file"]: row for row in csv.DictReader(fh)}


def check_first_run(summary: dict, store: Store, reference: dict[str, pd.DataFrame]) -> None:
    """What any engine must produce on the archive of ``build_archive``."""
    status = {f: r["status"] for f, r in summary.items()}
    assert status == {
        "P01/broken.png": "failed",
        "P01/notes.txt": "skipped",
        "P01/standing.png": "processed",
        "P01/upper.png": "processed",
        "P02/standing_copy.png": "processed",
        "P02/walk.mp4": "processed",
        "P03/standing.png": "skipped",
    }
    assert "truncated or corrupt" in summary["P01/broken.png"]["error"]
    assert "without consent" in summary["P03/standing.png"]["error"]
    for rel, name in SOURCE.items():
        row = summary[rel]
        session = store.get_session(int(row["session_id"]))
        assert store.get_subject(session.subject_id).label == rel.split("/")[0] == row["subject"]
        assert session.kind == ("gait" if rel.endswith(".mp4") else "posture")
        assert session.backend == "lite"
        # With their companion rows: the batch path stores each measure's score and flag too.
        assert_same_rows(store.load_measurements(session.id, companions=True), reference[name])
    # The summary's measure columns are the CLI JSON's numbers.
    trunk = reference["cameraman_standing.png"].query("metric == 'trunk_lean_deg'")["value"].iloc[0]
    assert float(summary["P01/standing.png"]["trunk_lean_deg"]) == pytest.approx(trunk)
    # Beside them, which are stored as unreliable (the session's own flags), and a walk's grade.
    for rel in ("P01/standing.png", "P01/upper.png"):
        rows = store.load_measurements(int(summary[rel]["session_id"]), companions=True)
        flags = rows[rows["metric"].str.endswith(":reliable") & (rows["value"] == 0.0)]
        stored = {
            f"{s}_{m.removesuffix(':reliable')}" if s else m.removesuffix(":reliable")
            for m, s in zip(flags["metric"], flags["side"])
        }
        listed = set(filter(None, summary[rel]["unreliable"].split(";")))
        measured = {k for k in KEYS if summary[rel][k] != ""}
        assert listed == stored & measured, rel
    assert summary["P02/walk.mp4"]["quality_grade"] in ("good", "limited", "unusable")
    assert summary["P01/standing.png"]["quality_grade"] == ""
    assert store.load_artifact(int(summary["P01/upper.png"]["session_id"]), "overlay.png")[:4] == (
        b"\x89PNG"
    )


def test_local_engine_stores_what_the_single_file_path_measures(
    tmp_path: Path, media_dir: Path, reference: dict
) -> None:
    archive = build_archive(tmp_path / "archive", media_dir)
    with Store() as store:
        store.create_subject("P03", consent=False)
        options = BatchOptions(backend="lite", workers=2, consent_confirmed=True,
                               summary_path=tmp_path / "run1.csv")  # fmt: skip
        report = run_batch(archive, options, store=store, show_progress=False)
        assert not report.interrupted
        assert report.counts["processed"] == 4 and report.counts["failed"] == 1
        check_first_run(read_summary(tmp_path / "run1.csv"), store, reference)
        assert store.get_subject(store.find_subject("P01").id).consent
        n_sessions = len(store.list_sessions())

        # A second run finds everything stored: nothing new is analysed or saved.
        again = BatchOptions(**{**options.__dict__, "summary_path": tmp_path / "run2.csv"})
        report = run_batch(archive, again, store=store, show_progress=False)
        summary = read_summary(tmp_path / "run2.csv")
        assert report.counts["processed"] == 0 and report.counts["failed"] == 0
        assert {f for f, r in summary.items() if r["status"] == "unchanged"} == set(SOURCE)
        assert "--retry-failed" in summary["P01/broken.png"]["error"]
        assert len(store.list_sessions()) == n_sessions

        # Asked to, it tries the failed file again (and only that one).
        retry = BatchOptions(**{**again.__dict__, "retry_failed": True,
                                "summary_path": tmp_path / "run3.csv"})  # fmt: skip
        report = run_batch(archive, retry, store=store, show_progress=False)
        assert report.counts["failed"] == 1 and report.counts["processed"] == 0
        assert len(store.list_sessions()) == n_sessions


def test_batch_needs_consent_confirmation(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--consent-confirmed"):
        run_batch(tmp_path, BatchOptions(backend="lite"), show_progress=False)


def test_cli_batch_runs_and_reports(tmp_path: Path, media_dir: Path, capsys) -> None:
    from core.cli import main

    archive = tmp_path / "archive"
    (archive / "P9").mkdir(parents=True)
    (archive / "P9" / "a.png").write_bytes((media_dir / "cameraman_standing.png").read_bytes())
    out = tmp_path / "summary.csv"
    argv = [
        "batch",
        str(archive),
        "--backend",
        "lite",
        "--workers",
        "1",
        "--quiet",
        "--out",
        str(out),
    ]
    assert main(argv) == 1  # without --consent-confirmed
    assert "--consent-confirmed" in capsys.readouterr().err
    assert main([*argv, "--consent-confirmed"]) == 0
    assert "1 processed" in capsys.readouterr().out
    assert read_summary(out)["P9/a.png"]["status"] == "processed"
