"""Route selection for the bf16 CPU ops (core/sapiens2/routes.py), with faked CPU features and
timings: which route the features give, the margin, the cache, and that the modules follow it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from core.sapiens2 import cpu_kernels, kernel_build, routes
from core.sapiens2.block import SwiGLU

REAL_LIBRARY = cpu_kernels.library
BF16_FLAGS = frozenset({"avx2", "avx512f", "avx512bw", "avx512vl", "avx512_bf16"})


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """A private kernel cache folder, a kernel library that 'loads', no choice made yet."""
    monkeypatch.setattr(kernel_build, "cache_dir", lambda: tmp_path / "kernels")
    monkeypatch.setattr(cpu_kernels, "library", lambda: object())
    monkeypatch.setenv("SAPIENS_MEASURE_CPU_KERNELS", "auto")
    for name in routes.ISA_LIMITS:  # CI's second round sets them; these tests set their own
        monkeypatch.delenv(name, raising=False)
    routes.reset()
    yield
    routes.reset()


def _cpu(
    monkeypatch: pytest.MonkeyPatch,
    flags: frozenset[str],
    model: str = "Test CPU",
    *,
    fused_linear: bool = True,
) -> None:
    from core.sapiens2 import linear

    monkeypatch.setattr(routes, "cpu_info", lambda: (model, flags))
    # The decision logic under test, whatever this machine's oneDNN can run (CI's AVX2 round).
    monkeypatch.setattr(linear, "fused_available", lambda: fused_linear)


class FakeClock:
    """A clock that only the fake candidates advance: each call of a candidate adds its cost."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _fake_timings(
    monkeypatch: pytest.MonkeyPatch, costs_ms: dict[str, tuple[float, float]]
) -> list[str]:
    """Candidates per op that cost (own, torch) ms on a fake clock; returns the call log."""
    clock, calls = FakeClock(), []

    def factory(op: str):
        def run(name: str, ms: float):
            def call() -> None:
                calls.append(f"{op}:{name}")
                clock.now += ms / 1e3

            return call

        own, theirs = costs_ms[op]
        return lambda: {"own": run("own", own), "torch": run("torch", theirs)}

    monkeypatch.setattr(routes, "CANDIDATES", {op: factory(op) for op in routes.OPS})
    real_measure = routes.measure
    monkeypatch.setattr(routes, "measure", lambda **kw: real_measure(clock=clock, **kw))
    return calls


def test_amx_decides_attention_and_measures_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    # On an AMX Xeon the own norms and head stage beat PyTorch's (2.5 vs 6.5 ms, 20 vs 44 ms) while
    # the own attention cannot: the features decide attention, a measurement the other three.
    _cpu(monkeypatch, BF16_FLAGS | {"amx_bf16", "amx_tile"})
    calls = _fake_timings(monkeypatch, {op: (10.0, 30.0) for op in routes.OPS})
    chosen = routes.choose()
    assert chosen["attention"].choice == "torch" and "AMX" in chosen["attention"].reason
    assert {chosen[op].choice for op in ("feed_forward", "norm", "head")} == {"own"}
    assert calls and not any(c.startswith("attention:") for c in calls)


def test_amx_follows_a_measurement_on_file(monkeypatch: pytest.MonkeyPatch) -> None:
    _cpu(monkeypatch, BF16_FLAGS | {"amx_tile"})
    _fake_timings(monkeypatch, {op: (10.0, 30.0) for op in routes.OPS})
    assert routes.choose(measure_now=True)["norm"].choice == "own"
    monkeypatch.setattr(routes, "measure", lambda **kw: pytest.fail("measured again"))
    assert routes.choose()["norm"].choice == "own"
    assert routes.choose()["attention"].choice == "torch"


def test_no_bf16_goes_to_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    _cpu(monkeypatch, frozenset({"avx2", "avx512f"}))
    monkeypatch.setattr(routes, "measure", lambda **kw: pytest.fail("measured without AVX512-BF16"))
    chosen = routes.choose()
    assert {r.choice for r in chosen.values()} == {"torch"}
    assert "AVX512-BF16" in chosen["norm"].reason


def test_a_failed_build_goes_to_torch_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    _cpu(monkeypatch, BF16_FLAGS)
    monkeypatch.setattr(cpu_kernels, "library", lambda: None)
    monkeypatch.setattr(cpu_kernels, "status", lambda: "could not build the bf16 CPU kernels (x)")
    chosen = routes.choose()
    assert {r.choice for r in chosen.values()} == {"torch"}
    assert "could not build" in chosen["head"].reason


def test_own_wins_only_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    _cpu(monkeypatch, BF16_FLAGS)
    calls = _fake_timings(
        monkeypatch,
        {
            "attention": (50.0, 100.0),  # own twice as fast: own
            "feed_forward": (9.5, 10.0),  # 5% faster: inside the margin, torch
            "norm": (10.0, 5.0),  # slower: torch
            "head": (8.9, 10.0),  # 11% faster: own
            "linear": (20.0, 16.0),  # slower: torch
        },
    )
    chosen = routes.choose()
    assert {op: r.choice for op, r in chosen.items()} == {
        "attention": "own",
        "feed_forward": "torch",
        "norm": "torch",
        "head": "own",
        "linear": "torch",
    }
    assert chosen["attention"].own_ms == pytest.approx(50.0)
    assert chosen["attention"].torch_ms == pytest.approx(100.0)
    att = [c for c in calls if c.startswith("attention:")]
    # a warm-up each, then REPEATS rounds, every other one in reversed order (interleaved)
    assert len(att) == 2 * (routes.REPEATS + 1)
    assert att[2:6] == ["attention:own", "attention:torch", "attention:torch", "attention:own"]


def test_decide_margin_edges() -> None:
    assert routes.decide("x", 89.0, 100.0).choice == "own"
    assert routes.decide("x", 90.0, 100.0).choice == "torch"  # exactly 10%: not more
    assert routes.decide("x", 100.0, 100.0).choice == "torch"


def test_cache_written_reused_and_invalidated(monkeypatch: pytest.MonkeyPatch) -> None:
    _cpu(monkeypatch, BF16_FLAGS)
    calls = _fake_timings(monkeypatch, {op: (10.0, 30.0) for op in routes.OPS})
    routes.choose()
    assert calls
    data = json.loads(routes.cache_path().read_text())
    assert data["key"]["cpu"] == "Test CPU" and data["key"]["threads"] == torch.get_num_threads()
    assert data["routes"]["attention"]["choice"] == "own"

    calls.clear()
    assert routes.choose()["norm"].choice == "own"
    assert not calls, "a measurement on file for this machine must be reused"

    monkeypatch.setattr(torch, "get_num_threads", lambda: 97)  # another thread count
    routes.choose()
    assert calls, "another key must measure again"
    assert json.loads(routes.cache_path().read_text())["key"]["threads"] == 97

    calls.clear()
    _cpu(monkeypatch, BF16_FLAGS, model="Another CPU")
    routes.choose()
    assert calls, "another CPU model must measure again"


def test_a_corrupt_cache_is_measured_again(monkeypatch: pytest.MonkeyPatch) -> None:
    _cpu(monkeypatch, BF16_FLAGS)
    calls = _fake_timings(monkeypatch, {op: (10.0, 30.0) for op in routes.OPS})
    routes.cache_path().parent.mkdir(parents=True)
    for body in ("{not json", json.dumps({"key": routes.cache_key(), "routes": {"attention": 1}})):
        routes.cache_path().write_text(body)
        calls.clear()
        assert routes.choose()["attention"].choice == "own"
        assert calls
        assert json.loads(routes.cache_path().read_text())["routes"]["head"]["choice"] == "own"


def test_choice_is_made_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    made = []

    def choose() -> dict[str, routes.Route]:
        made.append(1)
        return {op: routes.Route(op, "torch", "fake") for op in routes.OPS}

    monkeypatch.setattr(routes, "choose", choose)
    for op in routes.OPS * 3:
        assert routes.route(op) == "torch"
    assert len(made) == 1
    with pytest.raises(ValueError, match="unknown CPU operation"):
        routes.route("conv")


def _set_routes(monkeypatch: pytest.MonkeyPatch, **choice: str) -> None:
    table = {op: routes.Route(op, choice.get(op, "torch"), "fake") for op in routes.OPS}
    monkeypatch.setattr(routes, "choose", lambda: table)
    routes.reset()


@pytest.mark.parametrize("choice", ["own", "torch"])
@torch.inference_mode()
def test_feed_forward_follows_its_route(monkeypatch: pytest.MonkeyPatch, choice: str) -> None:
    monkeypatch.setattr(cpu_kernels, "library", REAL_LIBRARY)  # this test runs the module
    if cpu_kernels.status() != "ready":
        pytest.skip(f"the bf16 CPU kernels cannot run here: {cpu_kernels.status()}")
    _set_routes(monkeypatch, feed_forward=choice)
    ffn = SwiGLU(32, 64).to(torch.bfloat16)
    with torch.profiler.profile() as prof:
        ffn(torch.randn(5, 32).to(torch.bfloat16))
    used = "sapiens_measure::swiglu_bf16" in {e.key for e in prof.key_averages()}
    assert used == (choice == "own")


def test_settings_override_the_route(monkeypatch: pytest.MonkeyPatch) -> None:
    _set_routes(monkeypatch, attention="torch", norm="own")
    assert not cpu_kernels.is_enabled("attention") and cpu_kernels.is_enabled("norm")
    monkeypatch.setenv("SAPIENS_MEASURE_CPU_KERNELS", "own")
    assert cpu_kernels.is_enabled("attention")
    monkeypatch.setenv("SAPIENS_MEASURE_CPU_KERNELS", "torch")
    assert not cpu_kernels.is_enabled("norm")
    with cpu_kernels.enabled(True):
        assert cpu_kernels.is_enabled("attention")


def test_linear_is_measured_first_and_the_feed_forward_follows_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # PyTorch's feed-forward candidate runs its biased matmuls the way the linear route will.
    _cpu(monkeypatch, BF16_FLAGS)
    calls = _fake_timings(monkeypatch, {op: (10.0, 30.0) for op in routes.OPS})
    seen = []
    real_ff = routes.CANDIDATES["feed_forward"]

    def ff_factory():
        seen.append(routes._linear_with_bias())
        return real_ff()

    monkeypatch.setitem(routes.CANDIDATES, "feed_forward", ff_factory)
    chosen = routes.choose()
    assert calls[0].startswith("linear:") and chosen["linear"].choice == "own"
    from core.sapiens2.linear import fused_linear

    assert seen == [fused_linear]
    assert routes._linear_with_bias() is not fused_linear  # reset after the measurement


def test_a_linear_onednn_cannot_run_is_torch_without_measuring(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _cpu(monkeypatch, BF16_FLAGS, fused_linear=False)
    calls = _fake_timings(monkeypatch, {op: (10.0, 30.0) for op in routes.OPS})
    chosen = routes.choose()
    assert chosen["linear"].choice == "torch" and "cannot run" in chosen["linear"].reason
    assert not any(c.startswith("linear:") for c in calls)


def test_the_isa_limits_are_part_of_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    free = routes.cache_key()
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    assert routes.cache_key() != free


def test_instruction_limits_mean_torch_without_measuring(monkeypatch: pytest.MonkeyPatch) -> None:
    _cpu(monkeypatch, BF16_FLAGS | {"amx_tile"})
    monkeypatch.setattr(routes, "measure", lambda **kw: pytest.fail("measured under ISA limits"))
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    chosen = routes.choose()
    assert {r.choice for r in chosen.values()} == {"torch"}
    assert "ONEDNN_MAX_CPU_ISA=AVX2" in chosen["norm"].reason
