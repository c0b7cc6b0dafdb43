"""The gait page's joint-angle curves on copies of the shared walk and against the by-eye knees.

    SAPIENS_MEASURE_MODEL_DIR=../shared/models .venv/bin/python benchmarks/validate_curves.py \
        [--data ../shared/data] [--models full heavy] [--json out.json]

**Copies.** The walk is re-made as a few of ``validate_gait.WALK_VARIANTS`` (mirrored, halved in
size, re-encoded, halved in frame rate, re-cut) and each copy's six curves (hip, knee, ankle, left
and right) are compared with the original's at the same moments of the video, on the samples both
call reliable. A mirror shows the walker's other side to the model, so its left leg is the
original's right: each curve is compared with the copy's curve of the same side and of the other
side, and the pairing the model's labels follow (the one nearer) is named. The bar is the posture
checks' (docs/VALIDATION.md, section 1): a reliable sample within 6 degrees of the original's.

**Annotations.** The six knees annotated by eye on frames 75, 120 and 150 (``annotations.py``) as
knee flexion (180 minus the interior angle), against the knee curve of the tool's leg whose knee
lies nearer the annotated one, with its reliable flag (issue 15's pass mark: within the
annotation's uncertainty plus 5 degrees).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from annotations import ANNOTATIONS, WALK_FPS, WALK_VIDEO, annotated  # noqa: E402
from validate_consistency import cpu_name  # noqa: E402
from validate_gait import WALK_VARIANTS, Copy, write_copy  # noqa: E402

BAR_DEG = 6.0  # the consistency bar of the posture checks
COPIES = ("mirror", "scale 0.5x", "re-encoded MPEG-4 (mp4v)", "15 fps (every 2nd frame)",
          "cut 1.0 to 6.0 s, mirror")  # fmt: skip
OTHER = {"left": "right", "right": "left"}
#: A tool knee further than this from the annotated one is not on that leg (both labels on the
#: other leg, or the knee missing): no angle to compare (the annotated knees of a frame are 76-110
#: px apart; a knee's by-eye uncertainty is 6 px).
MATCH_PX = 40.0
VERDICT = {True: "yes", False: "no", None: "no leg on it"}


def analyse(path: Path, backend: object) -> dict:
    """The curves by original frame index: {key: {frame: (value, reliable)}}, the raw knees."""
    from core.analysis import analyze_gait_video
    from core.keypoints import INDEX
    from core.measure.gait_angles import curve_keys, reliable_flags

    analysis = analyze_gait_video(path, backend)
    res = analysis.result
    s = res.series
    out: dict = {"direction": res.walking_direction, "curves": {}, "knees": {}}
    for key in curve_keys():
        flag = reliable_flags(s[key].to_numpy(float), s[f"{key}_reason"].to_numpy(object),
                              res.reliable_score)  # fmt: skip
        out["curves"][key] = {
            float(t): (float(v), bool(f == 1.0))
            for t, v, f in zip(s["time_s"], s[key], flag)
            if np.isfinite(v)
        }
    ser = analysis.series
    for i, t in enumerate(ser.time_s):
        out["knees"][float(t)] = {
            side: ser.xy[i, INDEX[f"{side}_knee"]].tolist() for side in ("left", "right")
        }
    return out


def frame_of(t: float, copy: Copy | None) -> int:
    """The original frame a copy's time shows."""
    start = 0.0 if copy is None else copy.start_s
    return int(round((t + start) * WALK_FPS))


def by_frame(curve: dict, copy: Copy | None) -> dict[int, tuple[float, bool]]:
    return {frame_of(t, copy): v for t, v in curve.items()}


def compare(orig: dict, got: dict, copy: Copy) -> dict:
    """Per curve: the pairing followed, samples compared, median and 95th percentile of |diff|,
    share within the bar."""
    out = {}
    for key, curve in orig["curves"].items():
        side, _, metric = key.partition("_")
        a = by_frame(curve, None)
        best = None
        for pairing, other_side in (("same side", side), ("other side", OTHER[side])):
            b = by_frame(got["curves"][f"{other_side}_{metric}"], copy)
            both = [f for f in a if f in b and a[f][1] and b[f][1]]
            if not both:
                continue
            d = np.abs(np.array([a[f][0] - b[f][0] for f in both]))
            row = {"pairing": pairing, "n": len(both), "median": float(np.median(d)),
                   "p95": float(np.percentile(d, 95)), "within": float(np.mean(d <= BAR_DEG))}  # fmt: skip
            if best is None or row["median"] < best["median"]:
                best = row
        out[key] = best
    return out


def knee_rows(got: dict, copy: Copy | None, width: float, scale: float) -> list[dict]:
    """The annotated knees against the curve of the nearer knee, at the frame the copy shows."""
    rows = []
    for ann in ANNOTATIONS:
        if not ann.media.startswith(WALK_VIDEO + "#") or ann.joint != "knee":
            continue
        frame = int(ann.media.partition("#")[2])
        times = [t for t in got["knees"] if frame_of(t, copy) == frame]
        if not times:
            continue
        t = times[0]
        ref, unc = annotated(ann)
        x, y = ann.b[0] * scale, ann.b[1] * scale
        if copy is not None and copy.mirror:
            x = width * scale - 1 - x
        dist = {
            s: float(np.hypot(*(np.array(got["knees"][t][s]) - (x, y)))) for s in ("left", "right")
        }
        near = min(dist, key=lambda s: dist[s] if np.isfinite(dist[s]) else np.inf)
        if not dist[near] <= MATCH_PX * scale:  # neither knee is on the annotated leg
            near = "none"
        value, reliable = (
            got["curves"].get(f"{near}_knee_signed_flexion_deg", {}).get(t, (np.nan, False))
        )
        rows.append({"frame": frame, "leg": ann.label, "annotated": 180.0 - ref, "unc": unc,
                     "side": near, "tool": value, "reliable": reliable,
                     "ok": None if near == "none" else bool(abs(value - (180.0 - ref)) <= unc + 5)})  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--models", nargs="+", default=["full", "heavy"])
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    import cv2

    from core.backends.lite import LiteBackend

    source = args.data / WALK_VIDEO
    cap = cv2.VideoCapture(str(source))
    width = cap.get(cv2.CAP_PROP_FRAME_WIDTH)
    cap.release()
    copies = [c for c in WALK_VARIANTS if c.name in COPIES]
    report: dict = {"cpu": cpu_name(), "models": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models:
            backend = LiteBackend(model=model)
            orig = analyse(source, backend)
            entry = {"knees": {"original": knee_rows(orig, None, width, 1.0)}, "copies": {}}
            for copy in copies:
                got = analyse(write_copy(source, copy, Path(tmp)), backend)
                entry["copies"][copy.name] = compare(orig, got, copy)
                entry["knees"][copy.name] = knee_rows(got, copy, width, copy.scale)
            backend.close()
            report["models"][model] = entry
            print(f"## model {model}")
            print("| copy | curve | pairing | samples | median | 95th pct | within 6 deg |")
            print("|---|---|---|---|---|---|---|")
            for name, rows in entry["copies"].items():
                for key, r in rows.items():
                    if r is None:
                        print(f"| {name} | {key} | none | 0 | | | |")
                        continue
                    print(f"| {name} | {key} | {r['pairing']} | {r['n']} | {r['median']:.1f} | "
                          f"{r['p95']:.1f} | {r['within']:.0%} |")  # fmt: skip
            print(
                "| media | frame | leg | annotated flexion | tool side | tool | reliable | within unc. + 5 |"
            )
            print("|---|---|---|---|---|---|---|---|")
            for name, rows in entry["knees"].items():
                for r in rows:
                    print(f"| {name} | {r['frame']} | {r['leg']} | {r['annotated']:.1f} +- {r['unc']:.1f} | "
                          f"{r['side']} | {r['tool']:.1f} | {r['reliable']} | {VERDICT[r['ok']]} |")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
