"""Getting a built model ready to run: weights in the run dtype, packed qkv, random init for benchmarks.

bfloat16 inference keeps the weights in bf16 (no ``torch.autocast``, which re-casts every float32
weight on every call); RoPE is bf16 by construction (SPEC 2.3) and RMSNorm / softmax / InstanceNorm
accumulate in float32 inside their kernels; on x86 CPUs with AVX512-BF16, attention and the SwiGLU
run on :mod:`core.sapiens2.cpu_kernels` where :mod:`core.sapiens2.routes` picks them. float32 inference is bit-identical to the official code.
"""

from __future__ import annotations

import torch
from torch import nn

from core.sapiens2 import cpu_kernels
from core.sapiens2.attention import GroupedQueryAttention, LayerScale
from core.sapiens2.norm import RMSNorm
from core.sapiens2.rope import RopePositionEmbedding, rope_periods


def prepare_model(
    model: nn.Module, *, device: str = "cpu", dtype: torch.dtype = torch.float32
) -> nn.Module:
    """Move ``model`` to ``device`` and ``dtype`` in place, pack each block's qkv, set eval mode.

    The RoPE ``periods`` buffer is bf16 in every dtype. Returns the same module.
    """
    model.to(device=device, dtype=dtype).eval()
    if dtype == torch.bfloat16 and torch.device(device).type == "cpu" and cpu_kernels.is_enabled():
        cpu_kernels.library()  # build (once per machine) or load the bf16 kernels now, not mid-forward
        cpu_kernels.is_enabled("attention")  # and choose the routes (measured once per machine)
    for module in model.modules():
        if isinstance(module, RopePositionEmbedding):
            module.periods = module.periods.to(torch.bfloat16)
        elif isinstance(module, GroupedQueryAttention):
            module.pack_qkv()
    return model


@torch.no_grad()
def init_random_(model: nn.Module, *, seed: int = 0) -> nn.Module:
    """Fill every parameter in place as ``build_model`` would (module defaults), in its current dtype.

    For a model built on ``meta`` and materialised with ``to_empty`` straight in the target dtype
    (benchmarks, memory checks): no float32 copy is ever made.
    """
    torch.manual_seed(seed)
    for module in model.modules():
        if isinstance(module, RMSNorm):
            module.weight.fill_(1.0)
        elif isinstance(module, LayerScale):
            module.weight.fill_(1e-4)
        elif isinstance(module, RopePositionEmbedding):
            module.periods = rope_periods(
                module.head_dim, module.base, device=module.periods.device
            )
        elif callable(reset := getattr(module, "reset_parameters", None)):
            reset()
    for name, param in model.named_parameters():
        if name.endswith(("cls_token", "storage_tokens")):
            param.normal_(0.0, 0.02)
    return model


def materialize_random(
    model: nn.Module, *, device: str = "cpu", dtype: torch.dtype = torch.float32, seed: int = 0
) -> nn.Module:
    """A ``meta`` model allocated directly in ``dtype`` on ``device``, randomly initialised, prepared."""
    model.to(dtype=dtype).to_empty(device=device)
    init_random_(model, seed=seed)
    return prepare_model(model, device=device, dtype=dtype)
