"""Server-side request validation from botocore's service models, in AWS's own wording.

botocore validates on the client, but raw SigV4 requests, the AWS CLI, other SDKs and anything
posting to `python -m local_bedrock` do not. Bedrock checks every request against its model
(required members, types, lengths, ranges, enums, patterns) and answers with one
ValidationException listing the problems:

    1 validation error detected: Value '-5' at 'inferenceConfig.maxTokens' failed to satisfy
    constraint: Member must have value greater than or equal to 1

Bodies that are not JSON, nest too deeply or carry invalid Unicode are refused before that.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from functools import lru_cache
from typing import Any

from botocore.model import Shape

from local_bedrock.errors import EngineError

MAX_DEPTH = 64  # nesting levels a request body may use (documents included)
MAX_ERRORS = 10  # AWS lists at most this many problems, then stops
# Identifiers whose pattern the engine leaves to the resolver, which answers as Bedrock does for
# an unknown model ("The provided model identifier is invalid.") and knows custom-model and
# provisioned ARNs that botocore's published pattern does not describe exactly.
PATTERN_CHECKED_ELSEWHERE = {"modelId", "modelIdentifier"}
# Enums the service accepts more of than botocore lists: evaluation jobs take taskType "General",
# which Bedrock's own judge and RAG examples use (local_bedrock.evaluation.validation checks it).
ENUM_CHECKED_ELSEWHERE = {"taskType"}


class Problems:
    """The validation errors found in one request, rendered as Bedrock renders them."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, value: Any, path: str, constraint: str) -> None:
        if len(self.items) < MAX_ERRORS:
            shown = "null" if value is None else f"'{_show(value)}'"
            self.items.append(f"Value {shown} at '{path}' failed to satisfy constraint: "
                              f"Member must {constraint}")

    def raise_if_any(self) -> None:
        if self.items:
            n = len(self.items)
            raise EngineError("ValidationException", f"{n} validation error{'s' * (n != 1)} "
                              f"detected: " + "; ".join(self.items), 400)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, default=str)
    else:
        text = str(value)
    text = text.encode("utf-8", "replace").decode("utf-8")
    return text if len(text) <= 200 else text[:200] + "..."


def load_json(body: bytes | str, what: str = "request body") -> Any:
    """json.loads that answers 400 for bad JSON, invalid UTF-8, deep nesting or lone surrogates."""
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise EngineError("SerializationException",
                              f"The {what} is not valid UTF-8: {exc.reason} at byte "
                              f"{exc.start}.", 400) from None
    if _nesting(body) > MAX_DEPTH:
        raise EngineError("SerializationException", f"The {what} nests JSON more than "
                          f"{MAX_DEPTH} levels deep.", 400)
    try:
        value = json.loads(body)
    except RecursionError:
        raise EngineError("SerializationException", f"The {what} nests JSON too deeply.",
                          400) from None
    except ValueError as exc:
        raise EngineError("SerializationException", f"The {what} is not valid JSON: {exc}",
                          400) from None
    bad = _lone_surrogate(value)
    if bad is not None:
        raise EngineError("SerializationException", f"The {what} contains a lone UTF-16 "
                          f"surrogate (\\u{ord(bad):04x}), which is not valid Unicode.", 400)
    return value


def _nesting(text: str) -> int:
    """The deepest bracket nesting of a JSON text (brackets inside strings ignored)."""
    depth = deepest = 0
    in_str = escaped = False
    for ch in text:
        if in_str:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


_SURROGATE = re.compile("[\ud800-\udfff]")


def _lone_surrogate(value: Any) -> str | None:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            found = _SURROGATE.search(v)
            if found:
                return found.group(0)
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return None


@lru_cache(maxsize=512)
def _pattern(text: str) -> re.Pattern | None:
    try:
        return re.compile(text)
    except re.error:  # a Java-only construct: skip the pattern rather than guess
        return None


def check_value(shape: Shape, value: Any, path: str, problems: Problems) -> None:
    """Check one JSON value (wire names) against its shape; add what is wrong to `problems`."""
    t = shape.type_name
    if t == "structure":
        if getattr(shape, "is_document_type", False):
            return
        if not isinstance(value, dict):
            problems.add(value, path, "be a structure")
            return
        members = shape.members
        wire = {m.serialization.get("name", n): (n, m) for n, m in members.items()}
        for name in shape.required_members:
            key = members[name].serialization.get("name", name)
            if value.get(key) is None:
                problems.add(None, _join(path, name), "not be null")
        set_members = [k for k in value if k in wire and value[k] is not None]
        if shape.metadata.get("union") and len(set_members) != 1:
            problems.add(value, path, "have exactly one member set (one of "
                         + ", ".join(sorted(wire)) + ")")
        for key in set_members:
            name, member = wire[key]
            check_value(member, value[key], _join(path, name), problems)
        return
    if value is None:
        return
    if t == "list":
        if not isinstance(value, list):
            problems.add(value, path, "be a list")
            return
        _length(shape, len(value), value, path, problems)
        for i, item in enumerate(value, 1):
            if item is None:
                problems.add(None, f"{path}.{i}.member", "not be null")
            else:
                check_value(shape.member, item, f"{path}.{i}.member", problems)
        return
    if t == "map":
        if not isinstance(value, dict):
            problems.add(value, path, "be a map")
            return
        _length(shape, len(value), value, path, problems)
        for k, v in value.items():
            check_value(shape.key, k, f"{path}.{k}.key", problems)
            if v is not None:
                check_value(shape.value, v, f"{path}.{k}.value", problems)
        return
    if t == "string":
        if not isinstance(value, str):
            problems.add(value, path, "be a string")
            return
        _length(shape, len(value), value, path, problems)
        enum = shape.metadata.get("enum")
        if enum and value not in enum and path.rsplit(".", 1)[-1] not in ENUM_CHECKED_ELSEWHERE:
            problems.add(value, path, f"satisfy enum value set: [{', '.join(enum)}]")
        pattern = shape.metadata.get("pattern")
        if path.rsplit(".", 1)[-1] in PATTERN_CHECKED_ELSEWHERE:
            pattern = None
        regex = _pattern(pattern) if pattern else None
        if regex is not None and not regex.fullmatch(value):
            problems.add(value, path, f"satisfy regular expression pattern: {pattern}")
        return
    if t in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            problems.add(value, path, "be an integer")
            return
        _range(shape, value, path, problems)
        return
    if t in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.add(value, path, "be a number")
            return
        _range(shape, value, path, problems)
        return
    if t == "boolean":
        if not isinstance(value, bool):
            problems.add(value, path, "be a boolean")
        return
    if t == "blob":
        if not isinstance(value, str):
            problems.add(value, path, "be a base64-encoded string")
            return
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            problems.add(value[:40], path, "be valid base64")
            return
        _length(shape, len(raw), "<bytes>", path, problems)
        return
    if t == "timestamp" and not isinstance(value, (int, float, str)):
        problems.add(value, path, "be a timestamp")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _length(shape: Shape, n: int, value: Any, path: str, problems: Problems) -> None:
    lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
    if lo is not None and n < lo:
        problems.add(value, path, f"have length greater than or equal to {lo}")
    if hi is not None and n > hi:
        problems.add(value, path, f"have length less than or equal to {hi}")


def _range(shape: Shape, value: float, path: str, problems: Problems) -> None:
    lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
    if lo is not None and value < lo:
        problems.add(value, path, f"have value greater than or equal to {_num(lo)}")
    if hi is not None and value > hi:
        problems.add(value, path, f"have value less than or equal to {_num(hi)}")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
