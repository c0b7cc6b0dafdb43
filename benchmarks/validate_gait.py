"""Gait readout on copies of the shared walk and on public clips where nobody walks, in one command.

    SAPIENS_MEASURE_MODEL_DIR=../shared/models .venv/bin/python benchmarks/validate_gait.py \
        [--data ../shared/data] [--models full heavy] [--no-public] [--json out.json]

**The walk** (``walking_side_view.mp4``) is re-made by OpenCV as the copies in ``WALK_VARIANTS``:
mirrored, rescaled, re-encoded with other codecs and qualities, re-cut at other start and end times,
and halved in frame rate. Each copy's cadence is compared with the by-eye annotation of
``annotations.py`` restricted to the strikes inside the copy's time window (issue 15: within 3
steps/min, with the right walking direction). A copy whose cadence is null with a warning is
*refused*, not wrong; a cadence further off, or a wrong direction, is *wrong*.

**The clips that are not walks** are the eight ``pose2sim`` videos (``public_media.py``: lunges and
throws on force plates, four cameras, one with a bystander) and their mirrors: the expected readout
is no cadence and no walking direction.

The verdicts are printed as markdown tables (docs/VALIDATION.md, section 5).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # annotations.py beside this script

from annotations import WALK_DIRECTION, WALK_FPS, WALK_VIDEO, annotated_cadence  # noqa: E402
from validate_consistency import cpu_name  # noqa: E402

TOLERANCE_SPM = 3.0  # issue 15's bar for cadence against the annotation
OTHER_WAY = {"right_to_left": "left_to_right", "left_to_right": "right_to_left"}


@dataclass(frozen=True)
class Copy:
    """How a copy of the walk is made: ``codec`` is an OpenCV fourcc (MJPG in .avi, others in
    .mp4 or .webm); ``quality`` MJPG's JPEG quality (OpenCV's 0-100); ``start_s`` / ``end_s`` the
    cut; ``step`` keeps every step-th frame and writes it at fps / step."""

    name: str
    mirror: bool = False
    scale: float = 1.0
    codec: str = "MJPG"
    quality: int = 95
    start_s: float = 0.0
    end_s: float = math.inf
    step: int = 1


WALK_VARIANTS = (
    Copy("mirror", mirror=True),
    Copy("re-encoded MPEG-4 (mp4v)", codec="mp4v"),
    Copy("re-encoded VP8 (webm)", codec="VP80"),
    Copy("JPEG quality 20", quality=20),
    Copy("scale 0.5x", scale=0.5),
    Copy("scale 0.75x, mirror", scale=0.75, mirror=True),
    Copy("15 fps (every 2nd frame)", step=2),
    Copy("15 fps, mirror, mp4v", step=2, mirror=True, codec="mp4v"),
    Copy("cut 2.2 s to the end", start_s=2.2),
    Copy("cut 0 to 5.4 s", end_s=5.4),
    Copy("cut 1.0 to 6.0 s, mirror", start_s=1.0, end_s=6.0, mirror=True),
    Copy("cut 2.2 to 5.4 s (4 strikes)", start_s=2.2, end_s=5.4),
)
SUFFIX = {"MJPG": ".avi", "mp4v": ".mp4", "VP80": ".webm"}


def write_copy(source: Path, copy: Copy, folder: Path) -> Path:
    import cv2

    cap = cv2.VideoCapture(str(source))
    fps = cap.get(cv2.CAP_PROP_FPS) or WALK_FPS
    # Named after the source too: the eight clips' mirrors are one Copy, eight files.
    out = folder / f"{source.stem}-{abs(hash(copy)) % 10**8}{SUFFIX[copy.codec]}"
    writer, index = None, -1
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        index += 1
        t = index / fps
        if t < copy.start_s - 1e-6 or t > copy.end_s + 1e-6 or index % copy.step:
            continue
        if copy.scale != 1.0:
            h, w = frame.shape[:2]
            size = (round(w * copy.scale) // 2 * 2, round(h * copy.scale) // 2 * 2)
            frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        if copy.mirror:
            frame = cv2.flip(frame, 1)
        if writer is None:
            size = (frame.shape[1], frame.shape[0])
            writer = cv2.VideoWriter(
                str(out), cv2.VideoWriter_fourcc(*copy.codec), fps / copy.step, size
            )
            if copy.codec == "MJPG":
                writer.set(cv2.VIDEOWRITER_PROP_QUALITY, copy.quality)
        writer.write(frame)
    cap.release()
    if writer is None:
        raise RuntimeError(f"{source}: no frames in {copy}")
    writer.release()
    return out


def readout(path: Path, backend) -> dict:
    from core.analysis import analyze_gait_video

    res = analyze_gait_video(path, backend).result
    cadence = res.cadence_spm
    return {
        "cadence": round(cadence, 1) if math.isfinite(cadence) else None,
        "direction": res.walking_direction,
        "grade": res.quality.grade if res.quality else None,
        "walk": res.walk.verdict if res.walk else None,
        "steps": res.n_steps,
        "warnings": list(res.warnings),
    }


def walk_verdict(got: dict, expected: float, direction: str) -> str:
    if got["cadence"] is None:
        return "refused" if got["warnings"] else "silent null"
    if got["direction"] != direction:
        return "wrong direction"
    return "within" if abs(got["cadence"] - expected) <= TOLERANCE_SPM else "wrong"


def still_verdict(got: dict) -> str:
    if got["cadence"] is None and got["direction"] is None:
        return "refused" if got["warnings"] else "silent null"
    return "measured (wrong)"


def run_model(model: str, data: Path, public: list[Path], tmp: Path) -> dict:
    from core.backends.lite import LiteBackend

    backend = LiteBackend(model=model)
    rows: dict[str, list] = {"walk": [], "still": []}
    try:
        source = data / WALK_VIDEO
        cases = [(Copy("original"), source)]
        cases += [(c, write_copy(source, c, tmp)) for c in WALK_VARIANTS]
        for copy, path in cases:
            expected, unc, n = annotated_cadence(copy.start_s, copy.end_s)
            direction = OTHER_WAY[WALK_DIRECTION] if copy.mirror else WALK_DIRECTION
            got = readout(path, backend)
            rows["walk"].append({"copy": copy.name, "expected": round(expected, 1),
                                 "uncertainty": round(unc, 1), "strikes": n, **got,
                                 "verdict": walk_verdict(got, expected, direction)})  # fmt: skip
        for clip in public:
            for mirror in (False, True):
                path = write_copy(clip, Copy("mirror", mirror=True), tmp) if mirror else clip
                got = readout(path, backend)
                name = clip.name + (", mirror" if mirror else "")
                rows["still"].append({"clip": name, **got, "verdict": still_verdict(got)})
    finally:
        backend.close()
    return rows


def tables(model: str, rows: dict) -> list[str]:
    out = [f"### lite {model}: copies of the walk", "",
           "| copy | annotated (steps/min) | strikes | tool | direction | walk check | grade | verdict |",
           "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in rows["walk"]:
        tool = "null" if r["cadence"] is None else f"{r['cadence']:.1f}"
        out.append(f"| {r['copy']} | {r['expected']:.1f} +- {r['uncertainty']:.1f} | "
                   f"{r['strikes']} | {tool} | {r['direction']} | {r['walk']} | {r['grade']} | "
                   f"{r['verdict']} |")  # fmt: skip
    out += ["", f"### lite {model}: clips where nobody walks (expected: no cadence, no direction)",
            "", "| clip | cadence | direction | walk check | grade | verdict |",
            "|---|---|---|---|---|---|"]  # fmt: skip
    for r in rows["still"]:
        out.append(f"| {r['clip']} | {r['cadence']} | {r['direction']} | {r['walk']} | "
                   f"{r['grade']} | {r['verdict']} |")  # fmt: skip
    walk = [r["verdict"] for r in rows["walk"]]
    still = [r["verdict"] for r in rows["still"]]
    out += ["", f"walk copies: {walk.count('within')} within {TOLERANCE_SPM:g} steps/min, "
            f"{walk.count('refused')} refused with a warning, "
            f"{len(walk) - walk.count('within') - walk.count('refused')} wrong or silent, "
            f"of {len(walk)}; still clips: {still.count('refused')} refused of {len(still)}"]  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    from core.backends.models import find_lite_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--models", nargs="+", default=["full", "heavy"])
    parser.add_argument("--no-public", action="store_true", help="skip the pose2sim clips")
    parser.add_argument("--json", type=Path, help="also write every readout to this file")
    args = parser.parse_args(argv)
    public: list[Path] = []
    if not args.no_public:
        from public_media import fetch

        public = fetch()
    print(f"CPU: {cpu_name()}; annotation {annotated_cadence()[0]:.1f} steps/min, "
          f"tolerance {TOLERANCE_SPM:g}")  # fmt: skip
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models:
            if find_lite_model(f"pose_landmarker_{model}") is None:
                print(f"\n(pose_landmarker_{model} not found: skipped)")
                continue
            results[model] = run_model(model, args.data, public, Path(tmp))
            print("\n" + "\n".join(tables(model, results[model])))
    if args.json:
        args.json.write_text(json.dumps({"cpu": cpu_name(), "results": results}, indent=1))
    return 0 if results else 1


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
