"""The session maker (core.sessions.make) and the store's save/find of its drafts, on the test
double: what a draft holds, and that it is found again by subject, kind, source hash and key."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.backends.fake import FakeBackend
from core.hashing import sha256_hex
from core.imaging.decode import encode_png
from core.sessions.make import make_posture, read_photo
from core.sessions.options import PostureOptions
from core.store import Store, drafts
from tests.app.test_posture import _FlipSwitchBackend


class FlipBackend(_FlipSwitchBackend):
    """The posture page's flip-switch double, reporting its flip test as Sapiens2's describe() does."""

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "flip_test": self.flip_test}


@pytest.fixture
def photo_bytes() -> bytes:
    rng = np.random.default_rng(0)
    return encode_png(rng.integers(0, 255, (240, 160, 3), dtype=np.uint8))


def test_a_posture_draft_holds_the_session(photo_bytes: bytes) -> None:
    made = make_posture(photo_bytes, FakeBackend(), PostureOptions(view="front"))
    draft = made.draft
    assert draft.kind == "posture" and draft.quality is None
    assert draft.source_hash == sha256_hex(photo_bytes)
    assert draft.rows is made.result.rows and len(draft.rows) > 0
    # docs/EXPORT.md: a whole-image measure has an empty frame.
    assert draft.rows["frame"].isna().all()
    assert draft.artifacts["overlay.png"][:4] == b"\x89PNG"
    assert draft.params == {"view": "front", "view_used": "front", "point": None, "fast": False}
    assert draft.backend_info["backend"] == FakeBackend.name
    assert made.image.shape == (240, 160, 3)


def test_a_path_and_its_bytes_give_the_same_draft(photo_bytes: bytes, tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "photo.png"
    path.write_bytes(photo_bytes)
    backend = FakeBackend()
    a = make_posture(path, backend).draft
    b = make_posture(photo_bytes, backend).draft
    c = make_posture(read_photo(path), backend).draft
    assert a.key == b.key == c.key and a.source_hash == b.source_hash == c.source_hash


def test_fast_sets_the_flip_test_for_that_photo_only(photo_bytes: bytes) -> None:
    backend = FlipBackend()
    fast = make_posture(photo_bytes, backend, PostureOptions(fast=True)).draft
    full = make_posture(photo_bytes, backend, PostureOptions()).draft
    assert backend.seen == [False, True]
    assert fast.key != full.key and fast.params["fast"] is True
    assert fast.backend_info["flip_test"] is False and full.backend_info["flip_test"] is True


def test_save_then_find_by_subject_kind_hash_and_key(photo_bytes: bytes) -> None:
    draft = make_posture(photo_bytes, FakeBackend()).draft
    with Store() as store:
        a = store.create_subject("A", consent=True)
        b = store.create_subject("B", consent=True)
        assert drafts.find(store, a, draft) is None
        sid = drafts.save(store, a, draft, notes="first")
        assert drafts.find(store, a, draft) == sid
        assert drafts.find(store, b, draft) is None  # another subject's photo is theirs
        session = store.get_session(sid)
        assert session.params == dict(draft.params) and session.notes == "first"
        assert "overlay.png" in session.artifacts
        assert store.load_measurements(sid)["frame"].isna().all()
        # Another view, another key: not found; the same draft saved again: the newest is found.
        other = make_posture(photo_bytes, FakeBackend(), PostureOptions(view="front")).draft
        assert drafts.find(store, a, other) is None
        again = drafts.save(store, a, draft)
        assert drafts.find(store, a, draft) == again != sid
        # A gait session of the same file and key is not a posture session.
        as_gait = dataclasses.replace(draft, kind="gait")
        assert drafts.find(store, a, as_gait) is None


@pytest.mark.parametrize("key", ["", "unknown"])
def test_an_empty_or_unknown_key_never_matches(photo_bytes: bytes, key: str) -> None:
    draft = dataclasses.replace(make_posture(photo_bytes, FakeBackend()).draft, key=key)
    with Store() as store:
        a = store.create_subject("A", consent=True)
        drafts.save(store, a, draft)
        assert drafts.find(store, a, draft) is None


def test_a_gait_draft_from_a_path_or_its_bytes(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    import tempfile

    from core.sessions.make import make_gait
    from core.sessions.options import GaitOptions
    from tests.cli.scenes import walking_backend, write_walk_video

    video = write_walk_video(tmp_path / "walk.avi", 3.0)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where the bytes' copy is written
    options = GaitOptions(every=2, height_m=1.7)
    by_path = make_gait(video, walking_backend(3.0), options)
    by_bytes = make_gait(video.read_bytes(), walking_backend(3.0), options, name="walk.avi")
    a, b = by_path.draft, by_bytes.draft
    assert a.kind == b.kind == "gait"
    assert a.key == b.key and a.source_hash == b.source_hash == sha256_hex(video.read_bytes())
    assert a.params == b.params == {"every": 2, "height_m": 1.7, "max_seconds": 300.0}
    assert a.quality in ("good", "limited", "unusable") and a.artifacts == {}
    assert a.rows["value"].to_numpy() == pytest.approx(b.rows["value"].to_numpy(), nan_ok=True)
    assert list(scratch.iterdir()) == []  # the temporary copy of the bytes is gone
    # Another budget is another key, and the cut is recorded.
    other = make_gait(video, walking_backend(3.0), GaitOptions(every=2, height_m=1.7,
                                                               max_seconds=1.0)).draft  # fmt: skip
    assert other.key != a.key and other.params["cut_at_s"] == 1.0
