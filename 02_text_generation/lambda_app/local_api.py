"""A tiny stand-in for API Gateway (REST API, Lambda proxy integration) on 127.0.0.1.

Not deployed: it lets the workshop call the Lambda handler over real HTTP without AWS. It turns
each HTTP request into the proxy event API Gateway sends (`proxy_event`), calls the handler
with a Lambda-like context, and turns the handler's dict back into an HTTP response. Like API
Gateway it answers 403 "Missing Authentication Token" for unknown routes, 413 above 10 MB and
502 "Internal server error" when the handler raises. It does not do what the deployed API also
does: request validation against the API model, throttling, authorisation, the 29 s timeout.

    api = LocalApi(handler.lambda_handler).start()
    requests.post(api.url + "/prompt", json={"prompt": "Hello"})
    api.stop()
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qsl, urlsplit

API_GATEWAY_MAX_PAYLOAD = 10 * 1024 * 1024
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that handlers and Powertools read."""

    function_name: str = "bedrock-prompt-api-local"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    timeout_s: float = 29.0
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = ("arn:aws:lambda:us-east-1:000000000000:function:"
                                 "bedrock-prompt-api-local")
    log_group_name: str = "/aws/lambda/bedrock-prompt-api-local"
    log_stream_name: str = "local"
    _started: float = field(default_factory=time.monotonic, repr=False)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_s - (time.monotonic() - self._started)) * 1000))


def proxy_event(body: str | bytes | dict | None, *, method: str = "POST", path: str = "/prompt",
                headers: dict | None = None, query: dict | None = None,
                request_id: str | None = None, stage: str = "v1",
                source_ip: str = "127.0.0.1") -> dict:
    """An API Gateway REST proxy event (payload format 1.0). dict bodies are JSON-encoded;
    bytes that are not UTF-8 are sent base64-encoded, as API Gateway does for binary bodies."""
    is_b64 = False
    if isinstance(body, dict):
        body = json.dumps(body)
    elif isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            body, is_b64 = base64.b64encode(body).decode("ascii"), True
    headers = {"Content-Type": "application/json", **(headers or {})}
    request_id = request_id or str(uuid.uuid4())
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "path": f"/{stage}{path}",
            "stage": stage,
            "requestId": request_id,
            "requestTimeEpoch": int(time.time() * 1000),
            "protocol": "HTTP/1.1",
            "identity": {"sourceIp": source_ip, "userAgent": headers.get("User-Agent", "")},
            "apiId": "local",
        },
        "body": body,
        "isBase64Encoded": is_b64,
    }


class LocalApi:
    """Serve one Lambda handler at one route (POST by default) on a loopback port."""

    def __init__(self, handler: Callable[[dict, object], dict], route: str = "/prompt",
                 method: str = "POST", host: str = "127.0.0.1", port: int = 0,
                 stage: str = "v1"):
        if host not in LOOPBACK:
            raise ValueError("LocalApi only listens on loopback (127.0.0.1)")
        self.handler, self.route, self.method, self.stage = handler, route, method, stage
        self.calls: list[dict] = []  # (request id, status) per invocation, for inspection
        api = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                api._serve(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

            def log_message(self, format: str, *args) -> None:  # the handler logs itself
                pass

        self.httpd = ThreadingHTTPServer((host, port), _Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        self._thread: threading.Thread | None = None

    def start(self) -> "LocalApi":
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="local-api",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "LocalApi":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- one request ---------------------------------------------------------------------
    def _serve(self, req: BaseHTTPRequestHandler) -> None:
        split = urlsplit(req.path)
        length = int(req.headers.get("Content-Length") or 0)
        if length > API_GATEWAY_MAX_PAYLOAD:
            req.close_connection = True
            return self._send(req, 413, {"message": "Request Too Long"})
        raw = req.rfile.read(length) if length else b""
        if split.path != self.route or req.command != self.method:
            return self._send(req, 403, {"message": "Missing Authentication Token"})
        event = proxy_event(raw if raw else None, method=req.command, path=split.path,
                            headers=dict(req.headers.items()),
                            query=dict(parse_qsl(split.query)) or None, stage=self.stage,
                            source_ip=req.client_address[0])
        request_id = event["requestContext"]["requestId"]
        try:
            result = self.handler(event, LambdaContext())
            status = int(result.get("statusCode", 200))
            body = result.get("body") or ""
            data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
            headers = dict(result.get("headers") or {})
        except Exception:  # API Gateway hides the function's error the same way
            status, headers = 502, {"Content-Type": "application/json"}
            data = json.dumps({"message": "Internal server error"}).encode()
        self.calls.append({"requestId": request_id, "status": status})
        headers.setdefault("x-amzn-RequestId", request_id)
        self._send(req, status, data, headers)

    @staticmethod
    def _send(req: BaseHTTPRequestHandler, status: int, body: bytes | dict,
              headers: dict | None = None) -> None:
        if isinstance(body, dict):
            body = json.dumps(body).encode()
        headers = headers or {"Content-Type": "application/json"}
        req.send_response(status)
        for k, v in headers.items():
            if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                req.send_header(k, str(v))
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)
