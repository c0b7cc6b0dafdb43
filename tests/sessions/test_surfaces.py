"""One photo or video, three surfaces: a session saved by the app, the CLI or batch has the same
parameters key and is found by the other two (real media, lite backend, local batch engine)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from core.batch.run import BatchOptions, run_batch
from core.cli import main
from core.store import Store
from tests.app.helpers import make_subject, open_page, problems, texts
from tests.batch.conftest import cut_video
from tests.conftest import shared_path

pytestmark = [pytest.mark.slow, pytest.mark.shared]

PHOTO = "cameraman_standing.png"
OTHER_PHOTO = "astronaut_upper_body.png"


def _keys(store: Store) -> dict[int, str]:
    rows = store._read("SELECT id, params_key FROM sessions")
    return {int(sid): key for sid, key in rows}


def _batch(archive: Path, summary: Path) -> dict[str, dict[str, str]]:
    options = BatchOptions(backend="lite", workers=1, consent_confirmed=True, summary_path=summary)
    with Store() as store:
        report = run_batch(archive, options, store=store, show_progress=False)
    assert not report.interrupted
    with summary.open(encoding="utf-8") as fh:
        return {row["file"]: row for row in csv.DictReader(fh)}


def _app_upload(at, name: str):  # noqa: ANN001, ANN202
    at.radio(key="posture_source").set_value("Upload")
    data = shared_path("data", name).read_bytes()
    at.file_uploader(key="posture_upload").set_value((name, data, "image/png"))
    return at.run()


def test_a_photo_saved_anywhere_is_found_everywhere(tmp_path: Path, capfd) -> None:  # noqa: ANN001
    make_subject("P001")
    photo = tmp_path / PHOTO
    shutil.copy(shared_path("data", PHOTO), photo)

    # 1. The CLI saves the photo ("auto" on the command line would resolve to the same lite model).
    assert main(["posture", str(photo), "--backend", "lite", "--save", "P001"]) == 0
    capfd.readouterr()
    with Store() as store:
        (cli_session,) = store.list_sessions()

    # 2. The app finds it: no second save offered.
    at = _app_upload(open_page("pages/posture.py"), PHOTO)
    assert problems(at) == []
    assert f"already saved for P001 as session {cli_session.id}" in texts(at)

    # 3. The app saves another photo; batch finds both, analyses nothing.
    at = _app_upload(at, OTHER_PHOTO)
    at.button(key="posture_save").click().run()
    assert problems(at) == []
    with Store() as store:
        app_session = next(s for s in store.list_sessions() if s.id != cli_session.id)
        keys = _keys(store)
    archive = tmp_path / "archive"
    (archive / "P001").mkdir(parents=True)
    shutil.copy(photo, archive / "P001" / "again.png")
    shutil.copy(shared_path("data", OTHER_PHOTO), archive / "P001" / "other.png")
    summary = _batch(archive, tmp_path / "run.csv")
    assert {f: (r["status"], int(r["session_id"])) for f, r in summary.items()} == {
        "P001/again.png": ("unchanged", cli_session.id),
        "P001/other.png": ("unchanged", app_session.id),
    }

    # 4. The same key whoever saved: batch saving the photo anew (another subject) gives the CLI's.
    (archive / "P002").mkdir()
    shutil.copy(photo, archive / "P002" / "fresh.png")
    summary = _batch(archive, tmp_path / "run2.csv")
    assert summary["P002/fresh.png"]["status"] == "processed"
    with Store() as store:
        fresh = int(summary["P002/fresh.png"]["session_id"])
        assert _keys(store)[fresh] == keys[cli_session.id]
        assert store.get_session(fresh).source_hash == cli_session.source_hash
        # The rows the two paths stored are the same numbers (an empty frame: a photo).
        a = store.load_measurements(fresh, companions=True)
        b = store.load_measurements(cli_session.id, companions=True)
        assert a["metric"].tolist() == b["metric"].tolist()
        assert a["value"].fillna(-1.0).tolist() == pytest.approx(b["value"].fillna(-1.0).tolist())
        assert a["frame"].isna().all() and b["frame"].isna().all()


def test_fast_is_another_key_only_with_a_flip_test(tmp_path: Path, capfd, monkeypatch) -> None:  # noqa: ANN001
    from tests.cli.fakes import use_backend
    from tests.sessions.test_make import FlipBackend

    make_subject("P001")
    photo = tmp_path / PHOTO
    shutil.copy(shared_path("data", PHOTO), photo)
    # The lite backend has a flip test for photos too (since core/backends/lite_flip.py; it had
    # none before, when this test asserted lite == lite_fast): --fast is another computation there.
    for extra in ([], ["--fast"]):
        assert main(["posture", str(photo), "--backend", "lite", "--save", "P001", *extra]) == 0
    # A backend with Sapiens2's flip test: --fast is another computation, another key.
    use_backend(monkeypatch, FlipBackend())
    for extra in ([], ["--fast"]):
        assert main(["posture", str(photo), "--save", "P001", *extra]) == 0
    capfd.readouterr()
    with Store() as store:
        lite, lite_fast, flip, flip_fast = (k for _, k in sorted(_keys(store).items()))
        fast_params = store.list_sessions()[-1].params
    assert lite != lite_fast  # was ==: the lite flip test made --fast matter for lite
    assert flip != flip_fast and len({lite, lite_fast, flip, flip_fast}) == 4
    assert fast_params["fast"] is True  # the session now records it


def test_a_video_saved_by_the_cli_is_not_analysed_again_by_batch(tmp_path: Path, capfd) -> None:  # noqa: ANN001
    make_subject("P001", height_m=None)
    archive = tmp_path / "archive"
    (archive / "P001").mkdir(parents=True)
    video = cut_video(
        shared_path("data", "walking_side_view.mp4"), archive / "P001" / "walk.mp4", 40
    )
    assert main(["gait", str(video), "--backend", "lite", "--save", "P001"]) == 0
    capfd.readouterr()
    with Store() as store:
        (saved,) = store.list_sessions()
    summary = _batch(archive, tmp_path / "run.csv")
    assert summary["P001/walk.mp4"]["status"] == "unchanged"
    assert int(summary["P001/walk.mp4"]["session_id"]) == saved.id
