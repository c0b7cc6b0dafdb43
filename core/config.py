"""Every setting of the app in one place, read from environment variables with sensible defaults.

| variable | meaning | default |
|---|---|---|
| ``SAPIENS_MEASURE_DATA_DIR`` | database and session artifacts | ``data/`` in a checkout, else the user data folder |
| ``SAPIENS_MEASURE_MODEL_DIR`` | lite (MediaPipe Tasks) model files | none (then the download cache) |
| ``SAPIENS_MEASURE_CACHE_DIR`` | where ``fetch lite`` puts model files | the user cache folder |
| ``SAPIENS2_CHECKPOINT_ROOT`` | first place to look for Sapiens2 checkpoints | none |
| ``SAPIENS_CHECKPOINT_ROOT`` | the official tools' checkpoint root | ``~/sapiens2_host`` |
| ``SAPIENS_MEASURE_DEVICE`` | ``auto``, ``cpu``, ``cuda``, ``mps`` | ``auto`` |
| ``SAPIENS_MEASURE_DTYPE`` | ``auto``, ``float32``, ``bfloat16`` | ``auto`` |
| ``SAPIENS_MEASURE_CPU_KERNELS`` | ``auto`` (per op, the faster of the project's bf16 CPU kernels and PyTorch's ops on this CPU: core/sapiens2/routes.py), ``own`` (the kernels wherever they run), ``torch`` | ``auto`` |
| ``SAPIENS_MEASURE_SAPIENS2_THRESHOLD`` | keypoint heatmap score below which a point is missing | 0.3 |
| ``SAPIENS_MEASURE_LITE_THRESHOLD`` | MediaPipe visibility below which a point is missing | 0.5 |
| ``SAPIENS_MEASURE_SAPIENS2_RELIABLE_SCORE`` | Sapiens2 score a measure's every point needs for the measure to count as reliable | 0.5 |
| ``SAPIENS_MEASURE_LITE_RELIABLE_SCORE`` | the same for MediaPipe visibility (and any other backend) | 0.8 |
| ``SAPIENS_MEASURE_MAX_IMAGE_PIXELS`` | decoded images larger than this are refused | 100 000 000 |
| ``SAPIENS_MEASURE_MAX_VIDEO_FRAMES`` | videos longer than this are refused | 18 000 |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from core.errors import InputError
from core.limits import MAX_IMAGE_PIXELS, MAX_VIDEO_FRAMES

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEVICES = ("auto", "cpu", "cuda", "mps")
DTYPES = ("auto", "float32", "bfloat16")


def _user_dir(xdg_var: str, fallback: str) -> Path:
    base = os.environ.get(xdg_var)
    return Path(base) if base else Path.home() / fallback


def _is_checkout() -> bool:
    return (PROJECT_ROOT / "pyproject.toml").is_file() and (PROJECT_ROOT / "Home.py").is_file()


def _float(env: dict[str, str], name: str, default: float, lo: float, hi: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"{name}={raw!r} is not a number") from None
    if not lo <= value <= hi:
        raise InputError(f"{name}={raw} is outside [{lo}, {hi}]")
    return value


def _choice(env: dict[str, str], name: str, choices: tuple[str, ...]) -> str:
    value = env.get(name, "auto").strip().lower() or "auto"
    if value not in choices:
        raise InputError(f"{name}={value!r}: choose one of {', '.join(choices)}")
    return value


#: ``SAPIENS_MEASURE_CPU_KERNELS``'s values (core/sapiens2/cpu_kernels.py).
CPU_KERNEL_MODES = ("auto", "own", "torch")


def cpu_kernels_setting(env: dict[str, str] | None = None) -> str:
    """``SAPIENS_MEASURE_CPU_KERNELS`` as given, normalised (lower case, "" -> "auto"); not
    validated here: the kernels warn once and use auto for an unknown value. One variable only, so
    the bf16 kernels can read it per operation without building the whole :class:`Settings`."""
    source = os.environ if env is None else env
    return source.get("SAPIENS_MEASURE_CPU_KERNELS", "auto").strip().lower() or "auto"


@dataclass(frozen=True)
class Settings:
    """The app's settings; build with :func:`load_settings`, override fields with ``dataclasses.replace``."""

    data_dir: Path
    model_dir: Path | None
    cache_dir: Path
    checkpoint_roots: tuple[Path, ...]
    device: str = "auto"
    dtype: str = "auto"
    cpu_kernels: str = "auto"
    sapiens2_threshold: float = 0.3
    #: A measure is "reliable" when the lowest score of the points it uses reaches this
    #: (core.measure.confidence); between the missing threshold and this it is shown as unreliable.
    sapiens2_reliable_score: float = 0.5
    lite_reliable_score: float = 0.8
    lite_threshold: float = 0.5
    max_image_pixels: int = MAX_IMAGE_PIXELS
    max_video_frames: int = MAX_VIDEO_FRAMES

    def reliable_score(self, backend: str) -> float:
        """The reliable score for poses of ``backend`` (``Pose.backend``): Sapiens2 heatmap scores
        and MediaPipe visibilities are different scales; any other source is read as a visibility."""
        return self.sapiens2_reliable_score if backend == "sapiens2" else self.lite_reliable_score

    @property
    def db_path(self) -> Path:
        return self.data_dir / "sessions.db"

    @property
    def artifacts_dir(self) -> Path:
        return self.data_dir / "artifacts"

    @property
    def lite_model_dirs(self) -> tuple[Path, ...]:
        """Folders searched for lite model files, in order."""
        dirs = [self.model_dir] if self.model_dir else []
        return (*dirs, self.cache_dir / "lite")


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read the settings from ``env`` (default: ``os.environ``). Raises ``InputError`` on bad values."""
    env = dict(os.environ) if env is None else env
    if env.get("SAPIENS_MEASURE_DATA_DIR"):
        data_dir = Path(env["SAPIENS_MEASURE_DATA_DIR"]).expanduser()
    elif _is_checkout():
        data_dir = PROJECT_ROOT / "data"
    else:
        data_dir = _user_dir("XDG_DATA_HOME", ".local/share") / "sapiens-measure"
    model_dir = (
        Path(env["SAPIENS_MEASURE_MODEL_DIR"]).expanduser()
        if env.get("SAPIENS_MEASURE_MODEL_DIR")
        else None
    )
    cache_dir = (
        Path(env["SAPIENS_MEASURE_CACHE_DIR"]).expanduser()
        if env.get("SAPIENS_MEASURE_CACHE_DIR")
        else _user_dir("XDG_CACHE_HOME", ".cache") / "sapiens-measure"
    )
    roots = []
    if env.get("SAPIENS2_CHECKPOINT_ROOT"):
        roots.append(Path(env["SAPIENS2_CHECKPOINT_ROOT"]).expanduser())
    roots.append(Path(env.get("SAPIENS_CHECKPOINT_ROOT") or "~/sapiens2_host").expanduser())
    return Settings(
        data_dir=data_dir,
        model_dir=model_dir,
        cache_dir=cache_dir,
        checkpoint_roots=tuple(roots),
        device=_choice(env, "SAPIENS_MEASURE_DEVICE", DEVICES),
        dtype=_choice(env, "SAPIENS_MEASURE_DTYPE", DTYPES),
        cpu_kernels=cpu_kernels_setting(env),
        sapiens2_threshold=_float(env, "SAPIENS_MEASURE_SAPIENS2_THRESHOLD", 0.3, 0.0, 1e6),
        sapiens2_reliable_score=_float(
            env, "SAPIENS_MEASURE_SAPIENS2_RELIABLE_SCORE", 0.5, 0.0, 1e6
        ),
        lite_reliable_score=_float(env, "SAPIENS_MEASURE_LITE_RELIABLE_SCORE", 0.8, 0.0, 1.0),
        lite_threshold=_float(env, "SAPIENS_MEASURE_LITE_THRESHOLD", 0.5, 0.0, 1.0),
        max_image_pixels=int(
            _float(env, "SAPIENS_MEASURE_MAX_IMAGE_PIXELS", MAX_IMAGE_PIXELS, 1, 1e10)
        ),
        max_video_frames=int(
            _float(env, "SAPIENS_MEASURE_MAX_VIDEO_FRAMES", MAX_VIDEO_FRAMES, 1, 1e7)
        ),
    )


def display_path(path: Path | str) -> str:
    """A path as shown to the user: ``~`` for the home folder, relative inside the working folder.

    Screens, reports and screenshots then show where a file is without spelling out this machine's
    folder layout.
    """
    path = Path(path)
    for base, prefix in ((Path.cwd(), ""), (Path.home(), "~/")):
        try:
            rel = path.resolve().relative_to(base.resolve())
        except (ValueError, OSError):
            continue
        return prefix + str(rel) if str(rel) != "." else (prefix.rstrip("/") or ".")
    return str(path)
