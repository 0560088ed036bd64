"""Shared validation and rendering helpers for the provider body formats.

Bedrock validates most provider bodies against a JSON schema before the model sees them and
answers with messages such as::

    Malformed input request: #: extraneous key [foo] is not permitted, please reformat your
    input and try again.

The helpers here produce the same wording, with a JSON-pointer path naming the field.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any

from local_bedrock import errors
from local_bedrock.catalog import Model
from local_bedrock.text.types import GenerationResult

_MISSING = object()


# --------------------------------------------------------------------------- errors

def malformed(path: str, *details: str) -> errors.EngineError:
    """A ValidationException worded like Bedrock's schema validator, for one or more violations."""
    if len(details) == 1:
        inner = f"#{path}: {details[0]}"
    else:
        inner = f"#{path}: {len(details)} schema violations found" + "".join(
            f"#{path}: {d}" for d in details)
    return errors.validation(
        f"Malformed input request: {inner}, please reformat your input and try again.")


def join(path: str, key: str | int) -> str:
    """JSON-pointer child path: join("/messages", 0) -> "/messages/0"."""
    return f"{path}/{key}"


def type_name(value: Any) -> str:
    """The JSON type name Bedrock's validator reports for a value."""
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Number"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "JSONArray"
    if isinstance(value, dict):
        return "JSONObject"
    return type(value).__name__


def wrong_type(path: str, expected: str, value: Any) -> errors.EngineError:
    return malformed(path, f"expected type: {expected}, found: {type_name(value)}")


# --------------------------------------------------------------------------- type checks

def require_object(value: Any, path: str) -> dict:
    if not isinstance(value, dict):
        raise wrong_type(path, "JSONObject", value)
    return value


def check_keys(obj: dict, path: str, allowed: set[str] | frozenset[str],
               required: tuple[str, ...] = ()) -> None:
    """Required keys present and no key outside `allowed` (all violations in one message)."""
    problems = [f"required key [{k}] not found" for k in required if k not in obj]
    problems += [f"extraneous key [{k}] is not permitted" for k in obj if k not in allowed]
    if problems:
        raise malformed(path, *problems)


def _field(obj: dict, key: str, path: str, default: Any) -> tuple[bool, Any, str]:
    """(present, value, child path) of obj[key]; a missing key without a default is an error."""
    if key in obj:
        return True, obj[key], join(path, key)
    if default is _MISSING:
        raise malformed(path, f"required key [{key}] not found")
    return False, default, join(path, key)


def _check_range(v: float, p: str, lo: float | None, hi: float | None) -> None:
    if lo is not None and v < lo:
        raise malformed(p, f"{v} is not greater or equal to {lo}")
    if hi is not None and v > hi:
        raise malformed(p, f"{v} is not less or equal to {hi}")


def _check_size(n: int, p: str, lo: int, hi: int | None, what: str) -> None:
    """Length bounds worded as Bedrock's validator words them, for strings or arrays."""
    if what == "string":
        if n < lo:
            raise malformed(p, f"expected minLength: {lo}, actual: {n}")
        if hi is not None and n > hi:
            raise malformed(p, f"expected maxLength: {hi}, actual: {n}")
    else:
        if n < lo:
            raise malformed(p, f"expected minimum item count: {lo}, found: {n}")
        if hi is not None and n > hi:
            raise malformed(p, f"expected maximum item count: {hi}, found: {n}")


def get_str(obj: dict, key: str, path: str, default: Any = _MISSING, min_length: int = 0,
            max_length: int | None = None, enum: tuple[str, ...] | None = None) -> Any:
    present, v, p = _field(obj, key, path, default)
    if not present:
        return v
    if not isinstance(v, str):
        raise wrong_type(p, "String", v)
    _check_size(len(v), p, min_length, max_length, "string")
    if enum is not None and v not in enum:
        raise malformed(p, f"{v} is not a valid enum value")
    return v


def get_number(obj: dict, key: str, path: str, default: Any = _MISSING,
               lo: float | None = None, hi: float | None = None) -> Any:
    present, v, p = _field(obj, key, path, default)
    if not present:
        return v
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise wrong_type(p, "Number", v)
    _check_range(v, p, lo, hi)
    return float(v)


def get_int(obj: dict, key: str, path: str, default: Any = _MISSING,
            lo: int | None = None, hi: int | None = None) -> Any:
    present, v, p = _field(obj, key, path, default)
    if not present:
        return v
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int):
        raise wrong_type(p, "Integer", v)
    _check_range(v, p, lo, hi)
    return v


def get_bool(obj: dict, key: str, path: str, default: Any = _MISSING) -> Any:
    present, v, p = _field(obj, key, path, default)
    if present and not isinstance(v, bool):
        raise wrong_type(p, "Boolean", v)
    return v


def get_list(obj: dict, key: str, path: str, default: Any = _MISSING, min_items: int = 0,
             max_items: int | None = None) -> Any:
    present, v, p = _field(obj, key, path, default)
    if not present:
        return v
    if not isinstance(v, list):
        raise wrong_type(p, "JSONArray", v)
    _check_size(len(v), p, min_items, max_items, "array")
    return v


def get_str_list(obj: dict, key: str, path: str, default: Any = _MISSING, min_items: int = 0,
                 max_items: int | None = None) -> Any:
    items = get_list(obj, key, path, default, min_items, max_items)
    if items is default:
        return default
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise wrong_type(join(join(path, key), i), "String", item)
    return list(items)


def decode_base64(data: Any, path: str) -> bytes:
    """Decode a base64 string field (standard alphabet, padding required)."""
    if not isinstance(data, str):
        raise wrong_type(path, "String", data)
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise errors.validation(f"{path.lstrip('/').replace('/', '.')}: invalid base64 data") \
            from None


# --------------------------------------------------------------------------- rendering helpers

def invocation_metrics(result: GenerationResult) -> dict[str, int]:
    """The `amazon-bedrock-invocationMetrics` Bedrock appends to the last stream chunk."""
    latency = max(int(result.latency_ms or 0), 1)  # Bedrock never reports 0 ms
    first_byte = latency if result.output_tokens <= 1 else max(latency // 4, 1)
    return {
        "inputTokenCount": int(result.input_tokens),
        "outputTokenCount": int(result.output_tokens),
        "invocationLatency": latency,
        "firstByteLatency": first_byte,
    }


def text_pieces(result: GenerationResult, pieces: list[str]) -> list[str]:
    """The pieces to stream: the caller's, or the whole text as one piece."""
    pieces = [p for p in (pieces or []) if p]
    if not pieces and result.text:
        pieces = [result.text]
    return pieces


def cumulative_counts(pieces: list[str], total: int) -> list[int]:
    """Running output-token counts for each piece, ending exactly at `total`."""
    n = len(pieces)
    if n == 0:
        return []
    return [max(1, round(total * (i + 1) / n)) if total else 0 for i in range(n)]


_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def stable_id(*parts: Any, length: int = 24) -> str:
    """A deterministic base62 id from the given parts (same content -> same id)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    n = int.from_bytes(digest, "big")
    out = []
    for _ in range(length):
        n, r = divmod(n, 62)
        out.append(_B62[r])
    return "".join(out)


def short_model_name(model: Model) -> str:
    """"anthropic.claude-3-haiku-20240307-v1:0" -> "claude-3-haiku-20240307"."""
    name = model.model_id.split(".", 1)[1] if "." in model.model_id else model.model_id
    return re.sub(r"-v\d+(:\d+)?$", "", name)
