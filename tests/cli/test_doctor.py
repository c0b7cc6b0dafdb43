"""``python -m core doctor``: the machine report, as text and JSON, with faked routes."""

from __future__ import annotations

import json

import pytest

from core.sapiens2 import routes


@pytest.fixture
def fake_routes(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Routes chosen without measuring: attention measured own, the rest torch by a rule."""
    calls: list[bool] = []

    def choose(*, measure_now: bool = False) -> dict[str, routes.Route]:
        calls.append(measure_now)
        table = {op: routes.Route(op, "torch", "a feature rule") for op in routes.OPS}
        table["attention"] = routes.Route(
            "attention", "own", "measured own 1.00 ms, torch 3.00 ms", 1.0, 3.0
        )
        return table

    monkeypatch.setattr(routes, "choose", choose)
    monkeypatch.setenv("SAPIENS_MEASURE_CPU_KERNELS", "auto")
    return calls


def test_doctor_json_has_every_part(cli, fake_routes: list[bool]) -> None:
    code, out, err = cli("doctor", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert set(data["cpu"]["features"]) == {
        "avx2",
        "avx512f",
        "avx512_bf16",
        "amx_bf16",
        "amx_tile",
    }
    att = data["cpu_kernels"]["routes"]["attention"]
    assert att == {
        "route": "own",
        "why": "measured own 1.00 ms, torch 3.00 ms",
        "own_ms": 1.0,
        "torch_ms": 3.0,
    }
    assert data["cpu_kernels"]["routes"]["head"]["route"] == "torch"
    assert data["versions"]["torch"] and data["versions"]["onednn"]
    assert data["inference"]["device"] == "cpu" and data["inference"]["threads"] >= 1
    assert "pose_landmarker_full" in data["lite_models"]
    assert isinstance(data["sapiens2_checkpoints"], dict)
    assert fake_routes == [False]


def test_doctor_text_names_route_and_reason(cli, fake_routes: list[bool]) -> None:
    code, out, _ = cli("doctor")
    assert code == 0
    assert "CPU: " in out and "Lite model files:" in out and "Sapiens2 checkpoints:" in out
    line = next(row for row in out.splitlines() if row.strip().startswith("attention"))
    assert "own" in line and "measured own 1.00 ms" in line


def test_doctor_measure_measures_again(cli, fake_routes: list[bool]) -> None:
    assert cli("doctor", "--measure")[0] == 0
    assert fake_routes == [True]


def test_doctor_shows_a_forcing_setting(cli, fake_routes: list[bool], monkeypatch) -> None:
    monkeypatch.setenv("SAPIENS_MEASURE_CPU_KERNELS", "torch")
    data = json.loads(cli("doctor", "--json")[1])
    att = data["cpu_kernels"]["routes"]["attention"]
    assert att["route"] == "torch" and "SAPIENS_MEASURE_CPU_KERNELS=torch" in att["why"]


@pytest.mark.parametrize("fast_bf16", [True, False])
def test_doctor_notes_an_emulated_bf16(cli, fake_routes, monkeypatch, fast_bf16: bool) -> None:
    from core.sapiens2 import device

    monkeypatch.setenv("SAPIENS_MEASURE_DTYPE", "bfloat16")
    monkeypatch.setenv("SAPIENS_MEASURE_DEVICE", "cpu")
    monkeypatch.setattr(device, "cpu_has_fast_bf16", lambda *a, **k: fast_bf16)
    data = json.loads(cli("doctor", "--json")[1])
    assert data["inference"]["dtype"] == "bfloat16"
    text = cli("doctor")[1]
    if fast_bf16:
        assert data["inference"]["note"] is None and "note:" not in text
    else:
        assert "emulates" in data["inference"]["note"]
        assert "  note: bfloat16 on a CPU without bf16 instructions" in text
