"""The Host / Origin allow-list of ``core/app/server.py`` as a function (the running server is
tested in ``tests/reliability/test_server.py``)."""

from __future__ import annotations

import asyncio

import pytest

from core.app.server import LOOPBACK_HOSTS, LocalOnlyMiddleware, hostname_of, refusal


def _scope(kind: str, host: str | None, origin: str | None = None) -> dict:
    headers = [(b"host", host.encode())] if host is not None else []
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return {"type": kind, "headers": headers}


@pytest.mark.parametrize(
    ("authority", "name"),
    [("LocalHost:8501", "localhost"), ("[::1]:80", "::1"), ("127.0.0.1", "127.0.0.1"),
     ("localhost.", "localhost"), ("a@localhost", None), ("localhost:99999", None),
     ("localhost/x", None), ("", None)],
)  # fmt: skip
def test_hostname_of(authority, name):
    assert hostname_of(authority) == name


@pytest.mark.parametrize("kind", ["http", "websocket"])
def test_loopback_hosts_pass_and_others_are_refused(kind):
    for host in ("localhost:8501", "127.0.0.1:8501", "[::1]:8501"):
        assert refusal(_scope(kind, host), LOOPBACK_HOSTS) is None
    for host in (
        None,
        "evil.example:8501",
        "localhost.evil.example",
        "127.0.0.2",
        "user@localhost",
    ):
        assert "Host header refused" in refusal(_scope(kind, host), LOOPBACK_HOSTS)


def test_a_websocket_from_a_foreign_origin_is_refused_but_http_is_not():
    local = "localhost:8501"
    assert refusal(_scope("websocket", local, "http://127.0.0.1:8501"), LOOPBACK_HOSTS) is None
    assert refusal(_scope("websocket", local, "null"), LOOPBACK_HOSTS) is not None
    assert "Origin refused" in refusal(
        _scope("websocket", local, "https://evil.example"), LOOPBACK_HOSTS
    )
    # A plain GET's Origin is Streamlit's CORS business (a set lookup, no network).
    assert refusal(_scope("http", local, "https://evil.example"), LOOPBACK_HOSTS) is None


def test_the_middleware_answers_403_without_calling_the_app(monkeypatch):
    monkeypatch.setattr("core.app.server.allowed_hosts", lambda: LOOPBACK_HOSTS)
    called, sent = [], []

    async def app(scope, receive, send):
        called.append(scope["type"])

    async def send(message):
        sent.append(message)

    guard = LocalOnlyMiddleware(app)
    asyncio.run(guard(_scope("http", "evil.example"), None, send))
    asyncio.run(guard(_scope("websocket", "evil.example"), None, send))
    asyncio.run(guard(_scope("http", "localhost"), None, send))
    assert called == ["http"]
    assert sent[0]["status"] == 403 and sent[2]["type"] == "websocket.close"
