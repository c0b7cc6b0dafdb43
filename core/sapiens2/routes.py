"""Which implementation each bf16 CPU operation uses on this machine: the own kernels or PyTorch's.

The own kernels (:mod:`core.sapiens2.cpu_kernels`) were tuned on an AVX512-BF16 CPU without AMX.
Each operation of :data:`OPS` gets a route, ``own`` or ``torch``, chosen once per process on first
use:

1. by the CPU's features where they decide it: no AVX512-BF16, no compiler or a failed build ->
   ``torch`` for every op (the kernels cannot run); AMX (``amx_bf16`` / ``amx_tile``) ->
   ``torch`` for attention, whose own kernel runs its products on VDPBF16PS while PyTorch's
   SDPA rides the AMX tiles (186 against 50 ms at pose-0.4b's shape on an AMX Xeon);
2. otherwise by a short measurement made once per machine (pose-0.4b's shapes; 4-10 s): the two
   candidates run interleaved, :data:`REPEATS` times each after a warm-up, and the own kernel is
   chosen only when its median beats PyTorch's by more than :data:`MARGIN` (shared cores swing
   timings a lot; a tie goes to PyTorch). On an AMX Xeon this picks the own norms and head stage
   (2.5 against 6.5 ms, 20 against 44 ms), which a feature rule "AMX -> torch" had thrown away.

The ``linear`` op's ``own`` route is not a project kernel but oneDNN's linear with the bias fused
(:mod:`core.sapiens2.linear`); a torch without oneDNN decides it (``torch``).

The measurement is cached as JSON beside the kernel build (``<cache dir>/kernels/routes.json``),
keyed by the CPU model and flags, torch and oneDNN versions, thread count and kernel build; a
file that does not parse or has another key is measured again.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import platform
import re
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from core.sapiens2 import cpu_kernels, kernel_build

log = logging.getLogger(__name__)

OPS = ("attention", "feed_forward", "norm", "head", "linear")
MARGIN = 0.10  # the own kernel must be this much faster (median against median)
REPEATS = 5
CACHE_NAME = "routes.json"
#: Environment variables that limit which instructions the libraries use (part of the cache key).
ISA_LIMITS = ("ONEDNN_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS", "MKL_CBWR")

_lock = threading.Lock()
_chosen: dict[str, Route] | None = None


@dataclass(frozen=True)
class Route:
    """One operation's route and why: ``own_ms`` / ``torch_ms`` are measured medians, if any."""

    op: str
    choice: str  # "own" or "torch"
    reason: str
    own_ms: float | None = None
    torch_ms: float | None = None


def cpu_info() -> tuple[str, frozenset[str]]:
    """This CPU's model name and feature flags (from /proc/cpuinfo; empty where there is none)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine(), frozenset()
    model, flags = "", frozenset[str]()
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "model name" and not model:
            model = value.strip()
        elif name.strip() == "flags" and not flags:
            flags = frozenset(value.split())
    return model or platform.machine(), flags


def has_amx(flags: frozenset[str]) -> bool:
    return bool({"amx_bf16", "amx_tile"} & flags)


def onednn_version() -> str:
    """oneDNN's version as torch reports it (``torch.__config__.show()``), or "unknown"."""
    found = re.search(r"(?:oneDNN|MKL-DNN) (v[\w.]+)", torch.__config__.show())
    return (
        found.group(1) if found else ("unknown" if torch.backends.mkldnn.is_available() else "none")
    )


def cache_path() -> Path:
    return kernel_build.cache_dir() / CACHE_NAME


def cache_key() -> dict[str, object]:
    """What a measurement depends on: another value on any of these means measure again."""
    model, flags = cpu_info()
    cxx = kernel_build.compiler()
    return {
        "cpu": model,
        "flags": sorted(flags),
        "torch": torch.__version__,
        "onednn": onednn_version(),
        "threads": torch.get_num_threads(),
        # Variables that limit the instructions oneDNN, ATen and MKL may use change what runs.
        "isa_limits": {k: os.environ.get(k, "") for k in ISA_LIMITS},
        "kernels": kernel_build.target(cxx).name if cxx else None,
    }


def read_cache(key: dict[str, object]) -> dict[str, Route] | None:
    """The measured routes on file for ``key``; None when absent, damaged or measured elsewhere."""
    try:
        data = json.loads(cache_path().read_text())
        if data["key"] != key:
            return None
        routes = {op: Route(**data["routes"][op]) for op in OPS}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        if not isinstance(exc, FileNotFoundError):
            log.warning("measuring the CPU routes again: %s does not read (%s)", CACHE_NAME, exc)
        return None
    return routes if all(r.choice in ("own", "torch") for r in routes.values()) else None


def write_cache(key: dict[str, object], routes: dict[str, Route]) -> None:
    """Write the measurement atomically (a temporary file renamed into place)."""
    path = cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"key": key, "routes": {op: asdict(r) for op, r in routes.items()}}
    fd, tmp = tempfile.mkstemp(prefix="routes-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(body, f, indent=1)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def decide(op: str, own_ms: float, torch_ms: float, margin: float = MARGIN) -> Route:
    """``own`` only when its median is more than ``margin`` below PyTorch's."""
    medians = f"own {own_ms:.2f} ms, torch {torch_ms:.2f} ms (medians of {REPEATS})"
    if own_ms < (1.0 - margin) * torch_ms:
        why = f"measured {medians}: own is more than {margin:.0%} faster"
        return Route(op, "own", why, own_ms, torch_ms)
    why = f"measured {medians}: own is not {margin:.0%} faster"
    return Route(op, "torch", why, own_ms, torch_ms)


def time_interleaved(
    candidates: dict[str, Callable[[], object]],
    repeats: int = REPEATS,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """Each candidate's median time in ms: one warm-up each, then ``repeats`` rounds that run every
    candidate once, the order reversed every other round (a slow spell hits both)."""
    names = list(candidates)
    for name in names:
        candidates[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        for name in names if r % 2 == 0 else names[::-1]:
            start = clock()
            candidates[name]()
            times[name].append((clock() - start) * 1e3)
    return {name: statistics.median(t) for name, t in times.items()}


def _attention_candidates() -> dict[str, Callable[[], object]]:
    # pose-0.4b's shape: 3081 tokens (1024x768 input, 16x16 patches, prefix tokens), 16 heads of 64.
    q, k, v = (torch.randn(1, 3081, 16, 64).to(torch.bfloat16) for _ in range(3))

    def torch_route() -> object:
        qt, kt, vt = (t.transpose(1, 2) for t in (q, k, v))
        return F.scaled_dot_product_attention(qt, kt, vt)

    return {"own": lambda: cpu_kernels.attention(q, k, v), "torch": torch_route}


def _feed_forward_candidates() -> dict[str, Callable[[], object]]:
    # pose-0.4b's SwiGLU on its 3081 tokens: matmuls included (the own route drops their bias).
    x = torch.randn(3081, 1024).to(torch.bfloat16)
    wa, wb = (torch.randn(4096, 1024).mul(0.03).to(torch.bfloat16) for _ in range(2))
    ba, bb = (torch.randn(4096).to(torch.bfloat16) for _ in range(2))

    def own() -> object:
        return cpu_kernels.swiglu(F.linear(x, wa), F.linear(x, wb), ba, bb)

    # PyTorch's route runs its biased matmuls the way the linear route makes the model run them.
    biased = _linear_with_bias()

    def torch_route() -> object:
        return F.silu(biased(x, wa, ba), inplace=True).mul_(biased(x, wb, bb))

    return {"own": own, "torch": torch_route}


#: While :func:`measure` runs: whether the linear route chosen so far fuses the bias.
_linear_fused = False


def _linear_with_bias() -> Callable[..., torch.Tensor]:
    from core.sapiens2.linear import fused_linear

    return fused_linear if _linear_fused else F.linear


def _norm_candidates() -> dict[str, Callable[[], object]]:
    from core.sapiens2.rope import apply_rope_tokens

    q = torch.randn(1, 3081, 16, 64).to(torch.bfloat16)
    sin, cos = (torch.randn(3081, 1, 64).to(torch.bfloat16) for _ in range(2))
    tables = (sin, cos)
    w64, x, w = torch.ones(64, dtype=torch.bfloat16), q.view(3081, 1024), None

    def own() -> object:
        return cpu_kernels.rmsnorm_rope(q, w64, 1e-6, *tables), cpu_kernels.rms_norm(x, w, 1e-6)

    def torch_route() -> object:
        rope = apply_rope_tokens(F.rms_norm(q, (64,), w64, 1e-6), tables)
        return rope, F.rms_norm(x, (1024,), w, 1e-6)

    return {"own": own, "torch": torch_route}


def _head_candidates() -> dict[str, Callable[[], object]]:
    # A head stage as the heads run it (deconv 4x4 stride 2 -> IN -> SiLU, 768 -> 512 channels,
    # 64x48 -> 128x96; the layout matters as much as the norm, so the deconv is in): the own route
    # runs it channels-last with the fused IN + SiLU, PyTorch's on NCHW.
    from core.sapiens2.heads.layers import deconv_stages

    stage = deconv_stages(768, (512,), (4,)).to(torch.bfloat16).eval()
    x = torch.randn(1, 768, 64, 48).to(torch.bfloat16)
    x_last = x.contiguous(memory_format=torch.channels_last)

    def torch_route() -> object:
        with cpu_kernels.enabled(False):
            return stage(x)

    return {"own": lambda: stage(x_last), "torch": torch_route}


def _linear_candidates() -> dict[str, Callable[[], object]]:
    # pose-0.4b's packed qkv and output projection on its 3081 tokens, with their biases; "own" is
    # oneDNN's linear with the bias fused (core/sapiens2/linear.py), not a project kernel.
    from core.sapiens2.linear import fused_linear

    x = torch.randn(1, 3081, 1024).to(torch.bfloat16)
    shapes = ((3072, 1024), (1024, 1024))
    weights = [(torch.randn(*s).mul(0.03).to(torch.bfloat16), torch.randn(s[0])) for s in shapes]
    weights = [(w, b.to(torch.bfloat16)) for w, b in weights]

    def own() -> object:
        return [fused_linear(x, w, b) for w, b in weights]

    def torch_route() -> object:
        return [F.linear(x, w, b) for w, b in weights]

    return {"own": own, "torch": torch_route}


CANDIDATES: dict[str, Callable[[], dict[str, Callable[[], object]]]] = {
    "attention": _attention_candidates,
    "feed_forward": _feed_forward_candidates,
    "norm": _norm_candidates,
    "head": _head_candidates,
    "linear": _linear_candidates,
}


def measure(
    repeats: int = REPEATS,
    clock: Callable[[], float] = time.perf_counter,
    ops: tuple[str, ...] = OPS,
    linear_fused: bool = False,
) -> dict[str, Route]:
    """Measure the two candidates of each of ``ops`` now (own kernels forced on for the own one).

    ``linear`` goes first, since PyTorch's feed-forward route runs its biased matmuls through it;
    ``linear_fused`` says what it is when it is not among ``ops``."""
    global _linear_fused
    routes: dict[str, Route] = {}
    order = sorted(ops, key=lambda op: op != "linear")
    with torch.inference_mode(), cpu_kernels.enabled(True):
        for op in order:
            _linear_fused = routes["linear"].choice == "own" if "linear" in routes else linear_fused
            medians = time_interleaved(CANDIDATES[op](), repeats, clock)
            routes[op] = decide(op, medians["own"], medians["torch"])
    _linear_fused = False
    return {op: routes[op] for op in ops}


def _all(choice: str, reason: str) -> dict[str, Route]:
    return {op: Route(op, choice, reason) for op in OPS}


def by_features(flags: frozenset[str]) -> dict[str, Route]:
    """The routes this CPU's features (and torch build) decide without a measurement."""
    from core.sapiens2.linear import fused_available

    decided = {}
    if has_amx(flags):
        why = "AMX: PyTorch's SDPA runs its products on the AMX tiles, the own kernel cannot"
        decided["attention"] = Route("attention", "torch", why)
    if not fused_available():
        decided["linear"] = Route("linear", "torch", "oneDNN's bf16 linear cannot run here")
    return decided


def choose(*, measure_now: bool = False) -> dict[str, Route]:
    """Every op's route on this machine (see the module docstring); ``measure_now`` measures even
    where a measurement is on file, and files the result."""
    _, flags = cpu_info()
    with cpu_kernels.enabled(True):
        ready = cpu_kernels.library() is not None
    if not ready:
        return _all("torch", f"the own kernels cannot run here: {cpu_kernels.status()}")
    if flags and "avx512_bf16" not in flags:
        return _all("torch", "this CPU has no AVX512-BF16")
    limits = {k: os.environ[k] for k in ISA_LIMITS if os.environ.get(k)}
    if limits:
        # Whoever bars instructions (CI's second numerics round, a user's workaround) does not
        # want the own AVX-512 code either; nor is a measurement under the limits worth minutes.
        named = ", ".join(f"{k}={v}" for k, v in limits.items())
        return _all("torch", f"instruction limits set ({named}): PyTorch's ops, not measured")
    key = cache_key()
    on_file = None if measure_now else read_cache(key)
    if on_file is not None:
        return on_file
    decided = by_features(flags)
    log.info("measuring the bf16 CPU routes once for this machine (a few seconds)")
    # A decided linear route is PyTorch's (no oneDNN), so the default linear_fused=False holds.
    chosen = {**decided, **measure(ops=tuple(op for op in OPS if op not in decided))}
    chosen = {op: chosen[op] for op in OPS}
    try:
        write_cache(key, chosen)
    except OSError as exc:
        log.warning("could not file the CPU route measurement (%s)", exc)
    return chosen


def routes() -> dict[str, Route]:
    """This process's routes, chosen on the first call."""
    global _chosen
    if _chosen is None:
        with _lock:
            if _chosen is None:
                _chosen = choose()
    return _chosen


def route(op: str) -> str:
    """``own`` or ``torch`` for one of :data:`OPS`."""
    if op not in OPS:
        raise ValueError(f"unknown CPU operation {op!r}: one of {', '.join(OPS)}")
    return routes()[op].choice


def reset() -> None:
    """Forget this process's choice (the next use chooses again)."""
    global _chosen
    _chosen = None
