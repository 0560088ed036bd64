"""Every Bedrock runtime call in this process, appended as one JSON line in the schema of
Bedrock model invocation logs (plus latency, error and workshop context).

Hooks into botocore's event system for every session created after `install()`, so calls
made by boto3 directly or by libraries (langchain-aws, strands) are logged alike.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import threading
import time
from pathlib import Path
from typing import Any, Iterator

from botocore.eventstream import EventStream
from botocore.response import StreamingBody

from local_bedrock.hooks import install_global, uninstall_global
from local_bedrock.records import chunk_text as _chunk_text
from local_bedrock.records import json_or_text as _json_or_text
from local_bedrock.records import summarise

LOGGED_OPERATIONS = ("Converse", "ConverseStream", "InvokeModel", "InvokeModelWithResponseStream")
LOG_FILE = "invocations.jsonl"
_lock = threading.Lock()


class InvocationLogger:
    """Collects one record per runtime call; appends each to <log_dir>/invocations.jsonl."""

    def __init__(self, log_dir: str | os.PathLike, mode: str, region: str):
        self.log_dir = Path(log_dir)
        self.mode = mode
        self.region = region
        self.records: list[dict] = []
        self.lab = Path.cwd().name
        self.notebook = os.environ.get("WORKSHOP_NOTEBOOK") or os.environ.get("JPY_SESSION_NAME", "")

    # -- botocore event handlers -------------------------------------------------------------
    def before_parameter_build(self, params: dict, model, context: dict, **kwargs) -> None:
        if model.name in LOGGED_OPERATIONS and model.service_model.service_name == "bedrock-runtime":
            context["workshop_log"] = {"start": time.perf_counter(), "params": params,
                                       "region": context.get("client_region")}

    def after_call(self, http_response, parsed: dict, model, context: dict, **kwargs) -> None:
        state = context.get("workshop_log")
        if state is None:
            return
        if http_response.status_code >= 300:
            err = parsed.get("Error", {})
            self._write(model.name, state, parsed, error={
                "code": err.get("Code", "Unknown"), "message": err.get("Message", ""),
                "status": http_response.status_code})
            return
        if model.name == "InvokeModel":
            data = parsed["body"].read()
            parsed["body"] = StreamingBody(io.BytesIO(data), len(data))
            headers = http_response.headers
            tokens = (int(headers.get("x-amzn-bedrock-input-token-count", 0)),
                      int(headers.get("x-amzn-bedrock-output-token-count", 0)))
            self._write(model.name, state, parsed, body=_json_or_text(data), tokens=tokens)
        elif model.name == "Converse":
            usage = parsed.get("usage", {})
            body = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
            self._write(model.name, state, parsed, body=body,
                        tokens=(usage.get("inputTokens", 0), usage.get("outputTokens", 0)),
                        usage=usage)
        else:
            key = "stream" if model.name == "ConverseStream" else "body"
            parsed[key] = LoggedStream(parsed[key], self, model.name, state, parsed)

    def after_call_error(self, exception: Exception, context: dict, **kwargs) -> None:
        state = context.get("workshop_log")
        if state is not None:
            self._write(state.get("operation", "Unknown"), state, {}, error={
                "code": type(exception).__name__, "message": str(exception), "status": 0})

    # -- records -----------------------------------------------------------------------------
    def _write(self, operation: str, state: dict, parsed: dict, body: Any = None,
               tokens: tuple[int, int] = (0, 0), error: dict | None = None,
               first_token_ms: float | None = None, usage: dict | None = None) -> dict:
        params = state["params"]
        meta = parsed.get("ResponseMetadata", {})
        request_body: Any = {k: v for k, v in params.items() if k not in ("modelId", "body")}
        if "body" in params:
            raw = params["body"]
            request_body = _json_or_text(raw.encode() if isinstance(raw, str) else raw)
        record = {
            "schemaType": "ModelInvocationLog",
            "schemaVersion": "1.0",
            "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "region": state.get("region") or self.region,  # the calling client's region
            "requestId": meta.get("RequestId", ""),
            "operation": operation,
            "modelId": params.get("modelId", ""),
            "input": {"inputContentType": "application/json",
                      "inputBodyJson": summarise(request_body), "inputTokenCount": tokens[0]},
            "output": {"outputContentType": "application/json",
                       "outputBodyJson": summarise(body), "outputTokenCount": tokens[1]},
            "latencyMs": round((time.perf_counter() - state["start"]) * 1000, 2),
            "error": error,
            "workshop": {"mode": self.mode, "lab": self.lab, "notebook": self.notebook,
                         "retries": meta.get("RetryAttempts", 0)},
        }
        if usage and ("cacheReadInputTokens" in usage or "cacheWriteInputTokens" in usage):
            record["input"]["cacheReadInputTokenCount"] = usage.get("cacheReadInputTokens", 0)
            record["input"]["cacheWriteInputTokenCount"] = usage.get("cacheWriteInputTokens", 0)
        if first_token_ms is not None:
            record["timeToFirstTokenMs"] = first_token_ms
        guardrail = _guardrail(params, body)  # lab 07: which guardrail, and did it intervene
        if guardrail:
            record["workshop"]["guardrail"] = guardrail
        self.append(record)
        return record

    def append(self, record: dict) -> None:
        """Keep the record in memory and append it to the log file (never truncating)."""
        with _lock:
            self.records.append(record)
            self.log_dir.mkdir(parents=True, exist_ok=True)
            with open(self.log_dir / LOG_FILE, "a", encoding="utf-8") as f:
                f.write(json.dumps(record, default=str) + "\n")

    # -- installation ----------------------------------------------------------------------------
    def handlers(self) -> list[tuple[str, Any]]:
        return [("before-parameter-build.bedrock-runtime", self.before_parameter_build),
                ("after-call.bedrock-runtime", self.after_call),
                ("after-call-error.bedrock-runtime", self.after_call_error)]

    def install(self) -> None:
        """Hook into every botocore session created from now on."""
        install_global(self.handlers())

    def uninstall(self) -> None:
        """Remove the hooks (sessions already created keep them)."""
        uninstall_global(self.handlers())


def _guardrail(params: dict, body: Any) -> dict | None:
    """{id, version, action: INTERVENED|NONE} for a call made with a guardrail, else None."""
    cfg = params.get("guardrailConfig") or {}
    gid = cfg.get("guardrailIdentifier") or params.get("guardrailIdentifier")
    if not gid:
        return None
    intervened = isinstance(body, dict) and (body.get("stopReason") == "guardrail_intervened" or
                                             body.get("amazon-bedrock-guardrailAction") == "INTERVENED")
    return {"id": gid, "version": cfg.get("guardrailVersion") or params.get("guardrailVersion"),
            "action": "INTERVENED" if intervened else "NONE"}


class LoggedStream(EventStream):
    """Wraps a response event stream; logs the call once the stream has been read. An
    EventStream itself, so type checks (OpenTelemetry's botocore instrumentation) still match."""

    def __init__(self, inner, logger: InvocationLogger, operation: str, state: dict, parsed: dict):
        self._inner, self._logger, self._op = inner, logger, operation
        self._state, self._parsed = state, parsed

    def __iter__(self) -> Iterator[dict]:
        text, usage, stop, first = [], {}, None, None
        error = None
        try:
            for event in self._inner:
                if first is None:
                    first = round((time.perf_counter() - self._state["start"]) * 1000, 2)
                if "contentBlockDelta" in event:
                    text.append(event["contentBlockDelta"]["delta"].get("text", ""))
                elif "messageStop" in event:
                    stop = event["messageStop"]["stopReason"]
                elif "metadata" in event:
                    usage = event["metadata"].get("usage", {})
                elif "chunk" in event:
                    chunk = _json_or_text(event["chunk"]["bytes"])
                    text.append(_chunk_text(chunk))
                    if isinstance(chunk, dict) and chunk.get("amazon-bedrock-guardrailAction") == "INTERVENED":
                        stop = "guardrail_intervened"
                    metrics = chunk.get("amazon-bedrock-invocationMetrics") if isinstance(chunk, dict) else None
                    if metrics:
                        usage = {"inputTokens": metrics.get("inputTokenCount", 0),
                                 "outputTokens": metrics.get("outputTokenCount", 0)}
                yield event
        except Exception as exc:
            error = {"code": getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__),
                     "message": str(exc), "status": 0}
            raise
        finally:
            body = {"output": {"message": {"role": "assistant", "content": [{"text": "".join(text)}]}},
                    "stopReason": stop, "usage": usage}
            self._logger._write(self._op, self._state, self._parsed, body=body,
                                tokens=(usage.get("inputTokens", 0), usage.get("outputTokens", 0)),
                                error=error, first_token_ms=first, usage=usage)

    def close(self) -> None:
        self._inner.close()

    def __getattr__(self, name: str) -> Any:  # the rest of EventStream's API, from the stream
        if name == "_inner":
            raise AttributeError(name)
        return getattr(self._inner, name)


def read_logs(log_dir: str | os.PathLike | None = None) -> list[dict]:
    """All records in a log directory (default WORKSHOP_LOG_DIR or .workshop/logs)."""
    path = Path(log_dir or default_log_dir()) / LOG_FILE
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def default_log_dir() -> Path:
    """WORKSHOP_LOG_DIR, else <repo>/.workshop/logs."""
    env = os.environ.get("WORKSHOP_LOG_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / ".workshop" / "logs"
