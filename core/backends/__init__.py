"""Backends turn an image into poses, segmentations and normals; see ``base.Backend``."""

from core.backends.base import Backend, Capability, NormalMap, PersonBox, Segmentation

__all__ = ["Backend", "Capability", "NormalMap", "PersonBox", "Segmentation"]
