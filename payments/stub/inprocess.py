"""The official SDK talking to the embedded stub inside this process, without a network round trip.

With the stub embedded in the application's own server, a request that pays (say, placing an order) would
otherwise call the stub over HTTP on the same server and wait for another worker to answer: under load, with
sync workers, every worker can end up waiting for one that is free, and none is (a self-deadlock). This HTTP
client hands the SDK's request to the stub's WSGI app directly, at the same address (the Host the stub sees is
the server's own origin, so its hosted page URLs and its webhook deliveries point at the running server).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import stripe
from werkzeug.test import Client


class EmbeddedStubClient(stripe.HTTPClient):
    """A stripe HTTPClient that calls `stub_app` (mounted at `prefix` on the server) in process."""

    name = "embedded-stub"

    def __init__(self, stub_app, prefix: str) -> None:
        super().__init__()
        self._client = Client(stub_app)
        self._prefix = prefix.rstrip("/")

    def request(self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None,
                **_kwargs) -> tuple[bytes, int, Mapping[str, str]]:
        parts = urlsplit(url)
        path = parts.path[len(self._prefix):] if parts.path.startswith(self._prefix + "/") else parts.path
        if isinstance(post_data, str):
            post_data = post_data.encode("utf-8")
        response = self._client.open(path=path, base_url=f"{parts.scheme}://{parts.netloc}{self._prefix}",
                                     query_string=parts.query, method=method.upper(),
                                     headers=dict(headers or {}), data=post_data)
        try:
            return response.get_data(), response.status_code, dict(response.headers)
        finally:
            response.close()

    def request_stream(self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None,
                       **kwargs) -> tuple[Any, int, Mapping[str, str]]:
        body, status, response_headers = self.request(method, url, headers, post_data, **kwargs)
        return io.BytesIO(body), status, response_headers

    def close(self) -> None:
        """Nothing to close: no connection is opened."""
