"""The running app (``streamlit run Home.py`` as the README starts it) is network-silent and local-only.

A ``sitecustomize`` on the server's ``PYTHONPATH`` installs an audit hook (``sys.addaudithook``) that
writes every ``socket.getaddrinfo`` / ``socket.connect`` / ``socket.sendto`` / ``socket.gethostbyname``
naming a non-loopback address to a file. The server then receives foreign-Host and foreign-Origin
requests, over HTTP and as websocket upgrades; only loopback traffic leaves the test.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app.test_browser import _free_port, _wait_healthy
from tests.reliability.harness import count

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

GUARD = textwrap.dedent(
    """
    import ipaddress, os, sys

    _LOG = os.environ["NETWORK_AUDIT_LOG"]
    _EVENTS = {"socket.getaddrinfo", "socket.connect", "socket.sendto", "socket.gethostbyname"}

    def _loopback(host):
        if isinstance(host, bytes):
            host = host.decode("latin-1")
        if host in (None, "", "localhost"):
            return True
        try:
            return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
        except ValueError:
            return False  # a name other than localhost: a DNS lookup

    def _hook(event, args):
        if event not in _EVENTS:
            return
        if event == "socket.getaddrinfo" or event == "socket.gethostbyname":
            host = args[0]
        else:
            address = args[1]
            if not isinstance(address, tuple):
                return  # a unix socket path
            host = address[0]
        if not _loopback(host):
            with open(_LOG, "a") as f:
                f.write(f"{event} {host!r}\\n")

    sys.addaudithook(_hook)
    """
)


def _guard_env(tmp_path: Path) -> tuple[dict[str, str], Path]:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(GUARD)
    log = tmp_path / "network.log"
    log.write_text("")
    env = dict(os.environ, NETWORK_AUDIT_LOG=str(log))
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env, log


def test_the_guard_sees_streamlits_ip_lookup(tmp_path: Path):
    # The control: without the app's patch, Streamlit's external-IP lookup is recorded.
    env, log = _guard_env(tmp_path)
    code = "from streamlit import net_util; net_util.get_internal_ip(); net_util.get_external_ip()"
    subprocess.run([sys.executable, "-c", code], env=env, timeout=60, capture_output=True)
    seen = log.read_text()
    assert "checkip.amazonaws.com" in seen and "8.8.8.8" in seen, seen


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    tmp = tmp_path_factory.mktemp("server")
    env, log = _guard_env(tmp)
    env["SAPIENS_MEASURE_DATA_DIR"] = str(tmp / "data")
    port = _free_port()
    out = (tmp / "streamlit.log").open("wb")
    # As the README starts it: the address and the rest come from .streamlit/config.toml.
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "Home.py", "--server.port", str(port)],
        cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", proc)
        yield port, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        out.close()


def _get(port: int, path: str, **headers: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest("GET", path, skip_host=True)
        for name, value in headers.items():
            conn.putheader(name.replace("_", "-"), value)
        conn.endheaders()
        return conn.getresponse().status
    finally:
        conn.close()


def _upgrade(port: int, **headers: str) -> int:
    """A websocket handshake on /_stcore/stream; the HTTP status of the answer (101 = upgraded)."""
    lines = [
        "GET /_stcore/stream HTTP/1.1",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Protocol: streamlit",
        *(f"{name.replace('_', '-')}: {value}" for name, value in headers.items()),
    ]
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        status_line = s.recv(4096).split(b"\r\n", 1)[0]
    return int(status_line.split()[1])


FOREIGN = ("evil.example", "attacker.test", "192.168.1.20", "127.0.0.1.nip.io", "[::2]")


def test_foreign_host_is_refused_over_http_and_websocket(server):
    port, log = server
    for host in ("127.0.0.1", "localhost", "[::1]", "LOCALHOST."):
        assert _get(port, "/", Host=f"{host}:{port}") == 200, host
    for host in FOREIGN:
        for path in ("/", "/_stcore/health", "/_stcore/host-config", "/media/x.png"):
            assert _get(port, path, Host=f"{host}:{port}") == 403, (host, path)
        assert _upgrade(port, Host=f"{host}:{port}") == 403, host
        assert _upgrade(port, Host=f"{host}:{port}", Origin=f"http://{host}:{port}") == 403, host
    assert _get(port, "/") == 400  # no Host at all: HTTP/1.1 requires one (the server answers 400)
    for _ in range(len(FOREIGN) * 6):
        count("server: foreign Host (4 HTTP paths + 2 websocket upgrades)", "403")
    assert log.read_text() == "", log.read_text()


def test_foreign_origin_makes_no_lookup(server):
    port, log = server
    local = f"127.0.0.1:{port}"
    for host in FOREIGN:
        origin = f"http://{host}"
        assert _upgrade(port, Host=local, Origin=origin) == 403, origin
        assert _get(port, "/", Host=local, Origin=origin) == 200  # the static page, no CORS header
    assert log.read_text() == "", (
        log.read_text()
    )  # no DNS, no connect: Streamlit's lookup never ran
    for _ in FOREIGN:
        count("server: foreign Origin (websocket upgrade / HTTP GET)", "403 / static page")


def test_a_session_still_runs_over_the_allowed_websocket(server):
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from websockets.sync.client import connect

    port, log = server
    msg = BackMsg()
    msg.rerun_script.query_string = ""
    msg.rerun_script.page_script_hash = ""
    received = b""
    with connect(
        f"ws://127.0.0.1:{port}/_stcore/stream",
        subprotocols=["streamlit"],
        origin=f"http://localhost:{port}",
        open_timeout=30,
    ) as ws:
        ws.send(msg.SerializeToString())
        while b"Lite (MediaPipe) model files" not in received:  # text the Start page draws
            received += ws.recv(timeout=120)
    assert log.read_text() == "", log.read_text()
