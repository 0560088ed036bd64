"""Lab 02/05: the prompt API's Lambda handler, against the local engine and botocore's Stubber.

Every bad input gets a 400 with a clear message, Bedrock errors map to 502/503 without leaking
AWS text, every body is valid against the seed deck's Bedrock Response Schema, and the logs are
JSON with the API Gateway request id as correlation id and never contain the prompt.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import sys
from pathlib import Path

import boto3
import jsonschema
import pytest
from botocore.exceptions import (
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    ReadTimeoutError,
)
from botocore.stub import Stubber

LAB = Path(__file__).resolve().parents[2] / "02_text_generation" / "lambda_app"
for p in (LAB / "src", LAB):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from bedrock_api import handler  # noqa: E402
from bedrock_api.config import Settings  # noqa: E402
from local_api import LambdaContext, proxy_event  # noqa: E402

RESPONSE = jsonschema.Draft4Validator(handler.RESPONSE_SCHEMA)
MODEL = "amazon.nova-lite-v1:0"
SECRET_PROMPT = "The launch code word is PERIWINKLE-7731, please summarise the plan."


@pytest.fixture
def logs():
    """The handler's log lines (parsed JSON) for this test."""
    buf = io.StringIO()
    stream_handler = handler.logger.registered_handler
    old = stream_handler.setStream(buf)
    lines: list[dict] = []

    def read() -> list[dict]:
        lines[:] = [json.loads(line) for line in buf.getvalue().splitlines() if line.strip()]
        return lines

    yield read
    stream_handler.setStream(old)


@pytest.fixture
def settings(monkeypatch):
    """Install settings for one test: settings(**changes)."""

    def use(**changes) -> Settings:
        s = Settings(**{"model_id": MODEL, **changes})
        monkeypatch.setattr(handler, "SETTINGS", s)
        return s

    use()
    return use


@pytest.fixture
def bedrock(runtime, settings):
    """The handler talks to the in-process engine (no retries)."""
    handler.set_client(runtime)
    yield runtime
    handler.set_client(None)


class NeverCalled:
    """A stub client that fails the test if the handler calls Bedrock."""

    def converse(self, **kw):
        raise AssertionError("Bedrock must not be called for this request")


def call(body, request_id: str = "req-test-0001", **kw) -> tuple[int, dict, dict]:
    response = handler.lambda_handler(proxy_event(body, request_id=request_id, **kw),
                                      LambdaContext())
    payload = json.loads(response["body"])
    RESPONSE.validate(payload)
    assert payload["statusCode"] == str(response["statusCode"])
    return response["statusCode"], payload, response["headers"]


# ------------------------------------------------------------------------------- success


def test_good_request_answers_in_the_response_schema(bedrock, logs):
    status, body, headers = call({"prompt": "What does a harbour master do?"})
    assert status == 200
    assert body["response"].strip()
    assert body["modelId"] == MODEL
    assert body["usage"]["inputTokens"] > 0 and body["usage"]["outputTokens"] > 0
    assert body["requestId"] == headers["X-Request-Id"] == "req-test-0001"
    done = [r for r in logs() if r["message"] == "bedrock call succeeded"]
    assert done and done[0]["output_tokens"] == body["usage"]["outputTokens"]


def test_base64_encoded_body_is_decoded(bedrock):
    event = proxy_event(None, request_id="req-b64")
    event["body"] = base64.b64encode(json.dumps({"prompt": "Hello"}).encode()).decode()
    event["isBase64Encoded"] = True
    response = handler.lambda_handler(event, LambdaContext())
    assert response["statusCode"] == 200


def test_max_tokens_from_settings_reaches_bedrock(bedrock, settings):
    settings(max_tokens=5)
    status, body, _ = call({"prompt": "Tell me everything about lighthouses."})
    assert status == 200
    assert body["stopReason"] == "max_tokens"
    assert body["usage"]["outputTokens"] == 5


# ------------------------------------------------------------------------------- bad input

BAD_INPUTS = [
    ("no body", None, "Request body is empty"),
    ("empty body", "", "Request body is empty"),
    ("invalid JSON", '{"prompt": "unterminated', "not valid JSON"),
    ("not UTF-8", b"\xff\xfe\x00garbage", "not valid JSON"),
    ("JSON array", "[1, 2, 3]", "must be a JSON object"),
    ("JSON string", '"just a prompt"', "must be a JSON object"),
    ("missing prompt", {"question": "hi"}, "Missing required field 'prompt'"),
    ("prompt is a number", {"prompt": 42}, "Field 'prompt' must be a string"),
    ("prompt is null", {"prompt": None}, "Field 'prompt' must be a string"),
    ("prompt is a list", {"prompt": ["a", "b"]}, "Field 'prompt' must be a string"),
    ("empty prompt", {"prompt": ""}, "must not be empty"),
    ("blank prompt", {"prompt": " \n\t "}, "must not be empty"),
    ("oversized body", {"prompt": "x" * 17_000}, "the limit is 16,384 bytes"),
]


@pytest.mark.parametrize("case,body,message", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_a_400_with_a_clear_message(case, body, message, settings, logs):
    handler.set_client(NeverCalled())
    try:
        status, payload, _ = call(body)
    finally:
        handler.set_client(None)
    assert status == 400
    assert message in payload["response"]
    rejected = [r for r in logs() if r["message"] == "request rejected"]
    assert rejected and rejected[0]["level"] == "WARNING" and rejected[0]["status"] == 400


def test_error_messages_do_not_echo_the_input(settings):
    handler.set_client(NeverCalled())
    try:
        _, payload, _ = call({"prompt": {"<script>": "alert(1)"}})
    finally:
        handler.set_client(None)
    assert "script" not in payload["response"]


def test_body_limit_is_configurable_and_counts_bytes(settings):
    settings(max_body_bytes=64)
    handler.set_client(NeverCalled())
    try:
        prompt = "é" * 30  # 30 characters, 60 bytes of UTF-8, plus the JSON around it
        status, payload, _ = call(json.dumps({"prompt": prompt}, ensure_ascii=False))
    finally:
        handler.set_client(None)
    assert status == 400 and "the limit is 64 bytes" in payload["response"]


def test_invalid_base64_is_a_400(settings):
    handler.set_client(NeverCalled())
    event = proxy_event(None, request_id="req-bad-b64")
    event["body"], event["isBase64Encoded"] = "%%% not base64 %%%", True
    try:
        response = handler.lambda_handler(event, LambdaContext())
    finally:
        handler.set_client(None)
    assert response["statusCode"] == 400
    assert "base64" in json.loads(response["body"])["response"]


# ------------------------------------------------------------------------------- Bedrock errors


def test_throttling_is_a_503_with_retry_after(bedrock, engine, logs):
    engine.faults.configure(rpm=0)
    status, body, headers = call({"prompt": "Hello"})
    assert status == 503
    assert body["response"] == handler.MSG_THROTTLED
    assert headers["Retry-After"] == str(handler.RETRY_AFTER_SECONDS)
    failed = [r for r in logs() if r["message"] == "bedrock call failed"]
    assert failed[0]["error_code"] == "ThrottlingException" and failed[0]["level"] == "ERROR"


def test_the_client_config_fits_api_gateways_timeout(make_client, engine, settings):
    """CLIENT_CONFIG makes exactly MAX_ATTEMPTS calls (the first one included), and that many
    connect + read timeouts fit API Gateway's 29 s integration timeout."""
    client = make_client("bedrock-runtime", handler.CLIENT_CONFIG)
    attempts = []
    client.meta.events.register("request-created.bedrock-runtime.Converse",
                                lambda **kw: attempts.append(1))
    engine.faults.configure(rpm=0)
    handler.set_client(client)
    try:
        status, _, _ = call({"prompt": "Hello"})
    finally:
        handler.set_client(None)
    assert status == 503 and len(attempts) == handler.MAX_ATTEMPTS == 2
    config = handler.CLIENT_CONFIG
    assert handler.MAX_ATTEMPTS * (config.connect_timeout + config.read_timeout) < 29


def test_server_errors_are_503(bedrock, engine, logs):
    engine.faults.configure(error_rate=1.0, seed=3)
    for i in range(8):  # the engine picks ServiceUnavailable, InternalServer or ModelTimeout
        status, body, headers = call({"prompt": f"Hello {i}"})
        assert status == 503 and body["response"] == handler.MSG_UNAVAILABLE
        assert "Retry-After" in headers
    codes = {r["error_code"] for r in logs() if r["message"] == "bedrock call failed"}
    assert len(codes) >= 2 and codes <= handler.UNAVAILABLE


def test_access_denied_is_a_502_without_aws_text(bedrock, engine, logs):
    engine.denied_models.add(MODEL)
    status, body, headers = call({"prompt": "Hello"})
    assert status == 502 and body["response"] == handler.MSG_UPSTREAM
    assert "Retry-After" not in headers
    assert "AccessDenied" not in json.dumps(body) and "access to the model" not in json.dumps(body)
    assert [r["error_code"] for r in logs() if r["message"] == "bedrock call failed"] == [
        "AccessDeniedException"]


@pytest.mark.parametrize("model_id,code", [("no.such-model-v9", "ValidationException"),
                                           ("anthropic.claude-v2:1", "ResourceNotFoundException")])
def test_bad_model_configuration_is_a_502(bedrock, settings, logs, model_id, code):
    settings(model_id=model_id)
    status, body, _ = call({"prompt": "Hello"})
    assert status == 502 and body["response"] == handler.MSG_UPSTREAM
    assert [r["error_code"] for r in logs() if r["message"] == "bedrock call failed"] == [code]


def test_aws_error_text_with_account_ids_never_reaches_the_caller(settings, logs):
    client = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    message = ("User: arn:aws:sts::123456789012:assumed-role/prompt-fn/abc is not authorized "
               "to perform: bedrock:InvokeModel")
    with Stubber(client) as stub:
        stub.add_client_error("converse", service_error_code="AccessDeniedException",
                              service_message=message, http_status_code=403)
        handler.set_client(client)
        try:
            status, body, headers = call({"prompt": "Hello"})
        finally:
            handler.set_client(None)
    assert status == 502
    assert "123456789012" not in json.dumps(body) + json.dumps(headers)
    assert any("123456789012" in r.get("error_message", "") for r in logs())  # operators see it


@pytest.mark.parametrize("exc,status", [
    (ReadTimeoutError(endpoint_url="https://bedrock-runtime.us-east-1.amazonaws.com"), 503),
    (EndpointConnectionError(endpoint_url="https://bedrock-runtime.us-east-1.amazonaws.com"), 503),
    (NoCredentialsError(), 502),
    (ParamValidationError(report="Invalid length for parameter modelId"), 502),
])
def test_sdk_errors_split_into_transient_and_configuration(settings, logs, exc, status):
    class Failing:
        def converse(self, **kw):
            raise exc

    handler.set_client(Failing())
    try:
        got, body, headers = call({"prompt": "Hello"})
    finally:
        handler.set_client(None)
    assert got == status
    assert ("Retry-After" in headers) == (status == 503)
    assert "amazonaws" not in body["response"] and "modelId" not in body["response"]
    assert [r["error_code"] for r in logs() if r["level"] == "ERROR"] == [type(exc).__name__]


def test_unexpected_errors_are_a_500_without_traceback(settings, logs):
    class Broken:
        def converse(self, **kw):
            raise RuntimeError("internal detail /var/task/bedrock_api/secret.py")

    handler.set_client(Broken())
    try:
        status, body, _ = call({"prompt": "Hello"})
    finally:
        handler.set_client(None)
    assert status == 500 and body["response"] == handler.MSG_INTERNAL
    assert "secret" not in json.dumps(body) and "Traceback" not in json.dumps(body)
    crash = [r for r in logs() if r["message"] == "unexpected error"]
    assert crash and "RuntimeError" in crash[0]["exception"]


# ------------------------------------------------------------------------------- logging


def test_logs_are_json_with_service_and_correlation_id(bedrock, logs):
    call({"prompt": "Hello"}, request_id="apigw-request-42")
    records = logs()
    assert len(records) >= 2
    for r in records:
        assert r["service"] == "bedrock-prompt-api"
        assert r["correlation_id"] == "apigw-request-42"
        assert r["function_request_id"]  # Lambda's own request id is kept too


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_the_prompt_is_never_logged(bedrock, logs, level):
    old = handler.logger.log_level
    handler.logger.setLevel(level)
    try:
        status, _, _ = call({"prompt": SECRET_PROMPT})
    finally:
        handler.logger.setLevel(old if isinstance(old, int) else logging.INFO)
    assert status == 200
    text = json.dumps(logs())
    assert "PERIWINKLE" not in text
    accepted = [r for r in logs() if r["message"] == "request accepted"]
    assert accepted[0]["prompt_chars"] == len(SECRET_PROMPT)


def test_direct_invocation_falls_back_to_the_lambda_request_id(bedrock):
    event = {"body": json.dumps({"prompt": "Hello"})}  # no requestContext: not from API Gateway
    context = LambdaContext(aws_request_id="lambda-req-9")
    response = handler.lambda_handler(event, context)
    assert json.loads(response["body"])["requestId"] == "lambda-req-9"


# ------------------------------------------------------------------------------- guardrail + config


def test_guardrail_settings_are_passed_to_converse(settings):
    client = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    settings(guardrail_id="gr-123", guardrail_version="2", system_prompt="Be brief.")
    reply = {"output": {"message": {"role": "assistant", "content": [{"text": "Blocked."}]}},
             "stopReason": "guardrail_intervened",
             "usage": {"inputTokens": 3, "outputTokens": 2, "totalTokens": 5},
             "metrics": {"latencyMs": 10}}
    expected = {"modelId": MODEL, "messages": [{"role": "user", "content": [{"text": "Hi"}]}],
                "inferenceConfig": {"maxTokens": 512, "temperature": 0.5},
                "system": [{"text": "Be brief."}],
                "guardrailConfig": {"guardrailIdentifier": "gr-123", "guardrailVersion": "2",
                                    "trace": "disabled"}}
    with Stubber(client) as stub:
        stub.add_response("converse", reply, expected)
        handler.set_client(client)
        try:
            status, body, _ = call({"prompt": "Hi"})
        finally:
            handler.set_client(None)
        stub.assert_no_pending_responses()
    assert status == 200 and body["stopReason"] == "guardrail_intervened"


def test_no_guardrail_config_without_guardrail_id():
    request = handler.converse_request("Hi", Settings())
    assert "guardrailConfig" not in request and "system" not in request


def test_settings_from_env():
    s = Settings.from_env({"MODEL_ID": "amazon.nova-micro-v1:0", "MAX_TOKENS": "64",
                           "TEMPERATURE": "0", "GUARDRAIL_ID": " ", "MAX_BODY_BYTES": ""})
    assert (s.model_id, s.max_tokens, s.temperature) == ("amazon.nova-micro-v1:0", 64, 0.0)
    assert s.guardrail_config() is None and s.max_body_bytes == 16 * 1024
    for bad in ({"MAX_TOKENS": "many"}, {"TEMPERATURE": "3"}, {"MAX_BODY_BYTES": "-1"}):
        with pytest.raises(ValueError):
            Settings.from_env(bad)
