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

import html
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
        if split.path == "/" and self.command in ("GET", "HEAD") and not self.headers["Authorization"]:
            self._send_page(root_page(self.engine))  # a person who clicked the banner's link
            return
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

    def _send_page(self, page: str) -> None:
        data = page.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

    def log_message(self, format: str, *args) -> None:  # quiet: the workshop logs calls itself
        pass


def root_page(engine: Engine) -> str:
    """What a browser sees at the engine's address (an unsigned GET /; AWS calls are signed)."""
    by_service: dict[str, list[str]] = {}
    for service, operation in sorted(engine.handlers):
        by_service.setdefault(service, []).append(operation)
    rows = "".join(f"<li><b>{html.escape(s)}</b>: {html.escape(', '.join(ops))}</li>"
                   for s, ops in by_service.items())
    return ("<!doctype html><meta charset='utf-8'><title>Local Bedrock engine</title>"
            "<h1>Local Bedrock engine (the workshop's offline mode)</h1>"
            "<p>This address is the workshop's local engine. It answers Bedrock API calls from "
            "boto3 and the AWS CLI (<code>AWS_ENDPOINT_URL</code> points here); it is "
            "deterministic, <b>not a model</b>, and makes no AWS calls. Its answers appear in "
            "your notebook; there is nothing else to browse.</p>"
            f"<p>Region: {html.escape(engine.region)}. Health: "
            "<a href='/_engine/health'>/_engine/health</a>; fault injection: "
            "<a href='/_engine/faults'>/_engine/faults</a>. How it works and what it does not "
            "serve: <code>00_prerequisites/03_offline_engine.ipynb</code>. Services moto "
            "implements (S3, CloudWatch, Logs, IAM, STS, Bedrock resources) are answered too.</p>"
            f"<p>Bedrock operations it implements itself:</p><ul>{rows}</ul>")


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
