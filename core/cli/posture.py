"""``python -m core posture IMAGE``: joint angles, tilts and lean of one person in a photo.

``--json`` prints one object whose keys are a fixed contract for outside tools: backend, model,
size, dtype, device, threshold, view (the view measured in), inferred_view (the picture's reading,
or null), min_reliable_score, measures (name -> {value, unit, score, reliable, keypoints}),
keypoints ([{name, x, y, score}]), who was measured: found_by ("full_image", "mask_crop" or
"tile"), people_found, person_index (0-based, largest first), person_box (x1, y1, x2, y2 pixels),
and warnings (who was measured, the view and sides); README "Command line" describes it.
``--save SUBJECT`` stores the session. ``--3d`` (Sapiens2) adds ``measures_3d``: the pointmap's 3D
angles with sigma, reasons, vertical and warnings (docs/MEASURES.md, "3D measures"); a saved
session stores them too (``core.measure.pose3d_rows``).
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from core.analysis3d import analyze_posture_3d, load_3d_predictors, with_3d_rows
from core.cli._common import (
    add_backend_options,
    consented_subject,
    fmt_value,
    load_backend,
    parse_point,
    print_json,
)
from core.errors import InputError
from core.measure.confidence import LOW_SCORE, REASONS
from core.measure.view import DEFAULT_VIEW, VIEW_CHOICES
from core.sessions.draft import REQUIRED_MEASURES, with_rows
from core.store import Store


def _measure_entry(value: float | None, unit: str, confidence) -> dict:
    """One measure in the JSON: a value is never given without its score and reliable flag."""
    return {
        "value": value,
        "unit": unit,
        "score": None if confidence is None else confidence.score,
        "reliable": False if confidence is None else confidence.reliable,
        "reason": "" if confidence is None else confidence.reason,
        "keypoints": [] if confidence is None else list(confidence.keypoints),
    }


def _why(measure: dict) -> str:
    """The score, after the reason's words when it is not the score itself."""
    reason = measure.get("reason", "")
    return _score(measure) if reason in ("", LOW_SCORE) else f"{REASONS[reason]}, {_score(measure)}"


def _score(measure: dict) -> str:
    score = measure["score"]
    return "score unknown" if score is None or math.isnan(score) else f"score {score:.2f}"


def posture_payload(result, *, size: str) -> dict:
    from core.measure.posture import MEASURE_INFO

    info = result.backend_info
    conf = result.confidence
    values = {name: None for name in REQUIRED_MEASURES}
    values.update(result.measures)
    measures = {
        name: _measure_entry(
            value, MEASURE_INFO[name].unit if name in MEASURE_INFO else "", conf.measures.get(name)
        )
        for name, value in values.items()
    }
    return {
        "backend": info.get("backend"),
        "model": info.get("model"),
        "size": info.get("size"),
        "dtype": info.get("dtype"),
        "device": info.get("device"),
        "threshold": info.get("threshold"),
        "view": result.view,
        "min_reliable_score": conf.min_score,
        "measures": measures,
        "keypoints": [
            {"name": kp.name, "x": kp.x, "y": kp.y, "score": kp.score} for kp in conf.keypoints
        ],
        "inferred_view": result.inferred_view,
        "found_by": result.found_by,
        "people_found": len(result.people) or 1,
        "person_index": result.person_index,
        "person_box": None if result.pose.box is None else [float(v) for v in result.pose.box],
        "warnings": list(result.warnings),
    }


def measure_3d(image, pose, predictors: tuple[Any, Any], *, stature_m: float | None):
    """The ``measures_3d`` part of the JSON (3D angles, their sigma, reasons, vertical, warnings)
    and the 3D result whose rows a saved session stores."""
    result = analyze_posture_3d(image, pose, predictors, stature_m=stature_m)
    m, points = result.measures, result.points

    def num(v: float) -> float | None:
        return None if not math.isfinite(v) else float(v)

    return {
        "measures": {k: num(v) for k, v in m.values.items()},
        "sigma_deg": {k: num(v) for k, v in m.sigma_deg.items()},
        "reasons": dict(m.reasons),
        "vertical": m.vertical,
        "warnings": list(m.warnings),
        "stature_m": points.stature_m,
        "stature_source": points.stature_source,
        "models": list(result.models),
    }, result


def _run(args: argparse.Namespace) -> int:
    from core.sessions.make import make_posture, read_photo
    from core.sessions.options import PostureOptions
    from core.store import drafts

    point = parse_point(args.point)
    if args.three_d and args.backend != "sapiens2":
        raise InputError(
            "--3d needs --backend sapiens2: the 3D angles come from its pointmap and seg heads"
        )
    store = Store() if args.save else None
    try:
        # The subject is checked before the (slow) analysis, so a typo fails fast and nothing is stored.
        subject = consented_subject(store, args.save) if store else None
        photo = read_photo(args.image)
        # Checked before the (slow) pose: missing weights fail fast, naming what to fetch.
        predictors_3d = load_3d_predictors(args.size) if args.three_d else None
        backend = load_backend(args.backend, args.size)
        options = PostureOptions(view=args.view, fast=args.fast, point=point)
        made = make_posture(photo, backend, options)
        result = made.result
        payload, result_3d = posture_payload(result, size=args.size), None
        if predictors_3d is not None:
            stature = subject.height_m if subject else None
            payload["measures_3d"], result_3d = measure_3d(
                made.image, result.pose, predictors_3d, stature_m=stature
            )
        if store and subject:
            rows = None if result_3d is None else with_3d_rows(result.rows, result_3d)
            draft = with_rows(made.draft, rows, "3d")
            payload["session_id"] = drafts.save(store, subject.id, draft, notes=args.notes)
    finally:
        if store:
            store.close()
    if args.json:
        print_json(payload)
    else:
        print(
            f"{payload['backend']} / {payload['model']}, {payload['view']} view "
            f"(2D image-plane angles, degrees; unreliable: a point used scores below "
            f"{payload['min_reliable_score']:g}, the camera is not square to the angle's "
            "plane, or the photo and its mirror disagree)"
        )
        print(f"  view: {payload['view']} (from the picture: {payload['inferred_view']})")
        for warning in payload["warnings"]:
            print(f"  warning: {warning}")
        for name, m in payload["measures"].items():
            shown = fmt_value(m["value"])
            flag = "" if shown == "n/a" or m["reliable"] else f"  unreliable ({_why(m)})"
            print(f"  {name:32s} {shown}{flag}")
        if "measures_3d" in payload:
            _print_3d(payload["measures"], payload["measures_3d"])
        if "session_id" in payload:
            print(f"saved as session {payload['session_id']} of {args.save!r}")
    return 0


def _print_3d(measures_2d: dict, three_d: dict) -> None:
    """3D beside 2D (where a 2D twin exists) with the difference, then the reasons and warnings."""
    print(f"3D from the pointmap (vertical: {three_d['vertical']}; degrees, +- one sigma)")
    for name, value in three_d["measures"].items():
        twin = (measures_2d.get(name.replace("_3d_deg", "_deg")) or {}).get("value")
        text = fmt_value(value)
        if value is not None:
            text += f" +- {three_d['sigma_deg'][name]:.1f}"
        if value is not None and twin is not None:
            text += f"   2D {twin:.1f}, 3D - 2D {value - twin:+.1f}"
        elif value is None:
            text += f"   ({three_d['reasons'].get(name, 'not measurable')})"
        print(f"  {name:32s} {text}")
    for warning in three_d["warnings"]:
        print(f"  warning: {warning}")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("posture", help="joint angles and posture of one person in a photo")
    p.add_argument("image", help="photo (JPEG, PNG, WebP)")
    add_backend_options(p)
    p.add_argument(
        "--point", metavar="X,Y", help="measure the person at this pixel instead of the largest"
    )
    p.add_argument(
        "--view",
        choices=VIEW_CHOICES,
        default=DEFAULT_VIEW,
        help="camera view: auto (default: inferred from the keypoints), front, back, left or right "
        "side (the subject's side facing the camera), or side (either)",
    )
    p.add_argument(
        "--fast",
        action="store_true",
        help="skip the flip test (Sapiens2 and lite: half the pose time; keypoints slightly less "
        "precise, and lite no longer flags points the mirrored copy disagrees on)",
    )
    p.add_argument(
        "--3d",
        dest="three_d",
        action="store_true",
        help="Sapiens2: also 3D joint angles from the pointmap (needs the seg and pointmap weights)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--save", metavar="SUBJECT", help="save a session for this subject label (needs consent)"
    )
    p.add_argument("--notes", default="", help="notes stored with the saved session")
    p.set_defaults(func=_run)
