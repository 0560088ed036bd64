"""Cassettes: responses recorded from a live run, replayed exactly by the engine.

A cassette is a JSONL file; each line holds a canonical request key (method, path, query and
JSON body with sorted keys, hashed), the operation, and the parsed output or error. Bytes and
datetimes are tagged so they come back as the same types. Account ids are masked when
written; no headers or credentials are ever stored.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import re
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qsl, unquote, urlsplit

from botocore.response import StreamingBody

from local_bedrock.hooks import install_global, uninstall_global
from local_bedrock.wire.protocol import BEDROCK_SERVICES

_ACCOUNT = re.compile(r"(arn:aws[\w-]*:[\w-]+:[\w-]*:)\d{12}(:)")


def request_key(method: str, path: str, query: str, body: bytes | str | None) -> str:
    """The canonical hash of a request: equal for the same call, whatever the signature."""
    if isinstance(body, str):
        body = body.encode()
    try:
        canonical_body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")) \
            if body else ""
    except ValueError:
        canonical_body = hashlib.sha256(body).hexdigest()
    canonical_query = "&".join(f"{k}={v}" for k, v in sorted(parse_qsl(query, keep_blank_values=True)))
    text = f"{method.upper()} {unquote(path)}?{canonical_query}\n{canonical_body}"
    return hashlib.sha256(text.encode()).hexdigest()


def encode(value: Any) -> Any:
    """JSON-safe copy of a parsed boto3 value with bytes/datetimes tagged."""
    if isinstance(value, (bytes, bytearray)):
        return {"__bytes__": base64.b64encode(value).decode()}
    if isinstance(value, dt.datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    return value


def decode(value: Any) -> Any:
    """Inverse of encode()."""
    if isinstance(value, dict):
        if set(value) == {"__bytes__"}:
            return base64.b64decode(value["__bytes__"])
        if set(value) == {"__datetime__"}:
            return dt.datetime.fromisoformat(value["__datetime__"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


class Cassette:
    """Recorded responses, appended while recording and served in order while replaying."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._entries: dict[str, list[dict]] = defaultdict(list)
        self._served: dict[str, int] = defaultdict(int)
        if self.path.exists():
            with open(self.path, encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        entry = json.loads(line)
                        self._entries[entry["key"]].append(entry)

    def __len__(self) -> int:
        return sum(len(v) for v in self._entries.values())

    def record(self, key: str, service: str, operation: str, output: dict | None = None,
               error: dict | None = None, headers: dict | None = None) -> None:
        """Append one recorded call (account ids masked)."""
        entry = {"key": key, "service": service, "operation": operation,
                 "output": encode(output) if output is not None else None, "error": error,
                 "headers": headers or {}}
        line = _ACCOUNT.sub(r"\g<1>123456789012\g<2>", json.dumps(entry))
        with self._lock:
            self._entries[key].append(json.loads(line))
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(line + "\n")

    def lookup(self, key: str) -> dict | None:
        """The next recording for a key (repeats cycle through them in recorded order)."""
        with self._lock:
            entries = self._entries.get(key)
            if not entries:
                return None
            i = self._served[key] % len(entries)
            self._served[key] += 1
            entry = dict(entries[i])
        entry["output"] = decode(entry["output"]) if entry["output"] is not None else None
        return entry


RECORDED_SERVICES = BEDROCK_SERVICES  # what a cassette holds (other services are not recorded)


class Recorder:
    """botocore hooks that key each request and append its parsed response to a cassette: the
    workshop's record mode (utils.setup) and `local_bedrock.testing.record_bedrock` both use it.
    Responses are stored parsed (no headers but x-amzn-bedrock-*); streams once they end."""

    CONTEXT_KEY = "replay_key"

    def __init__(self, cassette: Cassette):
        self.cassette = cassette

    def request_created(self, request, operation_name: str, **kwargs) -> None:
        if not isinstance(request.body, (bytes, bytearray, str, type(None))):
            return  # a streamed upload (S3 PutObject): not a service the cassette records
        split = urlsplit(request.url)
        request.context[self.CONTEXT_KEY] = request_key(
            request.method, split.path, split.query, request.body)

    def after_call(self, http_response, parsed: dict, model, context: dict, **kwargs) -> None:
        key = context.get(self.CONTEXT_KEY)
        service = model.service_model.service_name
        if key is None or service not in RECORDED_SERVICES:
            return
        if http_response.status_code >= 300:
            err = parsed.get("Error", {})
            self.cassette.record(key, service, model.name, error={
                "code": err.get("Code", "Unknown"), "message": err.get("Message", ""),
                "status": http_response.status_code})
            return
        output = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
        headers = {k: v for k, v in http_response.headers.items()
                   if k.lower().startswith("x-amzn-bedrock-")}
        for name, value in list(output.items()):
            if isinstance(value, StreamingBody):
                data = value.read()
                parsed[name] = StreamingBody(io.BytesIO(data), len(data))
                output[name] = data
            elif hasattr(value, "__iter__") and type(value).__name__ in ("EventStream", "LoggedStream"):
                parsed[name] = self._tee(value, key, service, model.name, output, name, headers)
                return
        self.cassette.record(key, service, model.name, output=output, headers=headers)

    def _tee(self, stream, key: str, service: str, operation: str, output: dict, name: str,
             headers: dict) -> Iterator[dict]:
        events: list[Any] = []
        for event in stream:
            events.append(event)
            yield event
        self.cassette.record(key, service, operation, output={**output, name: events},
                             headers=headers)

    def handlers(self) -> list[tuple[str, Any]]:
        return [("request-created", self.request_created), ("after-call", self.after_call)]

    def install(self) -> None:
        """Hook into every botocore session created from now on (after any hooks already there)."""
        install_global(self.handlers())

    def uninstall(self) -> None:
        """Remove the hooks."""
        uninstall_global(self.handlers())
