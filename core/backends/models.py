"""Lite (MediaPipe Tasks) model files: their names, where they are looked up, and the explicit download.

Files are found in ``Settings.lite_model_dirs`` (``SAPIENS_MEASURE_MODEL_DIR`` first, then the cache
that ``python -m core fetch lite`` fills). The download is the only network call of the lite
backend: MediaPipe's model storage first, then, when that fails, the same files built from the
mediapipe wheel on PyPI (:mod:`core.backends.lite_bundle`). Either way each file goes to a
temporary file, is checked to load in MediaPipe, then renamed into place with its SHA-256 recorded
in ``SHA256SUMS`` next to it, so a failed or partial download leaves nothing.
"""

from __future__ import annotations

import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from core.backends.lite_bundle import FALLBACK_SOURCE, Builder, WheelBuilder
from core.config import Settings, load_settings
from core.errors import ModelNotAvailable
from core.hashing import sha256_hex

_BASE_URL = "https://storage.googleapis.com/mediapipe-models"
_CHUNK = 1 << 20
#: What a user can do when no route works (one sentence, appended to the error).
WHAT_TO_DO = (
    "Check the network connection or the pip mirror (`pip config list`), then run "
    "`python -m core fetch lite` again (or press the Start page's download button); or copy the "
    "lite model files into a folder and set SAPIENS_MEASURE_MODEL_DIR to it."
)

#: progress(file name, bytes done, total bytes or None when the server does not say)
Progress = Callable[[str, int, "int | None"], None]
#: download(url, open binary file, progress for this file) -> None; raises on failure
Downloader = Callable[[str, BinaryIO, Callable[[int, "int | None"], None]], None]


@dataclass(frozen=True)
class LiteModel:
    """One MediaPipe model file: ``filename`` as published, the Tasks class that loads it, its URL."""

    filename: str
    task: str  # "pose" | "segmenter" | "face" | "hands" | "face_landmarks"
    url: str


def _model(task_dir: str, stem: str, ext: str, task: str) -> LiteModel:
    # MediaPipe's model cards publish <base>/<task>/<model>/float16/<version>/<file>; version 1 is
    # pinned so the recorded hash stays meaningful.
    return LiteModel(f"{stem}.{ext}", task, f"{_BASE_URL}/{task_dir}/{stem}/float16/1/{stem}.{ext}")


#: Model key -> file. The keys are the file names without their extension.
LITE_MODELS: dict[str, LiteModel] = {
    "pose_landmarker_lite": _model("pose_landmarker", "pose_landmarker_lite", "task", "pose"),
    "pose_landmarker_full": _model("pose_landmarker", "pose_landmarker_full", "task", "pose"),
    "pose_landmarker_heavy": _model("pose_landmarker", "pose_landmarker_heavy", "task", "pose"),
    "selfie_segmenter": _model("image_segmenter", "selfie_segmenter", "tflite", "segmenter"),
    "blaze_face_short_range": _model("face_detector", "blaze_face_short_range", "tflite", "face"),
    "hand_landmarker": _model("hand_landmarker", "hand_landmarker", "task", "hands"),
    "face_landmarker": _model("face_landmarker", "face_landmarker", "task", "face_landmarks"),
}
#: What ``fetch lite`` gets by default: everything the lite backend uses (its default pose model
#: "full"; not the lite and heavy pose variants, nor the face landmarker).
#: Only files that the fallback (the mediapipe wheel on PyPI) can build too, so that a network
#: with a package mirror and nothing else still gets all of them.
DEFAULT_FETCH = (
    "pose_landmarker_full",
    "selfie_segmenter",
    "blaze_face_short_range",
    "hand_landmarker",
)


def _lookup(key: str) -> LiteModel:
    if key not in LITE_MODELS:
        raise ModelNotAvailable(f"unknown lite model {key!r}; known: {', '.join(LITE_MODELS)}")
    return LITE_MODELS[key]


def find_lite_model(key: str, settings: Settings | None = None) -> Path | None:
    """The first existing file for model ``key`` in ``settings.lite_model_dirs``, or None."""
    model = _lookup(key)
    settings = settings or load_settings()
    for folder in settings.lite_model_dirs:
        path = folder / model.filename
        if path.is_file():
            return path
    return None


def resolve_lite_model(key: str, settings: Settings | None = None) -> Path:
    """Like :func:`find_lite_model`, but raises ``ModelNotAvailable`` saying where it looked and what to run."""
    settings = settings or load_settings()
    path = find_lite_model(key, settings)
    if path is None:
        where = ", ".join(str(d) for d in settings.lite_model_dirs)
        raise ModelNotAvailable(
            f"lite model file {LITE_MODELS[key].filename} not found (looked in: {where}); "
            "run `python -m core fetch lite` or point SAPIENS_MEASURE_MODEL_DIR at a folder that has it"
        )
    return path


def check_loads(path: Path, model: LiteModel) -> None:
    """Create (and close) the MediaPipe task for ``path``; raises if MediaPipe cannot load it."""
    from mediapipe.tasks.python import vision
    from mediapipe.tasks.python.core.base_options import BaseOptions

    kinds = {
        "pose": (vision.PoseLandmarker, vision.PoseLandmarkerOptions),
        "segmenter": (vision.ImageSegmenter, vision.ImageSegmenterOptions),
        "face": (vision.FaceDetector, vision.FaceDetectorOptions),
        "hands": (vision.HandLandmarker, vision.HandLandmarkerOptions),
        "face_landmarks": (vision.FaceLandmarker, vision.FaceLandmarkerOptions),
    }
    task_cls, options_cls = kinds[model.task]
    task = task_cls.create_from_options(
        options_cls(base_options=BaseOptions(model_asset_path=str(path)))
    )
    task.close()


def _urllib_download(url: str, out: BinaryIO, progress: Callable[[int, int | None], None]) -> None:
    # 20 s without a byte is a dead or filtered connection: the fallback should not wait longer.
    with urllib.request.urlopen(url, timeout=20) as response:  # noqa: S310 (fixed https URLs)
        total = response.headers.get("Content-Length")
        total_bytes = int(total) if total and total.isdigit() else None
        done = 0
        while chunk := response.read(_CHUNK):
            out.write(chunk)
            done += len(chunk)
            progress(done, total_bytes)
        if total_bytes is not None and done != total_bytes:
            raise OSError(f"download of {url} stopped at {done} of {total_bytes} bytes")


def _record_hash(folder: Path, filename: str, digest: str) -> None:
    sums = folder / "SHA256SUMS"
    lines = [
        ln
        for ln in (sums.read_text().splitlines() if sums.is_file() else [])
        if not ln.endswith(f"  {filename}")
    ]
    lines.append(f"{digest}  {filename}")  # `sha256sum -c SHA256SUMS` format
    tmp = sums.with_name(f".{sums.name}.tmp")
    tmp.write_text("\n".join(sorted(lines, key=lambda ln: ln.split("  ", 1)[-1])) + "\n")
    os.replace(tmp, sums)


def _install(
    model: LiteModel,
    write: Callable[[BinaryIO], object],
    *,
    settings: Settings,
    check: Callable[[Path, LiteModel], None],
) -> tuple[Path, str]:
    """Write ``model``'s bytes (``write``) to a temporary file, check it loads, rename it into place."""
    folder = settings.cache_dir / "lite"
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{model.filename}.", suffix=".part", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
        # The Tasks loaders pick the format by extension, so check a same-suffix name.
        staged = tmp.with_name(f".{model.filename}.check{Path(model.filename).suffix}")
        os.replace(tmp, staged)
        tmp = staged
        try:
            check(tmp, model)
        except Exception as exc:
            raise ModelNotAvailable(
                f"the downloaded {model.filename} does not load in MediaPipe ({exc}); try again"
            ) from exc
        digest = sha256_hex(tmp.read_bytes())
        final = folder / model.filename
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _record_hash(folder, model.filename, digest)
    return final, digest


def fetch_lite_model(
    key: str,
    *,
    settings: Settings | None = None,
    progress: Progress | None = None,
    download: Downloader | None = None,
    check: Callable[[Path, LiteModel], None] = check_loads,
) -> tuple[Path, str]:
    """Download one model from MediaPipe's model storage into ``<cache_dir>/lite``; returns (path, sha256 hex).

    The bytes go to a temporary file in the same folder; only after ``check`` loads it is it renamed
    over the final name (atomic on one file system). On any failure the temporary file is removed
    and the exception propagates, so no half-written model is ever found by the lookup.
    """
    model = _lookup(key)
    fetch = download or _urllib_download

    def write(out: BinaryIO) -> None:
        fetch(
            model.url, out, lambda done, total: progress and progress(model.filename, done, total)
        )

    return _install(model, write, settings=settings or load_settings(), check=check)


def _reason(exc: BaseException) -> str:
    """A network error in words: urllib's ``<urlopen error ...>`` wrapper unwrapped."""
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        return str(exc.reason)
    return str(exc)


def fetch_lite_models(
    progress: Progress | None = None,
    *,
    settings: Settings | None = None,
    keys: tuple[str, ...] = DEFAULT_FETCH,
    force: bool = False,
    download: Downloader | None = None,
    check: Callable[[Path, LiteModel], None] = check_loads,
    fallback: Builder | None = None,
    notice: Callable[[str], None] | None = None,
) -> dict[str, Path]:
    """Get the lite models that are not found locally (all of ``keys`` when ``force``).

    Each file comes from MediaPipe's model storage; once that fails (unreachable, or a file that
    does not load), this and the remaining files are built by ``fallback`` instead (default: from
    the mediapipe wheel on PyPI, see :mod:`core.backends.lite_bundle`), and ``notice`` is told so
    once. Every file is checked and installed atomically either way. Returns model key -> local path
    for every key. When both routes fail, raises ``ModelNotAvailable`` saying what failed and what
    to do, in one line.
    """
    settings = settings or load_settings()
    wheel: WheelBuilder | None = None
    if fallback is None:
        fallback = wheel = WheelBuilder(progress)
    official_failed: str | None = None  # why MediaPipe's storage failed, once it has
    paths: dict[str, Path] = {}
    try:
        for key in keys:
            model = _lookup(key)
            existing = None if force else find_lite_model(key, settings)
            if existing is not None:
                paths[key] = existing
                continue
            if official_failed is None:
                try:
                    paths[key], _ = fetch_lite_model(
                        key, settings=settings, progress=progress, download=download, check=check
                    )
                    continue
                except (OSError, ModelNotAvailable) as exc:
                    official_failed = f"{model.url}: {_reason(exc)}"
                if notice:
                    notice(
                        f"MediaPipe's model storage failed ({official_failed}); "
                        f"building the files from the {FALLBACK_SOURCE} instead"
                    )
            paths[key] = _from_fallback(model, key, fallback, settings, check, official_failed)
    finally:
        if wheel is not None:
            wheel.close()
    return paths


def _from_fallback(
    model: LiteModel,
    key: str,
    builder: Builder,
    settings: Settings,
    check: Callable[[Path, LiteModel], None],
    official_failed: str,
) -> Path:
    try:
        data = builder(key)
        path, _ = _install(model, lambda out: out.write(data), settings=settings, check=check)
    except (OSError, ModelNotAvailable) as exc:
        raise ModelNotAvailable(
            f"could not get {model.filename}: MediaPipe's model storage failed ({official_failed}) "
            f"and so did the fallback, the {FALLBACK_SOURCE} ({_reason(exc)}). {WHAT_TO_DO}"
        ) from exc
    return path
