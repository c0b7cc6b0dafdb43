"""Skin ROI and Relight pages: lite crops on real photos; relight explained with lite, working with normals."""

from __future__ import annotations

import numpy as np
import pytest

import core.backends.selection
from core.backends.base import Capability, NormalMap
from core.backends.fake import FakeBackend
from tests.app.helpers import make_subject, open_page, problems, texts
from tests.conftest import shared_path


@pytest.mark.slow
@pytest.mark.shared
def test_skin_roi_crops_face_with_lite() -> None:
    make_subject()
    at = open_page("pages/skin_roi.py")
    data = shared_path("data", "portrait_face_neck.jpg").read_bytes()
    at.file_uploader(key="skin_upload").set_value(("portrait.jpg", data, "image/jpeg"))
    at.run()
    assert problems(at) == []
    captions = [str(img.proto) for img in at.get("image")]
    assert any("Face (" in c for c in captions)
    assert [d.key for d in at.download_button] == ["skin_download"]


@pytest.mark.slow
def test_relight_with_lite_says_normals_need_sapiens2() -> None:
    make_subject()
    at = open_page("pages/relight.py")
    assert problems(at) == []
    assert "only the **sapiens2** backend provides" in texts(at)
    assert "fetch sapiens2 --task normal" in texts(at)
    assert len(at.file_uploader) == 0


class _SphereBackend(FakeBackend):
    """The fake backend plus analytic normals of a sphere filling the image (a test double)."""

    capabilities = FakeBackend.capabilities | {Capability.NORMALS}

    def estimate_normals(self, image: np.ndarray) -> NormalMap:
        h, w = image.shape[:2]
        y, x = np.mgrid[0:h, 0:w]
        nx, ny = (x - w / 2) / (w / 2), (y - h / 2) / (h / 2)
        inside = nx**2 + ny**2 < 1
        nz = -np.sqrt(np.clip(1 - nx**2 - ny**2, 0, 1))  # facing the camera: negative z
        return NormalMap(np.stack([nx, ny, nz], -1).astype(np.float32), inside)


def test_relight_with_normals_shows_a_relit_derivative(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.app import resources
    from core.imaging.decode import encode_png

    monkeypatch.setattr(core.backends.selection, "get_backend", lambda *a, **k: _SphereBackend())
    resources.clear_backends()
    make_subject()
    at = open_page("pages/relight.py")
    grey = np.full((64, 64, 3), 128, np.uint8)
    at.file_uploader(key="relight_upload").set_value(("grey.png", encode_png(grey), "image/png"))
    at.run()
    assert problems(at) == []
    captions = [str(img.proto) for img in at.get("image")]
    assert any("derivative" in c for c in captions)
    assert [d.key for d in at.download_button] == ["relight_download"]
    resources.clear_backends()
