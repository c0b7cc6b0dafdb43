"""The lite backend's flip test: un-mirroring (exact), doubt on disagreement, photos only."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from core.backends.crops import padded_crop
from core.backends.lite_flip import (
    DISAGREE_FRACTION,
    MIRROR_ORDER,
    TWIN_IOU,
    RawPose,
    best_twin,
    doubt_score,
    flip_merge,
    merge,
    shift_raw,
    unmirror,
)
from core.keypoints import INDEX, MEDIAPIPE_IDS, MEDIAPIPE_NAMES, Pose
from core.sessions.key import gait_key
from core.sessions.options import GaitOptions
from tests.conftest import shared_path

WIDTH = 200.0


def _pose(seed: int, x0: float = 50.0) -> RawPose:
    rng = np.random.default_rng(seed)
    xy = np.column_stack([x0 + rng.uniform(0, 60, 33), rng.uniform(10, 190, 33)])
    vis = rng.uniform(0.85, 1.0, 33)
    return RawPose(xy, vis, (x0, 10.0, x0 + 60.0, 190.0))


def _as_seen_in_mirror(pose: RawPose) -> RawPose:
    """What a perfect landmarker returns for the mirror image: x mirrored, and the person's left
    side now on the image's other side, so each landmark id carries its twin's point."""
    inverse = np.argsort(MIRROR_ORDER)
    xy = pose.xy[inverse].copy()
    xy[:, 0] = WIDTH - xy[:, 0]
    x1, y1, x2, y2 = pose.box
    return RawPose(xy, pose.visibility[inverse], (WIDTH - x2, y1, WIDTH - x1, y2))


def test_mirror_order_swaps_left_and_right_only():
    assert MIRROR_ORDER[MEDIAPIPE_IDS["nose"]] == MEDIAPIPE_IDS["nose"]
    assert MIRROR_ORDER[MEDIAPIPE_IDS["left_hip"]] == MEDIAPIPE_IDS["right_hip"]
    assert MIRROR_ORDER[MEDIAPIPE_IDS["right_big_toe"]] == MEDIAPIPE_IDS["left_big_toe"]
    assert MIRROR_ORDER[MEDIAPIPE_NAMES.index("mouth_left")] == MEDIAPIPE_NAMES.index("mouth_right")
    assert_array_equal(MIRROR_ORDER[MIRROR_ORDER], np.arange(33))  # an involution
    assert sorted(MIRROR_ORDER) == list(range(33))


def test_unmirror_maps_a_perfect_mirror_view_back_exactly():
    pose = _pose(1)
    back = unmirror(_as_seen_in_mirror(pose), WIDTH)
    assert_allclose(back.xy, pose.xy, atol=1e-12)
    assert_array_equal(back.visibility, pose.visibility)
    assert_allclose(back.box, pose.box, atol=1e-12)
    # By hand: the mirror view's right hip, x mirrored, is the original's left hip.
    seen = _as_seen_in_mirror(pose)
    rh, lh = MEDIAPIPE_IDS["right_hip"], MEDIAPIPE_IDS["left_hip"]
    assert back.xy[lh, 0] == WIDTH - seen.xy[rh, 0] and back.xy[lh, 1] == seen.xy[rh, 1]


def test_agreeing_views_average_and_a_disagreeing_point_is_doubted():
    pose = _pose(2)
    twin = RawPose(pose.xy + 1.0, pose.visibility - 0.02, pose.box)  # 1.4 px: well within 4%
    merged, doubtful = merge(pose, twin, doubt_score=0.65)
    assert doubtful == 0
    assert_allclose(merged.xy, pose.xy + 0.5)
    assert_allclose(merged.visibility, pose.visibility - 0.01)
    knee = MEDIAPIPE_IDS["left_knee"]
    moved = twin.xy.copy()
    height = pose.box[3] - pose.box[1]
    moved[knee, 0] += 2 * DISAGREE_FRACTION * height  # twice the gap that counts as disagreeing
    merged, doubtful = merge(pose, RawPose(moved, twin.visibility, pose.box), doubt_score=0.65)
    assert doubtful == 1
    assert merged.visibility[knee] == 0.65
    assert_array_equal(merged.xy[knee], pose.xy[knee])  # the photo's own point, not a blend
    others = np.arange(33) != knee
    assert np.all(merged.visibility[others] > 0.8)


def test_doubted_knee_flags_the_measures_using_it():
    from core.measure.confidence import posture_confidence

    pose = _pose(3)
    score = doubt_score(0.5, 0.8)
    assert 0.5 <= score < 0.8
    moved = pose.xy.copy()
    moved[MEDIAPIPE_IDS["left_knee"], 1] += 0.2 * (pose.box[3] - pose.box[1])
    merged, _ = merge(pose, RawPose(moved, pose.visibility, pose.box), doubt_score=score)
    lite = Pose.from_mediapipe(merged.xy, merged.visibility, model="m", threshold=0.5)
    assert lite.has("left_knee")  # still found, only doubted
    conf = posture_confidence(lite, view="front", min_score=0.8)
    knee_measures = [k for k, m in conf.measures.items() if "left_knee" in m.keypoints]
    assert knee_measures, "some front measure uses the left knee"
    assert all(not conf.measures[k].reliable for k in knee_measures)


def _elbow_pose(wrist_shift_px: float) -> Pose:
    """A lite pose whose two flip views agree but for the left wrist, moved ``wrist_shift_px``
    along the forearm's normal in the mirror view (forearm 100 px long)."""
    xy = np.full((33, 2), 100.0)
    ids = MEDIAPIPE_IDS
    for name, p in {
        "left_shoulder": (300.0, 100.0),
        "right_shoulder": (200.0, 100.0),
        "left_elbow": (300.0, 200.0),
        "left_wrist": (400.0, 200.0),
        "left_hip": (290.0, 350.0),
        "right_hip": (210.0, 350.0),
    }.items():
        xy[ids[name]] = p
    vis = np.full(33, 0.99)
    photo, mirror = xy.copy(), xy.copy()
    mirror[ids["left_wrist"], 1] += wrist_shift_px
    merged, _ = merge(
        RawPose(photo, vis, (100.0, 0.0, 450.0, 600.0)),
        RawPose(mirror, vis, (100.0, 0.0, 450.0, 600.0)),
        doubt_score=0.65,
    )
    return Pose.from_mediapipe(
        merged.xy, merged.visibility, model="m", threshold=0.5, views=merged.views
    )


@pytest.mark.parametrize(("shift", "gap_deg"), [(5.0, 2.86), (17.0, 9.65)])
def test_an_angle_the_two_views_disagree_on_is_flagged(shift: float, gap_deg: float) -> None:
    # The wrist moved 5 px (2.9 deg on the 100 px forearm) or 17 px (9.6 deg): both well inside
    # the 4 % of the body height each point is allowed alone (24 px here), so only the angle's own
    # check can tell them apart: 9.6 deg is beyond VIEWS_GAP_DEG, 2.9 within it.
    from core.measure.confidence import VIEWS_GAP_DEG, posture_confidence

    pose = _elbow_pose(shift)
    assert pose.flip_views is not None
    conf = posture_confidence(pose, view="front", min_score=0.8)
    elbow = conf.measures["left_elbow_angle_deg"]
    assert elbow.score == pytest.approx(0.99)  # the points score well: not a score flag
    flagged = gap_deg > VIEWS_GAP_DEG
    assert elbow.reliable is not flagged
    assert elbow.reason == ("views_disagree" if flagged else "")
    assert conf.measures["left_shoulder_angle_deg"].reliable  # the wrist is not among its points


def test_the_two_views_travel_with_the_pose() -> None:
    from core.backends.crops import shift_pose
    from core.measure.sides import swap_sides

    pose = _elbow_pose(17.0)
    assert pose.flip_views is not None
    photo, mirror = pose.flip_views
    wrist = pose.point("left_wrist")
    assert_allclose(wrist, (photo[INDEX["left_wrist"]] + mirror[INDEX["left_wrist"]]) / 2)
    moved = shift_pose(pose, 10.0, -5.0)
    assert moved.flip_views is not None
    assert_allclose(moved.flip_views[0], photo + (10.0, -5.0))
    swapped = swap_sides(pose)
    assert swapped.flip_views is not None
    assert_allclose(swapped.flip_views[1][INDEX["right_wrist"]], mirror[INDEX["left_wrist"]])


def test_flip_merge_pairs_by_overlap_and_keeps_the_unpaired():
    a, b, c = _pose(4, x0=0.0), _pose(5, x0=120.0), _pose(6, x0=60.0)
    mirrored = [_as_seen_in_mirror(b), _as_seen_in_mirror(a)]  # other order, no twin for c
    out, doubtful = flip_merge([a, b, c], mirrored, WIDTH, doubt_score=0.65)
    assert doubtful == 0
    assert_allclose(out[0].xy, a.xy) and assert_allclose(out[1].xy, b.xy)
    assert out[2] is c


def test_a_person_found_in_the_mirror_only_is_kept_on_the_whole_image():
    a, b = _pose(7, x0=0.0), _pose(8, x0=130.0)
    seen = [_as_seen_in_mirror(a), _as_seen_in_mirror(b)]
    out, _ = flip_merge([a], seen, WIDTH, doubt_score=0.65, mirror_only=True)
    assert len(out) == 2 and out[1].views is None  # one view: nothing to compare
    assert_allclose(out[1].xy, b.xy, atol=1e-12)  # mapped back into the photo's frame
    crop, _ = flip_merge([a], seen, WIDTH, doubt_score=0.65)  # a second look's crop: photo only
    assert len(crop) == 1


def _boxed(seed: int, x1: float, x2: float) -> RawPose:
    pose = _pose(seed, x0=x1)
    return pose._replace(box=(x1, 10.0, x2, 190.0))


def test_the_pairing_does_not_depend_on_which_image_is_the_photo():
    # Photo people a [40, 140] and b [65, 165]; the mirror view's x [60, 160] is b's twin, y
    # [10, 110] is a's. Box IoU: a-x 0.67, a-y 0.54, b-x 0.90, b-y 0.29. Pairing in the photo's
    # order gave a the twin x and left b alone; the mirror image taken as the photo paired x with
    # b: the two images measured different points for the same people.
    a, b = _boxed(12, 40.0, 140.0), _boxed(13, 65.0, 165.0)
    rng = np.random.default_rng(14)
    x = _boxed(15, 60.0, 160.0)._replace(xy=b.xy + rng.normal(0, 0.5, b.xy.shape))
    y = _boxed(16, 10.0, 110.0)._replace(xy=a.xy + rng.normal(0, 0.5, a.xy.shape))
    in_mirror = [_as_seen_in_mirror(x), _as_seen_in_mirror(y)]
    forward, _ = flip_merge([a, b], in_mirror, WIDTH, doubt_score=0.65)
    assert all(p.views is not None for p in forward)  # both paired
    assert_allclose(forward[0].xy, (a.xy + y.xy) / 2) and assert_allclose(
        forward[1].xy, (b.xy + x.xy) / 2
    )
    # The mirror image as the photo: its people are the twins as seen there, its mirror the photo.
    backward, _ = flip_merge(in_mirror, [a, b], WIDTH, doubt_score=0.65)
    back = sorted((unmirror(p, WIDTH).xy for p in backward), key=lambda xy: float(xy[:, 0].sum()))
    ahead = sorted((p.xy for p in forward), key=lambda xy: float(xy[:, 0].sum()))
    for one, other in zip(ahead, back, strict=True):
        assert_allclose(one, other, atol=1e-9)


def test_shift_raw_moves_points_box_and_views_together():
    pose, twin = _pose(20), _pose(21)
    merged, _ = merge(pose, twin, doubt_score=0.65)
    moved = shift_raw(merged, 30.0, -5.0)
    assert_allclose(moved.xy, merged.xy + [30.0, -5.0])
    assert_allclose(moved.views[0], pose.xy + [30.0, -5.0])
    assert_allclose(moved.views[1], twin.xy + [30.0, -5.0])
    assert moved.box == (
        merged.box[0] + 30,
        merged.box[1] - 5,
        merged.box[2] + 30,
        merged.box[3] - 5,
    )
    assert_array_equal(moved.visibility, merged.visibility)


def test_best_twin_takes_the_largest_overlap_above_the_bound():
    pose = _boxed(22, 40.0, 140.0)
    near, far, apart = _boxed(23, 50.0, 150.0), _boxed(24, 70.0, 170.0), _boxed(25, 150.0, 200.0)
    assert best_twin(pose, [far, near, apart]) is near
    assert best_twin(pose, [apart]) is None and best_twin(pose, []) is None
    # Just under the bound is another person: boxes [0, 100] and [x, 100 + x] overlap by
    # (100 - x) / (100 + x), below TWIN_IOU from x = 100 (1 - TWIN_IOU) / (1 + TWIN_IOU) on.
    shift = 100 * (1 - TWIN_IOU) / (1 + TWIN_IOU) + 0.5
    assert best_twin(_boxed(26, 0.0, 100.0), [_boxed(27, shift, 100.0 + shift)]) is None


def test_padded_crop_grows_the_box_and_stays_inside_the_image():
    assert padded_crop((100.0, 40.0, 200.0, 240.0), 400, 300, 0.25) == (75, 0, 225, 290)
    assert padded_crop((-10.0, 250.0, 390.0, 280.0), 400, 300, 0.25) == (0, 242, 400, 287)


def test_lite_gait_key_holds_the_flip_test_its_frames_ran():
    # Lite video frames flip since 2026-12-07 unless fast: a walk analysed with the flip test is
    # not the same analysis as one without, nor as one saved before (whose key had none).
    from core.sessions.key import gait_fields, key_of

    info = {"backend": "lite", "model": "m", "size": "full", "dtype": "float32", "threshold": 0.5}
    flipped = gait_key({**info, "flip_test": True}, GaitOptions())
    assert flipped != gait_key({**info, "flip_test": True}, GaitOptions(fast=True))
    assert flipped != key_of({**gait_fields(info, GaitOptions()), "flip_test": None})


# -- the real backend ------------------------------------------------------------------------------
def _load(name: str) -> np.ndarray:
    import cv2

    return cv2.cvtColor(cv2.imread(str(shared_path("data", name))), cv2.COLOR_BGR2RGB)


class _Counting:
    def __init__(self, task, calls: dict[str, int]) -> None:
        self.task, self.calls = task, calls

    def detect(self, image):
        self.calls["detect"] += 1
        return self.task.detect(image)

    def detect_for_video(self, image, timestamp_ms):
        self.calls["video"] += 1
        return self.task.detect_for_video(image, timestamp_ms)


@pytest.fixture
def counted(lite_backend, monkeypatch):
    calls = {"detect": 0, "video": 0}
    real = lite_backend._task
    monkeypatch.setattr(lite_backend, "_task", lambda kind: _Counting(real(kind), calls))
    return lite_backend, calls


def test_photos_and_video_frames_run_twice_unless_asked_once(counted):
    backend, calls = counted
    image = _load("cameraman_standing.png")
    assert backend.flip_test is True and backend.describe()["flip_test"] is True
    backend.estimate_pose(image)
    assert calls == {"detect": 2, "video": 0}
    backend.estimate_pose(image, flip_test=False)
    assert calls == {"detect": 3, "video": 0}
    with backend.video_session():
        for t in (0, 33, 66):
            backend.estimate_pose(image, timestamp_ms=t)
    assert calls == {"detect": 3, "video": 6}  # each frame and its mirror
    with backend.video_session():
        for t in (0, 33):
            backend.estimate_pose(image, timestamp_ms=t, flip_test=False)
    assert calls == {"detect": 3, "video": 8}
    assert backend.run_info(flip_test=False)["flip_test"] is False


def test_a_video_frame_and_its_mirror_read_the_same(lite_backend):
    # The flip test of a video frame: the mirrored stream has a VIDEO-mode landmarker of its own,
    # and the two views averaged give the same points for a frame and for its mirror image.
    from core.keypoints import CANONICAL_NAMES, INDEX

    image = _load("cameraman_standing.png")
    mirror_image = np.ascontiguousarray(image[:, ::-1])
    poses = {}
    for name, frame in (("frame", image), ("mirror", mirror_image)):
        with lite_backend.video_session():
            poses[name] = [lite_backend.estimate_pose(frame, timestamp_ms=t)[0] for t in (0, 33)][
                -1
            ]
    flipped, mirror = poses["frame"], poses["mirror"]
    assert flipped.flip_views is not None  # both views kept, as for a photo

    def twin(n: str) -> int:
        return INDEX[n.replace("left", "#").replace("right", "left").replace("#", "right")]

    order = [twin(n) for n in CANONICAL_NAMES]
    back = mirror.xy[order].copy()
    back[:, 0] = image.shape[1] - back[:, 0]
    height = flipped.box_xyxy[3] - flipped.box_xyxy[1]
    agreed = (flipped.scores >= 0.8) & (mirror.scores[order] >= 0.8)
    assert agreed.sum() >= 5
    # 1 % of the body height: VIDEO mode smooths over the two frames, each stream on its own.
    assert_allclose(back[agreed], flipped.xy[agreed], atol=0.01 * height)


def test_cameraman_with_and_without_the_flip_test(lite_backend):
    image = _load("cameraman_standing.png")
    plain = lite_backend.estimate_pose(image, flip_test=False)[0]
    flipped = lite_backend.estimate_pose(image, flip_test=True)[0]
    mirror = lite_backend.estimate_pose(np.ascontiguousarray(image[:, ::-1]), flip_test=True)[0]
    height = flipped.box_xyxy[3] - flipped.box_xyxy[1]
    both = np.isfinite(plain.xy[:, 0]) & np.isfinite(flipped.xy[:, 0])
    assert both.sum() >= 10
    # The average moves a point by half the two views' gap, which a doubted point may exceed.
    gap = np.linalg.norm(plain.xy[both] - flipped.xy[both], axis=1)
    assert np.median(gap) < DISAGREE_FRACTION * height
    # Points the two views disagree on keep the photo's own position, doubted (the same
    # inference as without the flip test: 0.5 px allows for MediaPipe's float noise).
    doubted = flipped.scores == doubt_score(0.5, 0.8)
    assert doubted.any()  # this photo has some: arms raised to a camera on a tripod
    assert_allclose(flipped.xy[doubted], plain.xy[doubted], atol=0.5)
    assert np.all(flipped.scores[doubted] < 0.8)
    # The others are averaged: the photo and its mirror then give the same points (mirrored,
    # sides swapped); 0.5% of the body height allows for resizing the mirrored image.
    from core.keypoints import CANONICAL_NAMES, INDEX

    def twin(n: str) -> int:
        return INDEX[n.replace("left", "#").replace("right", "left").replace("#", "right")]

    order = [twin(n) for n in CANONICAL_NAMES]
    back = mirror.xy[order].copy()
    back[:, 0] = image.shape[1] - back[:, 0]
    agreed = (flipped.scores >= 0.8) & (mirror.scores[order] >= 0.8)
    assert agreed.sum() >= 5
    assert_allclose(back[agreed], flipped.xy[agreed], atol=0.005 * height)


def test_the_desk_watch_asks_lite_for_no_flip_test(lite_backend):
    from core.analysis import live_flip_test
    from core.backends.fake import FakeBackend

    assert live_flip_test(lite_backend) is False  # a live frame costs one pass, as before
    assert live_flip_test(FakeBackend()) is None  # other backends keep their own default


# -- a one-view person's second look ----------------------------------------------------------------
class _Looks:
    """Stands in for ``LiteBackend._photo_raw``: ``whole`` for the photo itself, ``crop`` (in crop
    pixels) for any crop, and a record of each call's image size and kind."""

    def __init__(self, whole: list[RawPose], crop: list[RawPose]) -> None:
        self.whole, self.crop, self.calls = whole, crop, []

    def __call__(self, small, width, height, scale, flip, whole_image):
        self.calls.append((width, height, flip, whole_image))
        return (self.whole if whole_image else self.crop), True


def _one_view_person() -> RawPose:
    rng = np.random.default_rng(30)
    xy = np.column_stack([rng.uniform(120, 200, 33), rng.uniform(60, 260, 33)])
    return RawPose(xy, rng.uniform(0.9, 1.0, 33), (120.0, 60.0, 200.0, 260.0))


def _in_crop(pose: RawPose, crop: tuple[int, int, int, int], move: float = 0.0) -> RawPose:
    """``pose`` as a crop's look finds it (crop pixels), every point ``move`` px further right."""
    return shift_raw(pose, move - crop[0], -crop[1])


IMAGE = np.zeros((300, 400, 3), np.uint8)


def test_a_person_one_view_found_is_checked_on_a_crop_around_them(lite_backend, monkeypatch):
    person = _one_view_person()
    crop = padded_crop(person.box, 400, 300)
    looks = _Looks([person], [_in_crop(person, crop, move=2.0)])
    monkeypatch.setattr(lite_backend, "_photo_raw", looks)
    (pose,) = lite_backend.estimate_pose(IMAGE)
    # The crop is looked at with the flip test, as a crop (its own one-view finds not kept).
    assert looks.calls == [
        (400, 300, True, True),
        (crop[2] - crop[0], crop[3] - crop[1], True, False),
    ]
    assert pose.flip_views is not None  # now measured on two views, like anyone found by both
    photo, second = pose.flip_views
    assert_allclose(second - photo, np.where(np.isfinite(photo), [2.0, 0.0], np.nan), atol=1e-9)
    assert_allclose(pose.xy, photo + np.where(np.isfinite(photo), [1.0, 0.0], np.nan), atol=1e-9)


def test_a_second_look_that_disagrees_marks_the_point_doubtful(lite_backend, monkeypatch):
    person = _one_view_person()
    crop = padded_crop(person.box, 400, 300)
    knee = MEDIAPIPE_NAMES.index("left_knee")
    seen = _in_crop(person, crop)
    seen.xy[knee, 1] += 2 * DISAGREE_FRACTION * 200.0  # twice the gap allowed on a 200 px person
    monkeypatch.setattr(lite_backend, "_photo_raw", _Looks([person], [seen]))
    (pose,) = lite_backend.estimate_pose(IMAGE)
    score = pose.scores[INDEX["left_knee"]]
    assert score < lite_backend.settings.reliable_score("lite") <= pose.scores[INDEX["right_knee"]]


@pytest.mark.parametrize("crop_finds", ["nobody", "someone else"])
def test_without_a_twin_in_the_crop_the_pose_stays_one_view(lite_backend, monkeypatch, crop_finds):
    person = _one_view_person()
    crop = padded_crop(person.box, 400, 300)
    other = _in_crop(person, crop, move=60.0)  # 60 px right of an 80 px wide box: IoU 0.14
    looks = _Looks([person], [] if crop_finds == "nobody" else [other])
    monkeypatch.setattr(lite_backend, "_photo_raw", looks)
    (pose,) = lite_backend.estimate_pose(IMAGE)
    assert pose.flip_views is None and len(looks.calls) == 2
    assert_allclose(pose.box_xyxy, person.box)


@pytest.mark.parametrize(
    "how", ["no flip test", "a crop's look", "both views found", "a second find of the same"]
)
def test_no_second_look_where_it_does_not_apply(lite_backend, monkeypatch, how):
    person = _one_view_person()
    whole = [person]
    if how == "both views found":
        whole = [merge(person, person, doubt_score=0.65)[0]]
    if how == "a second find of the same":
        # A partial skeleton of someone both views found (the walk at frame 140: a folded one of
        # the walker, box IoU 0.86). Given a crop's view of the whole walker it outgrew her own
        # pose and replaced it; it is left to the de-duplication, which drops it.
        both = merge(person, person, doubt_score=0.65)[0]
        x1, y1, x2, y2 = person.box
        part = person._replace(box=(x1, y1 + 0.1 * (y2 - y1), x2, y2))
        whole = [both, part]
    looks = _Looks(whole, [person])
    monkeypatch.setattr(lite_backend, "_photo_raw", looks)
    if how == "a crop's look":
        lite_backend._crop_look(IMAGE, flip_test=True)
    else:
        found = lite_backend.estimate_pose(IMAGE, flip_test=how != "no flip test")
        assert len(found) == 1 and (found[0].flip_views is None) == (how == "no flip test")
    assert len(looks.calls) == 1
