"""The subject of a video is the person who walks: synthetic detection sequences, exact answers."""

from __future__ import annotations

import pytest

from core.tracking import PersonTracker
from core.tracking.progression import Progression, progression_px
from core.tracking.walker import identity_jumps
from tests.tracking.scenes import hip_x, nose_x, person

#: What a partial duplicate keeps: the trunk and legs, no head, arms or feet (MediaPipe's second
#: skeleton of a half-hidden walker looks like this).
TRUNK_AND_LEGS = [
    f"{s}_{j}" for s in ("left", "right") for j in ("shoulder", "hip", "knee", "ankle")
]


def run(frames: list[list]) -> PersonTracker:
    tracker = PersonTracker()
    for found in frames:
        tracker.update(found)
    return tracker


def walker_x(t: int) -> float:
    return 1500.0 - 15.0 * t  # right to left, 15 px per frame


def test_progression_ignores_sway_and_counts_each_pass():
    # Body 400 px tall: a reversal needs 100 px back, a run counts from 200 px.
    assert progression_px([0, 60, -60, 80, 0], [400.0] * 5) == 0.0  # sway within 100 px
    hop = [0, 150, 0]  # out 150 px and back: too short a run to count
    assert progression_px(hop, [400.0] * 3) == 0.0
    # 0 -> 600 -> 100: two runs of 600 and 500 px.
    assert progression_px([0, 300, 600, 350, 100], [400.0] * 5) == 1100.0
    p = Progression()
    values = []
    for x in range(0, 1000, 50):
        p.add(float(x), 400.0)
        values.append(p.value_px)
    assert values == sorted(values)  # never decreases
    assert values[-1] == 950.0


def test_a_bystander_who_moves_late_never_replaces_the_walker():
    # The walker crosses (frames 0-79: 1500 -> 315 px, 1185 px) and leaves. A bystander stands
    # jittering by +-4 px until frame 70, then walks right 3 px per frame until frame 219
    # (447 px): he moves last and for longer, but less far.
    frames = []
    for t in range(220):
        found = []
        if t < 80:
            found.append(person(walker_x(t), 500, 400))
        bx = 400 + (4 if t % 2 else -4) if t < 70 else 400 + 3 * (t - 70)
        found.append(person(bx, 60, 380))
        frames.append(found[::-1] if t % 3 else found)
    tracker = run(frames)
    poses = tracker.subject_poses()
    assert [nose_x(p) for p in poses] == [walker_x(t) for t in range(80)] + [None] * 140
    stats = tracker.stats
    assert stats["frames_with_person"] == 220
    assert stats["frames_tracked"] == 80
    assert stats["tracked_share"] == pytest.approx(80 / 220)
    assert stats["span_share"] == 1.0
    assert (stats["people"], stats["fragments"], stats["rejoins"]) == (2, 1, 0)
    assert stats["identity_jumps"] == 0
    assert stats["chosen_by"] == "progression"
    # The pelvis travels 1185 px; the progression starts where the first run began (the anchor is
    # the mid-hip, which moves exactly as the nose does here).
    assert stats["progression_px"] == pytest.approx(1185.0)


def test_partial_duplicates_of_the_walker_are_merged_into_one_person():
    # Frames 10-49: a second, partial skeleton (trunk and legs, 6 px right, 4 px up) lies over
    # the walker; in frames 30-39 only that partial one is found.
    shift = (6.0, -4.0)
    frames = []
    for t in range(60):
        x = walker_x(t)
        found = [] if 30 <= t < 40 else [person(x, 500, 400)]
        if 10 <= t < 50:
            found.append(person(x + shift[0], 500 + shift[1], 400, keep=TRUNK_AND_LEGS))
        frames.append(found)
    tracker = run(frames)
    poses = tracker.subject_poses()
    assert all(p is not None for p in poses)
    # The full skeleton wherever it was found; the partial one only where it was alone.
    assert [nose_x(p) for p in poses[:30]] == [walker_x(t) for t in range(30)]
    assert all(nose_x(p) != nose_x(p) for p in poses[30:40])  # NaN: no head in the partial one
    # left_hip of the skeleton is 0.06 tall right of its centre line (STANDING_FRONT)... whatever
    # it is, the partial's is the full one's plus the shift.
    full_hip = hip_x(person(0, 500, 400))
    assert [hip_x(p) for p in poses[30:40]] == pytest.approx(
        [walker_x(t) + shift[0] + full_hip for t in range(30, 40)]
    )
    assert [nose_x(p) for p in poses[40:]] == [walker_x(t) for t in range(40, 60)]
    stats = tracker.stats
    assert stats["duplicates_merged"] == 30  # frames 10-29 and 40-49
    assert (stats["people"], stats["fragments"], stats["rejoins"]) == (1, 1, 0)
    assert stats["frames_tracked"] == 60


def test_the_walker_is_rejoined_after_a_short_occlusion():
    # Hidden behind something for frames 40-64 (25 frames, longer than a track waits), then back
    # where her walk leads; a bystander jitters in place all along.
    hidden = range(40, 65)
    frames = []
    for t in range(90):
        found = [person(300 + (3 if t % 2 else -3), 80, 380)]
        if t not in hidden:
            found.append(person(walker_x(t), 500, 400))
        frames.append(found)
    tracker = run(frames)
    poses = tracker.subject_poses()
    expected = [None if t in hidden else walker_x(t) for t in range(90)]
    assert [nose_x(p) for p in poses] == expected
    stats = tracker.stats
    assert (stats["fragments"], stats["rejoins"]) == (2, 1)
    assert stats["frames_tracked"] == 65
    assert stats["span_share"] == pytest.approx(65 / 90)
    assert stats["people"] == 2


def test_a_half_seen_first_detection_after_an_occlusion_does_not_lose_the_walker():
    # As above, but the first detection after the gap is a skeleton placed 0.45 body heights too
    # high (a half-seen body stepping out from behind the occluder). One such sample in a
    # least-squares fit of the new stretch's start gave it a vertical velocity of about 9 px a
    # frame, "someone else's motion", and the walker's second half was lost (the mirrored 0.75x
    # copy of the shared walk: 36 % of her frames tracked); a median-of-slopes fit ignores it.
    hidden = range(40, 65)
    frames = []
    for t in range(90):
        found = [person(300 + (3 if t % 2 else -3), 80, 380)]
        if t not in hidden:
            found.append(person(walker_x(t), 500 - (180 if t == 65 else 0), 400))
        frames.append(found)
    tracker = run(frames)
    stats = tracker.stats
    assert (stats["fragments"], stats["rejoins"]) == (2, 1)
    assert stats["frames_tracked"] == 65
    assert [nose_x(p) for p in tracker.subject_poses()][66:] == [walker_x(t) for t in range(66, 90)]


def test_a_bystander_entering_where_the_walker_left_is_not_her():
    # The walker leaves on the left (frames 0-59, 1000 -> 174 px); 7 frames later a bystander
    # enters right there (x 150) and walks to the right, 4 px per frame, for 64 frames. Close to
    # where she was heading, but moving the other way: a different person.
    frames = []
    for t in range(130):
        if t < 60:
            frames.append([person(1000 - 14 * t, 500, 400)])
        elif t >= 66:
            frames.append([person(150 + 4 * (t - 66), 500, 400)])
        else:
            frames.append([])
    tracker = run(frames)
    poses = tracker.subject_poses()
    assert [nose_x(p) for p in poses] == [1000 - 14 * t for t in range(60)] + [None] * 70
    stats = tracker.stats
    assert (stats["people"], stats["fragments"], stats["rejoins"]) == (2, 1, 0)
    assert stats["frames_with_person"] == 124
    assert stats["tracked_share"] == pytest.approx(60 / 124)


def test_a_looped_walk_keeps_its_first_pass():
    # The same 60-frame pass three times (the clip looped), 10 empty frames between passes.
    frames = []
    for _ in range(3):
        frames += [[person(walker_x(t), 500, 400)] for t in range(60)] + [[]] * 10
    tracker = run(frames)
    poses = tracker.subject_poses()
    assert [nose_x(p) for p in poses[:60]] == [walker_x(t) for t in range(60)]
    assert all(p is None for p in poses[60:])
    assert tracker.stats["people"] == 3


def test_nobody_walking_gives_the_person_seen_longest():
    frames = [[person(300 + (2 if t % 2 else -2), 80, 380)] for t in range(40)]
    frames += [[person(900, 80, 380), person(300, 80, 380)] for _ in range(10)]
    tracker = run(frames)
    assert sum(p is not None for p in tracker.subject_poses()) == 50
    assert tracker.stats["chosen_by"] == "frames"
    assert tracker.stats["progression_px"] == 0.0


def test_identity_jumps_count_lasting_jumps_not_glitches():
    steps = list(range(40))
    xs = [1000.0 - 10 * t for t in steps]  # walking left, body 400 px tall
    xs[10] += 300.0  # one stray detection (0.75 body heights off), back on course at once
    for t in range(25, 40):
        xs[t] -= 200.0  # from frame 25 on, someone 200 px (0.5 body heights) further on
    poses = [person(x, 500, 400) for x in xs]
    assert identity_jumps(steps, poses) == 1
    assert identity_jumps(steps, [person(1000.0 - 10 * t, 500, 400) for t in steps]) == 0


def test_a_walker_leaving_the_picture_is_not_an_identity_jump():
    # The heavy model on the shared walk: as she leaves on the left, her pelvis is put outside
    # the picture (x = -61) and then snaps back inside a box cut by the edge (x = 37): counted as
    # an identity jump, which capped a clean walk's grade at "limited".
    steps = list(range(40))
    xs = [800.0 - 15 * t for t in steps[:30]]  # walking left, body 400 px tall
    xs += [-60.0 - 15 * t for t in range(5)]  # placed beyond the left edge
    xs += [30.0] * 5  # back inside, the box cut by the edge
    poses = [person(x, 500, 400) for x in xs]
    assert identity_jumps(steps, poses) == 2  # without the frame's width: both moves count
    assert identity_jumps(steps, poses, frame_width=1000) == 0
    # The same walk with someone else taken for her in mid-picture still counts.
    swapped = [person(x - (200.0 if 15 <= t < 30 else 0.0), 500, 400) for t, x in enumerate(xs)]
    assert identity_jumps(steps, swapped, frame_width=1000) == 1
    # The tracker passes the width it is given on to the count.
    tracker = PersonTracker()
    for pose in poses:
        tracker.update([pose], frame_width=1000)
    assert tracker.stats["identity_jumps"] == 0


def test_a_clip_ending_with_nobody_keeps_the_walker():
    # Issue 20's "no person found in any of the 18000 analysed frames": the old tracker kept only
    # the person it followed at the last frame, and forgot a subject unseen for 60 frames, so a
    # clip whose last 2+ s show nobody lost everyone. Three passes, a man standing on a box until
    # frame 150, then 70 empty frames: the old tracker returned no pose at all here.
    frames = []
    for _ in range(3):
        for t in range(60):
            found = [person(walker_x(t), 500, 400)]
            if len(frames) < 150:
                found.append(person(400, 60, 380))
            frames.append(found)
        frames += [[]] * 10
    frames += [[]] * 70
    poses = run(frames).subject_poses()
    assert [nose_x(p) for p in poses[:60]] == [walker_x(t) for t in range(60)]
    assert all(p is None for p in poses[60:])
