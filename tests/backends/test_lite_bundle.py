"""Building the lite model files from the mediapipe wheel: pins, determinism, the metadata writer,
and (marked ``network``) the real wheel from the package index against the reference files."""

from __future__ import annotations

import hashlib
import io
import os
import socket
import urllib.parse
import zipfile
from pathlib import Path

import numpy as np
import pytest

from core.backends.lite_bundle import (
    BUNDLES,
    WHEEL_NAME,
    WheelBuilder,
    build_from_wheel,
    download_wheel,
    zip_bundle,
)
from core.backends.tflite_metadata import METADATA_NAME, add_image_metadata, has_metadata
from core.errors import ModelNotAvailable
from tests.conftest import shared_path


def test_bundles_are_the_same_bytes_every_time():
    files = [("b.tflite", b"\x01" * 10), ("a.tflite", b"\x02" * 5)]
    first = zip_bundle(files)
    assert zip_bundle(files) == first
    with zipfile.ZipFile(io.BytesIO(first)) as bundle:
        infos = bundle.infolist()
        assert [i.filename for i in infos] == ["b.tflite", "a.tflite"]  # order kept
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {i.compress_type for i in infos} == {zipfile.ZIP_STORED}
        assert bundle.read("a.tflite") == b"\x02" * 5


def _pip_saving(payload: bytes, lines=("Progress 0 of 4", "Progress 4 of 4")):
    calls = []

    def pip(args, on_line):
        calls.append(args)
        for line in lines:
            on_line(line)
        Path(args[args.index("-d") + 1], WHEEL_NAME).write_bytes(payload)
        return 0

    return pip, calls


def test_download_checks_the_pinned_hash_and_reports_progress(tmp_path):
    pip, calls = _pip_saving(b"fake")
    seen = []
    with pytest.raises(ModelNotAvailable, match="not the pinned"):
        download_wheel(tmp_path, lambda done, total: seen.append((done, total)), pip=pip)
    assert seen == [(0, 4), (4, 4)]
    args = calls[0]
    assert "mediapipe==0.10.21" in args and "--no-deps" in args and "--only-binary=:all:" in args


def test_pip_failure_names_pips_error(tmp_path):
    def pip(args, on_line):
        on_line("Looking in indexes: https://mirror.example/simple")
        on_line("ERROR: No matching distribution found for mediapipe==0.10.21")
        on_line("notice: a newer pip is available")
        return 1

    with pytest.raises(ModelNotAvailable, match="No matching distribution found"):
        download_wheel(tmp_path, pip=pip)


def test_an_old_pip_without_raw_progress_is_asked_again(tmp_path):
    bars = []

    def pip(args, on_line):
        bars.append(args[args.index("--progress-bar") + 1])
        if bars[-1] == "raw":
            on_line("error: argument --progress-bar: invalid choice: 'raw'")
            return 2
        return 1

    with pytest.raises(ModelNotAvailable):
        download_wheel(tmp_path, pip=pip)
    assert bars == ["raw", "off"]


def _fake_wheel(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as wheel:
        for name, data in members.items():
            wheel.writestr(name, data)
    return path


def test_model_files_in_the_wheel_are_checked_against_their_pins(tmp_path):
    part = BUNDLES["selfie_segmenter"][0]
    wrong = _fake_wheel(tmp_path / "wrong.whl", {part.member: b"tampered"})
    with pytest.raises(ModelNotAvailable, match="not the pinned"):
        build_from_wheel("selfie_segmenter", wrong)
    with pytest.raises(ModelNotAvailable, match="has no"):
        build_from_wheel("hand_landmarker", wrong)
    (tmp_path / "bad.whl").write_bytes(b"not a zip")
    with pytest.raises(ModelNotAvailable, match="not a readable wheel"):
        build_from_wheel("selfie_segmenter", tmp_path / "bad.whl")


def test_a_model_the_wheel_lacks_is_refused_before_any_download():
    def pip(args, on_line):
        raise AssertionError("no download for a model the wheel does not have")

    with pytest.raises(ModelNotAvailable, match="not in the mediapipe wheel"):
        WheelBuilder(pip=pip)("pose_landmarker_heavy")


# -- the metadata writer, on the reference bundle's own model -----------------------------------


def _strip_metadata(model_bytes: bytes) -> bytes:
    """The model without its TFLITE_METADATA entry (what the wheel's pose landmark model lacks)."""
    import flatbuffers
    from mediapipe.tasks.metadata import schema_py_generated as schema

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model_bytes, 0))
    model.metadata = [m for m in model.metadata if m.name != METADATA_NAME.encode()]
    builder = flatbuffers.Builder(len(model_bytes))
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _landmarks(task_path: Path, photo: Path, kind: str = "pose") -> np.ndarray:
    """(points, 3) x, y, z of every landmark MediaPipe's pose (2 people), hand (2 hands) or face
    landmarker finds on ``photo`` (pose: also the visibility, as a 4th column)."""
    import mediapipe as mp
    from mediapipe.tasks.python import vision
    from mediapipe.tasks.python.core.base_options import BaseOptions
    from PIL import Image

    rgb = np.ascontiguousarray(np.asarray(Image.open(photo).convert("RGB")))
    base = BaseOptions(model_asset_path=str(task_path))
    if kind == "pose":
        task = vision.PoseLandmarker.create_from_options(
            vision.PoseLandmarkerOptions(base_options=base, num_poses=2)
        )
    elif kind == "hands":
        task = vision.HandLandmarker.create_from_options(
            vision.HandLandmarkerOptions(base_options=base, num_hands=2)
        )
    else:
        task = vision.FaceLandmarker.create_from_options(
            vision.FaceLandmarkerOptions(base_options=base)
        )
    try:
        result = task.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))
    finally:
        task.close()
    if kind == "pose":
        found = result.pose_landmarks
        return np.array([[p.x, p.y, p.z, p.visibility] for one in found for p in one])
    found = result.hand_landmarks if kind == "hands" else result.face_landmarks
    return np.array([[p.x, p.y, p.z] for one in found for p in one])


PHOTOS = ("cameraman_standing.png", "astronaut_upper_body.png", "portrait_face_neck.jpg")


def _rebuilt(tmp_path: Path, name: str, **metadata) -> Path:
    with zipfile.ZipFile(shared_path("models", "pose_landmarker_full.task")) as ref:
        detector = ref.read("pose_detector.tflite")
        bare = _strip_metadata(ref.read("pose_landmarks_detector.tflite"))
    assert not has_metadata(bare)
    landmarks = add_image_metadata(bare, name="pose_landmark_full", description="test", **metadata)
    path = tmp_path / name
    path.write_bytes(
        zip_bundle(
            [("pose_detector.tflite", detector), ("pose_landmarks_detector.tflite", landmarks)]
        )
    )
    return path


def test_written_metadata_gives_the_reference_landmarks(tmp_path):
    reference = shared_path("models", "pose_landmarker_full.task")
    rebuilt = _rebuilt(tmp_path, "rebuilt.task")
    for photo in PHOTOS:
        expected = _landmarks(reference, shared_path("data", photo))
        assert expected.shape[0] >= 33
        # Same network, same normalisation: MediaPipe's output is bit-identical (atol 0).
        np.testing.assert_array_equal(_landmarks(rebuilt, shared_path("data", photo)), expected)
    # The comparison sees the metadata: a wrong normalisation gives other landmarks.
    wrong = _rebuilt(tmp_path, "wrong.task", mean=127.5, std=127.5)
    photo = shared_path("data", PHOTOS[0])
    moved = _landmarks(wrong, photo)
    assert moved.shape != _landmarks(reference, photo).shape or not np.array_equal(
        moved, _landmarks(reference, photo)
    )
    with pytest.raises(ValueError, match="already has"):
        add_image_metadata(
            zipfile.ZipFile(reference).read("pose_landmarks_detector.tflite"),
            name="x",
            description="",
        )


# -- the real wheel (network) -------------------------------------------------------------------


def _index_reachable() -> str | None:
    """None when the package index pip uses answers a TCP connect within 3 s, else why not."""
    url = urllib.parse.urlsplit(os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple"))
    host, port = url.hostname or "pypi.org", url.port or (443 if url.scheme == "https" else 80)
    if url.scheme == "file":
        return None
    try:
        socket.create_connection((host, port), timeout=3).close()
    except OSError as exc:
        return f"the package index {host}:{port} is unreachable ({exc})"
    return None


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """The real wheel, downloaded once per test session with pip into a temporary folder."""
    why = _index_reachable()
    if why:
        pytest.skip(why)
    return download_wheel(tmp_path_factory.mktemp("wheel"))


#: SHA-256 of the files this build makes. The two .tflite files are the wheel's bytes unchanged;
#: the bundles are the pinned sources plus fixed zip headers and (pose) the flatbuffers-written
#: metadata. Should a flatbuffers release serialise differently, only the pose hash moves; the
#: landmark comparison below then says whether the file still works.
BUILT_SHA256 = {
    "pose_landmarker_full": "99f2f0e0be6f30655f9331f9311dbde240ce1f2a007defb9d5d5b678911404b1",
    "selfie_segmenter": "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
    "blaze_face_short_range": "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
    "hand_landmarker": "76839f622b2923ac8ee857300422283621490de0122425c2313ab8f040a7d100",
    "face_landmarker": "b0bd0111dc4ede573095abea63cc7caa675cc84049c22b1587a6ef9cf93dc907",
}


@pytest.mark.network
def test_files_built_from_the_real_wheel_match_the_references(wheel, tmp_path):
    from dataclasses import replace

    from core.backends.models import DEFAULT_FETCH, fetch_lite_models
    from core.config import load_settings

    def unreachable(url, out, progress):
        raise OSError("MediaPipe's model storage is not reachable in this test")

    settings = replace(load_settings(), model_dir=None, cache_dir=tmp_path / "cache")
    paths = fetch_lite_models(  # each file is also loaded once in MediaPipe before it is kept
        settings=settings,
        keys=(*DEFAULT_FETCH, "face_landmarker"),
        download=unreachable,
        fallback=lambda key: build_from_wheel(key, wheel),
    )
    assert set(paths) == set(BUILT_SHA256) == set(BUNDLES)
    for key, path in paths.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == BUILT_SHA256[key], key
    assert build_from_wheel("hand_landmarker", wheel) == paths["hand_landmarker"].read_bytes()
    cases = [("pose_landmarker_full", "pose", photo) for photo in PHOTOS] + [
        ("hand_landmarker", "hands", "hand_closeup.jpg"),
        ("face_landmarker", "face", "portrait_face_neck.jpg"),
    ]
    for key, kind, photo in cases:
        image = shared_path("data", photo)
        expected = _landmarks(shared_path("models", paths[key].name), image, kind)
        assert len(expected) > 0, (key, photo)
        # Bit-identical (atol 0): the same networks with the same input normalisation.
        np.testing.assert_array_equal(_landmarks(paths[key], image, kind), expected)
    for key in ("selfie_segmenter", "blaze_face_short_range"):
        assert paths[key].read_bytes() == shared_path("models", paths[key].name).read_bytes()
    with (
        zipfile.ZipFile(paths["hand_landmarker"]) as built,
        zipfile.ZipFile(shared_path("models", "hand_landmarker.task")) as ref,
    ):
        for name in ref.namelist():
            assert built.read(name) == ref.read(name), name
