"""Sapiens2 predictor doubles that "see" a rendered scene: the seg, pointmap and pose heads'
results are the scene's exact class map, pointmap and keypoints (no model runs)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from core.errors import InputError
from core.keypoints import CANONICAL_NAMES, SAPIENS2_IDS
from core.sapiens2.results import PoseResult
from tests.scenes.render import Scene


class _SceneHead:
    task = ""

    def __init__(self, scene: Scene) -> None:
        self.scene = scene
        self.name = f"scene-{self.task}"  # says what it is: never a real model's name
        self.device, self.dtype = "cpu", "float32"
        self.calls = 0

    def _check(self, image: np.ndarray) -> None:
        self.calls += 1
        if image.shape[:2] != self.scene.class_map.shape:
            raise InputError(f"the scene is {self.scene.class_map.shape}, got {image.shape[:2]}")


class SceneSeg(_SceneHead):
    task = "seg"

    def predict(self, image: np.ndarray) -> SimpleNamespace:
        self._check(image)
        return SimpleNamespace(class_map=self.scene.class_map)


class ScenePointmap(_SceneHead):
    task = "pointmap"

    def predict(self, image: np.ndarray) -> SimpleNamespace:
        self._check(image)
        return SimpleNamespace(xyz=self.scene.xyz.astype(np.float32))


class ScenePose(_SceneHead):
    """The scene's canonical keypoints placed at their Sapiens2 ids (score 0.9; others 0)."""

    task = "pose"
    flip_test = True

    def predict(
        self,
        image: np.ndarray,
        boxes_xyxy: np.ndarray | None = None,
        *,
        flip_test: bool | None = None,
        views: bool = False,  # the real predictor's; this scene has one view only
    ) -> PoseResult:
        self._check(image)
        kp, sc = np.zeros((1, 308, 2), np.float32), np.zeros((1, 308), np.float32)
        for name, xy in zip(CANONICAL_NAMES, self.scene.xy, strict=True):
            if name in SAPIENS2_IDS and np.all(np.isfinite(xy)):
                kp[0, SAPIENS2_IDS[name]], sc[0, SAPIENS2_IDS[name]] = xy, 0.9
        h, w = self.scene.class_map.shape
        box = np.array([[0.0, 0.0, w - 1.0, h - 1.0]], np.float32)
        return PoseResult(kp, sc, box, self.name, "cpu", "float32")


def scene_backend(scene: Scene):  # noqa: ANN201 (a Sapiens2Backend; imported lazily)
    """A real ``Sapiens2Backend`` whose pose, seg and pointmap heads are the scene's doubles."""
    from core.backends.sapiens2 import Sapiens2Backend

    heads = {"pose": ScenePose(scene), "seg": SceneSeg(scene), "pointmap": ScenePointmap(scene)}
    return Sapiens2Backend("0.4b", predictors=heads, detector=None)
