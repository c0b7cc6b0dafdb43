"""The 29 Sapiens2 body-part classes, their palette and left/right swap pairs (SPEC.md section 6).

Cross-checked against ``shared/sapiens2/seg_classes.json`` by ``tests/sapiens2/test_tables.py``.
"""

from __future__ import annotations

CLASS_NAMES: tuple[str, ...] = (
    "Background",
    "Apparel",
    "Eyeglass",
    "Face_Neck",
    "Hair",
    "Left_Foot",
    "Left_Hand",
    "Left_Lower_Arm",
    "Left_Lower_Leg",
    "Left_Shoe",
    "Left_Sock",
    "Left_Upper_Arm",
    "Left_Upper_Leg",
    "Lower_Clothing",
    "Right_Foot",
    "Right_Hand",
    "Right_Lower_Arm",
    "Right_Lower_Leg",
    "Right_Shoe",
    "Right_Sock",
    "Right_Upper_Arm",
    "Right_Upper_Leg",
    "Torso",
    "Upper_Clothing",
    "Lower_Lip",
    "Upper_Lip",
    "Lower_Teeth",
    "Upper_Teeth",
    "Tongue",
)
PALETTE_RGB: tuple[tuple[int, int, int], ...] = (
    (50, 50, 50),
    (255, 218, 0),
    (14, 204, 182),
    (128, 200, 255),
    (255, 0, 109),
    (189, 0, 204),
    (255, 0, 218),
    (0, 160, 204),
    (0, 255, 145),
    (204, 0, 131),
    (182, 0, 255),
    (255, 109, 0),
    (0, 255, 255),
    (72, 0, 255),
    (204, 131, 0),
    (255, 0, 0),
    (72, 255, 0),
    (189, 204, 0),
    (182, 255, 0),
    (102, 0, 204),
    (32, 72, 204),
    (0, 145, 255),
    (14, 204, 0),
    (0, 128, 72),
    (235, 205, 119),
    (115, 227, 112),
    (157, 113, 143),
    (132, 93, 50),
    (82, 21, 114),
)
FLIP_SWAP_PAIRS: tuple[tuple[int, int], ...] = (
    (5, 14),
    (6, 15),
    (7, 16),
    (8, 17),
    (9, 18),
    (10, 19),
    (11, 20),
    (12, 21),
)
NUM_CLASSES = len(CLASS_NAMES)
BACKGROUND = 0
CLASS_ID: dict[str, int] = {name: i for i, name in enumerate(CLASS_NAMES)}
