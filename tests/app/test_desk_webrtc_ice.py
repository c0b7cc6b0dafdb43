"""The browser camera never asks a STUN/TURN server: the Desk watch page in browser mode gives both
sides of the WebRTC connection an empty ICE server list, even with the TURN credentials that make
streamlit-webrtc fetch servers set, and nothing opens a network connection.

The page runs in AppTest with the parts of streamlit-webrtc that need a live browser replaced: the
component (it records the configuration the browser would get and answers with an SDP offer) and
the server worker (it records the aiortc configuration it is built with). The package's own
configuration code between the page and those two runs unchanged.
"""

from __future__ import annotations

import socket

import pytest

from tests.app.helpers import make_subject, open_page, problems

webrtc = pytest.importorskip("streamlit_webrtc")

#: The variables streamlit-webrtc 0.79 reads in credentials.get_available_ice_servers: each pair
#: (or HF_TOKEN alone) makes it fetch TURN credentials over the network when no list is given.
TURN_ENV = {
    "CLOUDFLARE_TURN_KEY_ID": "test-key-id",
    "CLOUDFLARE_TURN_KEY_API_TOKEN": "test-api-token",
    "TWILIO_ACCOUNT_SID": "ACtest",
    "TWILIO_AUTH_TOKEN": "test-token",
    "HF_TOKEN": "hf_test",
}


class RecordingWorker:
    """Stands in for streamlit_webrtc's WebRtcWorker: records its configuration, opens nothing."""

    made: list = []
    backend = "aiortc"
    local_description = None

    def __init__(self, *, rtc_configuration, **kwargs) -> None:  # noqa: ANN001, ANN003
        RecordingWorker.made.append(rtc_configuration)

    def process_offer(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        pass

    def update_video_callbacks(self, **kwargs) -> None:  # noqa: ANN003
        pass

    def update_audio_callbacks(self, **kwargs) -> None:  # noqa: ANN003
        pass

    def set_ice_candidates_from_offerer(self, candidates) -> None:  # noqa: ANN001
        pass

    def stop(self) -> None:
        pass


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list:
    """Every name look-up and connection attempt is recorded, and fails."""
    attempts: list = []

    def refuse(*args):  # noqa: ANN002, ANN202
        attempts.append(args)
        raise OSError("the test allows no network connection")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def test_both_sides_get_exactly_an_empty_ice_server_list(
    monkeypatch: pytest.MonkeyPatch, no_network: list
) -> None:
    import streamlit_webrtc.component as component

    for name, value in TURN_ENV.items():
        monkeypatch.setenv(name, value)
    real_auto = component.get_available_ice_servers
    auto_calls: list = []

    def auto() -> list:
        auto_calls.append(1)
        return real_auto()

    monkeypatch.setattr(component, "get_available_ice_servers", auto)
    component.enhance_frontend_rtc_configuration.clear()  # cache_data: no earlier answer reused
    browser_side: list = []

    def fake_component(**kwargs):  # noqa: ANN003, ANN202
        browser_side.append(kwargs["rtc_configuration"])
        return {"playing": True, "sdpOffer": {"sdp": "v=0\r\n", "type": "offer"}}

    monkeypatch.setattr(component, "_component_func", fake_component)
    monkeypatch.setattr(component, "WebRtcWorker", RecordingWorker)
    monkeypatch.setattr(component, "get_this_session_info", lambda: None)  # AppTest has no runtime
    RecordingWorker.made = []
    given: list = []
    real_streamer = webrtc.webrtc_streamer

    def spy(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        given.append(kwargs)
        return real_streamer(*args, **kwargs)

    monkeypatch.setattr(webrtc, "webrtc_streamer", spy)

    make_subject()
    at = open_page("pages/desk_watch.py")
    at.radio(key="desk_mode").set_value("browser").run()
    assert problems(at) == []
    (kwargs,) = given
    assert kwargs["frontend_rtc_configuration"] == {"iceServers": []}
    assert kwargs["server_rtc_configuration"] == {"iceServers": []}
    assert browser_side == [{"iceServers": []}]  # what the browser's RTCPeerConnection gets
    (server_config,) = RecordingWorker.made  # the aiortc RTCConfiguration of the server side
    assert server_config.iceServers == []  # [] not None: aiortc adds Google's STUN for None
    assert auto_calls == [] and no_network == []

    # The check can fail: "{}" (streamlit-webrtc's "automatic") does look servers up, with the
    # TURN variables above; the look-ups fail here because no connection is allowed.
    component.enhance_frontend_rtc_configuration.clear()
    component.enhance_frontend_rtc_configuration({})
    assert auto_calls and no_network
