"""A checkpoint with the right header whose weights are not numbers a model can use (every tensor
aliased to the same zero bytes, or a NaN) is an error naming the file, at load and at the output;
nothing is measured or stored from it."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from core.errors import CheckpointError
from core.sapiens2.checkpoints import load_checkpoint
from core.sapiens2.model import build_model
from core.sapiens2.predictor import PosePredictor, load_predictor
from tests.conftest import shared_path
from tests.reliability.harness import count

pytestmark = pytest.mark.shared
_DTYPE_BYTES = {"F32": 4, "BF16": 2, "F16": 2, "I64": 8}


def aliased_to_zero_bytes(src: Path, dst: Path) -> Path:
    """``src``'s header (names, dtypes, shapes kept) with every tensor's data at the same zero bytes."""
    raw = src.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    longest = 0
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        size = int(np.prod(entry["shape"], dtype=np.int64)) * _DTYPE_BYTES[entry["dtype"]]
        entry["data_offsets"] = [0, size]
        longest = max(longest, size)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    dst.write_bytes(struct.pack("<Q", len(text)) + text + bytes(longest))
    return dst


def with_a_nan(src: Path, dst: Path) -> Path:
    from safetensors.torch import load_file, save_file

    tensors = load_file(src)
    key = next(k for k, v in tensors.items() if v.is_floating_point() and v.numel() > 1)
    tensors[key] = tensors[key].clone()
    tensors[key].view(-1)[1] = float("nan")
    save_file(tensors, dst)
    return dst


def _golden(task: str) -> Path:
    return shared_path("sapiens2", "golden", f"{task}_tiny.safetensors")


@pytest.mark.parametrize("task", ["pose", "seg", "normal"])
@pytest.mark.parametrize("damage", [aliased_to_zero_bytes, with_a_nan])
def test_load_refuses_damaged_weights_naming_the_file(tmp_path, task, damage):
    path = damage(_golden(task), tmp_path / f"{task}_tiny.safetensors")
    with pytest.raises(CheckpointError, match=rf"^{path}: .*(every weight is zero|NaN)"):
        load_predictor(task, "tiny", checkpoint=str(path), device="cpu", dtype="float32")
    count("safetensors: right header, damaged weights (zero bytes / NaN)", "CheckpointError")


def _unchecked_pose_predictor(path: Path) -> PosePredictor:
    """The zero-bytes file loaded without the load-time check: what the output check must catch."""
    with torch.device("meta"):
        model = build_model("pose-tiny")
    load_checkpoint(model, path, dtype=torch.float32)
    return PosePredictor(model, device="cpu", dtype=torch.float32, checkpoint=str(path))


def test_nan_outputs_are_an_error_naming_the_checkpoint(tmp_path):
    path = aliased_to_zero_bytes(_golden("pose"), tmp_path / "pose_tiny.safetensors")
    predictor = _unchecked_pose_predictor(path)
    image = np.random.default_rng(0).integers(0, 256, (256, 192, 3), dtype=np.uint8)
    with pytest.raises(
        CheckpointError, match=rf"^{path}: the model's (raw outputs|keypoints) hold NaN"
    ):
        predictor.predict(image)


def test_infer_gives_one_line_naming_the_file(tmp_path, capfd):
    from core.cli import main
    from core.imaging.decode import encode_png

    path = aliased_to_zero_bytes(_golden("pose"), tmp_path / "pose_tiny.safetensors")
    image = tmp_path / "person.png"
    image.write_bytes(encode_png(np.full((256, 192, 3), 128, np.uint8)))
    code = main(
        ["infer", str(image), "--size", "tiny", "--checkpoint", str(path), "--device", "cpu"]
    )
    err = capfd.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and err[0].startswith(f"error: {path}: "), err


def test_posture_save_stores_nothing(tmp_path, monkeypatch, capfd):
    from core.backends.sapiens2 import Sapiens2Backend
    from core.cli import main
    from core.store import Store

    monkeypatch.setenv("SAPIENS_MEASURE_DATA_DIR", str(tmp_path / "data"))
    path = aliased_to_zero_bytes(_golden("pose"), tmp_path / "pose_tiny.safetensors")
    backend = Sapiens2Backend(predictors={"pose": _unchecked_pose_predictor(path)}, detector=None)
    monkeypatch.setattr("core.backends.selection.get_backend", lambda *a, **k: backend)
    assert main(["subject", "add", "P001", "--consent"]) == 0
    photo = shared_path("data", "cameraman_standing.png")
    code = main(["posture", str(photo), "--backend", "sapiens2", "--save", "P001"])
    err = capfd.readouterr().err.strip().splitlines()
    assert code == 1 and err[-1].startswith(f"error: {path}: the model's"), err
    with Store() as store:
        assert store.list_sessions() == []


def test_finite_heatmaps_that_decode_to_nan_are_caught(tmp_path, monkeypatch):
    # All-zero heatmaps are finite, but the UDP decode takes their log: NaN keypoints, which the
    # check on the decoded keypoints (not only on the raw output) must catch.
    predictor = load_predictor(
        "pose", "tiny", checkpoint=str(_golden("pose")), device="cpu", dtype="float32"
    )
    h, w = predictor.input_hw

    def zero_heatmaps(x):
        return torch.zeros(len(x), 308, h // 4, w // 4)

    monkeypatch.setattr(predictor, "forward", zero_heatmaps)
    image = np.zeros((h, w, 3), np.uint8)
    with pytest.raises(CheckpointError, match=r"_tiny.safetensors: the model's keypoints hold NaN"):
        predictor.predict(image)
