"""Building and loading the bf16 CPU kernels' library (``csrc/cpu_kernels_bf16.cpp``).

The source is compiled once per machine with the system C++ compiler (``$CXX``, else ``g++``,
else ``c++``; about 2 s) into ``<cache dir>/kernels``, under a name keyed by the source, flags,
compiler and system, and loaded with ctypes. :mod:`core.sapiens2.cpu_kernels` calls :func:`load`
once per process and wraps the library's functions.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

SOURCE = Path(__file__).with_name("csrc") / "cpu_kernels_bf16.cpp"
FLAGS = ("-O3", "-std=c++17", "-shared", "-fPIC", "-pthread")

_P, _I64, _F32, _INT = ctypes.c_void_p, ctypes.c_int64, ctypes.c_float, ctypes.c_int
_I64S = ctypes.POINTER(ctypes.c_int64)
# Each exported function's argument types (all return an int status).
SIGNATURES = {
    "sm_flash_attention_bf16": [_P] * 4 + [_I64] * 5 + [_I64S] * 3 + [_F32, _INT],
    "sm_swiglu_bf16": [_P, _I64, _P, _I64, _P, _P, _P, _I64, _I64, _I64, _INT],
    "sm_instance_norm_silu_bf16": [_P, _I64, _I64, _F32, _INT],
    "sm_instance_norm_silu_nhwc_bf16": [_P, _I64, _I64, _I64, _F32, _INT],
    "sm_rmsnorm_rope_bf16": [_P, _I64S, _I64, _I64, _I64, _I64, _P, _F32, _P, _P, _P, _INT],
    "sm_rmsnorm_bf16": [_P, _I64, _I64, _I64, _P, _F32, _P, _INT],
}


def cache_dir() -> Path:
    from core.config import load_settings

    try:
        return load_settings().cache_dir / "kernels"
    except Exception:  # a bad unrelated setting must not stop inference
        return Path(tempfile.gettempdir()) / "sapiens-measure-kernels"


def compiler() -> str | None:
    """The C++ compiler to build with, or None."""
    for name in (os.environ.get("CXX"), "g++", "c++"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def target(cxx: str) -> Path:
    """The cached library's path: keyed by the source, flags, compiler and system."""
    build_id = " ".join((*FLAGS, cxx, platform.machine(), *platform.libc_ver()))
    key = hashlib.sha256(SOURCE.read_bytes() + build_id.encode()).hexdigest()[:16]
    return cache_dir() / f"cpu_kernels_bf16-{key}.so"


def build(path: Path, cxx: str) -> None:
    """Compile to a temporary file beside ``path`` and rename it into place (atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.stem + "-", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        done = subprocess.run(
            [cxx, *FLAGS, str(SOURCE), "-o", tmp], capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip()[-2000:] or f"exit status {done.returncode}")
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _open(path: Path, cxx: str) -> ctypes.CDLL:
    """The library at ``path``, built first when absent; a cached file that does not load
    (damaged, or built on another system sharing this cache) is rebuilt once."""
    if not path.is_file():
        log.info("building the bf16 CPU kernels into %s", path.parent)
        build(path, cxx)
        return ctypes.CDLL(str(path))
    try:
        return ctypes.CDLL(str(path))
    except OSError as exc:
        log.warning("rebuilding %s, which does not load (%s)", path.name, exc)
        build(path, cxx)
        return ctypes.CDLL(str(path))


def load() -> tuple[ctypes.CDLL | None, str]:
    """(the library, "ready"), or (None, why PyTorch's ops are used instead)."""
    machine = platform.machine()
    if machine.lower() not in ("x86_64", "amd64") or not sys.platform.startswith("linux"):
        return None, f"the bf16 CPU kernels are for x86-64 Linux (this is {machine} {sys.platform})"
    cxx = compiler()
    if cxx is None:
        return None, "no C++ compiler found (set CXX or install g++); PyTorch's ops are used"
    try:
        lib = _open(target(cxx), cxx)
        for name, argtypes in SIGNATURES.items():
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = ctypes.c_int, argtypes
    except (OSError, AttributeError, RuntimeError, subprocess.SubprocessError) as exc:
        return None, f"could not build the bf16 CPU kernels ({exc}); PyTorch's ops are used"
    if not lib.sm_cpu_supported():
        return None, "this CPU has no AVX512-BF16; PyTorch's ops are used"
    return lib, "ready"
