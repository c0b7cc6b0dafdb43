"""The Ray engine on a local Ray instance with 2 CPUs: same sessions as the local engine."""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
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
        ray.init(
            num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1"
        )
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def ray_head():
    """An existing 'cluster': a Ray head started with the ``ray`` CLI, on loopback only."""
    pytest.importorskip("ray", reason="Ray is an optional extra: pip install -e .[ray]")
    exe = str(Path(sys.executable).with_name("ray"))
    port = _free_port()
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    started = subprocess.run(
        [exe, "start", "--head", f"--port={port}", "--node-ip-address=127.0.0.1", "--num-cpus=2",
         "--include-dashboard=false", "--disable-usage-stats"],
        capture_output=True, text=True, timeout=180, env=env,
    )  # fmt: skip
    if started.returncode != 0:
        pytest.skip(f"a Ray head cannot start on this machine: {started.stderr[-300:]}")
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([exe, "stop", "--force"], capture_output=True, timeout=180, env=env)


def _one_photo_archive(tmp_path: Path, media_dir: Path) -> Path:
    archive = tmp_path / "archive" / "P01"
    archive.mkdir(parents=True)
    (archive / "a.png").write_bytes((media_dir / "cameraman_standing.png").read_bytes())
    return archive.parent


def test_ray_engine_starts_its_own_instance_and_stops_it(tmp_path: Path, media_dir: Path) -> None:
    ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install -e .[ray]")
    assert not ray.is_initialized()
    with Store() as store:
        options = BatchOptions(backend="lite", engine="ray", workers=1, consent_confirmed=True,
                               summary_path=tmp_path / "own.csv")  # fmt: skip
        report = run_batch(_one_photo_archive(tmp_path, media_dir), options, store=store,
                           show_progress=False)  # fmt: skip
        assert report.counts["processed"] == 1
        assert len(store.list_sessions()) == 1
    assert not ray.is_initialized()  # the instance the command started is shut down again


def test_ray_engine_uses_an_existing_cluster_address(
    ray_head: str, tmp_path: Path, media_dir: Path
) -> None:
    import ray

    with Store() as store:
        options = BatchOptions(backend="lite", engine="ray", workers=1, consent_confirmed=True,
                               ray_address=ray_head, summary_path=tmp_path / "cluster.csv")  # fmt: skip
        report = run_batch(_one_photo_archive(tmp_path, media_dir), options, store=store,
                           show_progress=False)  # fmt: skip
        assert report.counts["processed"] == 1
        assert [s.kind for s in store.list_sessions()] == ["posture"]
    assert not ray.is_initialized()  # disconnected from the cluster, which keeps running
