"""Finding, checking and loading Sapiens2 safetensors checkpoints.

Lookup order: ``SAPIENS2_CHECKPOINT_ROOT``, ``SAPIENS_CHECKPOINT_ROOT``, ``~/sapiens2_host`` (official
layout ``<root>/<task>/sapiens2_<size>_<task>.safetensors``), then the Hugging Face cache, offline.
The header is validated against the model's expected keys and shapes before any tensor is read.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator, Mapping
from pathlib import Path

import torch
from torch import nn

from core.config import Settings, load_settings
from core.errors import CheckpointError, ModelNotAvailable
from core.sapiens2 import hub
from core.sapiens2.backbone import Sapiens2Backbone
from core.sapiens2.rope import RopePositionEmbedding, rope_periods

_DTYPES = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16, "F64": torch.float64}
_ROPE_KEY = "rope_embed.periods"
#: A head key that identifies each task's checkpoints (to name a wrong-task file as such).
_TASK_MARKERS = {
    "pose": "decode_head.conv_pose.weight",
    "seg": "decode_head.conv_seg.weight",
    "normal": "decode_head.conv_normal.weight",
    "pointmap": "decode_head.conv_pointmap.weight",
}
_MAX_HEADER = 100_000_000


def search_roots(settings: Settings | None = None) -> list[Path]:
    """Checkpoint roots in lookup order, without duplicates; ``~/sapiens2_host`` always last."""
    settings = settings or load_settings()
    roots = [*settings.checkpoint_roots, Path("~/sapiens2_host").expanduser()]
    seen: list[Path] = []
    for r in roots:
        if r not in seen:
            seen.append(r)
    return seen


def find_checkpoint(task: str, size: str, settings: Settings | None = None) -> Path | None:
    """The first existing checkpoint for (task, size) in lookup order, or None. Never downloads."""
    name = hub.checkpoint_filename(task, size)
    for root in search_roots(settings):
        for path in (root / task / name, root / name):
            if path.is_file():
                return path
    return hub.cached_checkpoint(task, size)


def resolve_checkpoint(task: str, size: str, settings: Settings | None = None) -> Path:
    """Like :func:`find_checkpoint` but raises ``ModelNotAvailable`` saying where it looked and what to do."""
    path = find_checkpoint(task, size, settings)
    if path is not None:
        return path
    name = hub.checkpoint_filename(task, size)
    looked = ", ".join(str(r / task / name) for r in search_roots(settings))
    raise ModelNotAvailable(
        f"no Sapiens2 {task} {size} checkpoint found (looked in {looked} and the Hugging Face cache). "
        f"Get it with `python -m core fetch sapiens2 --task {task} --size {size}` "
        f"(from https://huggingface.co/{hub.repo_id(task, size)}), or put {name} in "
        "$SAPIENS2_CHECKPOINT_ROOT/<task>/."
    )


def read_header(path: Path | str) -> dict[str, tuple[tuple[int, ...], str]]:
    """Key -> (shape, safetensors dtype) from the file's header; ``CheckpointError`` if unusable.

    Checks that the file is safetensors and not truncated (every tensor's bytes are present).
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise CheckpointError(f"{path}: not a safetensors file (only {size} bytes)")
            (n,) = struct.unpack("<Q", head)
            if n > min(size - 8, _MAX_HEADER):
                raise CheckpointError(
                    f"{path}: not a safetensors file (bad header length {n} for a {size}-byte file)"
                )
            raw = f.read(n)
    except OSError as exc:
        raise CheckpointError(
            f"{path}: cannot read the checkpoint ({exc.strerror or exc})"
        ) from exc
    try:
        meta = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):  # nested absurdly deep too
        raise CheckpointError(f"{path}: not a safetensors file (its header is not JSON)") from None
    if not isinstance(meta, dict):
        raise CheckpointError(f"{path}: not a safetensors file (header is not a table of tensors)")
    meta.pop("__metadata__", None)
    out: dict[str, tuple[tuple[int, ...], str]] = {}
    data_len = size - 8 - n
    for key, info in meta.items():
        try:
            shape, dtype, (start, end) = tuple(info["shape"]), info["dtype"], info["data_offsets"]
            if not all(type(v) is int and v >= 0 for v in (*shape, start, end)) or start > end:
                raise ValueError("shape and offsets must be non-negative integers")
        except (KeyError, TypeError, ValueError):
            raise CheckpointError(
                f"{path}: not a safetensors file (entry {key!r} is malformed)"
            ) from None
        if end > data_len:
            raise CheckpointError(
                f"{path}: the file is truncated (tensor {key!r} ends at byte {end} of a {data_len}-byte data "
                "section); download it again"
            )
        out[key] = (shape, dtype)
    return out


def _is_backbone(model: nn.Module) -> bool:
    return isinstance(model, Sapiens2Backbone)


def normalize_keys(keys: Mapping[str, object], model: nn.Module) -> dict[str, str]:
    """Map file keys onto the model's: bare pretrain keys gain ``backbone.`` for a task model and
    ``backbone.`` is stripped for a bare backbone. Returns {file_key: model_key}."""
    bare = not any(k.startswith(("backbone.", "decode_head.")) for k in keys)
    if _is_backbone(model):
        return {k: k.removeprefix("backbone.") for k in keys if bare or k.startswith("backbone.")}
    return {k: (f"backbone.{k}" if bare else k) for k in keys}


def _shape(t: torch.Tensor) -> tuple[int, ...]:
    return tuple(t.shape)


def validate_header(path: Path | str, model: nn.Module) -> dict[str, str]:
    """Check a checkpoint's keys and shapes against ``model`` (which may live on ``meta``).

    Returns the file-key -> model-key mapping. Raises ``CheckpointError`` naming the file, the first
    offending key and the expected vs found shape; a file of another task is named as such.
    """
    header = read_header(path)
    mapping = normalize_keys(header, model)
    expected = model.state_dict()
    found = {mapping[k]: header[k] for k in mapping}
    task = getattr(model, "task", None)
    if task in _TASK_MARKERS and _TASK_MARKERS[task] not in found:
        other = next((t for t, m in _TASK_MARKERS.items() if m in found), None)
        if other is not None:
            raise CheckpointError(
                f"{path}: this is a {other} checkpoint, but a {task} model was asked for "
                f"(key {_TASK_MARKERS[task]!r} missing, {_TASK_MARKERS[other]!r} present)"
            )
        if all(k.startswith("backbone.") for k in found):
            raise CheckpointError(
                f"{path}: a backbone-only (pretrain) checkpoint has no {task} head weights "
                f"(first missing key {_TASK_MARKERS[task]!r}); use sapiens2_<size>_{task}.safetensors"
            )
    for key, tensor in expected.items():
        if key not in found:
            if key.endswith(_ROPE_KEY):
                continue  # deterministic buffer, recomputed (SPEC 1)
            raise CheckpointError(f"{path}: missing key {key!r} (expected shape {_shape(tensor)})")
        shape, dtype = found[key]
        if shape != _shape(tensor):
            raise CheckpointError(
                f"{path}: key {key!r} has shape {shape} in the file but the model expects {_shape(tensor)} "
                "(wrong model size?)"
            )
        if dtype not in _DTYPES:
            raise CheckpointError(
                f"{path}: key {key!r} is stored as {dtype}; expected a float type"
            )
    unexpected = [k for k in found if k not in expected]
    if unexpected:
        raise CheckpointError(
            f"{path}: unexpected key {unexpected[0]!r} (shape {found[unexpected[0]][0]}) not in the model"
        )
    return mapping


def iter_tensors(path: Path | str) -> Iterator[tuple[str, torch.Tensor]]:
    """(key, tensor) pairs of a safetensors file, read one tensor at a time with plain reads.

    Unlike ``safetensors.torch.load_file`` (all tensors at once) or a memory map (whose touched
    pages stay in the process's RSS until it is closed), this holds one stored tensor in memory at a
    time, so a caller that casts each to bf16 never holds a float32 copy of the model.
    """
    path = Path(path)
    with path.open("rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        meta = json.loads(f.read(n))
        meta.pop("__metadata__", None)
        for key, info in sorted(meta.items(), key=lambda kv: kv[1]["data_offsets"][0]):
            start, end = info["data_offsets"]
            f.seek(8 + n + start)
            buf = bytearray(end - start)
            if f.readinto(buf) != len(buf):
                raise CheckpointError(f"{path}: the file is truncated (tensor {key!r})")
            dtype = _DTYPES[info["dtype"]]
            flat = torch.frombuffer(buf, dtype=dtype) if buf else torch.empty(0, dtype=dtype)
            yield key, flat.reshape(info["shape"])


def load_checkpoint(
    model: nn.Module, path: Path | str, *, dtype: torch.dtype | None = None
) -> nn.Module:
    """Validate the header, then load the weights strictly into ``model`` (a task model or a backbone).

    Tensors are cast, one at a time as they are read, to ``dtype`` when given (the run dtype:
    a bf16 model never holds a float32 copy) or else to the model's dtypes; RoPE periods stay bf16.
    A model built under ``torch.device("meta")`` receives the loaded tensors (on CPU) in place of its
    meta ones.
    """
    mapping = validate_header(path, model)
    expected = model.state_dict()

    def target(key: str) -> torch.dtype:
        if key.endswith(_ROPE_KEY) or dtype is None:
            return expected[key].dtype
        return dtype

    state: dict[str, torch.Tensor] = {}
    try:
        for k, v in iter_tensors(path):
            if k in mapping:
                state[mapping[k]] = v.to(target(mapping[k]))  # v owns its buffer: no copy needed
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise CheckpointError(f"{path}: cannot read the tensors ({exc})") from exc
    for key, tensor in expected.items():
        if key not in state and key.endswith(_ROPE_KEY):
            owner = model.get_submodule(key.removesuffix(".periods"))
            if not isinstance(owner, RopePositionEmbedding):
                raise CheckpointError(f"{path}: {key} belongs to no RoPE module of the model")
            state[key] = rope_periods(
                owner.head_dim, owner.base, device="cpu" if tensor.is_meta else tensor.device
            )
    is_meta = any(t.is_meta for t in expected.values())
    if dtype is not None and not is_meta:
        model.to(dtype)  # so a strict copy into existing parameters keeps the run dtype
    model.load_state_dict(state, strict=True, assign=is_meta)
    return model
