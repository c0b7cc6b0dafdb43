"""Privacy: full posture and gait flows with the network blocked at the socket level make no connection
attempt; exported images carry no EXIF; CSV exports are injection-safe; data, database, artifacts
and backups are owner-only; the Streamlit config binds to localhost without usage statistics."""

from __future__ import annotations

import io
import os
import stat
import zipfile

import pytest
import tomllib
from PIL import Image

from core.cli import main
from core.config import PROJECT_ROOT, load_settings
from core.store import Store
from tests.conftest import shared_path
from tests.reliability.harness import count, live_formulas


def _cli(capfd, *argv) -> str:
    code = main([str(a) for a in argv])
    out, err = capfd.readouterr()
    assert code == 0, err
    return out


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.slow
def test_posture_and_gait_flows_make_no_connection_attempt(
    no_network, capfd, tmp_path, monkeypatch
):
    monkeypatch.setenv("SAPIENS_MEASURE_DATA_DIR", str(tmp_path / "new" / "data"))
    os.umask(old := os.umask(0o022))  # the usual umask, so the 0o700 below is the code's doing
    photo = shared_path("data", "cameraman_standing.png")
    video = shared_path("data", "walking_side_view.mp4")
    _cli(capfd, "subject", "add", "P001", "--consent", "--height-m", "1.75")
    _cli(capfd, "posture", photo, "--backend", "lite", "--save", "P001", "--notes", "=HYPERLINK(1)")
    _cli(capfd, "gait", video, "--backend", "lite", "--every", "6", "--save", "P001", "--notes", "\r=2+2")  # fmt: skip
    _cli(capfd, "export", "P001", "--out", tmp_path / "csv")
    _cli(capfd, "backup", tmp_path / "backup.zip")
    assert no_network.attempts == [], no_network.attempts
    count("privacy: flows with the network blocked", "no connection attempt")

    data = tmp_path / "new" / "data"
    settings = load_settings()
    # Owner-only: the data folder, the database, every artifact folder and file, exports, backups.
    assert _mode(data) == 0o700 and _mode(settings.db_path) == 0o600
    for p in settings.artifacts_dir.rglob("*"):
        assert _mode(p) == (0o700 if p.is_dir() else 0o600), p
    for p in (tmp_path / "csv").iterdir():
        assert _mode(p) == 0o600, p
    assert _mode(tmp_path / "backup.zip") == 0o600, "the backup holds every patient's data"
    os.umask(old)

    # The saved overlay image has no EXIF (nor any other metadata chunk).
    with Store() as store:
        posture = next(s for s in store.list_sessions() if s.kind == "posture")
        blob = store.load_artifact(posture.id, next(iter(posture.artifacts)))
    im = Image.open(io.BytesIO(blob))
    assert not im.getexif() and "exif" not in im.info and not im.info.get("icc_profile")
    # The CSVs: the notes are there, but never as a live formula (also after a CR).
    texts = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "csv").iterdir()}
    assert any("=HYPERLINK(1)" in t for t in texts.values())  # the notes are exported ...
    for name, text in texts.items():
        assert live_formulas(text) == [], name  # ... but never as a live formula
    with zipfile.ZipFile(tmp_path / "backup.zip") as zf:
        assert "sessions.db" in zf.namelist()


# Found by this suite: the cache lookup used hf_hub_download(local_files_only=True), which still
# made huggingface_hub connect to huggingface.co; it now only reads the cache folder.
def test_auto_backend_choice_makes_no_connection_attempt(no_network, monkeypatch, tmp_path):
    from core.backends.selection import get_backend

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    # huggingface_hub remembers its registry in-process and on disk for 24 h; start as a fresh
    # app process on a fresh machine does, so the result does not depend on earlier tests.
    from huggingface_hub import constants
    from huggingface_hub.utils import _detect_agent

    monkeypatch.setattr(_detect_agent, "_registry", None, raising=False)
    monkeypatch.setattr(
        constants, "AGENT_HARNESSES_PATH", str(tmp_path / "reg.json"), raising=False
    )
    try:
        get_backend("auto").close()
    finally:
        assert no_network.attempts == [], no_network.attempts


def test_exported_images_drop_the_exif_of_the_upload():
    from core.imaging.decode import decode_image, encode_jpeg, encode_png

    # A JPEG with EXIF (camera, GPS-like text) goes in; what the app writes out carries none of it.
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N"}  # GPS IFD
    Image.open(shared_path("data", "hand_closeup.jpg")).save(buf, format="JPEG", exif=exif)
    assert b"SecretCam" in buf.getvalue()
    rgb = decode_image(buf.getvalue())
    for blob in (encode_png(rgb), encode_jpeg(rgb)):
        assert b"SecretCam" not in blob and b"Exif" not in blob
        assert not Image.open(io.BytesIO(blob)).getexif()


def test_streamlit_binds_to_localhost_without_usage_stats():
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] in ("localhost", "127.0.0.1")
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"].get("enableXsrfProtection", True) is True
    assert 0 < config["server"]["maxUploadSize"] <= 1000
