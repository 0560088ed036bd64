"""Invocation logging: Bedrock's log schema, append-only, nothing secret, streams included."""

from __future__ import annotations

import base64
import json

import boto3
import jsonschema
import pytest
from botocore.config import Config

import utils
from utils.invocation_log import LOG_FILE, read_logs

# The fields of a Bedrock model invocation log record (see ../shared/seed/), plus the
# workshop's latency and error.
RECORD_SCHEMA = {
    "type": "object",
    "required": ["schemaType", "schemaVersion", "timestamp", "requestId", "operation", "modelId",
                 "input", "output", "latencyMs", "error"],
    "properties": {
        "schemaType": {"const": "ModelInvocationLog"},
        "operation": {"enum": ["Converse", "ConverseStream", "InvokeModel",
                               "InvokeModelWithResponseStream"]},
        "input": {"type": "object", "required": ["inputContentType", "inputBodyJson", "inputTokenCount"],
                  "properties": {"inputTokenCount": {"type": "integer", "minimum": 0}}},
        "output": {"type": "object", "required": ["outputContentType", "outputBodyJson", "outputTokenCount"],
                   "properties": {"outputTokenCount": {"type": "integer", "minimum": 0}}},
        "latencyMs": {"type": "number", "minimum": 0},
        "error": {"type": ["null", "object"]},
    },
}
MSG = [{"role": "user", "content": [{"text": "Log me"}]}]




def test_every_runtime_operation_is_logged_in_bedrock_schema(ws, tmp_path):
    rt = boto3.client("bedrock-runtime")
    model = utils.models.TEXT_MODEL
    conv = rt.converse(modelId=model, messages=MSG)
    "".join(e.get("contentBlockDelta", {}).get("delta", {}).get("text", "")
            for e in rt.converse_stream(modelId=model, messages=MSG)["stream"])
    body = json.dumps({"schemaVersion": "messages-v1", "messages": [{"role": "user", "content": [{"text": "x"}]}]})
    invoked = json.loads(rt.invoke_model(modelId=model, body=body)["body"].read())
    list(rt.invoke_model_with_response_stream(modelId=model, body=body)["body"])
    records = read_logs(tmp_path)
    assert [r["operation"] for r in records] == ["Converse", "ConverseStream", "InvokeModel",
                                                 "InvokeModelWithResponseStream"]
    for r in records:
        jsonschema.validate(r, RECORD_SCHEMA)
        assert r["output"]["outputTokenCount"] > 0
    assert records[0]["input"]["inputTokenCount"] == conv["usage"]["inputTokens"]
    assert records[2]["output"]["outputBodyJson"] == invoked  # the body was still readable
    assert records[1]["output"]["outputBodyJson"]["output"]["message"]["content"][0]["text"]


def test_errors_are_logged_and_classified(ws, tmp_path):
    rt = boto3.client("bedrock-runtime")
    with pytest.raises(rt.exceptions.ValidationException):
        rt.converse(modelId="no-such-model", messages=MSG)
    ws.configure_faults(rpm=0)
    with pytest.raises(rt.exceptions.ThrottlingException):
        boto3.client("bedrock-runtime", config=Config(retries={"total_max_attempts": 1})) \
            .converse(modelId=utils.models.TEXT_MODEL, messages=MSG)
    errors = [r["error"]["code"] for r in read_logs(tmp_path)]
    assert errors == ["ValidationException", "ThrottlingException"]
    rows = {r["ModelId"]: r for r in utils.metrics.summary(read_logs(tmp_path))}
    assert rows["no-such-model"]["InvocationClientErrors"] == 1
    assert rows[utils.models.TEXT_MODEL]["InvocationThrottles"] == 1


def test_log_is_appended_never_truncated(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSHOP_LOG_DIR", str(tmp_path))
    for _ in range(2):
        utils.setup("offline", quiet=True)
        boto3.client("bedrock-runtime").converse(modelId=utils.models.TEXT_MODEL, messages=MSG)
        utils.teardown()
    assert len((tmp_path / LOG_FILE).read_text().splitlines()) == 2


def test_no_credentials_or_headers_and_images_summarised(ws, tmp_path):
    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==")
    rt = boto3.client("bedrock-runtime")
    rt.converse(modelId=utils.models.TEXT_MODEL, messages=[{"role": "user", "content": [
        {"text": "What is this?"}, {"image": {"format": "png", "source": {"bytes": png * 50}}}]}])
    text = (tmp_path / LOG_FILE).read_text()
    for secret in ("offline-workshop", "Authorization", "X-Amz-Date", "Credential="):
        assert secret not in text
    block = read_logs(tmp_path)[0]["input"]["inputBodyJson"]["messages"][0]["content"][1]
    assert block["image"]["source"]["bytes"].startswith(f"<{len(png) * 50} bytes")


def test_each_record_carries_the_calling_clients_region(ws, tmp_path):
    """A client made for another region is logged under that region, as Bedrock's log would."""
    for region, model in (("us-east-1", "amazon.nova-micro-v1:0"), ("us-west-2", "us.amazon.nova-micro-v1:0")):
        boto3.client("bedrock-runtime", region_name=region).converse(modelId=model, messages=MSG)
    assert [r["region"] for r in read_logs(tmp_path)][-2:] == ["us-east-1", "us-west-2"]
