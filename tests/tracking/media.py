"""Re-made copies of the walking sample for tracking tests: mirrored, looped, scaled (OpenCV)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def read_frames(path: Path, *, scale: float = 1.0) -> tuple[list[np.ndarray], float]:
    """All frames (BGR), optionally resized by ``scale``, and the frame rate."""
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if scale != 1.0:
            frame = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        frames.append(frame)
    cap.release()
    return frames, fps


def write_video(path: Path, frames: list[np.ndarray], fps: float, *, loops: int = 1) -> Path:
    """``frames`` written ``loops`` times over as one mp4v video."""
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    try:
        for _ in range(loops):
            for frame in frames:
                writer.write(frame)
    finally:
        writer.release()
    return path
