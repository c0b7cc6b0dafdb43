"""Which person to measure: the largest (or the one pointed at) in a photo, the walker in a video.

Pure functions of the detections (``Pose`` lists), no video or model code: ``select_person`` for a
photo; ``PersonTracker`` for a video (duplicates merged, people followed, the subject chosen over
the whole video with tracking statistics). Definitions: docs/MEASURES.md, "Who is measured".
"""

from core.tracking.fragment import Fragment
from core.tracking.select import select_person
from core.tracking.tracker import PersonTracker
from core.tracking.walker import SubjectChoice, choose_subject

__all__ = ["Fragment", "PersonTracker", "SubjectChoice", "choose_subject", "select_person"]
