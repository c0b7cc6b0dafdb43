"""Real-browser smoke test: the app served by ``streamlit run``, driven by headless Debian Chromium.

Loads every page, runs one posture flow by uploading a real photo, saves a screenshot per page to
``test-artifacts/`` and ``docs/screenshots/``, and fails on any Streamlit exception box.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app.helpers import ROOT, make_subject
from tests.conftest import shared_path

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.shared]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
#: (url path, screenshot name, text the page shows once drawn)
PAGES = (
    ("", "start", "Lite (MediaPipe) model files"),
    ("posture", "posture", "Posture snapshot"),
    ("gait", "gait", "Gait session"),
    ("skin_roi", "skin_roi", "Skin ROI"),
    ("relight", "relight", "Relight"),
    ("sessions", "sessions", "Sessions review"),
)
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ROOT / "docs" / "screenshots"


def _need_browser() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(
                f"CI must run the browser test but {', '.join(missing)} is missing (.ci/run installs it)"
            )
        pytest.skip(
            f"needs Debian chromium and chromium-driver ({', '.join(missing)} absent; apt-get install chromium chromium-driver)"
        )
    pytest.importorskip("selenium", reason="needs selenium (the dev extra)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"streamlit exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"the app did not answer on {url} within {timeout_s:.0f} s")


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    _need_browser()
    make_subject("P001")  # in the test's data directory, which the server inherits
    port = _free_port()
    log = (tmp_path / "streamlit.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "Home.py", "--server.port", str(port),
         "--server.address", "localhost", "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ),
    )  # fmt: skip
    try:
        _wait_healthy(f"http://localhost:{port}", proc)
        yield f"http://localhost:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def chrome(*extra: str):  # noqa: ANN201 (a selenium WebDriver)
    """Headless Chromium at a laptop's width, nothing fetched from the network; ``extra``: more
    command-line switches (the fake camera's)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--window-size=1366,1800",  # a laptop screen's width
        *extra,
    ):
        options.add_argument(arg)
    # An explicit driver path: Selenium Manager never downloads anything.
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


@pytest.fixture
def driver():  # noqa: ANN201
    _need_browser()
    drv = chrome()
    try:
        yield drv
    finally:
        drv.quit()


def _wait_for_text(drv, text: str, timeout_s: float = 120.0) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(drv, timeout_s).until(lambda d: text in d.find_element(By.TAG_NAME, "body").text)


def _wait_idle(drv, timeout_s: float = 180.0) -> None:  # noqa: ANN001
    """Until the script has finished (Streamlit shows a status widget while it runs)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    time.sleep(1.0)  # give a rerun time to start before asking whether it has ended
    WebDriverWait(drv, timeout_s).until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]')
    )


#: Text the reader cannot see whole: an HTML element whose text is cut by its box (overflow hidden
#: or an ellipsis, scrollWidth past clientWidth) and a chart label Vega shortened with an ellipsis
#: (its labelLimit / titleLimit). Charts are SVG in the DOM; st.dataframe's canvas is not, which
#: is why tables a person must read are st.table (HTML).
CLIPPED_JS = """
const out = [];
for (const el of document.querySelectorAll('p, span, label, td, th, h1, h2, h3, li, code, div')) {
  if (!el.offsetParent || !el.textContent.trim()) continue;
  if (el.closest('[data-testid="stSidebarNav"], [data-testid="stToolbar"], .stDataFrame')) continue;
  const cs = getComputedStyle(el);
  if (cs.fontFamily.includes('Material') || el.closest('[data-testid*="Icon"]')) continue;  // icon glyphs
  const cuts = cs.textOverflow === 'ellipsis' || ['hidden', 'clip'].includes(cs.overflowX);
  // Text inside a box that cuts it: the element's own text or its children's (a metric's value
  // sits in a child of the box that ends it with an ellipsis).
  if (cuts && el.scrollWidth > el.clientWidth + 1 && el.textContent.length < 200) {
    out.push(el.textContent.trim().slice(0, 80));
  }
}
for (const t of document.querySelectorAll('svg text')) {
  const s = t.textContent;
  if (s.endsWith('\u2026') || s.endsWith('...')) { out.push('chart: ' + s); continue; }
  // Cut by what clips it: the outer svg when its overflow is not visible, else the nearest
  // HTML box that hides its overflow (a chart's own frame draws titles past the svg's box).
  // Chart titles sit in the frame Vega reserves above the plot (drawn, whatever the bounds say);
  // axis titles and labels and legends are what a short panel cuts.
  if (t.closest('.role-title')) continue;
  let clip = t.ownerSVGElement;
  while (clip && getComputedStyle(clip).overflow === 'visible') clip = clip.parentElement;
  if (!clip) continue;
  const box = t.getBoundingClientRect(), edge = clip.getBoundingClientRect();
  if (box.width && (box.left < edge.left - 2 || box.right > edge.right + 2
                    || box.top < edge.top - 2 || box.bottom > edge.bottom + 2)) {
    out.push('chart, outside its picture: ' + s);
  }
}
return [...new Set(out)];
"""


def _check_and_shoot(drv, name: str) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    ARTIFACTS.mkdir(exist_ok=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    drv.save_screenshot(str(ARTIFACTS / f"{name}.png"))
    # The README's screenshots are refreshed only on request, so a test run never edits the checkout.
    if os.environ.get("SAPIENS_MEASURE_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(ARTIFACTS / f"{name}.png", SCREENSHOTS / f"{name}.png")
    boxes = drv.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
    assert not boxes, f"{name}: Streamlit exception: {boxes[0].text[:500]}"
    clipped = drv.execute_script(CLIPPED_JS)
    assert not clipped, f"{name}: text cut off at {drv.get_window_size()}: {clipped[:10]}"


def test_every_page_and_a_posture_flow(app_url: str, driver) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    for path, name, marker in PAGES:
        driver.get(f"{app_url}/{path}")
        _wait_for_text(driver, marker)
        _wait_for_text(driver, "Measurements, not diagnoses")
        _wait_idle(driver)
        _check_and_shoot(driver, name)

    photo = shared_path("data", "cameraman_standing.png")
    driver.get(f"{app_url}/posture")
    _wait_for_text(driver, "Posture snapshot")
    _wait_idle(driver)
    WebDriverWait(driver, 60).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, 'input[type="file"]')
    )
    driver.find_element(By.CSS_SELECTOR, 'input[type="file"]').send_keys(str(photo))
    WebDriverWait(driver, 180).until(
        lambda d: (
            d.find_elements(By.CSS_SELECTOR, '[data-testid="stTable"]')
            or d.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
        )
    )
    _wait_for_text(driver, "Desk check")
    _wait_idle(driver)
    _check_and_shoot(driver, "posture_result")
    # The skeleton is drawn large enough to read (issue 17: it was about 290 px wide).
    shown = [
        img.size["width"]
        for img in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stImage"] img')
    ]
    assert shown and max(shown) >= 600, f"posture overlay shown {shown} px wide"

    # A gait flow: upload the real walking video, press the button, wait for the cadence.
    video = shared_path("data", "walking_side_view.mp4")
    driver.get(f"{app_url}/gait")
    _wait_for_text(driver, "Gait session")
    _wait_idle(driver)
    WebDriverWait(driver, 60).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, 'input[type="file"]')
    )
    driver.find_element(By.CSS_SELECTOR, 'input[type="file"]').send_keys(str(video))
    _wait_for_text(driver, "Analyse the video")
    _wait_idle(driver)
    button = next(
        b for b in driver.find_elements(By.TAG_NAME, "button") if "Analyse the video" in b.text
    )
    button.click()
    _wait_for_text(driver, "Cadence", timeout_s=300)
    _wait_idle(driver, timeout_s=300)
    time.sleep(3)  # the charts finish their layout after the script has ended
    _check_and_shoot(driver, "gait_result")
    assert "steps/min" in driver.find_element(By.TAG_NAME, "body").text


def test_the_clipping_check_sees_cut_text(driver) -> None:  # noqa: ANN001
    # The check above must see what it is for: a cell cut with an ellipsis and a chart label that
    # Vega shortened; and not flag text that fits.
    page = (
        "<html><body>"
        '<p style="width:60px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap">'
        "head deviation (frame widths)</p>"
        '<p style="width:600px">fits</p>'
        '<div style="width:50px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap">'
        "<div>98.2 steps/min</div></div>"
        '<svg width="200" height="40"><text x="5" y="20">elbow_angle_de\u2026</text></svg>'
        '<svg width="60" height="40"><text x="-30" y="20">trunk lean (deg)</text></svg>'
        "</body></html>"
    )
    driver.get("data:text/html;charset=utf-8," + page.replace("#", "%23"))
    found = driver.execute_script(CLIPPED_JS)
    assert found == [
        "head deviation (frame widths)",
        "98.2 steps/min",
        "chart: elbow_angle_de\u2026",
        "chart, outside its picture: trunk lean (deg)",
    ]
