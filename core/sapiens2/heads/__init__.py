"""The four Sapiens2 decode heads (SPEC.md 3): pose heatmaps, body-part seg, normals, pointmap."""

from core.sapiens2.heads.normal import NormalHead
from core.sapiens2.heads.pointmap import PointmapHead
from core.sapiens2.heads.pose import PoseHeatmapHead
from core.sapiens2.heads.seg import SegHead

__all__ = ["NormalHead", "PointmapHead", "PoseHeatmapHead", "SegHead"]
