"""Which address a request reached this server at, without trusting an arbitrary Host header.

The embedded stub and the gateway use it to find their own server, whatever host and port it was started
on: the gateway calls the stub there, and the stub delivers the configured endpoint's webhooks there."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import Connection
from werkzeug.wrappers import Request

from payments.stub.endpoints import is_loopback
from payments.stub.state import StubState
from payments.stub.storage import read_setting, write_setting

DEFAULT_PORTS = {"http": 80, "https": 443}
#: The stub setting that keeps the origin of the server it serves (the embedded set-up).
SERVER_ORIGIN = "server_origin"


def serving_origin(request: Request) -> str | None:
    """The origin (scheme://host:port) through which this request reached the server, when it is sure to be
    this server's own: the Host header when it names a loopback address on the port the connection arrived
    at (on any port when the WSGI server does not expose its socket), else the connection's own local
    address as the kernel reports it; None when neither is known."""
    scheme = request.scheme if request.scheme in DEFAULT_PORTS else "http"
    local = local_address(request.environ)
    try:
        parts = urlsplit(f"//{request.host}")
        host, port = parts.hostname, parts.port or DEFAULT_PORTS[scheme]
    except ValueError:  # a malformed Host header
        host, port = None, None
    if host and is_loopback(host) and (local is None or local[1] == port):
        return f"{scheme}://{_netloc(host, port, scheme)}"
    if local is not None:
        return f"{scheme}://{_netloc(local[0], local[1], scheme)}"
    return None


def local_address(environ: dict[str, Any]) -> tuple[str, int] | None:
    """The address and port the connection arrived at (werkzeug's and gunicorn's servers expose the socket)."""
    sock = environ.get("werkzeug.socket") or environ.get("gunicorn.socket")
    try:
        address = sock.getsockname()
        host, port = str(address[0]), int(address[1])
    except (AttributeError, OSError, TypeError, ValueError, IndexError):
        return None
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None
    if ip.is_unspecified:
        return None
    mapped = getattr(ip, "ipv4_mapped", None)
    return (str(mapped) if mapped else str(ip)), port


def _netloc(host: str, port: int, scheme: str) -> str:
    """host:port for a URL, IPv6 literals in brackets and the scheme's default port left out."""
    if ":" in host:
        host = f"[{host}]"
    return host if DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"



def remember_origin(state: StubState, request: Request) -> str | None:
    """Record the origin an API request reached the stub through (see serving_origin), for the configured
    endpoint's deliveries and for the gateway outside a request; written only when it changes."""
    origin = serving_origin(request)
    if origin is not None and origin != state.recorded_origin:
        write_setting(state.engine, SERVER_ORIGIN, origin)
        state.recorded_origin = origin
    return origin


def recorded_origin(conn: Connection) -> str | None:
    """The server origin last recorded by any process of the stub, or None."""
    return read_setting(conn, SERVER_ORIGIN)
