"""Which backend to use: ``auto`` takes Sapiens2 when its pose weights are on disk, else lite.

Sapiens2 modules are imported only when needed, so the lite backend works in a build without them.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from core.backends.base import Backend
from core.backends.models import find_lite_model
from core.backends.names import BACKEND_NAMES
from core.config import Settings, load_settings
from core.errors import InputError, ModelNotAvailable


def _import_optional(module: str):  # noqa: ANN202 (a module or None)
    """``module`` or None when it (not one of its own imports) does not exist in this build."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None
        raise


def find_sapiens2_pose(size: str, settings: Settings) -> Path | None:
    """The local Sapiens2 pose checkpoint of ``size``, or None (also when Sapiens2 is not built in)."""
    checkpoints = _import_optional("core.sapiens2.checkpoints")
    if checkpoints is None:
        return None
    return checkpoints.find_checkpoint("pose", size, settings)


def get_backend(
    name: str = "auto", *, size: str = "0.4b", settings: Settings | None = None
) -> Backend:
    """Build the backend ``name`` ("auto", "lite" or "sapiens2").

    ``auto`` is Sapiens2 of ``size`` when its pose checkpoint is found locally (nothing is
    downloaded), else lite. Forcing one whose files are missing raises ``ModelNotAvailable`` with
    the command that fetches them. The result's ``describe()`` records what was chosen.
    """
    settings = settings or load_settings()
    name = name.strip().lower()
    if name not in BACKEND_NAMES:
        raise InputError(f"unknown backend {name!r}: choose one of {', '.join(BACKEND_NAMES)}")
    if name == "auto":
        name = "sapiens2" if find_sapiens2_pose(size, settings) is not None else "lite"
    if name == "lite":
        from core.backends.lite import LiteBackend

        return LiteBackend(settings)
    module = _import_optional("core.backends.sapiens2")
    if module is None:
        raise ModelNotAvailable(
            "the sapiens2 backend is not part of this build; use the lite backend"
        )
    return module.Sapiens2Backend(size, settings=settings)


def available_backends(settings: Settings | None = None, *, size: str = "0.4b") -> dict[str, str]:
    """Backend name -> one line on whether it can run here and, if not, what to do."""
    settings = settings or load_settings()
    lite = find_lite_model("pose_landmarker_full", settings)
    status = {
        "lite": f"ready ({lite})"
        if lite
        else "model files missing: run `python -m core fetch lite` or set SAPIENS_MEASURE_MODEL_DIR",
    }
    if _import_optional("core.backends.sapiens2") is None:
        status["sapiens2"] = "not part of this build"
    else:
        ckpt = find_sapiens2_pose(size, settings)
        status["sapiens2"] = (
            f"ready ({ckpt})"
            if ckpt
            else f"no pose weights for size {size}: run `python -m core fetch sapiens2 --task pose --size {size}`"
        )
    return status
