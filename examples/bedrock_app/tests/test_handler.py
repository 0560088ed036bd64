"""The summary API against a local Bedrock: shapes, validation, errors, retries and logs.

These tests prove how the application talks to Bedrock and handles its answers. They do not
prove that the summaries are good: the local engine is not a model (run live evaluations).
"""

import json
import logging
import os
from types import SimpleNamespace

import pytest
from local_bedrock.testing import mock_bedrock, record_bedrock

from summary_app import handler

DOCUMENT = ("The quarterly planning meeting moved from Thursday to Friday because the venue "
            "flooded. Catering is cancelled; bring your own lunch. The agenda is unchanged: "
            "budget review first, then the hiring plan.")
RECORDING = os.path.join(os.path.dirname(__file__), "recordings", "summary.jsonl")


def call(body) -> tuple[int, dict, dict]:
    event = {"body": body if isinstance(body, str) else json.dumps(body)}
    response = handler.lambda_handler(event, SimpleNamespace(aws_request_id="req-1"))
    return response["statusCode"], json.loads(response["body"]), response["headers"]


def logged(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "summary_app"]


def test_summary_request_and_response_shapes(local_bedrock):
    status, body, _ = call({"text": DOCUMENT})

    assert status == 200
    assert body["summary"] and body["model_id"] == handler.MODEL_ID
    assert body["usage"]["input_tokens"] > 0 and body["usage"]["output_tokens"] > 0
    # what the application sent, as Bedrock received it
    [sent] = local_bedrock.calls
    assert (sent.operation, sent.model_id, sent.error_code) == ("Converse", handler.MODEL_ID, None)
    assert sent.body["system"] == [{"text": handler.SYSTEM}]
    assert sent.body["inferenceConfig"] == {"maxTokens": 200, "temperature": 0.2}


def test_bad_input_is_rejected_before_bedrock(local_bedrock):
    assert call("not json")[0] == 400
    assert call({"text": "   "})[0] == 400
    assert local_bedrock.calls == []


@pytest.mark.local_bedrock(faults="rpm=0")  # every call is throttled
def test_throttling_is_retried_once_then_503(local_bedrock, caplog):
    status, body, headers = call({"text": DOCUMENT})

    assert status == 503 and headers["Retry-After"] == "5"
    assert "request_id" in body and "Throttling" not in body["error"]
    # CLIENT_CONFIG allows two attempts: both reached Bedrock and both were throttled
    assert [c.error_code for c in local_bedrock.calls] == ["ThrottlingException"] * 2
    [record] = logged(caplog)
    assert record["error_code"] == "ThrottlingException" and record["attempts"] == 2


def test_quota_reached_mid_run(local_bedrock, bedrock_faults):
    bedrock_faults.configure(rpm=1)  # one request per minute per model

    assert call({"text": DOCUMENT})[0] == 200
    assert call({"text": DOCUMENT})[0] == 503


def test_invalid_parameters_are_a_400_not_retried(local_bedrock, caplog):
    status, body, _ = call({"text": DOCUMENT, "max_tokens": 1_000_000})

    assert status == 400
    assert "exceeds" not in body["error"]  # Bedrock's text stays in the log
    [sent] = local_bedrock.calls  # a client error is not retried
    assert sent.error_code == "ValidationException"
    assert logged(caplog)[-1]["error_code"] == "ValidationException"


@pytest.mark.local_bedrock(deny_models=[handler.MODEL_ID])
def test_no_model_access_is_a_502(local_bedrock):
    status, _, _ = call({"text": DOCUMENT})

    assert status == 502
    assert [c.error_code for c in local_bedrock.calls] == ["AccessDeniedException"]


@pytest.mark.local_bedrock(replay="recordings/summary.jsonl")
def test_replayed_recorded_answer(local_bedrock, caplog):
    """A recorded answer that hit maxTokens: the API must flag the summary as truncated."""
    with open(RECORDING) as f:
        recorded = json.loads(f.readline())["output"]

    status, body, _ = call({"text": DOCUMENT, "max_tokens": 20})

    assert status == 200
    assert recorded["stopReason"] == "max_tokens" and body["truncated"] is True
    assert body["summary"] == recorded["output"]["message"]["content"][0]["text"].strip()
    assert body["usage"]["output_tokens"] == 20
    assert logged(caplog)[-1]["truncated"] is True
    assert caplog.records[-1].levelno == logging.WARNING


def test_unrecorded_request_is_not_invented():
    """Replay answers only what was recorded: another request gets NoRecordingException
    (here with the context manager instead of the fixture)."""
    with mock_bedrock(replay=RECORDING) as bedrock:
        status, _, _ = call({"text": DOCUMENT, "max_tokens": 21})

    assert status == 502
    assert [c.error_code for c in bedrock.calls] == ["NoRecordingException"]


@pytest.mark.skipif(os.environ.get("RECORD_BEDROCK") != "1",
                    reason="records from Amazon Bedrock: RECORD_BEDROCK=1 with AWS credentials")
def test_record_live_answer():
    """Re-record tests/recordings/summary.jsonl from Amazon Bedrock (billed, a few tokens)."""
    if os.path.exists(RECORDING):
        os.remove(RECORDING)
    with record_bedrock(RECORDING):
        status, _, _ = call({"text": DOCUMENT, "max_tokens": 20})
    assert status == 200
