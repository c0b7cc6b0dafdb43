"""Pose post-processing (SPEC.md 5.1): flip-test averaging and UDP heatmap decoding with DARK refinement."""

from __future__ import annotations

import cv2
import numpy as np


def flip_average(
    plain: np.ndarray, flipped: np.ndarray, flip_indices: tuple[int, ...] | np.ndarray
) -> np.ndarray:
    """(B, K, h, w) heatmaps of the input and of its mirror -> their average in the input's frame.

    The mirrored stack is flipped back along W (no pixel shift) and its channels permuted so that
    channel k takes the flipped channel ``flip_indices[k]`` (left and right swap).
    """
    return (plain + flip_back(flipped, flip_indices)) * 0.5


def flip_back(flipped: np.ndarray, flip_indices: tuple[int, ...] | np.ndarray) -> np.ndarray:
    """(B, K, h, w) heatmaps of the mirror image in the input's frame: flipped back along W, the
    channels of left and right exchanged (:func:`flip_average`'s second half)."""
    return flipped[:, np.asarray(flip_indices), :, ::-1]


def heatmap_maximum(heatmaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(K, h, w) -> first argmax (K, 2) float32 (x, y) and the max (K,); (-1, -1) where max <= 0."""
    k, h, w = heatmaps.shape
    flat = heatmaps.reshape(k, -1)
    y, x = np.unravel_index(np.argmax(flat, axis=1), (h, w))
    locs = np.stack((x, y), axis=-1).astype(np.float32)
    vals = np.amax(flat, axis=1)
    locs[vals <= 0.0] = -1
    return locs, vals


def _blur_keep_max(heatmaps: np.ndarray, kernel: int) -> np.ndarray:
    """Zero-padded Gaussian blur (sigma from the kernel size) rescaled to each channel's old max."""
    border = (kernel - 1) // 2
    out = heatmaps.astype(np.float32, copy=True)
    for k in range(out.shape[0]):
        origin_max = np.max(out[k])
        padded = np.pad(out[k], border).astype(np.float32)
        blurred = cv2.GaussianBlur(padded, (kernel, kernel), 0)[border:-border, border:-border]
        out[k] = blurred * (origin_max / np.max(blurred))
    return out


def dark_udp_refine(
    locs: np.ndarray, heatmaps: np.ndarray, *, blur_kernel_size: int = 11
) -> np.ndarray:
    """One Newton step on the log of the blurred heatmap at each integer location; (K, 2) float32.

    Uses flat indexing into the edge-padded stack exactly as the official code does, so points at
    (-1, -1) read the same (meaningless but reproducible) neighbours.
    """
    k, h, w = heatmaps.shape
    logm = np.log(np.clip(_blur_keep_max(heatmaps, blur_kernel_size), 1e-3, 50.0))
    pad = np.pad(logm, ((0, 0), (1, 1), (1, 1)), mode="edge").ravel()
    idx = (locs[:, 0] + 1 + (locs[:, 1] + 1) * (w + 2)) + (w + 2) * (h + 2) * np.arange(k)
    idx = idx.astype(int).reshape(-1, 1)
    i0, ix1, ix1_ = pad[idx], pad[idx + 1], pad[idx - 1]
    iy1, iy1_ = pad[idx + w + 2], pad[idx - 2 - w]
    ix1y1, ix1_y1_ = pad[idx + w + 3], pad[idx - w - 3]
    derivative = np.concatenate([0.5 * (ix1 - ix1_), 0.5 * (iy1 - iy1_)], axis=1).reshape(k, 2, 1)
    dxx = ix1 - 2 * i0 + ix1_
    dyy = iy1 - 2 * i0 + iy1_
    dxy = 0.5 * (ix1y1 - ix1 - iy1 + i0 + i0 - ix1_ - iy1_ + ix1_y1_)
    hessian = np.concatenate([dxx, dxy, dxy, dyy], axis=1).reshape(k, 2, 2)
    inv = np.linalg.inv(hessian + np.finfo(np.float32).eps * np.eye(2))
    out = locs.astype(np.float32, copy=True)
    out -= np.einsum("imn,ink->imk", inv, derivative).reshape(k, 2)
    return out


def udp_decode(
    heatmaps: np.ndarray, *, input_size_wh: tuple[int, int], blur_kernel_size: int = 11
) -> tuple[np.ndarray, np.ndarray]:
    """One instance's heatmaps (K, h, w) -> keypoints (K, 2) in network-input pixels and scores (K,).

    Scores are the raw heatmap maxima (not probabilities). Heatmap -> input scaling is
    ``/ (hm_size - 1) * input_size``, matching the UDP warp's (size - 1) convention.
    """
    heatmaps = np.asarray(heatmaps, dtype=np.float32)
    _, h, w = heatmaps.shape
    locs, scores = heatmap_maximum(heatmaps)
    locs = dark_udp_refine(locs, heatmaps, blur_kernel_size=blur_kernel_size)
    keypoints = (
        locs
        / np.array([w - 1, h - 1], dtype=np.float64)
        * np.asarray(input_size_wh, dtype=np.float64)
    )
    return keypoints.astype(np.float32), scores


def to_image_space(
    keypoints_input: np.ndarray,
    center: np.ndarray,
    scale: np.ndarray,
    *,
    input_size_wh: tuple[int, int],
) -> np.ndarray:
    """Keypoints (..., K, 2) in network-input pixels -> original-image pixels for box (centre, size)."""
    c, s = np.asarray(center)[..., None, :], np.asarray(scale)[..., None, :]
    return keypoints_input / np.asarray(input_size_wh) * s + c - 0.5 * s
