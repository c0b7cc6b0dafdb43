"""Device and dtype choice: bf16 by default only where the hardware has native bf16."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from core.errors import InputError
from core.sapiens2 import device as dev
from core.sapiens2.predictor import SegPredictor
from tests.sapiens2.golden import golden_model


def _cpuinfo(tmp_path: Path, flags: str, name: str = "cpuinfo") -> Path:
    path = tmp_path / name
    path.write_text(
        f"processor\t: 0\nmodel name\t: test\nflags\t\t: fpu sse2 {flags}\n\nprocessor\t: 1\n"
    )
    return path


@pytest.mark.parametrize(
    ("flags", "expected"),
    [("avx512f avx512_bf16", True), ("amx_bf16 amx_tile", True), ("avx2 avx512f", False)],
)
def test_cpu_flags(tmp_path: Path, flags: str, expected: bool) -> None:
    assert dev.cpu_has_fast_bf16(_cpuinfo(tmp_path, flags)) is expected


def test_auto_dtype(tmp_path: Path) -> None:
    fast = _cpuinfo(tmp_path, "avx512_bf16", "fast")
    slow = _cpuinfo(tmp_path, "avx2", "slow")
    assert dev.pick_dtype("cpu", "auto", cpuinfo=fast) == torch.bfloat16
    assert dev.pick_dtype("cpu", "auto", cpuinfo=slow) == torch.float32
    assert dev.pick_dtype("cpu", "auto", cpuinfo=tmp_path / "absent") == torch.float32
    assert dev.pick_dtype("cuda", "auto", cpuinfo=slow) == torch.bfloat16
    assert dev.pick_dtype("mps", "auto") == torch.float32
    assert dev.pick_dtype("cpu", "float32", cpuinfo=fast) == torch.float32  # user override wins
    assert dev.pick_dtype("cpu", "bf16", cpuinfo=slow) == torch.bfloat16


def test_bad_choices() -> None:
    with pytest.raises(InputError, match="choose one of"):
        dev.pick_dtype("cpu", "float16")
    with pytest.raises(InputError, match="choose one of"):
        dev.pick_device("tpu")


def test_pick_device() -> None:
    assert dev.pick_device("cpu") == "cpu"
    assert dev.pick_device("auto") in ("cpu", "cuda", "mps")
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="no CUDA GPU"):
            dev.pick_device("cuda")


def test_predictor_records_device_and_dtype() -> None:
    p = SegPredictor(golden_model("seg"), device="cpu", dtype=torch.bfloat16)
    assert p.describe()["device"] == "cpu" and p.describe()["dtype"] == "bfloat16"
    assert dev.dtype_name(torch.float32) == "float32"


def test_5b_float32_refused_under_32_gb(monkeypatch) -> None:
    monkeypatch.setattr(dev, "total_memory_bytes", lambda: 24 * 10**9)
    with pytest.raises(InputError, match="bfloat16"):
        dev.check_fits_memory("5b", torch.float32)
    dev.check_fits_memory("5b", torch.bfloat16)  # 5b in bf16 is offered
    dev.check_fits_memory("1b", torch.float32)
    dev.check_fits_memory("5b", torch.float32, "cuda")  # GPU memory is not RAM
    monkeypatch.setattr(dev, "total_memory_bytes", lambda: 64 * 10**9)
    dev.check_fits_memory("5b", torch.float32)


def test_load_predictor_applies_the_5b_rule_before_looking_for_weights(monkeypatch) -> None:
    from core.sapiens2.predictor import load_predictor

    monkeypatch.setattr(dev, "total_memory_bytes", lambda: 16 * 10**9)
    with pytest.raises(InputError, match="16 GB of RAM"):
        load_predictor("pose", "5b", device="cpu", dtype="float32")


def test_an_explicit_bf16_on_a_cpu_without_bf16_says_it_is_emulated(tmp_path: Path) -> None:
    fast = _cpuinfo(tmp_path, "avx512f avx512_bf16", "fast")
    slow = _cpuinfo(tmp_path, "avx2 avx512f", "slow")
    note = dev.emulated_bf16_note("cpu", torch.bfloat16, cpuinfo=slow)
    assert note is not None and "emulates" in note and "auto" in note
    assert dev.emulated_bf16_note("cpu", torch.bfloat16, cpuinfo=fast) is None
    assert dev.emulated_bf16_note("cpu", torch.float32, cpuinfo=slow) is None
    assert dev.emulated_bf16_note("cuda", torch.bfloat16, cpuinfo=slow) is None
    # auto never lands there: on the slow CPU it picks float32, which has no note
    assert dev.emulated_bf16_note("cpu", dev.pick_dtype("cpu", "auto", cpuinfo=slow)) is None
