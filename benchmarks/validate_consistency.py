"""Mirror and scale consistency of the posture readout on real media, per measure, in one command.

    SAPIENS_MEASURE_MODEL_DIR=../shared/models .venv/bin/python benchmarks/validate_consistency.py \
        [--data ../shared/data] [--frames 2 3 4 5 6] [--models full heavy] [--json out.json] \
        [--cache poses.pkl] [--public 0.4 0.9 1.4 [--no-shared]]

Every photo in ``--data`` (and the walking video's frames at ``--frames`` seconds) goes through
``core.analysis.analyze_posture`` (default view, ``auto``) as it is, mirrored left-right, and
rescaled 0.5x and 2x, and each readout of the original is compared with the variant's by the rule of
``benchmarks/consistency_rule.py`` (the mirror exchanges left and right and negates the measures
whose sign names a side of the picture). Each check is *consistent* (both reliable numbers within
``TOLERANCE_DEG``), *flagged* (either number is marked unreliable by the project's per-measure
confidence) or *silently inconsistent* (both reliable and further apart, or a reliable number
against NaN or nobody found). NaN on both sides is no check. Issue 15's 95 % bar is on the checks
not flagged; the share flagged is printed beside it. Media in which the original shows nobody are
listed and skipped. ``--public`` adds frames of media the project was not built on: the pose2sim
clips of ``public_media.py`` (fetched once from PyPI) at the given seconds.

The same is computed for the *raw* model: one ``estimate_pose`` on the whole image, the largest pose,
``posture_measures`` in the front view with flags by the same score rule, no second looks, no view
inference and no left/right correction. Results are per lite pose model (``--models``; "heavy" only
when its file exists). Then the by-eye annotations of ``benchmarks/annotations.py`` against the
tool's angles on the same frames. ``--cache`` keeps the model's poses per image, so a later run
replays them through the current code without running the model; ``--json`` writes every check.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import pickle
import platform
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # annotations.py beside this script

from consistency_rule import (  # noqa: E402
    CONSISTENT,
    FLAGGED,
    MIRRORED_VIEW,
    SILENT,
    TOLERANCE_DEG,
    VERDICTS,
    WARNED,
    Readout,
    compare,
    mirrored_name,
)

from core.backends.base import Backend, Detection  # noqa: E402
from core.keypoints import Pose  # noqa: E402

VARIANTS = ("mirror", "scale 0.5x", "scale 2x")
PHOTO_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


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


class CachedBackend(Backend):
    """A lite backend whose answers are kept per image (keyed by its bytes) in ``store``, so a
    second run with ``--cache`` replays the model's poses through the project's current code
    without running MediaPipe again. The model runs only for an image it has not seen."""

    name = "lite"
    flip_test = True  # the lite backend's photo default (core/backends/lite_flip.py)

    def __init__(self, model: str, store: dict) -> None:
        self.model, self._store, self._real = model, store, None

    def _key(self, what: str, image: np.ndarray) -> str:
        digest = hashlib.sha1(np.ascontiguousarray(image).tobytes()).hexdigest()
        return f"{self.model}|{what}|{image.shape}|{digest}"

    def _backend(self):
        from core.backends.lite import LiteBackend

        if self._real is None:
            self._real = LiteBackend(model=self.model)
        return self._real

    def _flip(self, flip_test: bool | None) -> str:
        return "flip" if (self.flip_test if flip_test is None else flip_test) else "noflip"

    def find_people(self, image: np.ndarray, *, flip_test: bool | None = None) -> Detection:
        key = self._key(f"find-{self._flip(flip_test)}", image)
        if key not in self._store:
            self._store[key] = self._backend().find_people(image, flip_test=flip_test)
        return self._store[key]

    def estimate_pose(self, image, boxes=None, *, timestamp_ms=None, flip_test=None) -> list[Pose]:
        key = self._key(f"pose-{self._flip(flip_test)}", image)
        if boxes is not None or timestamp_ms is not None:
            return self._backend().estimate_pose(
                image, boxes, timestamp_ms=timestamp_ms, flip_test=flip_test
            )
        if key not in self._store:
            self._store[key] = list(self._backend().estimate_pose(image, flip_test=flip_test))
        return self._store[key]

    def close(self) -> None:
        if self._real is not None:
            self._real.close()


def _flagged(values: dict[str, float], confidence) -> frozenset[str]:
    """The measures with a value whose reliable flag is off (``PostureConfidence``)."""
    return frozenset(
        k for k, c in confidence.measures.items() if math.isfinite(values[k]) and not c.reliable
    )


def project_readout(rgb: np.ndarray, backend: Backend) -> Readout:
    from core.analysis import analyze_posture
    from core.errors import NoPersonFound

    try:
        result = analyze_posture(rgb, backend)
    except NoPersonFound:
        return Readout({}, found=False)
    from core.measure.sides import resolve_view
    from core.measure.view import FRONTAL

    values = dict(result.measures)
    # The same reading analyze_posture made (auto view): is its view or are its sides a guess?
    choice = resolve_view(result.people[result.person_index], "auto")
    doubtful = not choice.inferred.sure or (choice.used in FRONTAL and not choice.side_sure)
    return Readout(values, _flagged(values, result.confidence), view=result.view, doubtful=doubtful)


def raw_readout(rgb: np.ndarray, backend: Backend) -> Readout:
    """One ``estimate_pose``, the largest pose, front view, the same score rule for the flags (and
    no other: not the project's plane rule or its check of the flip test's two views)."""
    from core.config import load_settings
    from core.measure.confidence import posture_confidence
    from core.measure.posture import posture_measures
    from core.tracking import select_person

    poses = backend.estimate_pose(rgb)
    pose = select_person(poses) if poses else None
    if pose is None:
        return Readout({}, found=False)
    # The score rule alone: without the flip test's two views, as a script on the raw model has.
    pose = dataclasses.replace(pose, flip_views=None)
    values = {k: float(v) for k, v in posture_measures(pose).items()}
    min_score = load_settings().reliable_score(pose.backend)
    confidence = posture_confidence(pose, view="front", min_score=min_score)
    return Readout(values, _flagged(values, confidence), view="front")


def load_media(data: Path, frames_s: list[float]) -> list[tuple[str, np.ndarray]]:
    from core.imaging.decode import decode_image

    media = [
        (p.name, decode_image(p))
        for p in sorted(data.iterdir())
        if p.suffix.lower() in PHOTO_SUFFIXES
    ]
    video = data / "walking_side_view.mp4"
    if video.is_file() and frames_s:
        media += frames_at(video, frames_s)
    return media


def frames_at(video: Path, times_s: list[float]) -> list[tuple[str, np.ndarray]]:
    """The first frame at or after each of ``times_s`` seconds, named ``<file>@<t>s``."""
    from core.video import iter_frames

    out: list[tuple[str, np.ndarray]] = []
    wanted = sorted(times_s)
    for frame in iter_frames(video):
        if wanted and frame.time_s >= wanted[0] - 1e-6:
            out.append((f"{video.name}@{wanted.pop(0):g}s", frame.rgb))
        if not wanted:
            break
    return out


def public_frames(clips: list[Path], times_s: list[float]) -> list[tuple[str, np.ndarray]]:
    """Frames of the pose2sim clips (``public_media.fetch``) at ``times_s`` seconds, as photos."""
    return [item for clip in clips for item in frames_at(clip, times_s)]


def annotated_frames(data: Path, *, shared: bool, clips: list[Path]) -> dict[str, np.ndarray]:
    """The photos and video frames that ``annotations.ANNOTATIONS`` name, by their media key: those
    of the shared media when ``shared``, and those of the public ``clips`` given."""
    from annotations import ANNOTATIONS

    from core.imaging.decode import decode_image
    from core.video import iter_frames

    keys = {a.media for a in ANNOTATIONS}
    images = {k: decode_image(data / k) for k in keys if "#" not in k} if shared else {}
    videos = ([data / "walking_side_view.mp4"] if shared else []) + list(clips)
    for video in videos:
        wanted = {int(k.split("#")[1]) for k in keys if k.startswith(f"{video.name}#")}
        if not wanted or not video.is_file():
            continue
        for frame in iter_frames(video):
            if frame.index in wanted:
                images[f"{video.name}#{frame.index}"] = frame.rgb
            if frame.index >= max(wanted):
                break
    return images


def run_model(
    model: str, media: list[tuple[str, np.ndarray]], annotated: dict, store: dict
) -> dict:
    from annotations import compare_annotations

    out: dict = {"model": model, "skipped": [], "checks": []}
    backend = CachedBackend(model, store)
    try:
        out["annotations"] = compare_annotations(annotated, backend) if annotated else []
        for name, rgb in media:
            for how, read in (("project", project_readout), ("raw", raw_readout)):
                original = read(rgb, backend)
                if not original.found:
                    out["skipped"].append(f"{how}: {name}")
                    continue
                for kind in VARIANTS:
                    other = read(variant(rgb, kind), backend)
                    for measure, verdict, diff in compare(original, other, kind):
                        key = mirrored_name(measure) if kind == "mirror" else measure
                        out["checks"].append(
                            {"how": how, "media": name, "variant": kind, "measure": measure,
                             "verdict": verdict, "diff_deg": diff,
                             "consistent": diff is not None and diff <= TOLERANCE_DEG,
                             "values": [original.values.get(measure, math.nan),
                                        other.values.get(key, math.nan)],
                             "views": [original.view, other.view if other.found else "nobody"]}
                        )  # fmt: skip
    finally:
        backend.close()
    return out


def _share(ok: int, n: int) -> str:
    return f"{100 * ok / n:.0f}%" if n else "-"


def _counts(checks: list[dict]) -> str:
    """checks | consistent | flagged | warned | silent | consistent share of the checks neither
    flagged nor warned (the issue's bar) | the same counting warned checks as unflagged."""
    n = {v: sum(c["verdict"] == v for c in checks) for v in VERDICTS}
    plain = n[CONSISTENT] + n[SILENT]
    cells = [len(checks), *n.values(), _share(n[CONSISTENT], plain)]
    consistent_warned = sum(c["verdict"] == WARNED and c["consistent"] for c in checks)
    cells.append(_share(n[CONSISTENT] + consistent_warned, plain + n[WARNED]))
    return " | ".join(str(c) for c in cells)


def table(result: dict, how: str) -> list[str]:
    """Rows per measure, then per variant, then all: checks, consistent, flagged, silently
    inconsistent, and the consistent share of the checks not flagged (``_counts``)."""
    checks = [c for c in result["checks"] if c["how"] == how]
    lines = [
        "| measure | checks | consistent | flagged | warned | silent | bar | bar, warned as plain |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for measure in sorted({c["measure"] for c in checks}):
        lines.append(f"| {measure} | {_counts([c for c in checks if c['measure'] == measure])} |")
    for kind in VARIANTS:
        lines.append(f"| *{kind}* | {_counts([c for c in checks if c['variant'] == kind])} |")
    lines.append(f"| **all** | {_counts(checks)} |")
    for verdict in (FLAGGED, WARNED):
        k = sum(c["verdict"] == verdict for c in checks)
        lines.append(f"\n{verdict}: {k} of {len(checks)} checks ({_share(k, len(checks))})")
    return lines


def view_pairs(result: dict) -> str:
    """How many (media, variant) pairs read the view the variant implies (a mirror turns a left
    side view into a right one; a rescale changes nothing), and which do not."""
    pairs = {
        (c["media"], c["variant"]): c["views"] for c in result["checks"] if c["how"] == "project"
    }
    bad = [
        f"{media} {kind} ({a} / {b})"
        for (media, kind), (a, b) in pairs.items()
        if (MIRRORED_VIEW.get(a, a) if kind == "mirror" else a) != b
    ]
    return f"{len(pairs) - len(bad)} of {len(pairs)} pairs" + (
        f"; not: {', '.join(bad)}" if bad else ""
    )


def per_media(result: dict, how: str) -> str:
    """One line: consistent / flagged / warned / silent per media."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(VERDICTS))
    for c in result["checks"]:
        if c["how"] == how:
            counts[c["media"]][VERDICTS.index(c["verdict"])] += 1
    return "; ".join(f"{m} {'/'.join(map(str, n))}" for m, n in counts.items())


def main(argv: list[str] | None = None) -> int:
    from core.backends.models import find_lite_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--frames", type=float, nargs="*", default=[2.0, 3.0, 4.0, 5.0, 6.0],
                        help="seconds of walking_side_view.mp4 to add as photos")  # fmt: skip
    parser.add_argument("--models", nargs="+", default=["full", "heavy"])
    parser.add_argument("--public", type=float, nargs="*", default=[],
                        help="also frames of the pose2sim clips at these seconds (fetched once)")  # fmt: skip
    parser.add_argument("--no-shared", action="store_true",
                        help="leave out the shared media (with --public: unseen frames only)")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write every check to this file")
    parser.add_argument("--cache", type=Path,
                        help="keep the model's poses in this file and reuse them on the next run")  # fmt: skip
    args = parser.parse_args(argv)
    clips: list[Path] = []
    if args.public:
        from public_media import fetch

        clips = fetch()  # downloaded once, then only checked
    media = [] if args.no_shared else load_media(args.data, args.frames)
    media += public_frames(clips, args.public)
    annotated = annotated_frames(args.data, shared=not args.no_shared, clips=clips)
    store: dict = {}
    if args.cache and args.cache.is_file():
        store = pickle.loads(args.cache.read_bytes())  # noqa: S301 (our own file, from --cache)
    print(f"CPU: {cpu_name()}; {len(media)} media; tolerance {TOLERANCE_DEG:g} deg")
    results = []
    for model in args.models:
        if find_lite_model(f"pose_landmarker_{model}") is None:
            print(f"\n(pose_landmarker_{model} not found: skipped)")
            continue
        result = run_model(model, media, annotated, store)
        results.append(result)
        for how in ("project", "raw"):
            print(f"\n### lite {model}, {how}\n")
            print("\n".join(table(result, how)))
            print(f"\nper media (consistent/flagged/warned/silent): {per_media(result, how)}")
        print(f"\nview as the variant implies: {view_pairs(result)}")
        print(f"\n### lite {model}: by-eye annotations (benchmarks/annotations.py)\n")
        print("\n".join(result["annotations"]))
        if result["skipped"]:
            print(f"\nno person on the original: {', '.join(result['skipped'])}")
        silent = [c for c in result["checks"] if c["how"] == "project" and c["verdict"] == SILENT]
        print(f"\nproject, silently inconsistent ({len(silent)}):")
        for c in silent:
            diff = "NaN on one side" if c["diff_deg"] is None else f"{c['diff_deg']:.1f} deg"
            a, b = c["values"]
            print(f"  {c['media']:28s} {c['variant']:10s} {c['measure']:34s} {diff:16s} "
                  f"{a:8.1f} {b:8.1f}  views {c['views'][0]}/{c['views'][1]}")  # fmt: skip
    if args.cache:
        args.cache.write_bytes(pickle.dumps(store))
    if args.json:
        args.json.write_text(json.dumps({"cpu": cpu_name(), "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
