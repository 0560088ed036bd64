"""rest-json wire protocol, driven by botocore's own service models.

Routing (method + URI template → operation), request parsing (path, query, headers, body →
the operation's input dict) and response serialisation (output dict → status, headers,
body or event stream) are all read from `botocore/data/<service>/service-2.json`, so the
engine speaks exactly the API that boto3 validates and parses.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Iterator
from urllib.parse import parse_qs, unquote

import botocore.session
from botocore.model import OperationModel, Shape

from local_bedrock.wire import eventstream, validation

BEDROCK_SERVICES = ("bedrock-runtime", "bedrock", "bedrock-agent-runtime", "bedrock-agent")


@dataclass
class Request:
    """An HTTP request as it reached the engine (path still percent-encoded)."""

    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str, default: str | None = None) -> str | None:
        """Case-insensitive header lookup."""
        lname = name.lower()
        for k, v in self.headers.items():
            if k.lower() == lname:
                return v
        return default


@dataclass
class Response:
    """An HTTP response: `body` is bytes, or an iterator of byte chunks for event streams."""

    status: int
    headers: dict[str, str]
    body: bytes | Iterable[bytes]


@lru_cache(maxsize=None)
def service_model(service: str):
    """botocore's model of a service (cached; loading one takes a few ms)."""
    return botocore.session.get_session().get_service_model(service)


@dataclass(frozen=True)
class Route:
    """One operation's HTTP binding."""

    service: str
    operation: str
    method: str
    pattern: re.Pattern
    static_query: tuple[tuple[str, str], ...]


def _compile(uri: str) -> tuple[re.Pattern, tuple[tuple[str, str], ...]]:
    path, _, query = uri.partition("?")
    regex = ""
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{"):
            name = part[1:-1]
            if name.endswith("+"):
                regex += f"(?P<{name[:-1]}>.+)"
            else:
                regex += f"(?P<{name}>[^/]+)"
        else:
            regex += re.escape(part)
    static = tuple((k, v[0] if v else "") for k, v in parse_qs(query, keep_blank_values=True).items())
    return re.compile(f"^{regex}$"), static


@lru_cache(maxsize=None)
def routes(service: str) -> tuple[Route, ...]:
    """Every operation of `service` as a Route, most specific (longest literal) first."""
    model = service_model(service)
    out = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        pattern, static = _compile(http["requestUri"])
        out.append(Route(service, name, http["method"], pattern, static))
    literal = lambda r: len(re.sub(r"\(\?P<[^>]+>[^)]+\)", "", r.pattern.pattern))  # noqa: E731
    return tuple(sorted(out, key=lambda r: (-len(r.static_query), -literal(r))))


def _first_segment(path: str) -> str:
    return path.split("/", 2)[1] if path.count("/") >= 1 else ""


@lru_cache(maxsize=None)
def _by_segment(service: str) -> dict[tuple[str, str], tuple[Route, ...]]:
    """Routes indexed by (method, first path segment); '{' marks a templated first segment."""
    index: dict[tuple[str, str], list[Route]] = {}
    for route in routes(service):
        uri = service_model(service).operation_model(route.operation).http["requestUri"]
        first = _first_segment(uri.partition("?")[0])
        key = (route.method, "{" if "{" in first else first)
        index.setdefault(key, []).append(route)
    return {k: tuple(v) for k, v in index.items()}


def match(request: Request, services: Iterable[str]) -> list[tuple[Route, dict[str, str]]]:
    """All (route, path params) pairs that fit the request, in the given service order."""
    found = []
    query = parse_qs(request.query, keep_blank_values=True) if request.query else {}
    first = _first_segment(request.path)
    for service in services:
        index = _by_segment(service)
        candidates = index.get((request.method, first), ()) + index.get((request.method, "{"), ())
        for route in candidates:
            m = route.pattern.match(request.path)
            if m and all(k in query for k, _ in route.static_query):
                found.append((route, {k: unquote(v) for k, v in m.groupdict().items()}))
    return found


# ---------------------------------------------------------------- request parsing


def _from_json(shape: Shape, value: Any) -> Any:
    t = shape.type_name
    if value is None:
        return None
    if t == "structure":
        if shape.is_document_type:
            return value
        out = {}
        for name, member in shape.members.items():
            key = member.serialization.get("name", name)
            if value.get(key) is not None:  # JSON null means absent, as AWS reads it
                out[name] = _from_json(member, value[key])
        return out
    if t == "list":
        return [_from_json(shape.member, v) for v in value if v is not None]
    if t == "map":
        return {k: _from_json(shape.value, v) for k, v in value.items() if v is not None}
    if t == "blob":
        return base64.b64decode(value)
    if t == "timestamp":
        return _parse_timestamp(value)
    return value


def _parse_timestamp(value: Any) -> dt.datetime:
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, dt.timezone.utc)
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _scalar(shape: Shape, text: str) -> Any:
    t = shape.type_name
    if t in ("integer", "long"):
        return int(text)
    if t in ("float", "double"):
        return float(text)
    if t == "boolean":
        return text.lower() == "true"
    if t == "timestamp":
        return _parse_timestamp(text)
    if shape.serialization.get("jsonvalue"):
        return json.loads(base64.b64decode(text))
    return text


def parse_request(op: OperationModel, request: Request, path_params: dict[str, str]) -> dict:
    """Turn the HTTP request into the operation's input dict (as boto3 was called), validating
    it against the operation's input shape as Bedrock does (see wire.validation)."""
    shape = op.input_shape
    if shape is None:
        return {}
    query = parse_qs(request.query, keep_blank_values=True)
    payload_name = shape.serialization.get("payload")
    params: dict[str, Any] = {}
    body_members = {}
    problems = validation.Problems()
    for name, member in shape.members.items():
        loc = member.serialization.get("location")
        key = member.serialization.get("name", name)
        try:
            if loc == "uri":
                if key in path_params:
                    params[name] = path_params[key]
            elif loc == "querystring":
                if member.type_name == "map":
                    params[name] = {k: v[0] for k, v in query.items()}
                elif key in query:
                    vals = query[key]
                    if member.type_name == "list":
                        params[name] = [_scalar(member.member, v) for v in vals]
                    else:
                        params[name] = _scalar(member, vals[0])
            elif loc == "header":
                value = request.header(key)
                if value is not None:
                    params[name] = _scalar(member, value)
            elif loc == "headers":
                prefix = key.lower()
                params[name] = {k[len(prefix):]: v for k, v in request.headers.items()
                                if k.lower().startswith(prefix)}
            elif name != payload_name:
                body_members[name] = member
        except (ValueError, TypeError):
            problems.add(path_params.get(key) or (query.get(key) or [None])[0]
                         or request.header(key), name, f"be a valid {member.type_name}")
            continue
        if name in params and loc in ("uri", "querystring", "header") \
                and member.type_name in ("string", "integer", "long", "float", "double"):
            validation.check_value(member, params[name], name, problems)
    if payload_name:
        member = shape.members[payload_name]
        if member.type_name == "blob":
            params[payload_name] = request.body
            if not request.body and payload_name in shape.required_members:
                problems.add(None, payload_name, "not be null")
        elif member.type_name == "string":
            params[payload_name] = request.body.decode("utf-8", "replace")
        elif request.body:
            data = validation.load_json(request.body)
            validation.check_value(member, data, "", problems)
            problems.raise_if_any()
            params[payload_name] = _from_json(member, data)
    else:
        data = validation.load_json(request.body) if request.body else {}
        if not isinstance(data, dict):
            problems.add(data, "", "be a JSON object")
            problems.raise_if_any()
        for name, member in body_members.items():
            key = member.serialization.get("name", name)
            if data.get(key) is not None:
                validation.check_value(member, data[key], name, problems)
        for name in shape.required_members:
            if name in body_members and data.get(
                    body_members[name].serialization.get("name", name)) is None:
                problems.add(None, name, "not be null")
        problems.raise_if_any()
        for name, member in body_members.items():
            key = member.serialization.get("name", name)
            if data.get(key) is not None:
                params[name] = _from_json(member, data[key])
    for name in shape.required_members:  # uri/query/header members the route did not carry
        member = shape.members[name]
        if member.serialization.get("location") in ("uri", "querystring", "header") \
                and params.get(name) in (None, ""):
            problems.add(None, name, "not be null")
    problems.raise_if_any()
    return params


def _load_json(body: bytes) -> Any:
    return validation.load_json(body)


# ---------------------------------------------------------------- response serialisation


def _to_json(shape: Shape, value: Any) -> Any:
    t = shape.type_name
    if t == "structure":
        if shape.is_document_type:
            return value
        out = {}
        for name, member in shape.members.items():
            if name in value and value[name] is not None:
                out[member.serialization.get("name", name)] = _to_json(member, value[name])
        return out
    if t == "list":
        return [_to_json(shape.member, v) for v in value]
    if t == "map":
        return {k: _to_json(shape.value, v) for k, v in value.items()}
    if t == "blob":
        return base64.b64encode(value if isinstance(value, bytes) else value.encode()).decode()
    if t == "timestamp":
        return _format_timestamp(value, shape.serialization.get("timestampFormat", "iso8601"))
    return value


def _format_timestamp(value: Any, fmt: str) -> Any:
    if not isinstance(value, dt.datetime):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    if fmt == "unixTimestamp":
        return value.timestamp()
    if fmt == "rfc822":
        return value.strftime("%a, %d %b %Y %H:%M:%S GMT")
    return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def _header_value(shape: Shape, value: Any) -> str:
    if shape.serialization.get("jsonvalue"):
        return base64.b64encode(json.dumps(value).encode()).decode()
    if isinstance(value, bool):
        return "true" if value else "false"
    if shape.type_name == "timestamp":
        return str(_format_timestamp(value, shape.serialization.get("timestampFormat", "rfc822")))
    return str(value)


def serialize_response(op: OperationModel, output: dict, request_id: str) -> Response:
    """Turn an output dict into the HTTP response Bedrock would send for the operation."""
    status = op.http.get("responseCode", 200)
    headers = {"x-amzn-RequestId": request_id, "Content-Type": "application/json"}
    shape = op.output_shape
    if shape is None:
        return Response(status, headers, b"{}")
    payload_name = shape.serialization.get("payload")
    body_doc = {}
    for name, member in shape.members.items():
        if name not in output or output[name] is None or name == payload_name:
            continue
        loc = member.serialization.get("location")
        key = member.serialization.get("name", name)
        if loc == "header":
            headers[key] = _header_value(member, output[name])
        elif loc == "headers":
            for k, v in output[name].items():
                headers[key + k] = str(v)
        elif loc == "statusCode":
            status = int(output[name])
        else:
            body_doc[key] = _to_json(member, output[name])
    if payload_name:
        member = shape.members[payload_name]
        value = output.get(payload_name)
        if member.type_name == "structure" and member.serialization.get("eventstream"):
            headers["Content-Type"] = "application/vnd.amazon.eventstream"
            return Response(status, headers, encode_events(member, value or ()))
        if member.type_name == "blob":
            return Response(status, headers, value or b"")
        if member.type_name == "string":
            return Response(status, headers, (value or "").encode())
        return Response(status, headers, json.dumps(_to_json(member, value or {})).encode())
    return Response(status, headers, json.dumps(body_doc).encode())


def encode_events(stream_shape: Shape, events: Iterable[dict]) -> Iterator[bytes]:
    """Encode {eventName: value} dicts lazily as event-stream messages.

    An EngineError raised by the event source mid-stream becomes a modelled exception event
    when the stream declares that exception (e.g. throttlingException), else it propagates.
    """
    from local_bedrock.errors import EngineError

    exception_members = {m.name: name for name, m in stream_shape.members.items()
                         if m.metadata.get("exception")}
    iterator = iter(events)
    while True:
        try:
            ev = next(iterator)
        except StopIteration:
            return
        except EngineError as err:
            member = exception_members.get(err.code)
            if member is None:
                raise
            yield eventstream.exception(member, json.dumps({"message": err.message}).encode())
            return
        ((name, value),) = ev.items()
        member = stream_shape.members[name]
        yield eventstream.event(name, _event_payload(member, value))


def _event_payload(shape: Shape, value: dict) -> bytes:
    for name, member in shape.members.items():
        if member.serialization.get("eventpayload"):
            v = value.get(name)
            if member.type_name == "blob":
                return v or b""
            if member.type_name == "string":
                return (v or "").encode()
            return json.dumps(_to_json(member, v or {})).encode()
    return json.dumps(_to_json(shape, value)).encode()


def error_response(code: str, message: str, status: int, request_id: str) -> Response:
    """A rest-json error: x-amzn-ErrorType header and a {"message": ...} body."""
    headers = {"x-amzn-RequestId": request_id, "x-amzn-ErrorType": code,
               "Content-Type": "application/json"}
    return Response(status, headers, json.dumps({"message": message}).encode())
