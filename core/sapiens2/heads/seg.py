"""Body-part segmentation head: 4 deconvs (x16) -> 1x1 convs -> 29 logits at input size (SPEC 3.2)."""

from __future__ import annotations

from core.sapiens2.heads.layers import DeconvHead


class SegHead(DeconvHead):
    """featmap (B, C, h, w) -> logits (B, 29, 16h, 16w)."""

    final_name = "conv_seg"
