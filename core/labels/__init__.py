"""Label tables: Sapiens2's 29 body-part classes (``classes``) and 308 keypoints (``keypoints308``).

Plain data with no imports, so imaging and measure can read them without the model package;
``core.sapiens2.classes`` and ``core.sapiens2.keypoints308`` re-export them.
"""
