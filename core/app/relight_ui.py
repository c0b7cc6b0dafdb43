"""Relight building blocks: Sapiens2 normals and body parts (cached per file), the light controls,
and what to do when the backend has no normals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from core.app import cache
from core.app.errors import attempt
from core.app.resources import backend_key, inference_lock
from core.backends.base import Capability

if TYPE_CHECKING:
    from core.backends.base import Backend, NormalMap, Segmentation

NEEDS_SAPIENS2 = (
    "Relighting needs per-pixel surface normals, which only the **sapiens2** backend provides "
    "(the {name} backend has none). To get them: download the Sapiens2 normal weights on the Start "
    "page (or run `python -m core fetch sapiens2 --task normal --size 0.4b`; the seg weights too for "
    "the hair colour), then choose **sapiens2** as the backend in the sidebar."
)


def explain_missing(backend: Backend) -> bool:
    """Show how to get normals when ``backend`` has none; True when the page can go on."""
    if backend.supports(Capability.NORMALS):
        return True
    st.warning(NEEDS_SAPIENS2.format(name=backend.name), icon=":material/light_off:")
    return False


def normals_and_parts(
    image: np.ndarray, image_hash: str, backend: Backend
) -> tuple[NormalMap, Segmentation | None] | None:
    """The normal map and (when available) the body-part segmentation, each computed once per file."""

    def normals() -> NormalMap:
        with inference_lock(backend):
            return backend.estimate_normals(image)

    found = attempt(cache.cached, ("normals", image_hash, backend_key(backend)), normals)
    if found is None:
        return None
    seg = None
    if backend.supports(Capability.BODY_PARTS):

        def segment() -> Segmentation:
            with inference_lock(backend):
                return backend.segment(image)

        parts = attempt(cache.cached, ("segment", image_hash, backend_key(backend)), segment)
        seg = None if parts is None else parts[0]
    return found[0], seg


def foreground(normal_map: NormalMap, seg: Segmentation | None) -> np.ndarray | None:
    """The relit region: the body-part foreground when known, else the normals' own mask."""
    if seg is not None:
        return seg.person_mask
    return normal_map.mask


def light_controls() -> dict[str, object]:
    """Preset or custom light; returns keyword arguments for ``core.imaging.relight.relight``."""
    from core.imaging.relight import PRESETS

    names = [*PRESETS, "custom"]
    choice = st.selectbox(
        "Light",
        names,
        index=names.index("canonical"),
        key="relight_preset",
        help="'canonical' is the fixed light for standardised before/after photographs.",
    )
    if choice != "custom":
        return dict(PRESETS[choice].kwargs())
    c1, c2, c3 = st.columns(3)
    azimuth = c1.slider("Azimuth (°)", -180, 180, 45, key="relight_azimuth")
    elevation = c2.slider("Elevation (°)", -90, 90, 30, key="relight_elevation")
    ambient = c3.slider("Ambient share", 0.0, 1.0, 0.25, 0.05, key="relight_ambient")
    colour = st.color_picker("Tint", "#FFFFFF", key="relight_tint")
    tint = tuple(int(colour[i : i + 2], 16) / 255.0 for i in (1, 3, 5))
    return {
        "azimuth_deg": float(azimuth),
        "elevation_deg": float(elevation),
        "ambient": float(ambient),
        "tint": tint,
    }
