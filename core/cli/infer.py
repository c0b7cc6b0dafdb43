"""``python -m core infer --task pose --size 0.4b IMAGE``: run one Sapiens2 model on one image.

Pose prints (and with ``--out`` saves) JSON with the official demo's fields per person (``bbox``,
``keypoints`` 308x2 image pixels, ``keypoint_scores``); dense tasks save ``.npy`` arrays at the
image's size (seg: uint8 class map; normal: HxWx3 float32; pointmap: HxWx3 float32 XYZ + depth).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.sapiens2.presets import PRESETS, TASKS

if TYPE_CHECKING:
    from core.sapiens2.results import PoseResult

_SIZES = sorted({name.split("-", 1)[1] for name in PRESETS})


def read_rgb(path: str | Path) -> np.ndarray:
    """RGB uint8 (H, W, 3) of an image file, through the one decoder every path uses
    (``core.imaging.decode``: regular files only, byte, side and pixel limits checked first)."""
    from core.inputs import decode_image_bytes, read_input_file

    return decode_image_bytes(read_input_file(path), Path(path).name)


def _pose_json(result: PoseResult, image_path: Path, meta: dict[str, str]) -> dict[str, object]:
    return {
        "image": str(image_path),
        **meta,
        "instances": [
            {
                "bbox": [float(v) for v in box],
                "keypoints": kp.round(3).tolist(),
                "keypoint_scores": sc.round(5).tolist(),
            }
            for box, kp, sc in zip(result.boxes_xyxy, result.keypoints, result.scores)
        ],
    }


def run_infer(args: argparse.Namespace) -> int:
    from core.sapiens2.predictor import PosePredictor, load_predictor

    image_path = Path(args.image)
    image = read_rgb(image_path)
    kwargs: dict[str, Any] = {"flip_test": not args.no_flip} if args.task == "pose" else {}
    predictor = load_predictor(
        args.task,
        args.size,
        device=args.device,
        dtype=args.dtype,
        checkpoint=args.checkpoint,
        **kwargs,
    )
    meta = predictor.describe()
    out = Path(args.out) if args.out else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    stem = image_path.stem
    if isinstance(predictor, PosePredictor):  # args.task == "pose"
        boxes = np.array(args.bbox, np.float32) if args.bbox else None
        doc = _pose_json(predictor.predict(image, boxes), image_path, meta)
        text = json.dumps(doc, allow_nan=False)
        if out is not None:
            (out / f"{stem}_pose.json").write_text(text)
            print(out / f"{stem}_pose.json")
        else:
            print(text)
        return 0
    out = out or Path.cwd()
    result = predictor.predict(image)
    saved: list[Path] = []
    if args.task == "seg":
        saved.append(out / f"{stem}_seg.npy")
        np.save(saved[-1], result.class_map)
    elif args.task == "normal":
        saved.append(out / f"{stem}_normal.npy")
        np.save(saved[-1], result.normals)
    else:
        saved += [out / f"{stem}_pointmap.npy", out / f"{stem}_depth.npy"]
        np.save(saved[0], result.xyz)
        np.save(saved[1], result.depth)
    for path in saved:
        print(path)
    print(json.dumps(meta), file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``infer`` command."""
    parser = subparsers.add_parser(
        "infer",
        help="run one Sapiens2 model on one image (JSON for pose, .npy for dense maps)",
        description="Run a Sapiens2 task model on an image with the official pre- and post-processing.",
    )
    parser.add_argument("image", help="image file (JPEG, PNG, WebP, HEIC, ...)")
    parser.add_argument(
        "--task", choices=TASKS, default="pose", help="pose, seg, normal or pointmap (default pose)"
    )
    parser.add_argument(
        "--size",
        choices=_SIZES,
        default="0.4b",
        help="model size (default 0.4b; tiny = test model)",
    )
    parser.add_argument(
        "--out", help="folder for the results (pose: printed when absent; dense: default '.')"
    )
    parser.add_argument(
        "--checkpoint", help="a .safetensors file to use instead of the usual lookup"
    )
    parser.add_argument(
        "--device", default=None, help="auto, cpu, cuda or mps (default: settings, auto)"
    )
    parser.add_argument(
        "--dtype", default=None, help="auto, float32 or bfloat16 (default: settings, auto)"
    )
    parser.add_argument(
        "--bbox",
        nargs=4,
        type=float,
        action="append",
        metavar=("X1", "Y1", "X2", "Y2"),
        help="pose: a person box in pixels; repeat for several people (default: whole image)",
    )
    parser.add_argument(
        "--no-flip",
        action="store_true",
        help="pose: skip the flip test (half the time, slightly less accurate)",
    )
    parser.set_defaults(func=run_infer)
