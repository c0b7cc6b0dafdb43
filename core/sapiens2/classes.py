"""Re-export of :mod:`core.labels.classes` (the table moved to the torch-free leaf; this path keeps working)."""

from core.labels.classes import (
    BACKGROUND,
    CLASS_ID,
    CLASS_NAMES,
    FLIP_SWAP_PAIRS,
    NUM_CLASSES,
    PALETTE_RGB,
)

__all__ = ["BACKGROUND", "CLASS_ID", "CLASS_NAMES", "FLIP_SWAP_PAIRS", "NUM_CLASSES", "PALETTE_RGB"]
