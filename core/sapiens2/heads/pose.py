"""Pose heatmap head: 2 deconvs (x4) -> 1x1 convs -> 308 heatmaps at 1/4 of the input (SPEC 3.1)."""

from __future__ import annotations

from core.sapiens2.heads.layers import DeconvHead


class PoseHeatmapHead(DeconvHead):
    """featmap (B, C, h, w) -> heatmaps (B, K, 4h, 4w) with two deconv stages (K = 308)."""

    final_name = "conv_pose"
