"""Answer botocore requests in-process through botocore's own `before-send` event.

botocore still builds, validates, signs and parses every request and response; only the
socket is skipped. Requests for any other endpoint pass through untouched.
"""

from __future__ import annotations

from typing import Iterable, Iterator
from urllib.parse import urlsplit

from botocore.awsrequest import AWSResponse

from local_bedrock.engine import Engine
from local_bedrock.hooks import install_global, uninstall_global
from local_bedrock.wire.protocol import Request


class _Raw:
    """The file-like `raw` botocore reads a response body from (bytes or an event stream)."""

    def __init__(self, body: bytes | Iterable[bytes]):
        self._chunks: Iterator[bytes] = iter([body] if isinstance(body, (bytes, bytearray)) else body)
        self._buffer = b""

    def stream(self, amt: int = 1024, decode_content: bool | None = None) -> Iterator[bytes]:
        if self._buffer:
            yield self._buffer
            self._buffer = b""
        for chunk in self._chunks:
            if chunk:
                yield chunk

    def read(self, amt: int | None = None, decode_content: bool | None = None) -> bytes:
        while amt is None or len(self._buffer) < amt:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if amt is None:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:amt], self._buffer[amt:]
        return data

    def close(self) -> None:
        self._chunks = iter(())


class InProcessTransport:
    """A before-send handler that sends requests for `endpoint_url` to the engine directly."""

    def __init__(self, engine: Engine, endpoint_url: str):
        self.engine = engine
        self.endpoint_url = endpoint_url.rstrip("/")

    def __call__(self, request, **kwargs) -> AWSResponse | None:
        if not request.url.startswith(self.endpoint_url):
            return None
        response = self.engine.handle(engine_request(request))
        return AWSResponse(request.url, response.status, response.headers, _Raw(response.body))

    def attach(self, client_or_session) -> None:
        """Hook into one client's or one botocore session's events."""
        events = getattr(getattr(client_or_session, "meta", None), "events", None)
        if events is None:
            events = client_or_session.get_component("event_emitter")
        events.register("before-send", self)

    def attach_globally(self) -> None:
        """Hook into every botocore session created from now on (as moto does)."""
        install_global([("before-send", self)])

    def detach_globally(self) -> None:
        """Undo attach_globally (sessions already created keep the hook)."""
        uninstall_global([("before-send", self)])


def engine_request(request) -> Request:
    """The engine's Request for a botocore AWSPreparedRequest (body read, headers as text)."""
    split = urlsplit(request.url)
    body = request.body
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode()
    headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
    return Request(request.method, split.path, split.query, headers, body or b"")
