"""The crop that makes a small subject fill the model input: a vertical strip around their box.

A walker in a wide 16:9 frame covers a fraction of it; resizing the whole frame to a portrait
model input (Sapiens2 768x1024, aspect 0.75) would spend most of the input's pixels on scenery.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.errors import InputError


def _fit(lo: float, size: float, limit: int) -> tuple[int, int]:
    """Shift an interval [lo, lo+size) inside [0, limit); shrink it only when it is wider than that."""
    if size >= limit:
        return 0, limit
    lo = min(max(lo, 0.0), limit - size)
    # Outward rounding: the integer box always covers the real-valued one.
    return int(np.floor(lo)), min(limit, int(np.ceil(lo + size)))


def subject_strip(
    frame_shape: Sequence[int],
    box_xyxy: Sequence[float] | None,
    *,
    aspect: float = 0.75,
    pad: float = 1.25,
) -> tuple[int, int, int, int]:
    """Crop box of width/height ``aspect`` centred on the subject, holding their box times ``pad``.

    Parameters
    ----------
    frame_shape : (H, W, ...) of the frame
    box_xyxy : (x1, y1, x2, y2) pixels, or None
        The tracked subject. None gives the largest ``aspect`` strip centred in the frame.
    aspect : float
        Width / height of the model input (0.75 for Sapiens2's 768x1024).
    pad : float >= 1
        The subject's box is enlarged by this factor about its centre before the aspect is fixed.

    Returns
    -------
    (x1, y1, x2, y2) ints, x2/y2 exclusive, inside the frame. The box is shifted (not shrunk) to
    stay inside the frame; only when the wanted strip is larger than the frame in one direction
    is it clipped there (so its aspect then differs).

    Examples
    --------
    >>> subject_strip((994, 1768), (800, 300, 900, 700))  # 100x400 subject
    (662, 250, 1038, 750)
    """
    if len(frame_shape) < 2 or frame_shape[0] <= 0 or frame_shape[1] <= 0:
        raise InputError(
            f"frame_shape must be (H, W, ...) with positive sizes, got {tuple(frame_shape)}"
        )
    if not aspect > 0 or not pad >= 1:
        raise InputError(f"aspect must be > 0 and pad >= 1, got aspect={aspect}, pad={pad}")
    h, w = int(frame_shape[0]), int(frame_shape[1])
    if box_xyxy is None:
        cx, cy, bw, bh = w / 2, h / 2, float(w), float(h)
        bw, bh = min(bw, bh * aspect), min(bh, bw / aspect)
    else:
        x1, y1, x2, y2 = (float(v) for v in box_xyxy)
        if not all(np.isfinite((x1, y1, x2, y2))) or x2 <= x1 or y2 <= y1:
            raise InputError(
                f"subject box must be (x1, y1, x2, y2) with x2 > x1 and y2 > y1, got {tuple(box_xyxy)}"
            )
        cx, cy, bw, bh = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) * pad, (y2 - y1) * pad
        # Grow the short side to the aspect, never shrink: the whole padded subject stays inside.
        if bw / bh < aspect:
            bw = bh * aspect
        else:
            bh = bw / aspect
    xa, xb = _fit(cx - bw / 2, bw, w)
    ya, yb = _fit(cy - bh / 2, bh, h)
    return xa, ya, xb, yb
