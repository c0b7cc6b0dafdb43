"""Mirror and scale consistency of the posture readout on real media, per measure, in one command.

    SAPIENS_MEASURE_MODEL_DIR=../shared/models .venv/bin/python benchmarks/validate_consistency.py \
        [--data ../shared/data] [--frames 2 3 4 5 6] [--models full heavy] [--json out.json]

Every photo in ``--data`` (and the walking video's frames at ``--frames`` seconds) goes through
``core.analysis.analyze_posture`` (default view) as it is, mirrored left-right, and rescaled 0.5x and
2x. A readout of the original is *consistent* with its variant when both are numbers within
``TOLERANCE_DEG`` (after the mirror's exchange of left and right and negation of the signed lateral
measures, ``MIRROR_NEGATED``); a number on one side and NaN (or no person) on the other is a failure
unless both are flagged unreliable; NaN on both sides is not a check (not visible either way).
Derived readouts (``*_flexion_deg`` = 180 - the angle) are left out: they pass or fail with their
angle. Media in which the original shows nobody are listed and skipped.

The same is computed for the *raw* model: one ``estimate_pose`` on the whole image, the largest pose,
``posture_measures`` on it, no second looks and nothing the analysis adds; the project has to do
better than that. Results are per lite pose model (``--models``; "heavy" only when its file exists).
Then the by-eye annotations of ``benchmarks/annotations.py`` against the tool's angles on the same
frames. Prints one table per model and the CPU; ``--json`` also writes every check.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # annotations.py beside this script

#: Issue 15's bar: a readout that moves more than this under a mirror or a rescale is inconsistent.
TOLERANCE_DEG = 6.0
#: Signed lateral measures (docs/MEASURES.md section 2): their sign names the camera's left or the
#: subject's left side, so a mirror negates them. Joint angles and front-view neck flexion are
#: unsigned; a side view's signed neck flexion is signed by the facing direction, which the mirror
#: turns with the subject. Update this set when a measure's convention changes.
MIRROR_NEGATED = frozenset({"trunk_lean_deg", "shoulder_tilt_deg", "hip_tilt_deg"})
#: Line tilts live in (-90, 90]: -89 and 90 are 1 degree apart.
PERIOD_180 = frozenset({"shoulder_tilt_deg", "hip_tilt_deg"})
VARIANTS = ("mirror", "scale 0.5x", "scale 2x")
PHOTO_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


@dataclass(frozen=True)
class Readout:
    """One image's measures (name -> degrees, NaN when not visible) and the flagged ones."""

    values: dict[str, float]
    flagged: frozenset[str] = frozenset()
    found: bool = True


def cpu_name() -> str:
    """lscpu's model name (the processor the figures were measured on)."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return platform.processor() or "unknown"
    for line in out.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def variant(rgb: np.ndarray, kind: str) -> np.ndarray:
    import cv2

    if kind == "mirror":
        return np.ascontiguousarray(rgb[:, ::-1])
    factor = 0.5 if kind == "scale 0.5x" else 2.0
    h, w = rgb.shape[:2]
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC)


def mirrored_name(name: str) -> str:
    """The key a mirror moves a readout to: the subject's left becomes their right."""
    for a, b in (("left_", "right_"), ("right_", "left_")):
        if name.startswith(a):
            return b + name[len(a) :]
    return name


def _flagged(result: object) -> frozenset[str]:
    # Per-measure reliability lands with another change (issue 15, item 6); read it when present.
    reliable = getattr(result, "reliable", None)
    if isinstance(reliable, dict):
        return frozenset(k for k, ok in reliable.items() if not ok)
    return frozenset()


def project_readout(rgb: np.ndarray, backend: object) -> Readout:
    from core.analysis import analyze_posture
    from core.errors import NoPersonFound

    try:
        result = analyze_posture(rgb, backend)
    except NoPersonFound:
        return Readout({}, found=False)
    return Readout(dict(result.measures), _flagged(result))


def raw_readout(rgb: np.ndarray, backend: object) -> Readout:
    from core.backends.tracking import select_person
    from core.measure.posture import posture_measures

    poses = backend.estimate_pose(rgb)  # type: ignore[attr-defined]
    pose = select_person(poses) if poses else None
    if pose is None:
        return Readout({}, found=False)
    return Readout({k: float(v) for k, v in posture_measures(pose).items()})


def _difference(name: str, a: float, b: float) -> float:
    period = 180.0 if name in PERIOD_180 else 360.0
    return abs((a - b + period / 2) % period - period / 2)


def compare(original: Readout, other: Readout, kind: str) -> list[tuple[str, str, float | None]]:
    """(measure, "pass" | "fail", difference in degrees or None) for each check of one pair."""
    checks = []
    for name, value in original.values.items():
        if name.endswith("_flexion_deg"):
            continue
        key = mirrored_name(name) if kind == "mirror" else name
        got = other.values.get(key, math.nan)
        if kind == "mirror" and name in MIRROR_NEGATED:
            got = -got
        a_ok, b_ok = math.isfinite(value), math.isfinite(got)
        if not a_ok and not b_ok:
            continue  # not visible either way: no check
        if a_ok and b_ok:
            diff = _difference(name, value, got)
            checks.append((name, "pass" if diff <= TOLERANCE_DEG else "fail", diff))
        elif name in original.flagged and key in other.flagged:
            checks.append((name, "pass", None))  # missing on one side, flagged on both
        else:
            checks.append((name, "fail", None))
    return checks


def load_media(data: Path, frames_s: list[float]) -> list[tuple[str, np.ndarray]]:
    from core.imaging.decode import decode_image
    from core.video import iter_frames

    media = [
        (p.name, decode_image(p))
        for p in sorted(data.iterdir())
        if p.suffix.lower() in PHOTO_SUFFIXES
    ]
    video = data / "walking_side_view.mp4"
    if video.is_file() and frames_s:
        wanted = sorted(frames_s)
        for frame in iter_frames(video):
            if wanted and frame.time_s >= wanted[0] - 1e-6:
                media.append((f"{video.name}@{wanted.pop(0):g}s", frame.rgb))
            if not wanted:
                break
    return media


def annotated_frames(data: Path) -> dict[str, np.ndarray]:
    """The photos and video frames that ``annotations.ANNOTATIONS`` name, by their media key."""
    from annotations import ANNOTATIONS

    from core.imaging.decode import decode_image
    from core.video import iter_frames

    keys = {a.media for a in ANNOTATIONS}
    images = {k: decode_image(data / k) for k in keys if "#" not in k}
    wanted = {int(k.split("#")[1]) for k in keys if "#" in k}
    if wanted:
        for frame in iter_frames(data / "walking_side_view.mp4"):
            if frame.index in wanted:
                images[f"walking_side_view.mp4#{frame.index}"] = frame.rgb
            if frame.index >= max(wanted):
                break
    return images


def run_model(model: str, media: list[tuple[str, np.ndarray]], annotated: dict) -> dict:
    from annotations import compare_annotations

    from core.backends.lite import LiteBackend

    out: dict = {"model": model, "skipped": [], "checks": []}
    with LiteBackend(model=model) as backend:
        out["annotations"] = compare_annotations(annotated, backend)
        for name, rgb in media:
            for how, read in (("project", project_readout), ("raw", raw_readout)):
                original = read(rgb, backend)
                if not original.found:
                    out["skipped"].append(f"{how}: {name}")
                    continue
                for kind in VARIANTS:
                    for measure, verdict, diff in compare(
                        original, read(variant(rgb, kind), backend), kind
                    ):
                        out["checks"].append(
                            {"how": how, "media": name, "variant": kind, "measure": measure,
                             "verdict": verdict, "diff_deg": diff}
                        )  # fmt: skip
    return out


def table(result: dict, how: str) -> list[str]:
    """Rows: measure, then passed/checks per variant, then the share over all variants."""
    counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for c in result["checks"]:
        if c["how"] == how:
            for key in (c["variant"], "all"):
                cell = counts[c["measure"]][key]
                cell[0] += c["verdict"] == "pass"
                cell[1] += 1
    header = f"| measure | {' | '.join(VARIANTS)} | all |"
    lines = [header, "|---" * (len(VARIANTS) + 2) + "|"]
    total = [0, 0]
    per_variant = {v: [0, 0] for v in VARIANTS}
    for measure in sorted(counts):
        cells = []
        for v in VARIANTS:
            ok, n = counts[measure][v]
            per_variant[v][0] += ok
            per_variant[v][1] += n
            cells.append(f"{ok}/{n}" if n else "-")
        ok, n = counts[measure]["all"]
        total[0] += ok
        total[1] += n
        lines.append(f"| {measure} | {' | '.join(cells)} | {100 * ok / n:.0f}% |")
    cells = [f"{ok}/{n}" for ok, n in per_variant.values()]
    share = 100 * total[0] / total[1] if total[1] else float("nan")
    lines.append(f"| **all** | {' | '.join(cells)} | **{share:.1f}%** ({total[0]}/{total[1]}) |")
    return lines


def per_media(result: dict, how: str) -> str:
    """One line: the share of passed checks per media."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for c in result["checks"]:
        if c["how"] == how:
            counts[c["media"]][0] += c["verdict"] == "pass"
            counts[c["media"]][1] += 1
    return "; ".join(f"{m} {ok}/{n}" for m, (ok, n) in counts.items())


def main(argv: list[str] | None = None) -> int:
    from core.backends.models import find_lite_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--frames", type=float, nargs="*", default=[2.0, 3.0, 4.0, 5.0, 6.0],
                        help="seconds of walking_side_view.mp4 to add as photos")  # fmt: skip
    parser.add_argument("--models", nargs="+", default=["full", "heavy"])
    parser.add_argument("--json", type=Path, help="also write every check to this file")
    args = parser.parse_args(argv)
    media = load_media(args.data, args.frames)
    annotated = annotated_frames(args.data)
    print(f"CPU: {cpu_name()}; {len(media)} media; tolerance {TOLERANCE_DEG:g} deg")
    results = []
    for model in args.models:
        if find_lite_model(f"pose_landmarker_{model}") is None:
            print(f"\n(pose_landmarker_{model} not found: skipped)")
            continue
        result = run_model(model, media, annotated)
        results.append(result)
        for how in ("project", "raw"):
            print(f"\n### lite {model}, {how} (passed/checks)\n")
            print("\n".join(table(result, how)))
            print(f"\nper media: {per_media(result, how)}")
        print(f"\n### lite {model}: by-eye annotations (benchmarks/annotations.py)\n")
        print("\n".join(result["annotations"]))
        if result["skipped"]:
            print(f"\nno person on the original: {', '.join(result['skipped'])}")
        fails = [c for c in result["checks"] if c["how"] == "project" and c["verdict"] == "fail"]
        print(f"\nproject failures ({len(fails)}):")
        for c in fails:
            diff = "NaN on one side" if c["diff_deg"] is None else f"{c['diff_deg']:.1f} deg"
            print(f"  {c['media']:32s} {c['variant']:11s} {c['measure']:28s} {diff}")
    if args.json:
        args.json.write_text(json.dumps({"cpu": cpu_name(), "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
