"""HTTP for the OpenAI-compatible routes: authentication, dispatch, JSON and server-sent events.

Authentication as bedrock-runtime takes it: `Authorization: Bearer <Bedrock API key>` (offline:
any non-empty key; `utils.openai_compat` gives one) or a SigV4 signature (accepted unchecked, as
the engine does for every request). No Authorization header: 403 "Missing Authentication Token"
(AWS's answer to an unsigned request); an empty bearer key: 403 with the message Bedrock gives a
key it cannot use ("Authentication failed: Please make sure your API Key is valid.", quoted in
public issue threads). GET /openai/v1/models is not documented for bedrock-runtime (only
bedrock-mantle lists models), so it is answered 404 like any path the engine does not serve.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
import uuid
from typing import Iterator

from local_bedrock.openai_compat import chat, common, responses_api
from local_bedrock.openai_compat.common import OpenAIError
from local_bedrock.wire.protocol import Request, Response

PREFIX = "/openai/v1"
ENGINE_SAYS = "local_bedrock: the workshop's deterministic offline engine, not a model"
MISSING_AUTH = "Missing Authentication Token"
BAD_KEY = "Authentication failed: Please make sure your API Key is valid."
_RESPONSE_ID = re.compile(rf"^{PREFIX}/responses/([^/]+)$")
log = logging.getLogger("local_bedrock")


def handle(engine, request: Request) -> Response:
    """Answer one request under /openai/ (never raises: errors get OpenAI's error body)."""
    request_id = str(uuid.uuid4())
    api, body = None, None
    try:
        _authenticate(request)
        if engine.replay is not None:
            raise OpenAIError(400, "Replay mode records boto3 calls only; the openai SDK's calls "
                                   "were not recorded. Run this notebook offline or live.",
                              "no_recording")
        path = request.path.rstrip("/")
        if request.method == "POST" and path == f"{PREFIX}/chat/completions":
            api, body = common.CHAT, _json(request)
            answer, usage = chat.create(engine, body)
        elif request.method == "POST" and path == f"{PREFIX}/responses":
            api, body = common.RESPONSES, _json(request)
            answer, usage = responses_api.create(engine, body, request.headers)
        elif request.method == "GET" and _RESPONSE_ID.match(path):
            return _json_response(200, responses_api.retrieve(engine, _RESPONSE_ID.match(path)
                                                              .group(1)), request_id)
        else:
            raise OpenAIError(404, f"The local engine serves POST {PREFIX}/chat/completions, POST "
                                   f"{PREFIX}/responses and GET {PREFIX}/responses/{{id}}; "
                                   f"{request.method} {request.path} is not served (Bedrock "
                                   "documents no other OpenAI-compatible operation on "
                                   "bedrock-runtime).", "unknown_route")
    except OpenAIError as err:
        if api is not None and isinstance(body, dict):
            common.log_invocation(engine, api, str(body.get("model")), body, None, (0, 0), err,
                                  request_id)
        return _json_response(err.status, err.body(), request_id)
    except Exception as exc:  # a bug in the engine: say so, don't pretend it is Bedrock
        log.error("local engine error on %s: %s", request.path, traceback.format_exc())
        err = OpenAIError(500, f"Local engine bug while handling {request.method} {request.path}: "
                               f"{type(exc).__name__}: {exc}", "internal_server_error")
        return _json_response(500, err.body(), request_id)
    if isinstance(answer, dict):
        common.log_invocation(engine, api, body["model"], body, answer, usage, None, request_id)
        return _json_response(200, answer, request_id)
    return _sse(engine, api, body, answer, usage, request_id)


def _authenticate(request: Request) -> None:
    auth = (request.header("Authorization") or "").strip()
    if not auth:
        raise OpenAIError(403, MISSING_AUTH, "missing_authentication_token")
    if auth.lower().startswith("bearer"):
        if not auth[len("bearer"):].strip():
            raise OpenAIError(403, BAD_KEY, "access_denied_error")
        return
    if not auth.startswith("AWS4-HMAC-SHA256"):
        raise OpenAIError(403, BAD_KEY, "access_denied_error")


def _json(request: Request) -> dict:
    try:
        body = json.loads(request.body or b"")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise OpenAIError(400, f"We could not parse the JSON body of your request: {exc}.",
                          "invalid_json") from None
    if not isinstance(body, dict):
        raise OpenAIError(400, "The request body must be a JSON object.", "invalid_json")
    return body


def _headers(request_id: str, content_type: str) -> dict:
    return {"Content-Type": content_type, "x-amzn-RequestId": request_id,
            "x-request-id": request_id, "x-local-bedrock-engine": ENGINE_SAYS}


def _json_response(status: int, payload: dict, request_id: str) -> Response:
    return Response(status, _headers(request_id, "application/json"),
                    json.dumps(payload).encode())


def _sse(engine, api: str, body: dict, events: Iterator[dict], usage: tuple[int, int],
         request_id: str) -> Response:
    """Server-sent events: `data: {...}` lines (Responses also name each `event:`); Chat
    Completions end with `data: [DONE]`. The invocation log is written when the stream ends."""

    def frames() -> Iterator[bytes]:
        last = None
        for event in events:
            last = event
            name = f"event: {event['type']}\n" if api == common.RESPONSES else ""
            yield f"{name}data: {json.dumps(event)}\n\n".encode()
        if api == common.CHAT:
            yield b"data: [DONE]\n\n"
        final = (last or {}).get("response") if api == common.RESPONSES else None
        common.log_invocation(engine, api, body["model"], body, final or {"streamed": True},
                              usage, None, request_id)

    return Response(200, {**_headers(request_id, "text/event-stream"),
                          "Cache-Control": "no-cache"}, frames())
