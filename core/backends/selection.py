"""Which backend to use: ``auto`` takes Sapiens2 when its pose weights are on disk, else lite.

Sapiens2 modules are imported only when needed, so the lite backend works in a build without them.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
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


@dataclass(frozen=True)
class BackendChoice:
    """Which backend a name resolves to, and why, in words a person reads.

    ``name`` is what runs ("lite" or "sapiens2"), ``requested`` what was asked for ("auto" too),
    ``reason`` one sentence ("auto: no Sapiens2 0.4b pose weights on this computer"), ``ready``
    whether its files are there (False: building it raises ``ModelNotAvailable``)."""

    name: str
    requested: str
    size: str
    reason: str
    ready: bool


def which_backend(
    name: str = "auto", *, size: str = "0.4b", settings: Settings | None = None
) -> BackendChoice:
    """What :func:`get_backend` builds for ``name``, without loading anything: ``auto`` is
    Sapiens2 of ``size`` when its pose checkpoint is on this computer, else lite."""
    settings = settings or load_settings()
    requested = name.strip().lower()
    if requested not in BACKEND_NAMES:
        raise InputError(f"unknown backend {name!r}: choose one of {', '.join(BACKEND_NAMES)}")
    if requested == "lite":
        return BackendChoice("lite", requested, size, "lite was chosen", _lite_ready(settings))
    built_in = _import_optional("core.backends.sapiens2") is not None
    pose = find_sapiens2_pose(size, settings) if built_in else None
    if requested == "sapiens2":
        if not built_in:
            reason = "Sapiens2 was chosen, but it is not part of this build"
        elif pose is None:
            reason = f"Sapiens2 was chosen, but its {size} pose weights are not on this computer"
        else:
            reason = "Sapiens2 was chosen"
        return BackendChoice("sapiens2", requested, size, reason, pose is not None)
    if pose is not None:
        return BackendChoice(
            "sapiens2", requested, size, f"auto found the Sapiens2 {size} pose weights", True
        )
    why = (
        "Sapiens2 is not part of this build"
        if not built_in
        else f"no Sapiens2 {size} pose weights are on this computer"
    )
    return BackendChoice("lite", requested, size, f"auto: {why}", _lite_ready(settings))


def _lite_ready(settings: Settings) -> bool:
    return find_lite_model("pose_landmarker_full", settings) is not None


def get_backend(
    name: str = "auto", *, size: str = "0.4b", settings: Settings | None = None
) -> Backend:
    """Build the backend ``name`` ("auto", "lite" or "sapiens2").

    ``auto`` is Sapiens2 of ``size`` when its pose checkpoint is found locally (nothing is
    downloaded), else lite. Forcing one whose files are missing raises ``ModelNotAvailable`` with
    the command that fetches them. The result's ``describe()`` records what was chosen.
    """
    settings = settings or load_settings()
    name = which_backend(name, size=size, settings=settings).name
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
