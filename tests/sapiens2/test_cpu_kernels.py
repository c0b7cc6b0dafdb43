"""The bf16 CPU kernels (core/sapiens2/cpu_kernels): accuracy against float64, fallbacks, the build.

Accuracy is judged against a float64 reference computed from the same bf16 inputs, next to what
PyTorch's own bf16 ops reach on them: the kernels may round differently, not worse. These tests
run with ``SAPIENS_MEASURE_CPU_KERNELS=own`` (the kernels wherever they can run), so what they
check does not hang on which route this machine's measurement picked; tests/sapiens2/test_routes.py
checks that the modules follow the chosen route.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from core.sapiens2 import cpu_kernels, kernel_build
from core.sapiens2.attention import GroupedQueryAttention
from core.sapiens2.block import SwiGLU


@pytest.fixture(autouse=True)
def _own_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAPIENS_MEASURE_CPU_KERNELS", "own")


def _needs_kernels() -> None:
    if cpu_kernels.status() != "ready":
        pytest.skip(f"the bf16 CPU kernels cannot run here: {cpu_kernels.status()}")


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def _qkv(b: int, n: int, h: int, g: int, d: int, scale: float, seed: int = 0):
    """q (b, n, h, d), k and v (b, n, g, d): strided views of one packed bf16 matrix, as the
    packed qkv linear gives them."""
    gen = torch.Generator().manual_seed(seed)
    packed = (torch.randn(b, n, (h + 2 * g) * d, generator=gen) * scale).to(torch.bfloat16)
    q, k, v = packed.split((h * d, g * d, g * d), dim=-1)
    return q.view(b, n, h, d), k.view(b, n, g, d), v.view(b, n, g, d)


def _sdpa(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """PyTorch's attention in q's dtype, in the (B, N, heads, d) layout of the inputs."""
    group = q.shape[2] // k.shape[2]
    qt, kt, vt = (t.transpose(1, 2) for t in (q, k, v))
    kt, vt = kt.repeat_interleave(group, 1), vt.repeat_interleave(group, 1)
    return F.scaled_dot_product_attention(qt, kt, vt).transpose(1, 2)


SHAPES = [
    # b, n, h, g, d, logit scale
    (1, 1, 1, 1, 64, 1.0),
    (1, 2, 2, 1, 8, 3.0),
    (2, 17, 4, 2, 16, 3.0),
    (1, 100, 4, 4, 64, 3.0),
    (1, 257, 2, 1, 72, 5.0),  # head dim padded to 80 inside the kernel
    (1, 385, 3, 3, 24, 4.0),  # one key past a 384-key block
    (1, 1000, 2, 1, 128, 8.0),  # three key blocks: the online softmax rescales
    (1, 131, 2, 2, 256, 2.0),
    (3, 57, 4, 2, 8, 6.0),  # the golden tiny models' head dim
]


@pytest.mark.parametrize(("b", "n", "h", "g", "d", "scale"), SHAPES)
def test_attention_matches_float64_as_closely_as_sdpa(b, n, h, g, d, scale) -> None:
    _needs_kernels()
    q, k, v = _qkv(b, n, h, g, d, scale)
    assert cpu_kernels.applies(q, k, v)
    out = cpu_kernels.attention(q, k, v)
    assert out.shape == (b, n, h, d) and out.dtype == torch.bfloat16 and out.is_contiguous()
    ref = _sdpa(q.double(), k.double(), v.double())
    ours = (out.double() - ref).abs()
    torch_err = (_sdpa(q, k, v).double() - ref).abs()
    # bf16 output rounding alone is up to 2^-9 of |out|; both kernels sit at that level.
    assert ours.max() <= 1.25 * torch_err.max() + 1e-3
    assert ours.mean() <= 1.1 * torch_err.mean() + 1e-5


def test_attention_handles_sharp_and_flat_logits() -> None:
    _needs_kernels()
    # Very large logits (a near one-hot softmax, rescaled across blocks) and all-equal rows.
    q, k, v = _qkv(1, 900, 2, 1, 64, 30.0, seed=3)
    ref = _sdpa(q.double(), k.double(), v.double())
    assert torch.isfinite(cpu_kernels.attention(q, k, v)).all()
    err = (cpu_kernels.attention(q, k, v).double() - ref).abs()
    assert err.max() <= 1.25 * (_sdpa(q, k, v).double() - ref).abs().max() + 1e-3
    flat_q = torch.zeros_like(q)
    out = cpu_kernels.attention(flat_q, k, v).double()
    mean_v = v.double().mean(dim=1, keepdim=True).expand_as(out)  # uniform weights
    assert (out - mean_v).abs().max() <= 2e-2 * v.double().abs().max()


def test_attention_is_independent_of_the_thread_count() -> None:
    _needs_kernels()
    q, k, v = _qkv(2, 300, 4, 2, 64, 4.0, seed=1)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = cpu_kernels.attention(q, k, v)
        torch.set_num_threads(max(2, threads))
        many = cpu_kernels.attention(q, k, v)
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(one, many)


def _bf16_attention(dim: int, *, head_dim: int) -> GroupedQueryAttention:
    """A seeded bf16 attention layer (4 q heads sharing 2 kv heads) with unit layer scale, packed."""
    torch.manual_seed(0)
    module = GroupedQueryAttention(dim, num_heads=4, num_kv_heads=2, head_dim=head_dim).eval()
    with torch.no_grad():
        module.gamma.weight.fill_(1.0)
    module = module.to(torch.bfloat16)
    module.pack_qkv()
    return module


@torch.inference_mode()
def test_attention_module_uses_the_kernel_and_agrees_with_sdpa() -> None:
    _needs_kernels()
    module = _bf16_attention(64, head_dim=16)
    x = torch.randn(2, 50, 64).to(torch.bfloat16)
    with cpu_kernels.enabled(True), torch.profiler.profile() as prof:
        ours = module(x, None)
    names = {e.key for e in prof.key_averages()}
    assert "sapiens_measure::flash_attention_bf16" in names
    assert "aten::scaled_dot_product_attention" not in names
    with cpu_kernels.enabled(False):
        theirs = module(x, None)
    ref_scale = theirs.float().abs().max()
    assert (ours.float() - theirs.float()).abs().max() <= 0.02 * ref_scale


def test_attention_falls_back_where_it_does_not_apply() -> None:
    q, k, v = _qkv(1, 20, 2, 1, 16, 1.0)
    assert not cpu_kernels.applies(q.float(), k.float(), v.float())  # float32
    wide = _qkv(1, 4, 1, 1, cpu_kernels.MAX_HEAD_DIM + 16, 1.0)
    assert not cpu_kernels.applies(*wide)
    assert not cpu_kernels.applies(q.to("meta"), k.to("meta"), v.to("meta"))
    assert not cpu_kernels.applies(q, k[:, :10], v[:, :10])  # token counts differ
    assert not cpu_kernels.applies(q[..., ::2], k[..., ::2], v[..., ::2])  # channel stride 2
    qg = q.detach().clone().requires_grad_(True)
    assert not cpu_kernels.applies(qg, k, v)
    with torch.no_grad():
        assert cpu_kernels.applies(qg, k, v) == (cpu_kernels.status() == "ready")
    with FlopCounterMode(display=False):  # the counter must see SDPA's FLOPs
        assert not cpu_kernels.applies(q, k, v)
    with cpu_kernels.enabled(False):
        assert not cpu_kernels.applies(q, k, v)


def test_setting_torch_turns_the_kernels_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAPIENS_MEASURE_CPU_KERNELS", "torch")
    assert not cpu_kernels.is_enabled()
    assert "SAPIENS_MEASURE_CPU_KERNELS=torch" in cpu_kernels.status()
    assert not cpu_kernels.applies(*_qkv(1, 8, 1, 1, 16, 1.0))
    with cpu_kernels.enabled(True):
        assert cpu_kernels.is_enabled()
    monkeypatch.setenv("SAPIENS_MEASURE_CPU_KERNELS", "auto")
    assert cpu_kernels.is_enabled()


def test_an_unknown_setting_warns_and_means_auto(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SAPIENS_MEASURE_CPU_KERNELS", "fastest")
    monkeypatch.setattr(cpu_kernels, "_warned", set())
    with caplog.at_level("WARNING", logger="core.sapiens2.cpu_kernels"):
        assert cpu_kernels.is_enabled()
        assert cpu_kernels.is_enabled()
    warnings = [r.getMessage() for r in caplog.records if "fastest" in r.getMessage()]
    assert len(warnings) == 1 and "auto" in warnings[0]


def _swiglu_ref(a, b, ba, bb) -> torch.Tensor:
    a, b = a.double(), b.double()
    if ba is not None:
        a = a + ba.double()
    if bb is not None:
        b = b + bb.double()
    return F.silu(a) * b


@pytest.mark.parametrize(
    ("rows", "cols", "biased"), [(1, 1, True), (7, 37, True), (64, 4096, True), (5, 16, False)]
)
def test_swiglu_matches_float64_within_one_rounding(rows: int, cols: int, biased: bool) -> None:
    _needs_kernels()
    gen = torch.Generator().manual_seed(rows * 1000 + cols)
    a = (torch.randn(rows, cols, generator=gen) * 4).to(torch.bfloat16)
    b = (torch.randn(rows, cols, generator=gen) * 4).to(torch.bfloat16)
    ba = (torch.randn(cols, generator=gen)).to(torch.bfloat16) if biased else None
    bb = (torch.randn(cols, generator=gen)).to(torch.bfloat16) if biased else None
    ref = _swiglu_ref(a, b, ba, bb)
    a_in = a.clone()
    out = cpu_kernels.swiglu(a_in, b, ba, bb)
    assert out.data_ptr() == a_in.data_ptr()  # written in place
    # One bf16 rounding of the float32 result: at most 2^-8 relative, plus float32 exp error.
    assert ((out.double() - ref).abs() <= ref.abs() * 2.0**-8 + 1e-6).all()
    torch_path = F.silu(a + ba if biased else a) * (b + bb if biased else b)
    assert (out.double() - ref).abs().mean() <= (torch_path.double() - ref).abs().mean() + 1e-6


def test_swiglu_takes_strided_b_and_refuses_bad_shapes() -> None:
    _needs_kernels()
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(6, 40, generator=gen).to(torch.bfloat16)
    both = torch.randn(6, 80, generator=gen).to(torch.bfloat16)
    b = both[:, 40:]  # row stride 80
    ref = _swiglu_ref(a, b, None, None)
    out = cpu_kernels.swiglu(a.clone(), b)
    assert ((out.double() - ref).abs() <= ref.abs() * 2.0**-8 + 1e-6).all()
    with pytest.raises(ValueError):
        cpu_kernels.swiglu(a.clone(), b[:, :20])  # shapes differ
    with pytest.raises(ValueError):
        cpu_kernels.swiglu(a.t(), a.t())  # a not contiguous
    with pytest.raises(ValueError):
        cpu_kernels.swiglu(a.clone(), b.contiguous(), torch.zeros(39, dtype=torch.bfloat16))


@torch.inference_mode()
def test_swiglu_module_own_and_torch_paths_agree() -> None:
    _needs_kernels()
    torch.manual_seed(0)
    ffn = SwiGLU(64, 96).to(torch.bfloat16)
    x = torch.randn(2, 33, 64).to(torch.bfloat16)
    with cpu_kernels.enabled(True), torch.profiler.profile() as prof:
        ours = ffn(x)
    assert "sapiens_measure::swiglu_bf16" in {e.key for e in prof.key_averages()}
    with cpu_kernels.enabled(False):
        theirs = ffn(x)
    assert (ours.float() - theirs.float()).abs().max() <= 0.02 * theirs.float().abs().max()


def test_kernels_are_ready_where_the_cpu_and_a_compiler_allow() -> None:
    # Guards against a silent fallback: on an AVX512-BF16 Linux machine with a compiler the kernels
    # must build and load (CI's machine is one).
    flags = _cpu_flags()
    if not {"avx512f", "avx512bw", "avx512vl", "avx512_bf16"} <= flags:
        pytest.skip("this CPU has no AVX512-BF16")
    if kernel_build.compiler() is None:
        pytest.skip("no C++ compiler on this machine")
    assert cpu_kernels.status() == "ready"


@pytest.fixture()
def fresh_build(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty kernel cache and a module that has not tried to build yet."""
    monkeypatch.setattr(cpu_kernels, "_status", None)
    monkeypatch.setattr(cpu_kernels, "_library", None)
    monkeypatch.setattr(kernel_build, "cache_dir", lambda: tmp_path / "kernels")
    return tmp_path / "kernels"


def test_no_compiler_falls_back_with_a_reason(
    fresh_build: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kernel_build, "compiler", lambda: None)
    assert cpu_kernels.library() is None
    assert "no C++ compiler" in cpu_kernels.status()
    q, k, v = _qkv(1, 12, 2, 1, 16, 1.0)
    assert not cpu_kernels.applies(q, k, v)
    module = GroupedQueryAttention(32, num_heads=2, num_kv_heads=1, head_dim=16).to(torch.bfloat16)
    with torch.inference_mode():
        assert torch.isfinite(module(torch.randn(1, 12, 32).to(torch.bfloat16), None)).all()


def test_failed_build_falls_back_and_leaves_no_partial_file(
    fresh_build: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = tmp_path / "broken-cxx"
    broken.write_text("#!/bin/sh\necho 'internal compiler error: simulated' >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setattr(kernel_build, "compiler", lambda: str(broken))
    assert cpu_kernels.library() is None
    assert "could not build" in cpu_kernels.status()
    assert "simulated" in cpu_kernels.status()
    assert not any(fresh_build.glob("*")), "no temporary or partial library may stay behind"


def test_build_is_cached_and_reused(fresh_build: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if kernel_build.compiler() is None:
        pytest.skip("no C++ compiler on this machine")
    lib = cpu_kernels.library()
    built = list(fresh_build.glob("cpu_kernels_bf16-*.so"))
    assert len(built) == 1 and not list(fresh_build.glob("*.tmp"))
    if lib is None:  # built, but this CPU cannot run it
        assert "AVX512-BF16" in cpu_kernels.status()
        return
    stamp = os.stat(built[0]).st_mtime_ns
    # A second process (simulated: fresh module state) loads the cached file without compiling.
    monkeypatch.setattr(cpu_kernels, "_status", None)
    monkeypatch.setattr(cpu_kernels, "_library", None)
    monkeypatch.setattr(kernel_build, "build", lambda *a: pytest.fail("rebuilt a cached library"))
    assert cpu_kernels.library() is not None
    assert os.stat(built[0]).st_mtime_ns == stamp


def test_packed_memory_error_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    # The C side returns 2 when it cannot allocate the packed keys and values.
    _needs_kernels()

    class OutOfMemory:
        def sm_flash_attention_bf16(self, *args: object) -> int:
            return 2

    monkeypatch.setattr(cpu_kernels, "library", lambda: OutOfMemory())
    with pytest.raises(MemoryError, match="packed keys and values"):
        cpu_kernels.attention(*_qkv(1, 4, 1, 1, 16, 1.0))


def test_scale_is_one_over_sqrt_head_dim() -> None:
    # A query equal to one key and far larger than the rest picks that key's value; the softmax
    # temperature decides how sharply, and must equal SDPA's 1/sqrt(d).
    _needs_kernels()
    d = 64
    k = torch.zeros(1, 3, 1, d)
    k[0, 0, 0, 0], k[0, 1, 0, 1] = 1.0, 1.0
    v = torch.zeros(1, 3, 1, d)
    v[0, 0, 0, 0], v[0, 1, 0, 0] = 1.0, -1.0
    q = torch.zeros(1, 3, 1, d)
    q[0, :, 0, 0] = 2.0
    q, k, v = (t.to(torch.bfloat16) for t in (q, k, v))
    out = cpu_kernels.attention(q, k, v).double()
    s = 2.0 / math.sqrt(d)
    expected = (math.exp(s) - 1.0) / (math.exp(s) + 2.0)
    assert abs(out[0, 0, 0, 0].item() - expected) < 4e-3


@pytest.mark.parametrize("batch", [1, 2])
@pytest.mark.parametrize("bias", [True, False])
def test_pointwise_conv_bf16_matmul_matches_the_convolution(batch: int, bias: bool) -> None:
    from core.sapiens2.heads.layers import PointwiseConv2d

    torch.manual_seed(batch)
    conv = PointwiseConv2d(24, 10, bias=bias)
    x = torch.randn(batch, 24, 7, 5)
    with torch.inference_mode():
        # float32 runs the convolution itself: bit-identical to nn.Conv2d.
        assert torch.equal(conv(x), F.conv2d(x, conv.weight, conv.bias))
        conv16, x16 = conv.to(torch.bfloat16), x.to(torch.bfloat16)
        ours = conv16(x16).double()
        ref = F.conv2d(
            x16.double(), conv16.weight.double(), None if not bias else conv16.bias.double()
        )
    assert ours.shape == (batch, 10, 7, 5)
    assert ((ours - ref).abs() <= ref.abs() * 2.0**-7 + 1e-2).all()


@pytest.mark.parametrize(
    ("shape", "layout"),
    [
        ((1, 1, 1, 2), torch.contiguous_format),
        ((2, 3, 5, 7), torch.contiguous_format),
        ((1, 16, 33, 65), torch.contiguous_format),
        ((1, 4, 128, 96), torch.contiguous_format),
        ((2, 16, 5, 7), torch.channels_last),
        ((1, 64, 33, 65), torch.channels_last),
        ((1, 32, 300, 2), torch.channels_last),  # more pixels than one 256-pixel chunk
    ],
)
def test_instance_norm_silu_matches_float64_better_than_torch(
    shape: tuple[int, ...], layout: torch.memory_format
) -> None:
    _needs_kernels()
    gen = torch.Generator().manual_seed(sum(shape))
    # An offset far from zero checks that the variance does not cancel.
    x = (torch.randn(*shape, generator=gen) * 3 + 20).to(torch.bfloat16)
    ref = F.silu(F.instance_norm(x.double(), eps=1e-5))
    y = x.clone(memory_format=layout)
    assert cpu_kernels.norm_silu_applies(y)
    out = cpu_kernels.instance_norm_silu_(y, 1e-5)
    assert out.data_ptr() == y.data_ptr()  # in place
    ours = (out.double() - ref).abs()
    theirs = (F.silu(F.instance_norm(x, eps=1e-5)).double() - ref).abs()
    # float32 statistics and one bf16 rounding (2^-9 relative) of the result.
    assert (ours <= ref.abs() * 2.0**-8 + 1e-3).all()
    assert ours.mean() <= theirs.mean() + 1e-6


def test_instance_norm_silu_refuses_what_it_cannot_take() -> None:
    _needs_kernels()
    x = torch.randn(1, 2, 4, 4).to(torch.bfloat16)
    odd_channels_last = x.contiguous(memory_format=torch.channels_last)  # 2 channels, not 16k
    empty = torch.empty(0, 2, 4, 4, dtype=torch.bfloat16)
    for bad in (x.float(), x.transpose(2, 3), x[0], empty, odd_channels_last):
        with pytest.raises(ValueError):
            cpu_kernels.instance_norm_silu_(bad)


@torch.inference_mode()
def test_head_stages_fuse_norm_and_silu_and_agree_with_torch() -> None:
    _needs_kernels()
    from core.sapiens2.heads.layers import deconv_stages

    torch.manual_seed(0)
    stages = deconv_stages(8, (6, 4), (4, 4)).to(torch.bfloat16)
    assert list(dict(stages.named_parameters())) == ["0.weight", "3.weight"]  # checkpoint keys
    x = torch.randn(1, 8, 9, 7).to(torch.bfloat16)
    x_before = x.clone()
    with cpu_kernels.enabled(True), torch.profiler.profile() as prof:
        ours = stages(x)
    names = {e.key for e in prof.key_averages()}
    assert "sapiens_measure::instance_norm_silu_bf16" in names
    assert "aten::instance_norm" not in names
    with cpu_kernels.enabled(False):
        theirs = stages(x)
    assert ours.shape == theirs.shape == (1, 4, 36, 28)
    assert (ours.float() - theirs.float()).abs().max() <= 0.05 * theirs.float().abs().max()
    assert torch.equal(x, x_before)  # the input itself is never written


def test_attention_reused_pack_buffers_carry_nothing_over() -> None:
    # The packed keys/values live in a per-thread buffer across calls: a small call after a large
    # one (stale data past the new last token) and after another head dim must be unaffected.
    _needs_kernels()
    for shape in [(1, 1000, 2, 2, 64), (1, 17, 2, 1, 64), (1, 700, 1, 1, 32), (2, 33, 2, 2, 40)]:
        q, k, v = _qkv(*shape, 20.0, seed=shape[1])
        ref = _sdpa(q.double(), k.double(), v.double())
        err = (cpu_kernels.attention(q, k, v).double() - ref).abs()
        assert err.max() <= 1.25 * (_sdpa(q, k, v).double() - ref).abs().max() + 1e-3, shape


@pytest.mark.parametrize("bias", [True, False])
def test_pointwise_conv_channels_last_stays_channels_last_and_matches(bias: bool) -> None:
    from core.sapiens2.heads.layers import PointwiseConv2d

    torch.manual_seed(3)
    conv = PointwiseConv2d(32, 20, bias=bias).to(torch.bfloat16)
    x = torch.randn(2, 32, 6, 9).to(torch.bfloat16)
    with torch.inference_mode():
        plain = conv(x)
        last = conv(x.contiguous(memory_format=torch.channels_last))
        ref = F.conv2d(x.double(), conv.weight.double(), None if not bias else conv.bias.double())
    assert last.is_contiguous(memory_format=torch.channels_last)
    assert ((last.double() - ref).abs() <= ref.abs() * 2.0**-7 + 1e-2).all()
    assert ((plain.double() - ref).abs() <= ref.abs() * 2.0**-7 + 1e-2).all()


@pytest.mark.parametrize("task", ["pose", "seg"])
@torch.inference_mode()
def test_deconv_heads_channels_last_path_agrees_and_returns_nchw(task: str) -> None:
    _needs_kernels()
    from tests.sapiens2.golden import golden_model

    head = golden_model(task).decode_head.to(torch.bfloat16)
    torch.manual_seed(0)
    x = torch.randn(2, head.deconv_layers[0].in_channels, 4, 3).to(torch.bfloat16)
    with cpu_kernels.enabled(True):
        ours = head(x)
    with cpu_kernels.enabled(False):
        theirs = head(x)
    assert ours.is_contiguous() and ours.shape == theirs.shape
    scale = theirs.float().abs().max()
    assert (ours.float() - theirs.float()).abs().max() <= 0.05 * scale


def _rope_case(n_prefix: int = 5, n_patch: int = 40, h: int = 3, d: int = 64):
    from core.sapiens2.norm import RMSNorm
    from core.sapiens2.rope import token_tables

    gen = torch.Generator().manual_seed(d)
    n = n_prefix + n_patch
    packed = (torch.randn(2, n, 2 * h * d, generator=gen) * 2).to(torch.bfloat16)
    x = packed[..., : h * d].view(2, n, h, d)  # a strided view, as the packed qkv gives
    norm = RMSNorm(d).to(torch.bfloat16)
    with torch.no_grad():
        norm.weight.copy_(torch.rand(d, generator=gen) * 2)
    sin = torch.randn(n_patch, d, generator=gen).to(torch.bfloat16)
    cos = torch.randn(n_patch, d, generator=gen).to(torch.bfloat16)
    return x, norm, token_tables(sin, cos, n_prefix)


@pytest.mark.parametrize("d", [32, 64, 128])
@torch.inference_mode()
def test_rmsnorm_rope_rotation_is_bit_exact_and_norm_within_one_ulp(d: int) -> None:
    _needs_kernels()
    from core.sapiens2.rope import apply_rope_tokens

    x, norm, tables = _rope_case(d=d)
    normed = norm(x)
    # RoPE alone (no weight): the same bf16 products and sum as rope.py, bit for bit.
    assert torch.equal(
        cpu_kernels.rmsnorm_rope(normed, None, 0.0, *tables), apply_rope_tokens(normed, tables)
    )
    ours = cpu_kernels.rmsnorm_rope(x, norm.weight, norm.eps, *tables)
    ref = apply_rope_tokens(normed, tables)
    assert ours.is_contiguous() and ours.shape == x.shape
    # The norm's float32 sum runs in another order than PyTorch's: rare one-ulp differences.
    differs = ours != ref
    assert differs.float().mean() <= 1e-3
    ulp = ref.float().abs() * 2.0**-7 + 1e-30
    assert ((ours.float() - ref.float()).abs() <= 2 * ulp).all()


def test_rmsnorm_rope_applies_only_where_it_can() -> None:
    x, norm, tables = _rope_case(d=64)
    with torch.no_grad():
        assert cpu_kernels.rmsnorm_rope_applies(x, norm.weight, *tables) == (
            cpu_kernels.status() == "ready"
        )
        small, small_norm, small_tables = _rope_case(d=8)  # the golden tiny models' head dim
        assert not cpu_kernels.rmsnorm_rope_applies(small, small_norm.weight, *small_tables)
        assert not cpu_kernels.rmsnorm_rope_applies(x.float(), None, *tables)
        assert not cpu_kernels.rmsnorm_rope_applies(x[:, :10], norm.weight, *tables)  # token count


@torch.inference_mode()
def test_attention_module_with_rope_uses_the_fused_norm_and_agrees() -> None:
    _needs_kernels()
    from core.sapiens2.rope import token_tables

    module = _bf16_attention(128, head_dim=32)
    x = torch.randn(1, 45, 128).to(torch.bfloat16)
    sin = torch.randn(40, 32).to(torch.bfloat16)
    cos = torch.randn(40, 32).to(torch.bfloat16)
    rope = token_tables(sin, cos, 5)
    with cpu_kernels.enabled(True), torch.profiler.profile() as prof:
        ours = module(x, rope)
    assert "sapiens_measure::rmsnorm_rope_bf16" in {e.key for e in prof.key_averages()}
    with cpu_kernels.enabled(False):
        theirs = module(x, rope)
    assert (ours.float() - theirs.float()).abs().max() <= 0.02 * theirs.float().abs().max()


def test_a_damaged_cached_library_is_rebuilt(fresh_build: Path) -> None:
    compiler = kernel_build.compiler()
    if compiler is None:
        pytest.skip("no C++ compiler on this machine")
    target = kernel_build.target(compiler)
    target.parent.mkdir(parents=True)
    target.write_bytes(b"not a shared library")  # e.g. a cache folder shared with another system
    lib = cpu_kernels.library()
    assert target.read_bytes()[:4] == b"\x7fELF"  # rebuilt (a new file renamed into place)
    assert (lib is not None) == (cpu_kernels.status() == "ready")
    assert "could not build" not in cpu_kernels.status()


@pytest.mark.parametrize("shape", [(1, 1), (3, 37), (2, 50, 1024)])
@pytest.mark.parametrize("with_weight", [True, False])
@torch.inference_mode()
def test_rms_norm_matches_float64_like_torch(shape: tuple[int, ...], with_weight: bool) -> None:
    _needs_kernels()
    gen = torch.Generator().manual_seed(len(shape) * 100 + shape[-1])
    wide = (torch.randn(*shape[:-1], shape[-1] + 8, generator=gen) * 3).to(torch.bfloat16)
    x = wide[..., 4 : 4 + shape[-1]]  # rows strided, as a view into a wider tensor
    w = torch.rand(shape[-1], generator=gen).to(torch.bfloat16) if with_weight else None
    assert cpu_kernels.rms_norm_applies(x, w)
    ours = cpu_kernels.rms_norm(x, w, 1e-6)
    ref = F.rms_norm(x.double(), (shape[-1],), None if w is None else w.double(), 1e-6)
    theirs = F.rms_norm(x, (shape[-1],), w, 1e-6)
    assert ours.is_contiguous() and ours.shape == x.shape
    assert ((ours.double() - ref).abs() <= ref.abs() * 2.0**-8 + 1e-6).all()
    assert (ours.double() - ref).abs().mean() <= (theirs.double() - ref).abs().mean() * 1.01 + 1e-9


@torch.inference_mode()
def test_rmsnorm_module_uses_the_kernel_for_bf16_only() -> None:
    _needs_kernels()
    from core.sapiens2.norm import RMSNorm

    norm = RMSNorm(64)
    x = torch.randn(2, 5, 64)
    assert torch.equal(norm(x), F.rms_norm(x, (64,), norm.weight, norm.eps))  # float32: PyTorch
    norm16, x16 = norm.to(torch.bfloat16), x.to(torch.bfloat16)
    with torch.profiler.profile() as prof:
        norm16(x16)
    assert "sapiens_measure::rms_norm_bf16" in {e.key for e in prof.key_averages()}


@torch.inference_mode()
def test_pointwise_conv_bias_skipped_before_norm_and_nchw_output() -> None:
    from core.sapiens2.heads.layers import PointwiseConv2d

    torch.manual_seed(5)
    conv = PointwiseConv2d(32, 16).to(torch.bfloat16)
    with torch.no_grad():
        conv.bias.copy_(torch.randn(16) * 5)  # a large bias, which the norm must remove anyway
    x = torch.randn(2, 32, 6, 9).to(torch.bfloat16)
    xl = x.contiguous(memory_format=torch.channels_last)
    ref = F.instance_norm(F.conv2d(x.double(), conv.weight.double(), conv.bias.double()))
    for inp in (x, xl):
        skipped = F.instance_norm(conv(inp, before_norm=True).double())
        assert (skipped - ref).abs().max() <= 0.05
    nchw = conv(xl, nchw=True)
    assert nchw.is_contiguous()
    full = F.conv2d(x.double(), conv.weight.double(), conv.bias.double())
    assert ((nchw.double() - full).abs() <= full.abs() * 2.0**-7 + 2e-2).all()
