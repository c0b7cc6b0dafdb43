"""The Ray engine on a local Ray instance with 2 CPUs: same sessions as the local engine."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from core.batch.run import BatchOptions, run_batch
from core.store import Store
from tests.batch.conftest import build_archive
from tests.batch.test_run import check_first_run

pytestmark = [pytest.mark.slow, pytest.mark.shared]


@pytest.fixture
def local_ray():
    ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install -e .[ray]")
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    except Exception as exc:  # e.g. no shared memory in a sandbox
        pytest.skip(f"Ray cannot start on this machine: {exc}")
    try:
        yield ray
    finally:
        ray.shutdown()


def test_ray_engine_stores_what_the_single_file_path_measures(
    local_ray, tmp_path: Path, media_dir: Path, reference: dict
) -> None:
    archive = build_archive(tmp_path / "archive", media_dir)
    with Store() as store:
        store.create_subject("P03", consent=False)
        options = BatchOptions(backend="lite", engine="ray", workers=2, consent_confirmed=True,
                               summary_path=tmp_path / "ray.csv")  # fmt: skip
        report = run_batch(archive, options, store=store, show_progress=False)
        assert not report.interrupted
        with (tmp_path / "ray.csv").open(encoding="utf-8") as fh:
            summary = {row["file"]: row for row in csv.DictReader(fh)}
        check_first_run(summary, store, reference)
        # The engine used the Ray instance it found and left it running for its owner.
        assert local_ray.is_initialized()

        again = BatchOptions(**{**options.__dict__, "summary_path": tmp_path / "ray2.csv"})
        report = run_batch(archive, again, store=store, show_progress=False)
        assert report.counts["processed"] == 0 and report.counts["unchanged"] == 4
