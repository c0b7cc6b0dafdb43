"""The Desk watch's browser camera in a real headless Chromium with a fake camera: the video goes
over WebRTC (no STUN/TURN server) to the app's server, live readouts appear, and a held strained
posture raises an alert after the set time.

The fake camera plays a Y4M file made here: one frame of the shared walking video, held. In that
frame both arms are far outside their neutral RULA bands (upper arms above 90 degrees, elbows
flexed less than 60, with the lite model), so holding it is a sustained strain.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from core.store import Store
from tests.app.helpers import ROOT
from tests.app.test_browser import (
    _check_and_shoot,
    _need_browser,
    _wait_for_text,
    _wait_idle,
    app_url,  # noqa: F401 - the fixture: the app on a free port
)
from tests.conftest import shared_path

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.shared]

#: The frame of walking_side_view.mp4 held by the fake camera, and the camera's size and rate.
HELD_FRAME, SIZE, FPS = 30, (640, 360), 15


def write_y4m(path: Path, rgb_frames: list[np.ndarray], fps: int) -> Path:
    """Frames (H, W, 3) uint8 RGB, W and H even, as a YUV4MPEG2 4:2:0 file (Chromium's fake camera)."""
    import cv2

    h, w = rgb_frames[0].shape[:2]
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for rgb in rgb_frames:
            f.write(b"FRAME\n")
            f.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).tobytes())  # Y, then U, then V planes
    return path


def held_frame_clip(tmp_path: Path) -> Path:
    import cv2

    cap = cv2.VideoCapture(str(shared_path("data", "walking_side_view.mp4")))
    cap.set(cv2.CAP_PROP_POS_FRAMES, HELD_FRAME)
    ok, bgr = cap.read()
    cap.release()
    assert ok, "could not read the walking video"
    rgb = cv2.cvtColor(cv2.resize(bgr, SIZE, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
    return write_y4m(tmp_path / "held.y4m", [rgb] * FPS, FPS)


@pytest.fixture
def camera_driver(tmp_path: Path):  # noqa: ANN201
    _need_browser()
    from core.app.desk_webrtc import lan_addresses

    if not lan_addresses():
        pytest.skip(
            "the browser camera needs a non-loopback address (aioice skips loopback); "
            "this machine has only loopback"
        )
    from tests.app.test_browser import chrome

    drv = chrome(
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={held_frame_clip(tmp_path)}",
    )
    try:
        yield drv
    finally:
        drv.quit()


def _set_number(drv, label: str, value: str) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = drv.find_element(By.CSS_SELECTOR, f'input[aria-label="{label}"]')
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(value, Keys.ENTER)
    _wait_idle(drv)


def _click_start(drv, timeout_s: float = 120.0) -> None:  # noqa: ANN001
    """The START button lives in streamlit-webrtc's component iframe."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    frame = WebDriverWait(drv, timeout_s).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, 'iframe[title*="webrtc"]')
    )[0]
    drv.switch_to.frame(frame)
    try:
        button = WebDriverWait(drv, timeout_s).until(
            lambda d: next((b for b in d.find_elements(By.TAG_NAME, "button")
                            if b.text.strip().upper() == "START"), None)
        )  # fmt: skip
        button.click()
    finally:
        drv.switch_to.default_content()


def test_the_browser_camera_gives_live_readouts_and_an_alert(app_url: str, camera_driver) -> None:  # noqa: ANN001, F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    drv = camera_driver
    drv.get(f"{app_url}/desk_watch")
    _wait_for_text(drv, "Desk watch")
    _wait_idle(drv)
    # The first load of a fresh server imports torch for the sidebar's backend line: wait for the
    # radio itself rather than trusting the first idle moment.
    WebDriverWait(drv, 120).until(
        lambda d: d.find_elements(By.XPATH, '//label[contains(., "Browser camera")]')
    )[0].click()
    _wait_for_text(drv, "no STUN or TURN server")
    _wait_idle(drv)
    _set_number(drv, "Smoothing window (s)", "1")
    _set_number(drv, "Alert after (s) outside neutral", "3")
    _click_start(drv)
    # The readout: the period's clock and the table of smoothed bands, refreshed every second.
    _wait_for_text(drv, "s watched; a person is in view", timeout_s=180)
    # The table is drawn on a canvas (its text is not in the page's text): its element is.
    WebDriverWait(drv, 60).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="stDataFrame"]')
    )
    _wait_for_text(drv, "ALERT: ", timeout_s=120)
    body = drv.find_element(By.TAG_NAME, "body").text
    alerted = [line for line in body.splitlines() if line.startswith("ALERT: ")]
    assert any("arm" in line for line in alerted), alerted
    time.sleep(1.0)
    _check_and_shoot(drv, "desk_watch_browser")

    # Saving: one "desk" session of the browser camera, its alerts counted, the stream stopped.
    next(b for b in drv.find_elements(By.TAG_NAME, "button") if "Stop and save" in b.text).click()
    try:
        _wait_for_text(drv, "Saved as session", timeout_s=60)
    finally:
        drv.save_screenshot(str(ROOT / "test-artifacts" / "desk_watch_browser_saving.png"))
    _wait_idle(drv)
    _check_and_shoot(drv, "desk_watch_browser_saved")
    _click_start(drv, timeout_s=60)  # the stream stopped with the save and can start again
    _wait_for_text(drv, "s watched; a person is in view", timeout_s=120)
    with Store() as store:
        (session,) = store.list_sessions()
        rows = store.load_measurements(session.id)
    assert session.kind == "desk" and session.params["source"] == "browser camera"
    assert session.backend == "lite"
    assert rows[rows["metric"] == "n_alerts"]["value"].iloc[0] >= 1
