"""Lab 02/05: the loopback API Gateway stand-in turns HTTP into proxy events and back."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import requests

LAB = Path(__file__).resolve().parents[2] / "02_text_generation" / "lambda_app"
for p in (LAB / "src", LAB):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from local_api import LocalApi, proxy_event  # noqa: E402


def echo(event, context):
    """A handler that returns what it received (and the context's remaining time)."""
    return {"statusCode": 201, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"event": event, "remaining": context.get_remaining_time_in_millis()})}


@pytest.fixture
def api():
    server = LocalApi(echo).start()
    yield server
    server.stop()


def test_post_becomes_a_rest_proxy_event(api):
    r = requests.post(api.url + "/prompt?debug=1", json={"prompt": "hi"}, timeout=10)
    assert r.status_code == 201
    event = r.json()["event"]
    assert event["httpMethod"] == "POST" and event["path"] == "/prompt"
    assert json.loads(event["body"]) == {"prompt": "hi"} and event["isBase64Encoded"] is False
    assert event["queryStringParameters"] == {"debug": "1"}
    ctx = event["requestContext"]
    assert ctx["stage"] == "v1" and ctx["identity"]["sourceIp"] == "127.0.0.1"
    assert r.headers["x-amzn-RequestId"] == ctx["requestId"]
    assert 0 < r.json()["remaining"] <= 29_000
    assert api.calls == [{"requestId": ctx["requestId"], "status": 201}]


def test_unknown_route_or_method_is_api_gateways_403(api):
    for method, path in (("POST", "/other"), ("GET", "/prompt")):
        r = requests.request(method, api.url + path, timeout=10)
        assert r.status_code == 403
        assert r.json() == {"message": "Missing Authentication Token"}
    assert api.calls == []


def test_a_crashing_handler_is_a_502_that_hides_the_error():
    def crash(event, context):
        raise RuntimeError("secret internals")

    with LocalApi(crash) as server:
        r = requests.post(server.url + "/prompt", data="{}", timeout=10)
    assert r.status_code == 502 and r.json() == {"message": "Internal server error"}


def test_binary_bodies_are_base64_encoded_like_api_gateway():
    event = proxy_event(b"\xff\x00\x01")
    assert event["isBase64Encoded"] is True and event["body"] == "/wAB"
    assert proxy_event({"a": 1})["body"] == '{"a": 1}'


def test_only_loopback():
    with pytest.raises(ValueError):
        LocalApi(echo, host="0.0.0.0")
