"""Check a parsed boto3 response against botocore's output shape: required members, types, enums.

botocore parses a malformed response silently, so the engine's tests validate what it sent.
"""

from __future__ import annotations

import datetime as dt

import botocore.session

_TYPES = {"string": str, "integer": int, "long": int, "boolean": bool, "float": (int, float),
          "double": (int, float), "timestamp": dt.datetime, "blob": (bytes, bytearray)}


def output_shape(service: str, operation: str):
    """botocore's output shape of an operation."""
    model = botocore.session.get_session().get_service_model(service)
    return model.operation_model(operation).output_shape


def problems(value, shape, path: str = "$") -> list[str]:
    """Every way `value` departs from `shape` (empty list when it conforms)."""
    t = shape.type_name
    if t == "structure":
        if shape.is_document_type:
            return []
        if not isinstance(value, dict):
            return [f"{path}: expected structure, got {type(value).__name__}"]
        out = []
        for name in shape.required_members:
            if name not in value:
                out.append(f"{path}.{name}: required member missing")
        for name, v in value.items():
            if name == "ResponseMetadata":
                continue
            if name not in shape.members:
                out.append(f"{path}.{name}: not a member of {shape.name}")
                continue
            member = shape.members[name]
            if member.serialization.get("eventstream") or getattr(member, "type_name", "") == "blob" \
                    and hasattr(v, "read"):
                continue
            out += problems(v, member, f"{path}.{name}")
        if shape.metadata.get("union") and len(value) != 1:
            out.append(f"{path}: a union must set exactly one member, has {sorted(value)}")
        return out
    if t == "list":
        if not isinstance(value, list):
            return [f"{path}: expected list"]
        return [p for i, v in enumerate(value) for p in problems(v, shape.member, f"{path}[{i}]")]
    if t == "map":
        if not isinstance(value, dict):
            return [f"{path}: expected map"]
        return [p for k, v in value.items() for p in problems(v, shape.value, f"{path}[{k}]")]
    expected = _TYPES.get(t)
    if expected and not isinstance(value, expected) or (t in ("integer", "long") and isinstance(value, bool)):
        return [f"{path}: expected {t}, got {type(value).__name__} {value!r}"]
    if t == "string" and shape.enum and value not in shape.enum \
            and value not in BEYOND_BOTOCORE.get(shape.name, ()):
        return [f"{path}: {value!r} is not one of {shape.enum}"]
    return []


# Values real Bedrock sends that botocore's enums don't list yet (each seen in real responses).
BEYOND_BOTOCORE = {"InferenceType": ("INFERENCE_PROFILE",)}


def assert_conforms(value, service: str, operation: str) -> None:
    """Fail with every problem listed if `value` is not a valid output of the operation."""
    found = problems(value, output_shape(service, operation))
    assert not found, "\n".join(found)


def assert_event_conforms(event: dict, service: str, operation: str) -> None:
    """Check one event of an event-stream output against the stream's member shapes."""
    shape = output_shape(service, operation)
    stream = next(m for m in shape.members.values() if m.serialization.get("eventstream"))
    ((name, value),) = event.items()
    assert name in stream.members, f"unknown event {name}"
    found = problems(value, stream.members[name], f"$.{name}")
    assert not found, "\n".join(found)
