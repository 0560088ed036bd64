"""`utils.setup()`: pick the backend (live, offline, replay, record) and wire boto3 to it.

After setup, plain `boto3.client("bedrock-runtime")` (or any library's own client) reaches the
chosen backend through botocore's own extension points: the AWS_ENDPOINT_URL setting and
botocore's event system. Notebook code never changes between modes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import botocore.session
from botocore.credentials import create_credential_resolver

from local_bedrock.catalog import DEFAULT_REGION
from utils.invocation_log import InvocationLogger, default_log_dir

MODES = ("live", "offline", "replay", "record")
REPO = Path(__file__).resolve().parent.parent
DEFAULT_CASSETTE = REPO / "replays" / "workshop.jsonl"
API_KEY_ENV = "AWS_BEARER_TOKEN_BEDROCK"  # a Bedrock API key (botocore sends it as a bearer token)
_OFFLINE_ENV = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION",
                "AWS_DEFAULT_REGION", "AWS_EC2_METADATA_DISABLED", API_KEY_ENV)


@dataclass
class Workshop:
    """What setup() chose: mode, region, and (offline/replay) the engine's endpoint."""

    mode: str
    region: str
    endpoint_url: str | None = None
    account: str | None = None
    logger: InvocationLogger | None = field(default=None, repr=False)
    engine: object | None = field(default=None, repr=False)
    _server: object | None = field(default=None, repr=False)
    _saved_env: dict = field(default_factory=dict, repr=False)
    _hooks: list = field(default_factory=list, repr=False)

    @property
    def banner(self) -> str:
        """One line saying where calls go."""
        if self.mode in ("offline", "replay"):
            what = ("local engine, deterministic, not a model" if self.mode == "offline"
                    else f"recorded responses from {self._cassette_name()}")
            key = (f" | {API_KEY_ENV} set: not used offline"
                   if self._saved_env.get(API_KEY_ENV) else "")
            return (f"Workshop mode: {self.mode} | region {self.region} | engine "
                    f"{self.endpoint_url} ({what}; no AWS calls){key}")
        if self.account:
            acct = f"account ****{self.account[-4:]}"
        elif os.environ.get(API_KEY_ENV):
            acct = "Bedrock API key"
        else:
            acct = "account unknown"
        extra = " | recording to replays/" if self.mode == "record" else ""
        return f"Workshop mode: {self.mode} | region {self.region} | {acct} (real Bedrock, billed){extra}"

    def _cassette_name(self) -> str:
        cassette = getattr(self.engine, "replay", None)
        return cassette.path.name if cassette is not None else "?"

    def simulate_access_denied(self, *model_ids: str) -> None:
        """Offline only: make the engine answer AccessDeniedException for these model ids."""
        if self.engine is None:
            print("Access is real in live mode: nothing to simulate.")
            return
        self.engine.denied_models = set(model_ids)  # type: ignore[attr-defined]

    def configure_faults(self, **changes):
        """Offline only: change the engine's fault injection (quota, latency, error rate)."""
        if self.engine is None:
            print("Fault injection only exists offline; in live mode Bedrock's real quotas apply.")
            return None
        return self.engine.faults.configure(**changes)


_current: Workshop | None = None


def current() -> Workshop | None:
    """The Workshop set up in this process, if any."""
    return _current


def credentials_available() -> bool:
    """True when AWS credentials or a Bedrock API key resolve locally, without probing the
    network (no IMDS)."""
    if os.environ.get(API_KEY_ENV):
        return True
    session = botocore.session.Session()
    resolver = create_credential_resolver(session)
    on_sagemaker = Path("/opt/ml/metadata/resource-metadata.json").exists()
    if not on_sagemaker:
        resolver.remove("iam-role")  # the EC2 metadata probe would wait on the network
    try:
        return resolver.load_credentials() is not None
    except Exception:
        return False


def resolve_mode(mode: str | None = None) -> str:
    """The argument, else WORKSHOP_MODE, else live when credentials resolve, else offline."""
    chosen = (mode or os.environ.get("WORKSHOP_MODE") or "").strip().lower()
    if not chosen:
        return "live" if credentials_available() else "offline"
    if chosen not in MODES:
        raise ValueError(f"Unknown workshop mode {chosen!r}: use one of {', '.join(MODES)} "
                         "(argument to utils.setup() or the WORKSHOP_MODE variable).")
    return chosen


def setup(mode: str | None = None, region: str | None = None, quiet: bool = False,
          log_dir: str | os.PathLike | None = None) -> Workshop:
    """Choose the backend, wire boto3 to it, start logging, print the banner, return a Workshop."""
    global _current
    check_utils_is_ours()
    if _current is not None:
        teardown()
    mode = resolve_mode(mode)
    region = region or os.environ.get("WORKSHOP_REGION") or os.environ.get("AWS_REGION") \
        or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    ws = Workshop(mode=mode, region=region)
    if mode in ("offline", "replay"):
        _start_engine(ws)
    else:
        os.environ.setdefault("AWS_DEFAULT_REGION", region)
    ws.logger = InvocationLogger(log_dir or default_log_dir(), mode, region)
    ws.logger.install()
    ws._hooks.append(ws.logger)
    if mode == "record":
        from local_bedrock.replay import Cassette
        from utils.recorder import Recorder

        recorder = Recorder(Cassette(os.environ.get("WORKSHOP_CASSETTE", DEFAULT_CASSETTE)))
        recorder.install()
        ws._hooks.append(recorder)
    boto3.setup_default_session(region_name=region)  # a fresh session picks up the hooks
    if mode in ("live", "record"):
        ws.account = _account(region)
    from utils.errors import install_ipython_handler

    install_ipython_handler()
    _current = ws
    if not quiet:
        print(ws.banner)
    return ws


def _start_engine(ws: Workshop) -> None:
    from local_bedrock import Engine, EngineServer, InProcessTransport

    cassette = None
    if ws.mode == "replay":
        from local_bedrock.replay import Cassette

        path = Path(os.environ.get("WORKSHOP_CASSETTE", DEFAULT_CASSETTE))
        if not path.exists():
            raise FileNotFoundError(
                f"Replay mode needs a cassette at {path}. Record one with WORKSHOP_MODE=record "
                "(a live run), or use offline mode.")
        cassette = Cassette(path)
    ws.engine = Engine(region=ws.region, replay=cassette)
    ws._server = EngineServer(ws.engine).start()
    ws.endpoint_url = ws._server.url
    ws._saved_env = {k: os.environ.get(k) for k in _OFFLINE_ENV}
    # Offline calls are signed with dummy keys; a Bedrock API key would make botocore use bearer
    # auth, which it sends only over HTTPS (the local engine is plain HTTP on loopback).
    for k in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", API_KEY_ENV):
        os.environ.pop(k, None)
    os.environ.update({
        "AWS_ENDPOINT_URL": ws.endpoint_url,
        "AWS_ACCESS_KEY_ID": "offline-workshop",  # dummy, offline only; restored by teardown()
        "AWS_SECRET_ACCESS_KEY": "offline-workshop",
        "AWS_REGION": ws.region,
        "AWS_DEFAULT_REGION": ws.region,
        "AWS_EC2_METADATA_DISABLED": "true",
    })
    transport = InProcessTransport(ws.engine, ws.endpoint_url)
    transport.attach_globally()
    ws._hooks.append(transport)


def _account(region: str) -> str | None:
    try:
        return boto3.client("sts", region_name=region).get_caller_identity()["Account"]
    except Exception:
        return None


def teardown() -> None:
    """Undo setup(): stop the engine, remove hooks, restore the environment."""
    global _current
    ws = _current
    if ws is None:
        return
    for hook in ws._hooks:
        (getattr(hook, "uninstall", None) or hook.detach_globally)()
    if ws._server is not None:
        ws._server.stop()
    for k, v in ws._saved_env.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    boto3.DEFAULT_SESSION = None
    _current = None


def check_utils_is_ours() -> None:
    """Fail clearly if `import utils` found some other package (PyPI has one called utils)."""
    import utils

    here = Path(utils.__file__).resolve().parent
    if here != Path(__file__).resolve().parent or not getattr(utils, "IS_WORKSHOP_UTILS", False):
        raise ImportError(
            f"`import utils` loaded {here}, not the workshop's utils package. A PyPI package "
            "named 'utils' is shadowing it: run `pip uninstall -y utils` and restart the kernel.")
