"""Predictors: numpy RGB uint8 (H, W, 3) in, numpy results at the original size out, torch inside.

One class per task wraps a loaded :class:`~core.sapiens2.model.Sapiens2Model` with the official pre-
and post-processing (SPEC.md 4-5). ``load_predictor`` finds the checkpoint and picks device/dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from core.config import Settings, load_settings
from core.errors import CheckpointError, InputError
from core.labels.keypoints308 import FLIP_INDICES
from core.sapiens2 import preprocess as pre
from core.sapiens2.checkpoints import load_checkpoint, resolve_checkpoint
from core.sapiens2.device import check_fits_memory, dtype_name, pick_device, pick_dtype
from core.sapiens2.model import Sapiens2Model, build_model
from core.sapiens2.pose_decode import flip_average, flip_back, to_image_space, udp_decode
from core.sapiens2.postprocess import metric_pointmap, seg_class_map, unit_normals
from core.sapiens2.presets import NUM_KEYPOINTS, TASKS
from core.sapiens2.results import NormalResult, PointmapResult, PoseResult, SegResult
from core.sapiens2.runtime import prepare_model


class Predictor:
    """Base: holds the model, its device and dtype, and runs forwards in that dtype.

    The model is prepared in place (``runtime.prepare_model``): weights moved to ``dtype`` (bf16
    weights, not ``torch.autocast``, which would re-cast every float32 weight on every call), qkv
    packed. RoPE keeps its own bf16 semantics either way.
    """

    task = ""

    def __init__(
        self,
        model: Sapiens2Model,
        *,
        device: str = "cpu",
        dtype: torch.dtype = torch.float32,
        name: str = "",
        checkpoint: str = "",
    ) -> None:
        if getattr(model, "task", self.task) != self.task:
            raise InputError(f"a {model.task} model cannot be used by {type(self).__name__}")
        self.model = prepare_model(model, device=device, dtype=dtype)
        self.device = device
        self.dtype = dtype
        h, w = model.cfg.input_size_hw
        self.input_hw: tuple[int, int] = (int(h), int(w))
        self.name = name or f"sapiens2-{self.task}-{model.cfg.size}"
        #: The weights' file, named when its outputs are not numbers.
        self.checkpoint = checkpoint

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Raw model output for a normalised batch (B, 3, H, W), as float32 on the CPU.

        Raises ``CheckpointError`` (naming the checkpoint) when the output holds NaN or infinity.
        """
        with torch.inference_mode():
            out = self.model(x.to(self.device, self.dtype))
        if isinstance(out, tuple):
            outs = tuple(o.float().cpu() for o in out)
            self.check_finite("raw outputs", *outs)
            return outs
        out = out.float().cpu()
        self.check_finite("raw outputs", out)
        return out

    def forward_one(self, x: torch.Tensor) -> torch.Tensor:
        """:meth:`forward` of a model with one output (pose, seg, normal; not pointmap's pair)."""
        out = self.forward(x)
        if isinstance(out, tuple):
            raise TypeError(
                f"the {self.name} model gives {len(out)} outputs where one was expected"
            )
        return out

    def predict(self, image: np.ndarray) -> Any:
        """The task's result for one RGB uint8 image (``core.sapiens2.results``); each task's
        predictor says which."""
        raise NotImplementedError(f"{type(self).__name__} has no predict")

    def check_finite(self, what: str, *arrays: np.ndarray | torch.Tensor) -> None:
        """``CheckpointError`` naming the checkpoint file when any value is NaN or infinite.

        Nothing is measured or stored from such output: a damaged file (weights all zero, or NaN)
        gives NaN keypoints and normals, which would become a session of empty measures.
        """
        for a in arrays:
            finite = (
                bool(torch.isfinite(a).all())
                if isinstance(a, torch.Tensor)
                else bool(np.isfinite(a).all())
            )
            if not finite:
                source = self.checkpoint or f"the {self.name} model"
                raise CheckpointError(
                    f"{source}: the model's {what} hold NaN or infinite values; the checkpoint is "
                    "damaged or not a trained Sapiens2 model (download it again)"
                )

    def describe(self) -> dict[str, str]:
        return {
            "model": self.name,
            "task": self.task,
            "size": str(self.model.cfg.size),
            "device": self.device,
            "dtype": dtype_name(self.dtype),
        }

    def _meta(self) -> dict[str, str]:
        return {"model": self.name, "device": self.device, "dtype": dtype_name(self.dtype)}


class PosePredictor(Predictor):
    """Top-down 308-keypoint pose: person boxes (or the whole image) -> keypoints in image pixels."""

    task = "pose"

    def __init__(
        self,
        model: Sapiens2Model,
        *,
        flip_test: bool = True,
        batch_flip: bool | None = None,
        **kwargs: Any,  # Predictor's: device, dtype, name, checkpoint
    ) -> None:
        super().__init__(model, **kwargs)
        self.flip_test = flip_test
        # A batch of 2B runs other matmul kernels than two batches of B: in float32 the heatmaps
        # then differ from the official two forwards by ~5e-4 (golden tiny pose), so float32 keeps
        # the two forwards (bit parity) unless asked; bf16 is not bit-exact anyway and batches.
        self.batch_flip = self.dtype != torch.float32 if batch_flip is None else batch_flip

    def heatmaps(self, batch: torch.Tensor, *, flip_test: bool | None = None) -> np.ndarray:
        """(B, 308, H/4, W/4) float32 heatmaps the decoder sees (flip-test average when enabled).

        With ``batch_flip`` the crops and their mirror images go through one forward of 2B (one
        pass over the weights instead of two); otherwise two forwards of B, as the official code.
        ``flip_test``: this call's (None: ``self.flip_test``).
        """
        return self._heatmap_views(batch, flip_test=flip_test)[0]

    def _heatmap_views(
        self, batch: torch.Tensor, *, flip_test: bool | None = None
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """(:meth:`heatmaps`, the batch's own heatmaps, the mirror's mapped back); the last two
        None without the flip test."""
        if not (self.flip_test if flip_test is None else flip_test):
            return self.forward_one(batch).numpy(), None, None
        if self.batch_flip:
            both = self.forward_one(torch.cat((batch, batch.flip(-1)))).numpy()
            plain, flipped = both[: len(batch)], both[len(batch) :]
        else:
            plain = self.forward_one(batch).numpy()
            flipped = self.forward_one(batch.flip(-1)).numpy()
        return flip_average(plain, flipped, FLIP_INDICES), plain, flip_back(flipped, FLIP_INDICES)

    def predict(
        self,
        image: np.ndarray,
        boxes_xyxy: np.ndarray | None = None,
        *,
        flip_test: bool | None = None,
        views: bool = False,
    ) -> PoseResult:
        """Keypoints for each box (N, 4) x1 y1 x2 y2 in pixels; None means one box over the whole image.

        All of the image's crops go through one forward, as the official code runs them.
        ``flip_test``: this call's (None: ``self.flip_test``); ``views``: with the flip test, also
        decode the two views alone (``PoseResult.views``; two more decodes a crop).
        """
        n_boxes = 1 if boxes_xyxy is None else len(np.asarray(boxes_xyxy).reshape(-1, 4))
        many = self.predict_many(
            [image], [boxes_xyxy], max_batch=max(n_boxes, 1), flip_test=flip_test, views=views
        )
        return many[0]

    def predict_many(
        self,
        images: list[np.ndarray],
        boxes: list[np.ndarray | None],
        *,
        max_batch: int = 8,
        flip_test: bool | None = None,
        views: bool = False,
    ) -> list[PoseResult]:
        """``predict`` for several images, whose crops share forwards of at most ``max_batch``.

        ``boxes[i]`` are image i's boxes (N_i, 4), or None for one box over the whole image; an
        image with no boxes gives an empty result. One result per image, in order. In float32 a
        batch runs other matmul kernels than single crops, so heatmaps can differ from per-image
        ``predict`` in the last digits (~3e-3 on the golden tiny pose); ``max_batch=1`` is exact.
        """
        if isinstance(max_batch, bool) or not isinstance(max_batch, int) or max_batch < 1:
            raise ValueError(f"max_batch must be a whole number >= 1, got {max_batch!r}")
        if len(images) != len(boxes):
            raise ValueError(f"{len(images)} images but {len(boxes)} box lists")
        per_image = [self._crops(image, b) for image, b in zip(images, boxes)]
        crops = [crop for *_, image_crops in per_image for crop in image_crops]
        in_wh = (self.input_hw[1], self.input_hw[0])
        decoded: list[tuple[np.ndarray, np.ndarray]] = []
        seen: list[tuple[np.ndarray, np.ndarray]] = []  # each crop's two views, input pixels
        for i in range(0, len(crops), max_batch):
            # Decoded chunk by chunk: 0.4b heatmaps are ~60 MB a crop, keypoints a few KB.
            chunk = pre.normalize(np.stack(crops[i : i + max_batch]))
            heatmaps, plain, back = self._heatmap_views(chunk, flip_test=flip_test)
            decoded += [udp_decode(hm, input_size_wh=in_wh) for hm in heatmaps]
            if views and plain is not None and back is not None:
                seen += [
                    (udp_decode(a, input_size_wh=in_wh)[0], udp_decode(b, input_size_wh=in_wh)[0])
                    for a, b in zip(plain, back)
                ]
        results, start = [], 0
        for image_boxes, centers, scales, _ in per_image:
            stop = start + len(image_boxes)
            both = seen[start:stop] if seen else None
            results.append(self._result(decoded[start:stop], image_boxes, centers, scales, both))
            start = stop
        return results

    def _crops(
        self, image: np.ndarray, boxes_xyxy: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
        """The image's boxes (N, 4), their centres and scales (N, 2) and its network-input crops."""
        image = pre.check_image(image)
        h, w = image.shape[:2]
        boxes = (
            np.array([[0, 0, w - 1, h - 1]], np.float32)
            if boxes_xyxy is None
            else np.asarray(boxes_xyxy, np.float32).reshape(-1, 4)
        )
        centers, scales = pre.bbox_center_scale(boxes, input_hw=self.input_hw)
        crops = [
            pre.crop_person(image, c, s, input_hw=self.input_hw) for c, s in zip(centers, scales)
        ]
        return boxes, centers, scales, crops

    def _result(
        self,
        decoded: list[tuple[np.ndarray, np.ndarray]],
        boxes: np.ndarray,
        centers: np.ndarray,
        scales: np.ndarray,
        seen: list[tuple[np.ndarray, np.ndarray]] | None = None,
    ) -> PoseResult:
        """One image's decoded crops ((308, 2) input pixels, (308,) scores each) -> image pixels;
        ``seen``: each crop's two views (input pixels), or None."""
        meta = self._meta()
        if not decoded:
            empty = np.zeros((0, NUM_KEYPOINTS, 2), np.float32)
            no_scores = np.zeros((0, NUM_KEYPOINTS), np.float32)
            return PoseResult(empty, no_scores, boxes, meta["model"], meta["device"], meta["dtype"])
        kp_in = np.stack([d[0] for d in decoded])
        scores = np.stack([d[1] for d in decoded]).astype(np.float32)
        in_wh = (self.input_hw[1], self.input_hw[0])
        keypoints = to_image_space(kp_in, centers, scales, input_size_wh=in_wh).astype(np.float32)
        self.check_finite("keypoints", keypoints, scores)
        views = None
        if seen:
            views = np.stack(
                [
                    to_image_space(
                        np.stack([v[j] for v in seen]), centers, scales, input_size_wh=in_wh
                    )
                    for j in (0, 1)
                ],
                axis=1,
            ).astype(np.float32)  # (N, 2, 308, 2)
        return PoseResult(
            keypoints, scores, boxes, meta["model"], meta["device"], meta["dtype"], views
        )


class SegPredictor(Predictor):
    """29-class body-part segmentation at the original size (stretched input, no letterbox)."""

    task = "seg"

    def predict(self, image: np.ndarray) -> SegResult:
        image = pre.check_image(image)
        logits = self.forward(pre.normalize(pre.resize_stretch(image, input_hw=self.input_hw)))
        class_map = seg_class_map(logits[0], out_hw=image.shape[:2]).numpy().astype(np.uint8)
        return SegResult(class_map, **self._meta())


class NormalPredictor(Predictor):
    """Unit surface normals at the original size (letterboxed input, padding cropped)."""

    task = "normal"

    def predict(self, image: np.ndarray) -> NormalResult:
        image = pre.check_image(image)
        padded, padding = pre.letterbox(image, input_hw=self.input_hw)
        raw = self.forward(pre.normalize(padded))
        normals = unit_normals(raw[0], padding_ltrb=padding, out_hw=image.shape[:2]).numpy()
        self.check_finite("normals", normals)
        return NormalResult(normals, **self._meta())


class PointmapPredictor(Predictor):
    """Metric XYZ per pixel at the original size (pointmap divided by the predicted scale)."""

    task = "pointmap"

    def predict(self, image: np.ndarray) -> PointmapResult:
        image = pre.check_image(image)
        padded, padding = pre.letterbox(image, input_hw=self.input_hw)
        pointmap, scale = self.forward(pre.normalize(padded))
        xyz = metric_pointmap(
            pointmap[0], scale[0], padding_ltrb=padding, out_hw=image.shape[:2]
        ).numpy()
        self.check_finite("points", xyz)
        return PointmapResult(xyz, float(scale[0, 0]), **self._meta())


PREDICTORS: dict[str, type[Predictor]] = {
    "pose": PosePredictor,
    "seg": SegPredictor,
    "normal": NormalPredictor,
    "pointmap": PointmapPredictor,
}


def load_predictor(
    task: str,
    size: str,
    *,
    settings: Settings | None = None,
    device: str | None = None,
    dtype: str | torch.dtype | None = None,
    checkpoint: str | None = None,
    **kwargs: Any,  # the predictor class's own options (flip_test, batch_flip), passed on
) -> Predictor:
    """Find (or take) the checkpoint, build the model without allocating twice, load it, pick device/dtype.

    ``device``/``dtype`` default to the settings (``SAPIENS_MEASURE_DEVICE``/``_DTYPE``, ``auto``).
    Raises ``ModelNotAvailable`` when no checkpoint is found and ``CheckpointError`` when it does not fit.
    """
    if task not in TASKS:
        raise InputError(f"task {task!r}: choose one of {', '.join(TASKS)}")
    settings = settings or load_settings()
    dev = pick_device(device or settings.device)
    dt = pick_dtype(dev, dtype or settings.dtype)
    check_fits_memory(size, dt, dev)  # before the lookup: no point finding weights that cannot run
    path = checkpoint or resolve_checkpoint(task, size, settings)
    with torch.device("meta"):
        model = build_model(f"{task}-{size}")
    load_checkpoint(model, path, dtype=dt)  # straight into the run dtype, one tensor at a time
    check_weights(model, path)
    return PREDICTORS[task](model, device=dev, dtype=dt, checkpoint=str(path), **kwargs)


def check_weights(model: torch.nn.Module, path: object) -> None:
    """``CheckpointError`` naming ``path`` when a loaded weight is NaN/infinite or every weight is zero.

    One reduction per tensor, no copy: a sum is NaN or infinite as soon as one element is (the
    weights of a trained model are far too small for a float32 sum to overflow). A file whose
    tensors all point at zero bytes has the right header and shapes, and loads, but its model
    outputs nothing but constants (NaN keypoints).
    """
    any_nonzero = False
    for key, tensor in model.state_dict().items():
        if not tensor.is_floating_point():
            continue
        if not torch.isfinite(tensor.sum(dtype=torch.float32)):
            raise CheckpointError(
                f"{path}: tensor {key} holds NaN or infinite values; the file is damaged"
            )
        any_nonzero = any_nonzero or bool(tensor.any())
    if not any_nonzero:
        raise CheckpointError(
            f"{path}: every weight is zero; the file is damaged (download it again)"
        )
