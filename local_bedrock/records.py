"""Pieces of an invocation-log record, shared by the engine's log delivery and `utils`' logger.

Both write Bedrock's model-invocation-log schema; these functions decide how request and
response bodies appear in it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from typing import Any


def summarise(value: Any) -> Any:
    """Copy a request/response for a log: bytes and long vectors summarised, never dumped."""
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes sha256:{hashlib.sha256(value).hexdigest()[:12]}>"
    if isinstance(value, dict):
        return {k: summarise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if len(value) > 32 and all(isinstance(v, (int, float)) for v in value[:32]):
            return f"<{len(value)} numbers>"
        return [summarise(v) for v in value]
    if isinstance(value, str) and len(value) > 2000 and _looks_base64(value):
        return f"<{len(value)} base64 characters>"
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return value


def _looks_base64(s: str) -> bool:
    head = s[:200]
    try:
        base64.b64decode(head[: len(head) // 4 * 4], validate=True)
        return " " not in head
    except ValueError:
        return False


def json_or_text(data: Any) -> Any:
    """A body as parsed JSON when it is JSON, else as text."""
    if isinstance(data, (bytes, bytearray)):
        data = data.decode("utf-8", "replace")
    try:
        return json.loads(data)
    except (TypeError, ValueError):
        return data


def chunk_text(chunk: Any) -> str:
    """The text piece inside one InvokeModelWithResponseStream chunk, for any provider."""
    if not isinstance(chunk, dict):
        return ""
    for path in (("delta", "text"), ("completion",), ("outputText",), ("generation",),
                 ("contentBlockDelta", "delta", "text")):
        node: Any = chunk
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, str):
            return node
    outputs = chunk.get("outputs")
    if isinstance(outputs, list) and outputs and isinstance(outputs[0], dict):
        return outputs[0].get("text", "")
    choices = chunk.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        c = choices[0]
        return ((c.get("delta") or c.get("message") or {}).get("content")) or c.get("text") or ""
    return ""
