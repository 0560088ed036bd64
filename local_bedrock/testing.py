"""local_bedrock as a test double for any Bedrock application (what moto is for the rest of AWS).

    from local_bedrock.testing import mock_bedrock

    def test_summary():
        with mock_bedrock() as bedrock:          # a fresh Engine for the block
            answer = my_app.summarise("...")     # the app calls boto3.client("bedrock-runtime")
        assert bedrock.calls[0].operation == "Converse"

    @mock_bedrock(faults="rpm=0")                # every runtime call throttled
    def test_throttled(): ...

Inside the block every `bedrock`, `bedrock-runtime`, `bedrock-agent` and `bedrock-agent-runtime`
client created with boto3 or botocore (by the test or by the code under test, with plain
`boto3.client(...)`) is answered by the engine in-process. botocore still builds, validates,
signs and parses each request and response: only the socket is skipped, through botocore's own
`before-send` event, registered for every new session (botocore.handlers.BUILTIN_HANDLERS, as
moto does). Other services (S3, STS, ...) are left alone: combine with moto's `mock_aws` for them.

While a mock is active:
- the process environment has dummy credentials and the mock's region (no AWS account, no
  ~/.aws files, no profile or Bedrock API key is used); `boto3.DEFAULT_SESSION` is fresh;
- `bedrock.faults` is the engine's fault injection (`configure(rpm=0)` throttles every call,
  `error_rate=1.0` fails every call with a 5xx, `latency_ms=...` delays answers);
- `bedrock.calls` lists every request that reached the engine (retries included);
- with `replay=<cassette.jsonl>` the engine answers only from recorded responses
  (`record_bedrock` writes them from a live run).

`stop()` (or leaving the block) restores the environment, the default session and botocore's
handler list, and forgets the engine's state (guardrails, custom models and, unless moto's own
mock is active, the moto backends the engine used): two sequential uses see fresh engines.
A client created inside a block and kept (a module-level cache) is answered by whichever mock is
active when it calls; outside any mock it goes to AWS as usual.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import unquote

import boto3
import botocore.handlers
from botocore.awsrequest import AWSResponse

from local_bedrock.engine import Engine
from local_bedrock.faults import FaultConfig
from local_bedrock.hooks import install_global, uninstall_global
from local_bedrock.inprocess import _Raw, engine_request
from local_bedrock.wire.protocol import BEDROCK_SERVICES

__all__ = ["BedrockMock", "Call", "current", "mock_bedrock", "record_bedrock"]

DUMMY_KEY = "local-bedrock-testing"
INTERNAL_ENDPOINT = "http://engine.local-bedrock.internal"  # the engine's own clients (engine.py)
_CLEARED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
            "AWS_BEARER_TOKEN_BEDROCK", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
            # engine switches read from the environment: a test double starts from its defaults
            "WORKSHOP_FAULTS", "WORKSHOP_OFFLINE_DENY", "WORKSHOP_LOCAL_LLM_URL")
_ENDPOINT_ENV = tuple(f"AWS_ENDPOINT_URL_{s.upper().replace('-', '_')}" for s in BEDROCK_SERVICES)


@dataclass
class Call:
    """One request that reached the engine (each retry attempt is a call)."""

    service: str  # "bedrock-runtime", "bedrock", ...
    operation: str  # "Converse", "InvokeModel", ...
    status: int  # the HTTP status the engine answered
    error_code: str | None  # "ThrottlingException", ... (None on success)
    model_id: str | None  # from the request path (/model/{modelId}/...), if any
    body: Any = field(repr=False, default=None)  # the request body, parsed when JSON
    request_id: str | None = field(repr=False, default=None)


class _Dispatcher:
    """The one before-send handler every session gets while a mock is active.

    It answers with the innermost active mock; with none active it returns None, so a client
    kept from an earlier test goes wherever it would without local_bedrock."""

    def __init__(self) -> None:
        self.stack: list[BedrockMock] = []
        self.lock = threading.RLock()

    def __call__(self, request, event_name: str = "", **kwargs) -> AWSResponse | None:
        parts = event_name.split(".")
        service = parts[1] if len(parts) > 1 else ""
        if service not in BEDROCK_SERVICES or request.url.startswith(INTERNAL_ENDPOINT):
            return None
        mock = self.stack[-1] if self.stack else None
        if mock is None or mock.engine is None:
            return None
        return mock._answer(service, parts[2] if len(parts) > 2 else "", request)


_DISPATCH = _Dispatcher()
# REGISTER_FIRST: answer before other before-send handlers (moto's stubber answers 404 for any
# amazonaws.com URL it lacks, and botocore takes the first response).
_ENTRY = ("before-send", _DISPATCH, botocore.handlers.REGISTER_FIRST)


def current() -> "BedrockMock | None":
    """The innermost active mock (e.g. inside a function decorated with @mock_bedrock())."""
    return _DISPATCH.stack[-1] if _DISPATCH.stack else None


class BedrockMock:
    """A local Bedrock for a block, a decorated function or a pytest fixture.

    region: the region clients default to (AWS_REGION / AWS_DEFAULT_REGION) and the engine's;
        by default the one the environment names (AWS_REGION, AWS_DEFAULT_REGION), else us-east-1,
        so an application that calls `eu.` or `apac.` profiles is tested in its own geography.
    faults: a FaultConfig, a dict of its fields, or the "rpm=60,error_rate=0.1" text form.
    replay: a cassette path (JSONL written by `record_bedrock` or the workshop's record mode):
        Bedrock calls are answered only from it; an unrecorded request gets NoRecordingException.
    deny_models: model ids the engine answers with AccessDeniedException (no model access).
    server: also serve the engine over HTTP on 127.0.0.1 and point AWS_ENDPOINT_URL_BEDROCK*
        at it, so subprocesses (the AWS CLI, another interpreter) reach it too.
    """

    def __init__(self, region: str | None = None, faults: FaultConfig | dict | str | None = None,
                 replay: str | Path | None = None, deny_models: tuple[str, ...] | list[str] = (),
                 server: bool = False):
        self.region = region or os.environ.get("AWS_REGION") or os.environ.get(
            "AWS_DEFAULT_REGION") or "us-east-1"
        self.fault_config = _fault_config(faults)
        self.replay_path = Path(replay) if replay is not None else None
        self.deny_models = tuple(deny_models)
        self.serve_http = server
        self.engine: Engine | None = None
        self.endpoint_url: str | None = None
        self.calls: list[Call] = []
        self._server = None
        self._saved_env: dict[str, str | None] = {}
        self._saved_session = None

    # -- the engine's pieces ---------------------------------------------------------------
    @property
    def faults(self):
        """The engine's fault injection: `configure(rpm=0)`, `configure(error_rate=1.0)`, ..."""
        return self._require().faults

    def client(self, service: str = "bedrock-runtime", **kwargs):
        """A boto3 client for `service` (answered by this engine when it is a Bedrock service)."""
        self._require()
        kwargs.setdefault("region_name", self.region)
        return boto3.session.Session().client(service, **kwargs)

    def calls_to(self, operation: str) -> list[Call]:
        """The calls of one operation, in order."""
        return [c for c in self.calls if c.operation == operation]

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> "BedrockMock":
        """Start a fresh engine and route Bedrock clients to it."""
        if self.engine is not None:
            raise RuntimeError("this mock_bedrock is already active; use a new one to nest")
        cassette = None
        if self.replay_path is not None:
            from local_bedrock.replay import Cassette

            if not self.replay_path.exists():
                raise FileNotFoundError(f"mock_bedrock(replay=...): no cassette at "
                                        f"{self.replay_path}. Record one with record_bedrock().")
            cassette = Cassette(self.replay_path)
        self.calls = []
        self.engine = Engine(region=self.region, faults=self.fault_config, replay=cassette)
        env = {"AWS_ACCESS_KEY_ID": DUMMY_KEY, "AWS_SECRET_ACCESS_KEY": DUMMY_KEY,
               "AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region,
               "AWS_EC2_METADATA_DISABLED": "true",
               "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
        self.engine.denied_models.update(self.deny_models)
        if self.serve_http:
            from local_bedrock.server import EngineServer

            self._server = EngineServer(self.engine).start()
            self.endpoint_url = self._server.url
            env.update(dict.fromkeys(_ENDPOINT_ENV, self.endpoint_url))
        touched = set(env) | set(_CLEARED) | (set(_ENDPOINT_ENV) if self.serve_http else set())
        self._saved_env = {k: os.environ.get(k) for k in touched}
        for k in _CLEARED:
            os.environ.pop(k, None)
        os.environ.update(env)
        with _DISPATCH.lock:
            if not _DISPATCH.stack:
                install_global([_ENTRY])
                _moto_passthrough(True)
            _DISPATCH.stack.append(self)
            self._saved_session = boto3.DEFAULT_SESSION
            boto3.DEFAULT_SESSION = None  # the next boto3.client() makes a session with the hook
        return self

    def stop(self) -> None:
        """Restore the environment, hooks and default session; forget the engine."""
        if self.engine is None:
            return
        with _DISPATCH.lock:
            if self in _DISPATCH.stack:
                _DISPATCH.stack.remove(self)
            if not _DISPATCH.stack:
                uninstall_global([_ENTRY])
                _moto_passthrough(False)
            boto3.DEFAULT_SESSION = self._saved_session
            self._saved_session = None
        if self._server is not None:
            self._server.stop()
            self._server = None
        for k, v in self._saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        self._saved_env = {}
        self._reset_process_state()
        self.engine = None
        self.endpoint_url = None

    def __enter__(self) -> "BedrockMock":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def __call__(self, func: Callable) -> Callable:
        """Use as a decorator: each call of `func` runs with a fresh engine."""
        options = dict(region=self.region, faults=self.fault_config, replay=self.replay_path,
                       deny_models=self.deny_models, server=self.serve_http)
        if inspect.iscoroutinefunction(func):
            @functools.wraps(func)
            async def async_wrapper(*args, **kwargs):
                with BedrockMock(**options):
                    return await func(*args, **kwargs)

            return async_wrapper

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with BedrockMock(**options):
                return func(*args, **kwargs)

        return wrapper

    # -- answering -------------------------------------------------------------------------
    def _answer(self, service: str, operation: str, request) -> AWSResponse:
        incoming = engine_request(request)
        response = self._require().handle(incoming)
        self.calls.append(Call(
            service=service, operation=operation, status=response.status,
            error_code=_header(response.headers, "x-amzn-ErrorType"),
            model_id=_model_id(incoming.path), body=_parsed(incoming.body),
            request_id=_header(response.headers, "x-amzn-RequestId")))
        return AWSResponse(request.url, response.status, response.headers, _Raw(response.body))

    def _require(self) -> Engine:
        if self.engine is None:
            raise RuntimeError("mock_bedrock is not active (use it as `with mock_bedrock() as "
                               "bedrock:` or call start())")
        return self.engine

    # -- state outside the Engine instance ---------------------------------------------------
    def _reset_process_state(self) -> None:
        """Forget what outlives the Engine instance (moto's backends), so the next mock starts fresh."""
        if self.engine is not None and getattr(self.engine, "_moto", None) is not None:
            _reset_moto()


def mock_bedrock(region: str | None = None, faults: FaultConfig | dict | str | None = None,
                 replay: str | Path | None = None, deny_models: tuple[str, ...] | list[str] = (),
                 server: bool = False) -> BedrockMock:
    """A local Bedrock for a `with` block or a decorated test (see BedrockMock for options).
    `@mock_bedrock` without parentheses decorates too."""
    if callable(region):
        return BedrockMock()(region)
    return BedrockMock(region=region, faults=faults, replay=replay, deny_models=deny_models,
                       server=server)


# --------------------------------------------------------------------------- recording


class record_bedrock:
    """Record Bedrock calls made inside the block to a cassette, for `mock_bedrock(replay=...)`.

        with record_bedrock("tests/recordings/summary.jsonl"):   # with AWS credentials: live
            my_app.summarise("...")

    Whatever answers is recorded: Amazon Bedrock in a live run (the point), or an active
    mock_bedrock. Responses are stored parsed (no headers except x-amzn-bedrock-*, no
    credentials; account ids in ARNs masked). The cassette file is appended to.
    """

    def __init__(self, path: str | Path):
        from local_bedrock.replay import Cassette, Recorder

        self.recorder = Recorder(Cassette(path))
        self.cassette = self.recorder.cassette
        self._saved_session = None

    def __enter__(self) -> "record_bedrock":
        self.recorder.install()
        self._saved_session = boto3.DEFAULT_SESSION
        boto3.DEFAULT_SESSION = None
        return self

    def __exit__(self, *exc) -> None:
        self.recorder.uninstall()
        boto3.DEFAULT_SESSION = self._saved_session


# --------------------------------------------------------------------------- helpers


def _fault_config(faults: FaultConfig | dict | str | None) -> FaultConfig:
    if faults is None:
        return FaultConfig()  # explicit: WORKSHOP_FAULTS in the environment is not read
    if isinstance(faults, FaultConfig):
        return faults
    if isinstance(faults, str):
        return FaultConfig.parse(faults)
    return FaultConfig(**faults)


# Bedrock's AWS hosts, for moto's passthrough list (see _moto_passthrough).
_BEDROCK_HOSTS = r"https?://bedrock(-runtime|-agent|-agent-runtime)?(-fips)?\.[a-z0-9-]+\.amazonaws\.com"


def _moto_passthrough(add: bool) -> None:
    """Let Bedrock requests pass moto's mock_aws while a mock_bedrock is active.

    botocore calls every before-send handler: with mock_aws active, moto's answers too (a 404
    or NotImplementedError for Bedrock operations it lacks), even though ours is used. moto
    skips URLs on its passthrough list. Only when moto is already imported (a test module that
    uses mock_aws imports it first)."""
    config = sys.modules.get("moto.core.config")
    if config is None:
        return
    core = config.default_user_config.setdefault("core", {})
    urls = core.setdefault("passthrough", {}).setdefault("urls", [])
    if add and _BEDROCK_HOSTS not in urls:
        urls.append(_BEDROCK_HOSTS)
    while not add and _BEDROCK_HOSTS in urls:
        urls.remove(_BEDROCK_HOSTS)


def _reset_moto() -> None:
    """Empty moto's backends (the engine serves S3, Logs, Bedrock CRUD ... with moto), unless
    moto's own mock_aws is active: then its state is the test's and moto resets it itself."""
    try:
        from moto.core.base_backend import BackendDict
        from moto.core.models import MockAWS
    except ImportError:  # pragma: no cover - moto is a dependency of the engine
        return
    if getattr(MockAWS, "_mocks_active", False):
        return
    BackendDict.reset()
    try:
        from moto.core.model_instances import reset_model_data

        reset_model_data()
    except ImportError:  # pragma: no cover - older moto
        pass


def _header(headers: dict, name: str) -> str | None:
    lower = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lower), None)


def _model_id(path: str) -> str | None:
    parts = path.split("/")
    if len(parts) > 2 and parts[1] == "model":
        return unquote(parts[2])
    return None


def _parsed(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body
