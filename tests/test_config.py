from pathlib import Path

import pytest

from core.config import load_settings
from core.errors import InputError


def test_defaults_in_a_checkout_use_data_folder():
    s = load_settings({})
    assert s.data_dir.name == "data"
    assert s.db_path == s.data_dir / "sessions.db"
    assert s.device == "auto" and s.dtype == "auto"
    assert s.sapiens2_threshold == 0.3 and s.lite_threshold == 0.5
    assert s.checkpoint_roots[-1] == Path("~/sapiens2_host").expanduser()


def test_environment_overrides(tmp_path):
    s = load_settings(
        {
            "SAPIENS_MEASURE_DATA_DIR": str(tmp_path / "d"),
            "SAPIENS_MEASURE_MODEL_DIR": str(tmp_path / "m"),
            "SAPIENS2_CHECKPOINT_ROOT": str(tmp_path / "c2"),
            "SAPIENS_CHECKPOINT_ROOT": str(tmp_path / "c1"),
            "SAPIENS_MEASURE_DEVICE": "CPU",
            "SAPIENS_MEASURE_DTYPE": "bfloat16",
            "SAPIENS_MEASURE_LITE_THRESHOLD": "0.7",
        }
    )
    assert s.data_dir == tmp_path / "d"
    assert s.lite_model_dirs[0] == tmp_path / "m"
    assert s.checkpoint_roots == (tmp_path / "c2", tmp_path / "c1")
    assert (s.device, s.dtype, s.lite_threshold) == ("cpu", "bfloat16", 0.7)


@pytest.mark.parametrize(
    "env",
    [
        {"SAPIENS_MEASURE_DEVICE": "tpu"},
        {"SAPIENS_MEASURE_DTYPE": "float16"},
        {"SAPIENS_MEASURE_LITE_THRESHOLD": "high"},
        {"SAPIENS_MEASURE_LITE_THRESHOLD": "1.5"},
    ],
)
def test_bad_values_name_the_variable(env):
    with pytest.raises(InputError, match=next(iter(env))):
        load_settings(env)


def test_display_path_hides_the_machine_layout(tmp_path, monkeypatch):
    from core.config import display_path

    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert display_path(tmp_path / "work" / "models" / "a.task") == "models/a.task"
    assert display_path(tmp_path / "work") == "."
    assert display_path(tmp_path / "home" / ".cache" / "x") == "~/.cache/x"
    assert display_path("/elsewhere/file") == "/elsewhere/file"
