"""Several users at once: N threads run posture snapshots through ``core.analysis.analyze_posture`` on
ONE shared lite backend and save into ONE store, as concurrent app sessions do. Every result equals
the single-threaded one and is stored; no "database is locked" reaches anyone; the model is never
run by two threads at once. Throughput is measured and reported (not asserted)."""

from __future__ import annotations

import math
import os
import threading
import time

import numpy as np
import pytest

from core.analysis import analyze_posture
from core.backends.base import Backend
from core.imaging.decode import decode_image
from core.store import Store
from tests.conftest import shared_path
from tests.reliability.harness import FIGURES, count

N_THREADS = int(os.environ.get("SAPIENS_MEASURE_CONCURRENCY_THREADS", "6"))
PER_THREAD = int(os.environ.get("SAPIENS_MEASURE_CONCURRENCY_FILES", "4"))


class _Watched(Backend):
    """Wraps a backend and records how many threads are inside ``estimate_pose`` at once."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.inside = 0
        self.most_inside = 0
        self._count = threading.Lock()

    def estimate_pose(self, *args, **kwargs):
        with self._count:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
        try:
            time.sleep(0.002)  # widen the window in which an overlap would be seen
            return self.inner.estimate_pose(*args, **kwargs)
        finally:
            with self._count:
                self.inside -= 1

    def describe(self):
        return self.inner.describe()


def _same(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(
        (math.isnan(a[k]) and math.isnan(b[k])) or a[k] == b[k] for k in a
    )


@pytest.mark.slow
def test_concurrent_posture_sessions_share_one_model_and_one_store(lite_backend):
    image = decode_image(shared_path("data", "cameraman_standing.png"))
    backend = _Watched(lite_backend)
    reference = analyze_posture(image, backend).measures
    assert not all(math.isnan(v) for v in reference.values()), "the lite model found nobody"

    # Single-threaded throughput on the same machine, for the report.
    start = time.perf_counter()
    for _ in range(PER_THREAD):
        analyze_posture(image, backend)
    serial_fps = PER_THREAD / (time.perf_counter() - start)

    with Store() as store:
        sids = [store.create_subject(f"U{i}", consent=True) for i in range(N_THREADS)]
        errors: list[BaseException] = []
        results: list[tuple[int, int, dict]] = []
        gate = threading.Barrier(N_THREADS)

        def user(i: int) -> None:
            try:
                gate.wait()
                for j in range(PER_THREAD):
                    r = analyze_posture(image, backend)
                    sid = store.save_session(
                        sids[i], kind="posture", backend_info=r.backend_info,
                        source_hash=f"{i}-{j}", measurements=r.rows, notes=f"user {i} file {j}",
                    )  # fmt: skip
                    results.append((i, sid, r.measures))
            except BaseException as exc:  # noqa: BLE001 - reported below with the thread
                errors.append(exc)

        threads = [threading.Thread(target=user, args=(i,)) for i in range(N_THREADS)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        elapsed = time.perf_counter() - start
        assert errors == [], f"errors surfaced to users: {errors!r}"
        assert not any("locked" in str(e) for e in errors)
        assert len(results) == N_THREADS * PER_THREAD
        for i, sid, measures in results:
            assert _same(measures, reference), f"user {i}: result differs from single-threaded"
            stored = store.load_measurements(sid)
            assert len(stored) == len(reference)
            by_metric = {
                (m + "_" + s if s else m): v
                for m, s, v in zip(stored["metric"], stored["side"], stored["value"])
            }
            assert np.isclose(
                sorted(v for v in by_metric.values() if not math.isnan(v)),
                sorted(v for v in reference.values() if not math.isnan(v)),
            ).all()
        for sid in sids:
            assert len(store.list_sessions(sid)) == PER_THREAD
    count("concurrency: posture snapshots (threads)", "correct and stored")
    assert backend.most_inside == 1, "two threads ran the model at once (no per-model lock)"
    total = N_THREADS * PER_THREAD
    FIGURES["concurrency: threads x files"] = f"{N_THREADS} x {PER_THREAD} = {total}"
    FIGURES["concurrency: files/s, 1 thread"] = f"{serial_fps:.1f}"
    FIGURES[f"concurrency: files/s, {N_THREADS} threads"] = f"{total / elapsed:.1f}"
    FIGURES["concurrency: most threads inside the model"] = backend.most_inside


def test_inference_lock_serialises_one_backend_but_not_two():
    from core.analysis import inference_lock

    a, b = _Watched(None), _Watched(None)
    with inference_lock(a):
        other = threading.Thread(target=lambda: inference_lock(b).__enter__())
        other.start()
        other.join(timeout=5)
        assert not other.is_alive(), "a second backend must not wait for the first one's lock"
        took = []
        t = threading.Thread(target=lambda: took.append(inference_lock(a).__enter__()))
        t.start()
        t.join(timeout=0.2)
        assert t.is_alive(), "a second user of the same backend must wait"
    t.join(timeout=5)
    assert not t.is_alive()


# A CLI-like save loop in another process: one gait-sized session per line on stdin, "saved n" after
# each, as `python -m core gait --save` run over and over would.
SAVE_LOOP = """
import sys
from core.store import Store
from tests.store.conftest import INFO, rows
store = Store()
sid = store.find_subject("KEEP").id
print("open", flush=True)
n = 0
for line in sys.stdin:
    store.save_session(sid, kind="gait", backend_info=INFO, source_hash=line, measurements=rows(30),
                       artifacts={"o.png": line.encode()})
    n += 1
    print("saved", n, flush=True)
"""


@pytest.mark.slow
def test_restore_is_refused_while_a_save_loop_has_the_store_open(tmp_path, capfd):
    from core.cli import main
    from tests.processes import python_child
    from tests.store.backups import fill, real_backup

    archive = real_backup(tmp_path)
    fill(label="KEEP")
    saves, every = 14, 4  # a restore is tried before saves 0, 4, 8 and 12
    with python_child(SAVE_LOOP) as proc:
        assert proc.stdout.readline() == "open\n", proc.stderr.read()
        for i in range(saves):
            if i % every == 0:
                assert main(["restore", str(archive), "--force"]) == 1
                err = capfd.readouterr().err.strip()
                assert err.startswith("error: could not restore: another program") and "\n" not in err  # fmt: skip
                count("concurrency: restore during a save loop", "refused: error line")
            proc.stdin.write(f"save {i}\n")
            proc.stdin.flush()
            assert proc.stdout.readline() == f"saved {i + 1}\n"
        proc.stdin.close()
        proc.wait(timeout=30)
    with Store() as store:  # every save the loop reported is on disk, with its file
        sessions = store.list_sessions()
        assert len(sessions) == 2 + saves
        assert [store.load_artifact(s.id, "o.png") for s in sessions[2:]] == [
            f"save {i}\n".encode() for i in range(saves)
        ]
    FIGURES["concurrency: saves during refused restores, on disk"] = f"{saves} / {saves}"
