"""bf16 CPU kernels for Sapiens2 (x86 with AVX512-BF16), built on first use.

Parts of a bf16 forward on the CPU run well below the matmul peak in PyTorch 2.13
(docs/PERFORMANCE.md): ``scaled_dot_product_attention`` (about a third of the peak, and attention
is a quarter of the backbone's FLOPs), the element-wise passes between the matmuls (bias copies,
SiLU and product in the feed-forward; RMSNorm, then RoPE's roll, products and sum on q and k),
and in the heads InstanceNorm and SiLU at full resolution, each allocating and writing a new
tensor. ``csrc/cpu_kernels_bf16.cpp`` has

- :func:`attention`: a flash-attention loop on VDPBF16PS with the numerics of torch's own kernel
  (float32 logits and online softmax, bf16 probabilities for p.v, float32 accumulation); it reads
  q, k, v in the (B, N, heads, d) layout the linears produce, shares each kv head across its group
  of q heads without copying it, and writes the layout ``proj`` reads;
- :func:`swiglu`: ``silu(a + bias_a) * (b + bias_b)`` in one float32 pass, rounded once;
- :func:`rmsnorm_rope` (qk-norm then RoPE, the rotation bit-exact to rope.py) and :func:`rms_norm`;
- :func:`instance_norm_silu_`: the heads' InstanceNorm + SiLU in place (float32 statistics, one
  rounding), for contiguous and channels-last tensors.

The library is compiled once per machine with the system C++ compiler (about 2 s) into
``<cache dir>/kernels`` and loaded with ctypes (:mod:`core.sapiens2.kernel_build`). Where there is no
compiler, the CPU lacks AVX512-BF16, or ``SAPIENS_MEASURE_CPU_KERNELS=torch``, everything runs on
PyTorch's own ops: :func:`status` says which. Where they can run, each operation follows the route
:mod:`core.sapiens2.routes` chose for this machine (``auto``, the default; ``own`` forces the
kernels wherever they apply). float32 never uses these kernels.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import threading
from collections.abc import Iterator

import torch
from torch.utils._python_dispatch import _get_current_dispatch_mode

from core.config import CPU_KERNEL_MODES, cpu_kernels_setting
from core.sapiens2 import kernel_build

log = logging.getLogger(__name__)

MAX_HEAD_DIM = 256
MODES = CPU_KERNEL_MODES

_PLAIN = (torch.Tensor, torch.nn.Parameter)
_lock = threading.Lock()
_library: ctypes.CDLL | None = None
_status: str | None = None  # None: not tried yet
_override: bool | None = None  # set by `enabled(...)`


def _mode() -> str:
    value = cpu_kernels_setting()
    if value not in MODES:
        _warn_once(
            f"SAPIENS_MEASURE_CPU_KERNELS={value!r} is not one of {', '.join(MODES)}; using auto"
        )
        return "auto"
    return value


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        log.warning("%s", message)


def library() -> ctypes.CDLL | None:
    """The loaded kernel library, building it on the first call; None where it cannot run."""
    global _library, _status
    if _status is None:
        with _lock:
            if _status is None:
                _library, status = kernel_build.load()
                if _library is None:
                    log.warning("%s", status)
                _status = status
    return _library


def status() -> str:
    """Either "ready" or why PyTorch's ops are used (tries the build if it was not tried yet)."""
    if _mode() == "torch" and _override is None:
        return "SAPIENS_MEASURE_CPU_KERNELS=torch; PyTorch's ops are used"
    library()
    return _status or "not tried"


def is_enabled(op: str | None = None) -> bool:
    """Whether bf16 CPU inference should use these kernels for ``op`` (one of
    :data:`core.sapiens2.routes.OPS`; None: for any op): :func:`enabled` first, then the setting,
    then (``auto``) the route chosen for this machine."""
    if _override is not None:
        return _override
    mode = _mode()
    if mode != "auto" or op is None:
        return mode != "torch"
    from core.sapiens2 import routes  # imports this module

    return routes.route(op) == "own"


@contextlib.contextmanager
def enabled(flag: bool) -> Iterator[None]:
    """Within the block, use (True) or avoid (False) these kernels whatever the setting says."""
    global _override
    previous, _override = _override, flag
    try:
        yield
    finally:
        _override = previous


def usable(*tensors: torch.Tensor, op: str | None) -> bool:
    """True when the kernels are built and enabled for ``op`` (its route; None: the setting only, as
    the kernel functions check when called directly) and these are plain (not
    fake or other subclass) bf16 CPU tensors outside autograd, torch.compile and dispatch modes
    (FlopCounterMode must see the ops it counts)."""
    for t in tensors:
        if type(t) not in _PLAIN or t.device.type != "cpu" or t.dtype != torch.bfloat16:
            return False
        if t.requires_grad and torch.is_grad_enabled():
            return False
    if torch.compiler.is_compiling() or _get_current_dispatch_mode() is not None:
        return False
    return library() is not None and is_enabled(op)


def _run(label: str, symbol: str, *args: object, about: str, buffers: str = "its buffers") -> None:
    """Call the library's ``symbol`` with ``args`` and the thread count (every kernel's last
    argument), under the profiler range ``sapiens_measure::<label>``. Status 2 (memory ran out)
    raises MemoryError, any other non-zero status ValueError; ``about`` names the inputs."""
    lib = library()
    if lib is None:
        raise RuntimeError(status())
    with torch.profiler.record_function(f"sapiens_measure::{label}"):
        rc = getattr(lib, symbol)(*args, max(1, torch.get_num_threads()))
    if rc == 2:
        raise MemoryError(f"{label}: not enough memory for {buffers} ({about})")
    if rc != 0:
        raise ValueError(f"{label} refused {about}")


def _strides3(t: torch.Tensor) -> ctypes.Array:
    """The batch, token and head strides of a (B, N, H, d) tensor, as the kernels take them."""
    return (ctypes.c_int64 * 3)(*t.stride()[:3])


def applies(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, *, routed: bool = True) -> bool:
    """True when :func:`attention` can take these tensors (and the kernels are built and enabled;
    ``routed``: and attention's route on this machine is the own kernel)."""
    if not usable(q, k, v, op="attention" if routed else None) or q.dim() != 4:
        return False
    b, n, h, d = q.shape
    if k.shape != v.shape or k.dim() != 4 or k.shape[0] != b or k.shape[1] != n:
        return False
    if k.shape[3] != d or d > MAX_HEAD_DIM or h % k.shape[2] != 0:
        return False
    return q.stride(-1) == 1 and k.stride(-1) == 1 and v.stride(-1) == 1


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """softmax(q kᵀ / √d) v. q: (B, N, H, d); k, v: (B, N, G, d) with H a multiple of G (q head i
    uses kv head i // (H / G)); bf16 on the CPU, channel stride 1. Returns a contiguous (B, N, H, d).

    Raises ValueError where :func:`applies` is false.
    """
    about = f"q {tuple(q.shape)}, k {tuple(k.shape)}"
    if not applies(q, k, v, routed=False):
        raise ValueError(f"flash attention cannot take {about} here")
    b, n, h, d = q.shape
    out = torch.empty((b, n, h, d), dtype=torch.bfloat16)
    _run(
        "flash_attention_bf16", "sm_flash_attention_bf16",
        q.data_ptr(), k.data_ptr(), v.data_ptr(), out.data_ptr(), b, n, h, k.shape[2], d,
        _strides3(q), _strides3(k), _strides3(v), d ** -0.5,
        about=about, buffers="the packed keys and values",
    )  # fmt: skip
    return out


def swiglu_applies(
    a: torch.Tensor, b: torch.Tensor, *biases: torch.Tensor | None, routed: bool = True
) -> bool:
    """True when :func:`swiglu` can take these tensors (and the kernels are built and enabled;
    ``routed``: and the feed-forward's route is the own kernel)."""
    present = [t for t in biases if t is not None]
    if (
        not usable(a, b, *present, op="feed_forward" if routed else None)
        or a.shape != b.shape
        or a.dim() < 1
    ):
        return False
    cols = a.shape[-1]
    if any(t.dim() != 1 or t.shape[0] != cols or t.stride(0) != 1 for t in present):
        return False
    return a.is_contiguous() and b.stride(-1) == 1


def swiglu(
    a: torch.Tensor,
    b: torch.Tensor,
    bias_a: torch.Tensor | None = None,
    bias_b: torch.Tensor | None = None,
) -> torch.Tensor:
    """``silu(a + bias_a) * (b + bias_b)`` computed in float32 and rounded once, written into ``a``
    (returned). a: contiguous, b: the same shape with channel stride 1, both bf16 on the CPU;
    biases: (C,) or None.

    Raises ValueError where :func:`swiglu_applies` is false.
    """
    about = f"a {tuple(a.shape)} and b {tuple(b.shape)}"
    if not swiglu_applies(a, b, bias_a, bias_b, routed=False):
        raise ValueError(f"swiglu cannot take {about} here")
    cols = a.shape[-1]
    a2, b2 = a.view(-1, cols), b.reshape(-1, cols)
    _run(
        "swiglu_bf16", "sm_swiglu_bf16",
        a2.data_ptr(), a2.stride(0), b2.data_ptr(), b2.stride(0),
        None if bias_a is None else bias_a.data_ptr(),
        None if bias_b is None else bias_b.data_ptr(),
        a2.data_ptr(), a2.stride(0), a2.shape[0], cols,
        about=about,
    )  # fmt: skip
    return a


def channels_last(x: torch.Tensor) -> bool:
    """A 4-D tensor laid out (B, H, W, C) in memory (and not also plain contiguous)."""
    return (
        x.dim() == 4
        and x.is_contiguous(memory_format=torch.channels_last)
        and not x.is_contiguous()
    )


def norm_silu_applies(x: torch.Tensor, *, routed: bool = True) -> bool:
    """True when :func:`instance_norm_silu_` can take x: a non-empty bf16 CPU (B, C, H, W) tensor,
    contiguous, or channels-last with C a multiple of 16 (``routed``: and the head's route is own)."""
    if not usable(x, op="head" if routed else None) or x.dim() != 4 or x.numel() == 0:
        return False
    return x.is_contiguous() or (channels_last(x) and x.shape[1] % 16 == 0)


def instance_norm_silu_(x: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """``silu(instance_norm(x, eps))`` (no affine, biased variance) in place on a bf16 CPU tensor
    (B, C, H, W), contiguous or channels-last; returns x. Raises ValueError where
    :func:`norm_silu_applies` is false."""
    about = f"a {x.dtype} tensor {tuple(x.shape)} with eps {eps}"
    if not norm_silu_applies(x, routed=False):
        raise ValueError(f"instance_norm_silu_ cannot take {about} here")
    b, c, h, w = x.shape
    args: tuple[object, ...]
    if x.is_contiguous():
        args = ("sm_instance_norm_silu_bf16", x.data_ptr(), b * c, h * w, float(eps))
    else:
        args = ("sm_instance_norm_silu_nhwc_bf16", x.data_ptr(), b, h * w, c, float(eps))
    _run("instance_norm_silu_bf16", *args, about=about)
    return x


def rmsnorm_rope_applies(
    x: torch.Tensor,
    weight: torch.Tensor | None,
    sin_signed: torch.Tensor,
    cos: torch.Tensor,
    *,
    routed: bool = True,
) -> bool:
    """True when :func:`rmsnorm_rope` can take these: x (B, N, H, d) bf16 with channel stride 1,
    d a multiple of 32 up to 256; tables (N, 1, d) or (N, d) contiguous bf16; weight (d,) or None
    (``routed``: and the norms' route is own)."""
    present = [t for t in (x, weight, sin_signed, cos) if t is not None]
    if not usable(*present, op="norm" if routed else None) or x.dim() != 4 or x.stride(-1) != 1:
        return False
    n, d = x.shape[1], x.shape[3]
    if d % 32 or d > MAX_HEAD_DIM:
        return False
    if weight is not None and (weight.shape != (d,) or weight.stride(0) != 1):
        return False
    return all(
        t.numel() == n * d and t.shape[-1] == d and t.is_contiguous() for t in (sin_signed, cos)
    )


def rmsnorm_rope(
    x: torch.Tensor,
    weight: torch.Tensor | None,
    eps: float,
    sin_signed: torch.Tensor,
    cos: torch.Tensor,
) -> torch.Tensor:
    """qk-norm then RoPE in one pass: ``apply_rope_tokens(rms_norm(x, weight, eps), tables)`` with
    the tables of :func:`core.sapiens2.rope.token_tables`; the RoPE products and sum round to bf16
    exactly as rope.py's. Returns a new contiguous (B, N, H, d) tensor. Raises ValueError where
    :func:`rmsnorm_rope_applies` is false."""
    about = f"x {tuple(x.shape)}"
    if not rmsnorm_rope_applies(x, weight, sin_signed, cos, routed=False):
        raise ValueError(f"rmsnorm_rope cannot take {about} here")
    b, n, h, d = x.shape
    out = torch.empty((b, n, h, d), dtype=torch.bfloat16)
    _run(
        "rmsnorm_rope_bf16", "sm_rmsnorm_rope_bf16",
        x.data_ptr(), _strides3(x), b, n, h, d,
        None if weight is None else weight.data_ptr(), float(eps),
        sin_signed.data_ptr(), cos.data_ptr(), out.data_ptr(),
        about=about,
    )  # fmt: skip
    return out


def rms_norm_applies(x: torch.Tensor, weight: torch.Tensor | None, *, routed: bool = True) -> bool:
    """True when :func:`rms_norm` can take x: bf16 CPU, rows of the last dim evenly strided (any
    view whose leading dims flatten), channel stride 1; weight (C,) contiguous or None (``routed``:
    and the norms' route is own)."""
    present = [t for t in (x, weight) if t is not None]
    if (
        not usable(*present, op="norm" if routed else None)
        or x.dim() < 1
        or x.numel() == 0
        or x.stride(-1) != 1
    ):
        return False
    if weight is not None and (weight.shape != x.shape[-1:] or weight.stride(0) != 1):
        return False
    try:
        x.view(-1, x.shape[-1])
    except RuntimeError:
        return False
    return True


def rms_norm(x: torch.Tensor, weight: torch.Tensor | None, eps: float) -> torch.Tensor:
    """``F.rms_norm(x, (C,), weight, eps)`` in one pass per row (float32 sum, one rounding); a new
    contiguous tensor. Raises ValueError where :func:`rms_norm_applies` is false."""
    about = f"x {tuple(x.shape)}"
    if not rms_norm_applies(x, weight, routed=False):
        raise ValueError(f"rms_norm cannot take {about} here")
    d = x.shape[-1]
    rows = x.view(-1, d)
    out = torch.empty(x.shape, dtype=torch.bfloat16)
    _run(
        "rms_norm_bf16", "sm_rmsnorm_bf16",
        rows.data_ptr(), rows.stride(0) if rows.shape[0] > 1 else d, rows.shape[0], d,
        None if weight is None else weight.data_ptr(), float(eps), out.data_ptr(),
        about=about,
    )  # fmt: skip
    return out
