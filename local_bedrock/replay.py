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
import json
import re
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

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
