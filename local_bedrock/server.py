"""Serve the engine over HTTP on 127.0.0.1, so any AWS client or SigV4 signer can use it.

A thread per connection (keep-alive, HTTP/1.1), so an engine call that waits (injected latency,
per-token pacing, moto) never holds up the others. Two details keep it whole under load (64
boto3 clients at once, with streams; `benchmarks/server_load.py`):

* the listen backlog is 1,024, not socketserver's 5: a burst of new connections (every kernel of
  a JupyterHub host, every worker of a parallel test run) otherwise overflows the accept queue;
  Linux then drops the SYN or the handshake's last ACK, the client waits 1-3 s to resend, and
  some connections end reset (botocore's `ConnectionClosedError`);
* an event stream's messages leave in as few writes as their pacing allows: a message is sent at
  once when 5 ms have passed since the last write, else with the next one (or the end). Each
  write releases the GIL, and under load getting it back can take a switch interval (5 ms), so
  one write per message (~70 for a short answer) made streams the slow tail. Paced streams
  (`per_token_ms` >= 5) still leave message by message; no message waits more than ~5 ms plus
  one pacing interval.
"""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from local_bedrock.engine import Engine
from local_bedrock.wire.protocol import Request

LISTEN_BACKLOG = 1024  # the kernel caps it at net.core.somaxconn (4,096 on current Linux)
STREAM_HOLD_S = 0.005  # an event-stream message may wait this long for the next to share a write


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects
    wbufsize = 64 * 1024  # buffered writes: headers and body leave in one segment (no ACK stall)
    disable_nagle_algorithm = True
    # no idle timeout: closing an idle keep-alive connection races a client reusing it, which
    # is the ConnectionClosedError this server must not cause; clients close their own pools
    engine: Engine

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        request = Request(self.command, split.path, split.query, dict(self.headers.items()), body)
        response = self.engine.handle(request)
        self.send_response(response.status)
        for k, v in response.headers.items():
            if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(k, v)
        if isinstance(response.body, (bytes, bytearray)):
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)
        else:  # an event stream, chunked: the headers and first message leave at once
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            last_write = float("-inf")
            for chunk in response.body:
                if not chunk:  # a zero-length chunk would end the stream
                    continue
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                now = time.monotonic()
                if now - last_write >= STREAM_HOLD_S:
                    self.wfile.flush()
                    last_write = now
            self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

    def log_message(self, format: str, *args) -> None:  # quiet: the workshop logs calls itself
        pass


class _ThreadingServer(ThreadingHTTPServer):
    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True


class EngineServer:
    """A threaded HTTP server for one engine; `url` is where to point clients."""

    def __init__(self, engine: Engine, host: str = "127.0.0.1", port: int = 0):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the local engine only listens on loopback (127.0.0.1)")
        handler = type("Handler", (_Handler,), {"engine": engine})
        self.httpd = _ThreadingServer((host, port), handler)
        self.engine = engine
        self.port = self.httpd.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> "EngineServer":
        """Serve in a daemon thread and return at once."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="local-bedrock",
                                        daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (botocore's service models are loaded first,
        so the first burst of clients does not load them once per thread)."""
        from local_bedrock.wire import protocol

        for service in protocol.BEDROCK_SERVICES:
            protocol.service_model(service)
        self.httpd.serve_forever()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
