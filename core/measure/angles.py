"""2D image-plane angle primitives, vectorised over any leading axes.

Points are ``(..., 2)`` arrays in image pixels (x right, y down). Every function returns degrees in a
fixed range and NaN wherever an input point is NaN or a vector has zero length: a missing point never
becomes a guessed angle.
"""

from __future__ import annotations

import numpy as np

from core.errors import InputError

#: Vectors shorter than this (pixels) have no direction; the angle is NaN rather than noise.
MIN_LENGTH_PX = 1e-9


def _as_points(p: np.ndarray) -> np.ndarray:
    arr = np.asarray(p, dtype=np.float64)
    if arr.ndim == 0 or arr.shape[-1] != 2:
        raise InputError(
            f"expected points with a last axis of 2 (x, y pixels), got shape {arr.shape}"
        )
    return arr


def _degenerate(v: np.ndarray) -> np.ndarray:
    return ~(np.hypot(v[..., 0], v[..., 1]) > MIN_LENGTH_PX)  # True for NaN too


def joint_angle_deg(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Interior angle at ``b`` between the rays b→a and b→c.

    Parameters
    ----------
    a, b, c : (..., 2) float, pixels; broadcast against each other.

    Returns
    -------
    (...) float, degrees in [0, 180]; 180 is a straight limb. NaN when a point is missing or a
    segment has zero length.

    Examples
    --------
    >>> float(joint_angle_deg([0, 0], [1, 0], [1, 1]))
    90.0
    """
    a, b, c = _as_points(a), _as_points(b), _as_points(c)
    u, v = a - b, c - b
    # atan2(|cross|, dot) is accurate near 0 and 180 where arccos of the cosine loses digits.
    cross = u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]
    dot = u[..., 0] * v[..., 0] + u[..., 1] * v[..., 1]
    with np.errstate(invalid="ignore"):
        out = np.degrees(np.arctan2(np.abs(cross), dot))
    out = np.where(_degenerate(u) | _degenerate(v), np.nan, out)
    return out[()] if out.ndim == 0 else out


def line_tilt_deg(right: np.ndarray, left: np.ndarray) -> np.ndarray:
    """Tilt of the right→left joint line against the image horizontal.

    The magnitude is the acute angle between the line and the horizontal; the sign says which joint
    is higher in the image: positive when ``left`` is higher (smaller y). This holds whether the
    subject faces the camera or turns away, because it does not depend on which side of the image
    each joint lies.

    Parameters
    ----------
    right, left : (..., 2) float, pixels.

    Returns
    -------
    (...) float, degrees in (-90, 90]; a vertical line is +90. NaN when a point is missing or the
    two points coincide.
    """
    right, left = _as_points(right), _as_points(left)
    d = left - right
    with np.errstate(invalid="ignore"):
        # -dy because image y grows downward; |dx| folds the line so facing direction does not matter.
        out = np.degrees(np.arctan2(-d[..., 1], np.abs(d[..., 0])))
    out = np.where(out <= -90.0, 90.0, out)  # a vertical line has one value, +90, not ±90
    out = np.where(_degenerate(d), np.nan, out)
    return out[()] if out.ndim == 0 else out


def angle_from_vertical_deg(v: np.ndarray) -> np.ndarray:
    """Unsigned angle between a vector and the image's up direction.

    Parameters
    ----------
    v : (..., 2) float, pixels (x right, y down).

    Returns
    -------
    (...) float, degrees in [0, 180]: 0 pointing straight up, 90 horizontal, 180 straight down.
    NaN for a missing or zero-length vector.
    """
    v = _as_points(v)
    with np.errstate(invalid="ignore"):
        out = np.degrees(np.arctan2(np.abs(v[..., 0]), -v[..., 1]))
    out = np.where(_degenerate(v), np.nan, out)
    return out[()] if out.ndim == 0 else out


def signed_from_vertical_deg(v: np.ndarray, *, positive_x: float | np.ndarray = -1.0) -> np.ndarray:
    """Signed angle between a vector and the image's up direction.

    Parameters
    ----------
    v : (..., 2) float, pixels (x right, y down).
    positive_x : float or (...) array
        The image x direction that counts as positive: ``-1`` (default) means a vector leaning to
        the camera's left is positive; ``+1`` means leaning to the camera's right is positive.
        Only its sign is used.

    Returns
    -------
    (...) float, degrees in (-180, 180]; 0 straight up. NaN for a missing or zero-length vector.
    """
    v = _as_points(v)
    sign = np.sign(np.asarray(positive_x, dtype=np.float64))
    with np.errstate(invalid="ignore"):
        out = np.degrees(np.arctan2(sign * v[..., 0], -v[..., 1]))
    out = np.where(out <= -180.0, 180.0, out)
    out = np.where(_degenerate(v) | (sign == 0), np.nan, out)
    return out[()] if out.ndim == 0 else out


def elevation_deg(v: np.ndarray, *, forward_x: float | np.ndarray) -> np.ndarray:
    """Angle of a vector above the image horizontal, measured from the forward direction.

    Used for the craniovertebral angle: 90 is straight up, smaller values lean forward, values
    above 90 lean backward.

    Parameters
    ----------
    v : (..., 2) float, pixels.
    forward_x : float or (...) array, +1 when forward is the image's right, -1 for its left.

    Returns
    -------
    (...) float, degrees in (-180, 180]. NaN for a missing or zero-length vector.
    """
    v = _as_points(v)
    sign = np.sign(np.asarray(forward_x, dtype=np.float64))
    with np.errstate(invalid="ignore"):
        out = np.degrees(np.arctan2(-v[..., 1], sign * v[..., 0]))
    out = np.where(out <= -180.0, 180.0, out)
    out = np.where(_degenerate(v) | (sign == 0), np.nan, out)
    return out[()] if out.ndim == 0 else out
