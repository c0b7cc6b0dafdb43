"""The web server stays local and silent: a Host allow-list (against DNS rebinding) and no IP lookups.

``streamlit run Home.py`` finds the ``st.App`` that ``Home.py`` builds with :func:`local_only_middleware`
(Streamlit's supported hook for ASGI middleware). The middleware refuses, before Streamlit sees them:

- any HTTP request or websocket upgrade whose ``Host`` is not loopback or the configured address
  (403), so a page on another site that rebinds its name to 127.0.0.1 gets nothing;
- a websocket upgrade whose ``Origin`` is another site (403). Streamlit's own origin check would
  refuse it too, but only after looking up this machine's internal and external IP (a UDP socket
  "connected" to 8.8.8.8, then DNS and HTTP to checkip.amazonaws.com).

:func:`silence_ip_lookups` also replaces those two lookups (used by the origin check and by the
startup banner when the server listens on every interface) with ones that return nothing, so no
code path of the server reaches the network.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def hostname_of(authority: str) -> str | None:
    """``"LocalHost:8501"`` -> ``"localhost"``, ``"[::1]:80"`` -> ``"::1"``; None if not a plain host[:port]."""
    try:
        parts = urlsplit(f"//{authority}")
        _ = parts.port  # a port that is not a number in range raises ValueError
    except ValueError:
        return None
    if parts.hostname is None or parts.username is not None or parts.password is not None:
        return None
    if parts.path or parts.query or parts.fragment:
        return None
    return parts.hostname.lower().rstrip(".")


def allowed_hosts() -> frozenset[str]:
    """Loopback names plus the configured ``server.address`` / ``browser.serverAddress``."""
    from streamlit import config

    hosts = set(LOOPBACK_HOSTS)
    address = config.get_option("server.address")
    if address and address not in {"0.0.0.0", "::"}:  # noqa: S104 (a wildcard is no Host name)
        hosts.add(address.lower().strip("[]"))
    browser = config.get_option("browser.serverAddress")
    if browser:
        name = hostname_of(urlsplit(browser).netloc or browser)
        if name:
            hosts.add(name)
    return frozenset(hosts)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def refusal(scope: Scope, hosts: frozenset[str]) -> str | None:
    """Why this request is refused, or None when it may go on to Streamlit."""
    host = _header(scope, b"host")
    if host is None or hostname_of(host) not in hosts:
        return "this app answers only on localhost (Host header refused)"
    if scope["type"] == "websocket":
        origin = _header(scope, b"origin")
        if origin is not None and hostname_of(urlsplit(origin).netloc) not in hosts:
            return "this app accepts connections only from its own pages (Origin refused)"
    return None


class LocalOnlyMiddleware:
    """ASGI middleware: HTTP and websocket requests with a foreign Host (or websocket Origin) get 403."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            reason = refusal(scope, allowed_hosts())
            if reason is not None:
                await _refuse(scope, send, reason)
                return
        await self.app(scope, receive, send)


async def _refuse(scope: Scope, send: Send, reason: str) -> None:
    body = reason.encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", b"%d" % len(body)),
    ]
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 403, "headers": headers})
        await send({"type": "http.response.body", "body": body})
    else:
        # Closing before accepting makes the server answer the upgrade with 403 (ASGI spec).
        await send({"type": "websocket.close", "code": 1008, "reason": reason})


def silence_ip_lookups() -> None:
    """Make Streamlit's internal/external IP lookups return nothing instead of using the network.

    A documented patch of ``streamlit.net_util``: ``server_util.is_url_from_allowed_origins`` and
    ``bootstrap._print_url`` read these functions from the module at call time, so replacing them
    here (before the server serves anything) covers both. An origin they would have allowed is then
    refused (fail closed), which is what a local app wants.
    """
    from streamlit import net_util

    net_util.get_external_ip = _no_ip
    net_util.get_internal_ip = _no_ip


def _no_ip() -> None:
    return None


def local_only_middleware() -> list[Any]:
    """The middleware list for ``st.App``; also silences the IP lookups (call once, at import of Home.py)."""
    from starlette.middleware import Middleware

    silence_ip_lookups()
    return [Middleware(LocalOnlyMiddleware)]
