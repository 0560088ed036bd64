"""Property-based: the engine answers every malformed runtime request with a 4xx, never a 5xx
and never a 2xx, and no generated request at all reaches an engine bug (5xx).

Requests are sent raw (as SigV4 clients, the AWS CLI or other SDKs would, with no botocore
validation in front). Invalid ones are made from a valid request by one mutation that breaks
the operation's input shape in botocore's model: a wrong JSON type, a missing required member,
a number out of range, a string too long or short, a value outside an enum, an empty or doubled
union, or a body that is not JSON, nests too deeply or carries invalid Unicode.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import botocore.session
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local_bedrock import Engine
from local_bedrock.wire.protocol import Request

EXAMPLES = 1000
MODEL = "amazon.nova-lite-v1:0"
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))
_SERVICE = botocore.session.get_session().get_service_model("bedrock-runtime")

MESSAGES = [{"role": "user", "content": [{"text": "What does the Kite L1 mow?"}]}]
CONVERSE = {"messages": MESSAGES, "system": [{"text": "Be brief."}],
            "inferenceConfig": {"maxTokens": 40, "temperature": 0.2, "topP": 0.9,
                                "stopSequences": ["END"]},
            "toolConfig": {"tools": [{"toolSpec": {"name": "get_mower", "description": "A mower",
                                                   "inputSchema": {"json": {"type": "object"}}}}],
                           "toolChoice": {"auto": {}}},
            "requestMetadata": {"team": "lab"}}
NOVA_BODY = {"schemaVersion": "messages-v1", "system": [{"text": "Be brief."}],
             "messages": [{"role": "user", "content": [{"text": "What does the Kite L1 mow?"}]}],
             "inferenceConfig": {"maxTokens": 40, "temperature": 0.2, "topP": 0.9}}
GUARDRAIL = {"source": "INPUT", "content": [{"text": {"text": "hello there"}}]}
COUNT = {"input": {"converse": {"messages": MESSAGES}}}

OPERATIONS = {  # operation -> (path, valid JSON body, shape the body is checked against)
    "Converse": (f"/model/{quote(MODEL, safe='')}/converse", CONVERSE),
    "ConverseStream": (f"/model/{quote(MODEL, safe='')}/converse-stream", CONVERSE),
    "CountTokens": (f"/model/{quote(MODEL, safe='')}/count-tokens", COUNT),
    "ApplyGuardrail": ("/guardrail/gr0000000001/version/DRAFT/apply", GUARDRAIL),
}
INVOKE = {"InvokeModel": f"/model/{quote(MODEL, safe='')}/invoke",
          "InvokeModelWithResponseStream":
              f"/model/{quote(MODEL, safe='')}/invoke-with-response-stream"}


@pytest.fixture(scope="module")
def engine() -> Engine:
    """One engine for the module, with a guardrail for ApplyGuardrail to use."""
    import boto3

    from local_bedrock import InProcessTransport

    eng = Engine()
    bedrock = boto3.client("bedrock", endpoint_url="http://127.0.0.1:9", region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
    InProcessTransport(eng, "http://127.0.0.1:9").attach(bedrock)
    gid = bedrock.create_guardrail(
        name="props", blockedInputMessaging="no", blockedOutputsMessaging="no",
        wordPolicyConfig={"wordsConfig": [{"text": "forbidden"}]})["guardrailId"]
    OPERATIONS["ApplyGuardrail"] = (f"/guardrail/{gid}/version/DRAFT/apply", GUARDRAIL)
    return eng


def send(engine: Engine, path: str, body: bytes) -> int:
    """POST raw bytes to the engine; drain a streamed body; return the HTTP status."""
    response = engine.handle(Request("POST", path, "", {"Content-Type": "application/json"},
                                     body))
    if not isinstance(response.body, (bytes, bytearray)):
        for _ in response.body:
            pass
    return response.status


# -- mutation sites: every place in a valid body and the shape that governs it ------------------
def _sites(shape, value, path=()):
    yield path, shape, value
    t = shape.type_name
    if t == "structure" and isinstance(value, dict) and not shape.is_document_type:
        for name, member in shape.members.items():
            key = member.serialization.get("name", name)
            if key in value:
                yield from _sites(member, value[key], path + (key,))
    elif t == "list" and isinstance(value, list):
        for i, item in enumerate(value):
            yield from _sites(shape.member, item, path + (i,))


def _breakers(shape, value) -> list:
    """Values that violate `shape` where `value` stood (None = delete the member)."""
    t = shape.type_name
    out = []
    wrong = {"structure": [[1], "x", 3], "list": [{"a": 1}, "x", 7], "map": [["x"], 4],
             "string": [5, ["x"], {"a": 1}, True], "integer": ["5", 1.5, [1]],
             "long": ["5", [1]], "float": ["hot", [0.5]], "double": ["hot"],
             "boolean": ["yes", 1]}
    out += wrong.get(t, [])
    md = shape.metadata
    if t in ("integer", "long", "float", "double"):
        if "min" in md:
            out.append(md["min"] - 1)
        if "max" in md:
            out.append(md["max"] + 1)
    if t == "string":
        if md.get("enum"):
            out.append("not-" + md["enum"][0])
        if md.get("min", 0) >= 1:
            out.append("")
        if "max" in md and md["max"] < 5000:
            out.append("x" * (md["max"] + 1))
    if t == "list":
        if md.get("min", 0) >= 1:
            out.append([])
        if "max" in md and md["max"] < 50:
            out.append([value[0]] * (md["max"] + 1) if value else None)
    if t == "structure" and shape.metadata.get("union"):
        out.append({})
        names = list(shape.members)
        if len(names) > 1 and isinstance(value, dict) and value:
            other = next(n for n in names if n not in value)
            out.append({**value, other: {}})
    if t == "structure" and isinstance(value, dict):
        for name in shape.required_members:
            out.append(("drop", shape.members[name].serialization.get("name", name)))
    return [b for b in out if b is not None]


def _set(doc, path, new):
    doc = json.loads(json.dumps(doc))
    if isinstance(new, tuple) and new[0] == "drop":
        target = doc
        for key in path:
            target = target[key]
        del target[new[1]]
        return doc
    if not path:
        return new
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return doc


def _mutations(operation: str, body: dict) -> list[bytes]:
    shape = _SERVICE.operation_model(operation).input_shape
    body_members = {m.serialization.get("name", n): m for n, m in shape.members.items()
                    if not m.serialization.get("location")}
    out = []
    for key, member in body_members.items():
        if key not in body:
            continue
        for path, sub, value in _sites(member, body[key], (key,)):
            for bad in _breakers(sub, value):
                out.append(json.dumps(_set(body, path, bad)).encode())
    return out + _broken_bytes(body)


def _broken_bytes(body: dict) -> list[bytes]:
    text = json.dumps(body)
    return [text[: len(text) // 2].encode(), b"\xff\xfe" + text.encode(), b"[" * 3000 + b"]" * 3000,
            text.replace('"text": "', '"text": "\\ud800', 1).encode(), b"", b"null", b"[]", b'"text"',
            ('{"deep": ' + "[" * 200 + "]" * 200 + "}").encode()]


# -- the properties ------------------------------------------------------------------------------
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_invalid_requests_get_a_4xx(engine, operation, counting):
    counting(MODEL)  # CountTokens: served here for the test (see tests/conftest.py)
    path, body = OPERATIONS[operation]
    assert send(engine, path, json.dumps(body).encode()) < 300  # the base request is valid
    bad = _mutations(operation, body)
    assert len(bad) >= 20
    _each_gets_a_4xx(engine, path, bad)


def _each_gets_a_4xx(engine: Engine, path: str, bad: list[bytes]) -> None:
    """Hypothesis draws EXAMPLES requests from `bad`; each must be answered with a 4xx."""

    @SETTINGS
    @given(st.sampled_from(bad), st.integers(0, 3))
    def check(raw, _):
        status = send(engine, path, raw)
        assert 400 <= status < 500, (status, raw[:300])

    check()


def _json_values():
    leaf = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                     st.floats(allow_nan=False, allow_infinity=False, width=32),
                     st.text(max_size=20))
    return st.recursive(leaf, lambda kids: st.lists(kids, max_size=4)
                        | st.dictionaries(st.text(max_size=8), kids, max_size=4), max_leaves=12)


@pytest.mark.parametrize("operation", sorted(OPERATIONS) + sorted(INVOKE))
def test_no_generated_request_reaches_an_engine_bug(engine, operation, counting):
    """Random JSON grafted anywhere into a valid request: any answer but a 5xx."""
    counting(MODEL)
    if operation in INVOKE:
        path, body = INVOKE[operation], NOVA_BODY
    else:
        path, body = OPERATIONS[operation]
    sites = [p for p, _, _ in _sites(_SERVICE.shape_for("Message"), MESSAGES[0])]
    paths = [()] + [tuple(p) for p in _all_paths(body)] + [("messages", 0) + p for p in sites]

    @SETTINGS
    @given(st.sampled_from(paths), _json_values())
    def check(where, value):
        try:
            doc = _set(body, where, value)
        except (KeyError, IndexError, TypeError):
            return
        status = send(engine, path, json.dumps(doc).encode())
        assert status < 500, (status, json.dumps(doc)[:300])

    check()


def _all_paths(value, path=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield path + (k,)
            yield from _all_paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield path + (i,)
            yield from _all_paths(v, path + (i,))


@pytest.mark.parametrize("operation", sorted(INVOKE))
def test_invalid_model_bodies_get_a_4xx(engine, operation):
    """InvokeModel's body is the provider's own JSON: a value of the wrong JSON type anywhere
    in a valid Nova body, or a body that is not JSON at all, is refused with a 4xx."""
    path = INVOKE[operation]
    assert send(engine, path, json.dumps(NOVA_BODY).encode()) < 300
    wrong_type = {str: [1, [], {}], int: ["1", []], float: ["0.5", []], list: ["x", {}],
                  dict: ["x", []]}
    bad = [json.dumps(_set(NOVA_BODY, p, w)).encode() for p in _all_paths(NOVA_BODY)
           for w in wrong_type[type(_get(NOVA_BODY, p))]] + _broken_bytes(NOVA_BODY)
    _each_gets_a_4xx(engine, path, bad)


def _get(doc, path):
    for key in path:
        doc = doc[key]
    return doc
