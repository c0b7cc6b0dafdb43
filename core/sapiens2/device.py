"""Device and precision choice: bf16 where the hardware does bf16 matmuls fast, float32 elsewhere.

torch does not say whether a CPU has native bf16 dot products, so the CPU flags are read from
``/proc/cpuinfo`` (Linux); anywhere else the CPU default is float32.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from core.errors import InputError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
DTYPE_CHOICES = {
    "auto": None,
    "float32": torch.float32,
    "bfloat16": torch.bfloat16,
    "fp32": torch.float32,
    "bf16": torch.bfloat16,
}
_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_has_fast_bf16(cpuinfo: Path | str = "/proc/cpuinfo") -> bool:
    """True when the CPU flags include ``avx512_bf16`` or ``amx_bf16`` (False if unreadable)."""
    try:
        text = Path(cpuinfo).read_text(errors="replace")
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = set(line.partition(":")[2].split())
            return any(f in flags for f in _BF16_FLAGS)
    return False


def emulated_bf16_note(
    device: str, dtype: torch.dtype, cpuinfo: Path | str = "/proc/cpuinfo"
) -> str | None:
    """A sentence for the user when bfloat16 was chosen on a CPU that has no bf16 instructions
    (PyTorch then emulates it: its matmuls ran 65x slower than float32 on an AVX2-only EPYC,
    docs/PERFORMANCE.md); None otherwise. ``"auto"`` never picks that: only an explicit bfloat16."""
    if device != "cpu" or dtype != torch.bfloat16 or cpu_has_fast_bf16(cpuinfo):
        return None
    return (
        "bfloat16 on a CPU without bf16 instructions (no AVX512-BF16 or AMX): PyTorch emulates "
        "it, tens of times slower than float32 (a pose forward takes most of an hour); set the "
        "dtype to auto (float32 on this CPU)"
    )


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps and mps.is_available())


def pick_device(pref: str | None = "auto") -> str:
    """``"auto"`` -> cuda, else mps, else cpu; an explicit choice must be available (``InputError``)."""
    pref = (pref or "auto").lower()
    if pref not in DEVICE_CHOICES:
        raise InputError(f"device {pref!r}: choose one of {', '.join(DEVICE_CHOICES)}")
    if pref == "auto":
        return "cuda" if torch.cuda.is_available() else "mps" if _mps_available() else "cpu"
    if pref == "cuda" and not torch.cuda.is_available():
        raise InputError("device 'cuda' was asked for but torch sees no CUDA GPU; use --device cpu")
    if pref == "mps" and not _mps_available():
        raise InputError(
            "device 'mps' was asked for but it is not available here; use --device cpu"
        )
    return pref


def pick_dtype(
    device: str, pref: str | torch.dtype | None = "auto", *, cpuinfo: Path | str = "/proc/cpuinfo"
) -> torch.dtype:
    """float32 or bfloat16. ``"auto"``: bf16 on CUDA and on CPUs with native bf16, else float32."""
    if isinstance(pref, torch.dtype):
        if pref not in (torch.float32, torch.bfloat16):
            raise InputError(f"dtype {pref} is not supported; use float32 or bfloat16")
        return pref
    key = (pref or "auto").lower()
    if key not in DTYPE_CHOICES:
        raise InputError(f"dtype {pref!r}: choose one of auto, float32, bfloat16")
    chosen = DTYPE_CHOICES[key]
    if chosen is not None:
        return chosen
    if device.startswith("cuda"):
        return torch.bfloat16
    if device == "cpu" and cpu_has_fast_bf16(cpuinfo):
        return torch.bfloat16
    return torch.float32


def dtype_name(dtype: torch.dtype) -> str:
    """``torch.bfloat16`` -> ``"bfloat16"`` (the form stored with results)."""
    return str(dtype).removeprefix("torch.")


#: Below this much RAM the 5b models (5.1-5.3 G parameters: ~21 GB in float32, ~11 GB in bf16)
#: are only offered in bf16.
LARGE_MODEL_MIN_FP32_RAM_BYTES = 32 * 10**9


def total_memory_bytes() -> int | None:
    """Physical RAM of this machine in bytes (None when the OS does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def check_fits_memory(size: str, dtype: torch.dtype, device: str = "cpu") -> None:
    """``InputError`` when ``size`` in ``dtype`` does not fit this machine's RAM (the 5b rule).

    On a machine under 32 GB the 5b models run in bfloat16 only: float32 weights alone take ~21 GB.
    Only CPU inference is checked (a GPU's memory is its own business).
    """
    if size != "5b" or dtype != torch.float32 or device != "cpu":
        return
    ram = total_memory_bytes()
    if ram is not None and ram < LARGE_MODEL_MIN_FP32_RAM_BYTES:
        raise InputError(
            f"Sapiens2 5b in float32 needs about 21 GB for its weights alone and this machine has "
            f"{ram / 1e9:.0f} GB of RAM: use --dtype bfloat16 (about 11 GB) or a smaller size"
            " (0.4b, 0.8b, 1b)"
        )
