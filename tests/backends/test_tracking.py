"""Person selection in a photo and person tracking in a video (synthetic, then the real walking clip)."""

from __future__ import annotations

import numpy as np
import pytest

from core.backends.fake import standing_skeleton
from core.backends.tracking import PersonTracker, select_person
from core.keypoints import CANONICAL_NAMES, INDEX, Pose
from tests.conftest import shared_path


def _person(cx: float, top: float, tall: float) -> Pose:
    """A standing skeleton ``tall`` px high, centred on x = cx, head top at y = top."""
    base = standing_skeleton(
        1000, 1000, fill=tall / 1000
    )  # centred at x 500, top (1000 - tall) / 2
    dy = top - (1000 - tall) / 2
    xy = np.full((len(CANONICAL_NAMES), 2), np.nan)
    for name, (x, y) in base.items():
        xy[INDEX[name]] = (x - 500 + cx, y + dy)
    return Pose.from_canonical(xy, np.ones(len(xy)), backend="t", model="t")


def test_select_person_largest_and_nearest():
    small, big = _person(100, 0, 100), _person(600, 0, 400)
    assert select_person([small, big]) is big
    assert select_person([small, big], point=(90, 50)) is small  # inside the small one's box
    assert (
        select_person([small, big], point=(300, 50)) is small
    )  # 300 is nearer 100 +- 15 than 600 -60
    assert select_person([]) is None


def test_tracker_keeps_the_walker_when_a_bystander_is_crossed():
    # A stationary bystander (height 300) and a walker (height 300) moving 10 px per frame from
    # x = 900 to the left, passing right over the bystander around frame 45.
    tracker = PersonTracker()
    bystander_x = 450.0
    returned = []
    for t in range(90):
        walker = _person(900 - 10 * t, 100, 300)
        bystander = _person(bystander_x + (5 if t % 2 else -5), 90, 300)  # jitters in place
        order = [walker, bystander] if t % 3 else [bystander, walker]
        returned.append(tracker.update(order))
    # From frame 30 on the walker's motion has made it the subject (it needs a sustained lead):
    # the returned x must follow 900 - 10 t, never stay near 450.
    for t in range(30, 90):
        assert returned[t] is not None
        assert returned[t].point("nose")[0] == pytest.approx(900 - 10 * t)
    final = tracker.subject_poses()
    assert all(
        p is not None and p.point("nose")[0] == pytest.approx(900 - 10 * t)
        for t, p in enumerate(final)
    )


def test_tracker_waits_for_an_occluded_subject():
    tracker = PersonTracker()
    for t in range(20):
        tracker.update([_person(100 + 10 * t, 100, 300)])
    for _ in range(10):  # hidden behind something for 10 frames; a new person appears elsewhere
        assert tracker.update([_person(900, 100, 300)]) is None
    # It reappears where it was heading (x = 100 + 10 * 30 = 400) and is the subject again.
    back = tracker.update([_person(400, 100, 300), _person(900, 100, 300)])
    assert back is not None and back.point("nose")[0] == pytest.approx(400)


@pytest.mark.slow
def test_walker_is_tracked_in_the_walking_video(lite_backend):
    import cv2

    path = shared_path("data", "walking_side_view.mp4")
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    tracker = PersonTracker()
    online = []
    with lite_backend.video_session():
        index = 0
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            poses = lite_backend.estimate_pose(rgb, timestamp_ms=round(index * 1000 / fps))
            online.append(tracker.update(poses))
            index += 1
    capture.release()
    height = rgb.shape[0]
    assert index == 230  # SOURCES.md: 230 frames at 30 fps

    def is_walker(pose):
        # The walker's hips are in the lower part of the frame (about y = 0.73 H); the man on the
        # utility box has his at about 0.27 H (SOURCES.md and the overlay of this clip).
        hip = pose.point("mid_hip")
        return bool(np.isfinite(hip[1]) and hip[1] > 0.55 * height)

    visible = range(round(1.5 * fps), round(6.5 * fps))  # she is fully visible from 1.5 s to 6.5 s
    final = tracker.subject_poses()
    tracked = [final[i] for i in visible if final[i] is not None]
    assert len(tracked) >= 0.7 * len(visible)
    assert all(is_walker(p) for p in final if p is not None)  # never the man, in any frame
    # Online, the tracker may follow the man while he is alone; once it has the walker it keeps her.
    first = next(i for i, p in enumerate(online) if p is not None and is_walker(p))
    assert first < round(3.0 * fps)
    assert all(is_walker(p) for p in online[first:] if p is not None)
    assert sum(p is not None for p in online[first : visible.stop]) >= 0.7 * (visible.stop - first)
