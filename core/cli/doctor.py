"""``python -m core doctor``: what this machine runs and why, for a bug report.

CPU model and features, the route of each bf16 CPU operation and why (core/sapiens2/routes.py),
the kernel build state, library versions, the device / dtype / thread count inference would use,
and the model files found. Plain text, or ``--json``; ``--measure`` measures the routes again.
The Start page's "System check" panel shows the same report (:func:`report`, :func:`as_text`).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json

from core.config import display_path
from core.sapiens2.presets import SIZES

FEATURES = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")
PACKAGES = ("torch", "mediapipe", "streamlit")


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def report(*, measure: bool = False) -> dict[str, object]:
    """The doctor's findings as plain data (imports torch: call it on demand)."""
    import torch

    from core.backends.models import LITE_MODELS, find_lite_model
    from core.config import load_settings
    from core.sapiens2 import cpu_kernels, routes
    from core.sapiens2.checkpoints import find_checkpoint
    from core.sapiens2.device import dtype_name, emulated_bf16_note, pick_device, pick_dtype

    settings = load_settings()
    model, flags = routes.cpu_info()
    device = pick_device(settings.device)
    dtype = pick_dtype(device, settings.dtype)
    mode = cpu_kernels._mode()
    chosen = routes.choose(measure_now=measure)
    if measure:
        routes.reset()  # this process follows the new measurement too
    route_rows = {}
    for op, r in chosen.items():
        forced = "own" if mode == "own" and cpu_kernels.library() is not None else "torch"
        use = r.choice if mode == "auto" else forced
        why = r.reason if mode == "auto" else f"SAPIENS_MEASURE_CPU_KERNELS={mode}"
        route_rows[op] = {"route": use, "why": why, "own_ms": r.own_ms, "torch_ms": r.torch_ms}
    versions = {p: _version(p) for p in PACKAGES}
    versions["onednn"] = routes.onednn_version()
    try:
        import cv2

        versions["opencv"] = cv2.__version__
    except ImportError:
        versions["opencv"] = None
    checkpoints = {}
    for task in ("pose", "seg", "normal", "pointmap"):
        for size in SIZES:
            path = find_checkpoint(task, size, settings)
            if path is not None:
                checkpoints[f"{task}-{size}"] = display_path(path)
    lite = {key: find_lite_model(key, settings) for key in LITE_MODELS}
    return {
        "cpu": {
            "model": model,
            "features": {f: f in flags for f in FEATURES},
        },
        "cpu_kernels": {
            "setting": mode,
            "build": cpu_kernels.status(),
            "routes_file": display_path(routes.cache_path()),
            "routes": route_rows,
        },
        "versions": versions,
        "inference": {
            "device": device,
            "dtype": dtype_name(dtype),
            "threads": torch.get_num_threads(),
            "bf16_cpu_routes_apply": device == "cpu" and dtype == torch.bfloat16,
            "note": emulated_bf16_note(device, dtype),
        },
        "lite_models": {k: display_path(p) if p else None for k, p in lite.items()},
        "sapiens2_checkpoints": checkpoints,
    }


def _ms(value: object) -> str:
    return f"{value:.2f} ms" if isinstance(value, float) else "-"


def as_text(data: dict) -> str:
    """The report as the plain text a user pastes into a bug report."""
    cpu, kern, inf = data["cpu"], data["cpu_kernels"], data["inference"]
    has = [f for f, on in cpu["features"].items() if on]
    lines = [
        f"CPU: {cpu['model']}",
        f"  features: {', '.join(has) or 'none of ' + ', '.join(FEATURES)}",
        f"Inference: device {inf['device']}, dtype {inf['dtype']}, {inf['threads']} threads",
        *([f"  note: {inf['note']}"] if inf.get("note") else []),
        f"bf16 CPU kernels: setting {kern['setting']}; build: {kern['build']}",
        f"  routes ({kern['routes_file']}):",
    ]
    for op, r in kern["routes"].items():
        lines.append(f"    {op:<13} {r['route']:<6} {r['why']}")
    if not inf["bf16_cpu_routes_apply"]:
        lines.append("  (the routes apply to bfloat16 on the CPU only; not what runs here)")
    lines.append("Versions: " + ", ".join(f"{k} {v}" for k, v in data["versions"].items() if v))
    lite = data["lite_models"]
    found = [k for k, p in lite.items() if p]
    lines.append(f"Lite model files: {len(found)} of {len(lite)} found")
    lines += [f"  {k}: {lite[k]}" for k in found]
    ckpts = data["sapiens2_checkpoints"]
    lines.append(f"Sapiens2 checkpoints: {len(ckpts)} found")
    lines += [f"  {k}: {p}" for k, p in ckpts.items()]
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    data = report(measure=args.measure)
    print(json.dumps(data, indent=2) if args.json else as_text(data))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "doctor",
        help="what this machine runs and why (CPU, routes, versions, model files)",
        description="Print the CPU, the bf16 CPU route per operation and why, the kernel build, "
        "library versions, device and dtype, and the model files found: paste it into a bug report.",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument(
        "--measure", action="store_true", help="measure the bf16 CPU routes again (a few seconds)"
    )
    p.set_defaults(func=_run)
