"""The engine: routes a Bedrock HTTP request to its handler, or to moto for other AWS services.

One `Engine.handle(Request) -> Response` serves both transports: the HTTP server
(`local_bedrock.server`) and the in-process botocore hook (`local_bedrock.inprocess`).
"""

from __future__ import annotations

import collections
import json
import logging
import re
import threading
import time
import traceback
import uuid
from typing import TYPE_CHECKING, Callable

from local_bedrock import catalog
from local_bedrock.control.inference_profiles import DelegateToMoto
from local_bedrock.errors import EngineError
from local_bedrock.faults import FaultConfig, Faults
from local_bedrock.runtime import models as runtime_models
from local_bedrock.wire import protocol
from local_bedrock.wire.protocol import Request, Response

if TYPE_CHECKING:
    from local_bedrock.replay import Cassette

log = logging.getLogger("local_bedrock")
ENGINE_SAYS = "local_bedrock: the workshop's deterministic offline engine, not a model"
Handler = Callable[["Engine", dict], dict]

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
_UA_API = re.compile(r"\bapi/([a-z0-9-]+)#")


def _handlers() -> dict[tuple[str, str], Handler]:
    from local_bedrock.control import foundation_models as fm
    from local_bedrock.control import inference_profiles
    from local_bedrock.runtime import converse, invoke

    table: dict[tuple[str, str], Handler] = {
        ("bedrock-runtime", "Converse"): converse.converse,
        ("bedrock-runtime", "ConverseStream"): converse.converse_stream,
        ("bedrock-runtime", "CountTokens"): converse.count_tokens,
        ("bedrock-runtime", "InvokeModel"): invoke.invoke_model,
        ("bedrock-runtime", "InvokeModelWithResponseStream"): invoke.invoke_model_stream,
        ("bedrock", "ListFoundationModels"): fm.list_foundation_models,
        ("bedrock", "GetFoundationModel"): fm.get_foundation_model,
        **inference_profiles.HANDLERS,
    }
    return table


class Engine:
    """The local Bedrock: state, fault injection and request dispatch."""

    def __init__(self, region: str = catalog.DEFAULT_REGION, faults: FaultConfig | None = None,
                 replay: "Cassette | None" = None):
        self.region = region
        self.replay = replay
        self.faults = Faults(faults)
        self.handlers = _handlers()
        self.state: dict[str, object] = {}  # per-family state, e.g. guardrail store
        # custom models and provisioned throughputs the runtime serves (lab 04): ARN ->
        # {"baseModelId", "name", "respond"}, filled by local_bedrock.customization
        self.custom_models: dict[str, dict] = {}
        # model ids answered with AccessDeniedException, as for an account without model access
        self.denied_models: set[str] = runtime_models.denied_from_env()
        self._repeats: collections.Counter[str] = collections.Counter()
        self._repeats_lock = threading.Lock()
        self._moto = None
        self._moto_lock = threading.Lock()
        self._clients: dict[str, object] = {}
        self._call_region = threading.local()  # the region a request was signed for
        self.guardrail_input = _no_guardrail_input
        self.guardrail_output = _no_guardrail_output
        # fn(operation=, params=, output=, error=, latency_ms=, request_id=, headers=) called after
        # each bedrock-runtime call (streams: once the stream ends); see local_bedrock.observability
        self.observers: list[Callable[..., None]] = []
        from local_bedrock import blas, extensions

        blas.use_one_thread()
        extensions.install(self)

    def next_repeat(self, key: str) -> int:
        """How many times this engine has now been sent this sampled request (1 the first time):
        at temperature > 0 the stand-in answers each repeat differently, as a model would."""
        with self._repeats_lock:
            self._repeats[key] += 1
            return self._repeats[key]

    @property
    def call_region(self) -> str:
        """The region of the request being handled (its SigV4 scope), else the engine's region:
        a client made for us-west-2 reaches the same engine and is answered as us-west-2."""
        return getattr(self._call_region, "name", None) or self.region

    # -- dispatch --------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        """Answer one HTTP request (never raises; errors become Bedrock error responses)."""
        request_id = str(uuid.uuid4())
        if request.path.startswith("/_engine/"):
            return self._admin(request, request_id)
        auth = request.header("Authorization") or ""
        scope = _SCOPE.search(auth)
        signing = scope.group(2) if scope else None
        self._call_region.name = scope.group(1) if scope else self.region
        if request.path.startswith("/openai/"):  # Chat Completions / Responses (openai SDK)
            from local_bedrock.openai_compat import routes as openai_routes

            return openai_routes.handle(self, request)
        if signing not in (None, "bedrock"):
            return self.moto(request)
        services = list(protocol.BEDROCK_SERVICES)
        hint = _UA_API.search(request.header("User-Agent") or "")
        if hint and hint.group(1) in services:
            services.remove(hint.group(1))
            services.insert(0, hint.group(1))
        matches = protocol.match(request, services)
        if not matches:
            return protocol.error_response(
                "UnknownOperationException",
                f"The local engine knows no Bedrock operation at {request.method} {request.path}.",
                404, request_id)
        if self.replay is not None:
            return self._replay(matches[0][0], request, request_id)
        for route, path_params in matches:
            handler = self.handlers.get((route.service, route.operation))
            if handler is not None:
                return self._call(route, handler, request, path_params, request_id)
        route = matches[0][0]
        if route.service in ("bedrock", "bedrock-agent"):
            return self.moto(request)
        return protocol.error_response(
            "NotImplementedException",
            f"{route.service} {route.operation} is not served by the local engine (offline mode). "
            "Run this in live mode, or see 00_prerequisites/03 for what the engine serves.",
            501, request_id)

    def _call(self, route, handler: Handler, request: Request, path_params: dict,
              request_id: str) -> Response:
        op = protocol.service_model(route.service).operation_model(route.operation)
        start, params = time.perf_counter(), dict(path_params)
        try:
            params = protocol.parse_request(op, request, path_params)
            output = handler(self, params)
            extra = output.pop("_headers", {})
            if self.observers and route.service == "bedrock-runtime":
                output = self._observed(route.operation, params, output, extra, start, request_id)
            response = protocol.serialize_response(op, output, request_id)
            response.headers.update(extra)
            response.headers["x-local-bedrock-engine"] = ENGINE_SAYS
            return response
        except DelegateToMoto:
            return self.moto(request)
        except EngineError as err:
            if self.observers and route.service == "bedrock-runtime":
                self._notify(route.operation, params, None, err, start, request_id, {})
            return protocol.error_response(err.code, err.message, err.status, request_id)
        except Exception as exc:  # a bug in the engine: say so, don't pretend it is Bedrock
            log.error("local engine error in %s: %s", route.operation, traceback.format_exc())
            return protocol.error_response(
                "InternalServerException",
                f"Local engine bug while handling {route.operation}: {type(exc).__name__}: {exc}",
                500, request_id)

    # -- observers ---------------------------------------------------------------------------
    def _observed(self, operation: str, params: dict, output: dict, headers: dict, start: float,
                  request_id: str) -> dict:
        """Notify observers now, or, for a streamed answer, when its event stream ends."""
        name = next((k for k in ("stream", "body") if k in output
                     and not isinstance(output[k], (bytes, bytearray, str))), None)
        if name is None:
            self._notify(operation, params, output, None, start, request_id, headers)
            return output

        def watched(events):
            seen, error = [], None
            try:
                for event in events:
                    seen.append(event)
                    yield event
            except EngineError as err:
                error = err
                raise
            finally:
                self._notify(operation, params, {**output, name: seen}, error, start, request_id,
                             headers)

        return {**output, name: watched(output[name])}

    def _notify(self, operation: str, params: dict, output: dict | None, error, start: float,
                request_id: str, headers: dict) -> None:
        latency_ms = round((time.perf_counter() - start) * 1000, 2)
        for observer in list(self.observers):
            try:
                observer(operation=operation, params=params, output=output, error=error,
                         latency_ms=latency_ms, request_id=request_id, headers=headers)
            except Exception:  # an observer must never break the answer
                log.error("engine observer failed: %s", traceback.format_exc())

    def _replay(self, route, request: Request, request_id: str) -> Response:
        from local_bedrock.replay import request_key

        key = request_key(request.method, request.path, request.query, request.body)
        entry = self.replay.lookup(key)
        if entry is None:
            return protocol.error_response(
                "NoRecordingException",
                f"Replay mode has no recording of {route.service} {route.operation} with this "
                f"exact request (key {key[:12]}). Record it with WORKSHOP_MODE=record in live "
                f"mode, or run offline.", 400, request_id)
        if entry["error"]:
            err = entry["error"]
            return protocol.error_response(err["code"], err["message"], err["status"], request_id)
        op = protocol.service_model(entry["service"]).operation_model(entry["operation"])
        output = dict(entry["output"])
        for name in ("stream", "body"):
            if isinstance(output.get(name), list):
                output[name] = iter(output[name])
        response = protocol.serialize_response(op, output, request_id)
        response.headers.update(entry.get("headers") or {})
        return response

    # -- internal clients -------------------------------------------------------------------
    def client(self, service: str):
        """A boto3 client answered in-process by this engine: how families use S3, Logs, ..."""
        with self._moto_lock:
            if service not in self._clients:
                from botocore.config import Config

                from local_bedrock.inprocess import InProcessTransport

                endpoint = "http://engine.local-bedrock.internal"
                client = _shared_session().client(
                    service, endpoint_url=endpoint, region_name=self.region,
                    aws_access_key_id="offline-workshop", aws_secret_access_key="offline-workshop",
                    config=Config(retries={"mode": "standard", "total_max_attempts": 1},
                                  s3={"addressing_style": "path"}))
                InProcessTransport(self, endpoint).attach(client)
                self._clients[service] = client
            return self._clients[service]

    # -- moto --------------------------------------------------------------------------------
    def moto(self, request: Request) -> Response:
        """Serve a request with moto (S3, CloudWatch, Logs, IAM, STS, Bedrock CRUD...)."""
        from werkzeug.test import EnvironBuilder, run_wsgi_app

        with self._moto_lock:
            if self._moto is None:
                from moto.moto_server.werkzeug_app import (
                    DomainDispatcherApplication,
                    create_backend_app,
                )

                self._moto = DomainDispatcherApplication(create_backend_app)
        headers = dict(request.headers)
        builder = EnvironBuilder(path=request.path, method=request.method,
                                 query_string=request.query, headers=headers, data=request.body)
        environ = builder.get_environ()
        builder.close()
        try:
            app_iter, status, resp_headers = run_wsgi_app(self._moto, environ)
        except NotImplementedError as exc:  # moto raises this for operations it lacks
            return protocol.error_response(
                "NotImplementedException",
                f"{request.method} {request.path} is not served by the local engine (offline "
                f"mode): {exc}. Run this in live mode, or see 00_prerequisites/03 for what the "
                "engine serves.", 501, str(uuid.uuid4()))
        try:
            body = b"".join(app_iter)
        finally:
            if hasattr(app_iter, "close"):
                app_iter.close()
        out_headers = {k: v for k, v in resp_headers.items() if k.lower() != "content-length"}
        return Response(int(status.split()[0]), out_headers, body)

    # -- admin ---------------------------------------------------------------------------------
    def _admin(self, request: Request, request_id: str) -> Response:
        ok = {"Content-Type": "application/json"}
        if request.path == "/_engine/health":
            return Response(200, ok, json.dumps({"status": "ok", "engine": "local_bedrock",
                                                 "region": self.region}).encode())
        if request.path == "/_engine/faults" and request.method == "GET":
            return Response(200, ok, json.dumps(self.faults.config.__dict__).encode())
        if request.path == "/_engine/faults" and request.method == "POST":
            try:
                cfg = self.faults.configure(FaultConfig(**json.loads(request.body or b"{}")))
            except (TypeError, ValueError) as exc:
                return protocol.error_response("ValidationException", f"bad fault config: {exc}",
                                               400, request_id)
            return Response(200, ok, json.dumps(cfg.__dict__).encode())
        return protocol.error_response("UnknownOperationException", "unknown admin path", 404,
                                       request_id)


_SESSION: list = []


def _shared_session():
    """One boto3 session for every engine's internal clients (service models load once)."""
    if not _SESSION:
        import boto3

        _SESSION.append(boto3.session.Session())
    return _SESSION[0]


def _no_guardrail_input(params: dict, req) -> None:
    if params.get("guardrailConfig"):
        from local_bedrock.errors import validation

        raise validation("Guardrails are not installed in this engine build.")
    return None


def _no_guardrail_output(params: dict, req, out: dict) -> dict:
    return out
