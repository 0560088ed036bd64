"""AWS Lambda handler (API Gateway proxy integration): a document in, a short summary out.

Request body: {"text": "...", "max_tokens": 200 (optional)}. Response body: {"summary",
"truncated", "model_id", "usage"} on 200, {"error", "request_id"} otherwise.

Statuses: 200 summary; 400 bad input (ours, or a request Bedrock rejected as invalid); 502
Bedrock refused the call for a configuration reason (access, unknown model): retrying will not
help; 503 throttled or unavailable after the SDK's retries, with Retry-After. Error bodies never
carry AWS error text; the details go to the log, one JSON object per line.
"""

from __future__ import annotations

import json
import logging
import os

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ParamValidationError

MODEL_ID = os.environ.get("SUMMARY_MODEL_ID", "amazon.nova-micro-v1:0")
DEFAULT_MAX_TOKENS = 200
MAX_TEXT_CHARS = 20_000
SYSTEM = "Summarise the user's document in at most three sentences. Reply with the summary only."
# Two attempts in all (one retry) keep a slow, throttled call inside API Gateway's 29 s.
# botocore's `max_attempts` counts retries only (2 would mean three attempts): hence total_.
CLIENT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 2},
                       connect_timeout=2, read_timeout=20)
RETRYABLE = {"ThrottlingException", "ServiceUnavailableException", "ModelNotReadyException",
             "ModelTimeoutException", "InternalServerException"}
RETRY_AFTER_SECONDS = 5

log = logging.getLogger("summary_app")
_client = None


def bedrock():
    """One bedrock-runtime client per container (Lambda reuses it between requests)."""
    global _client
    if _client is None:
        _client = boto3.client("bedrock-runtime", config=CLIENT_CONFIG)
    return _client


def summarise(text: str, max_tokens: int = DEFAULT_MAX_TOKENS) -> dict:
    """Call Converse; return summary, truncated flag, model id and token usage."""
    result = bedrock().converse(
        modelId=MODEL_ID,
        system=[{"text": SYSTEM}],
        messages=[{"role": "user", "content": [{"text": text}]}],
        inferenceConfig={"maxTokens": max_tokens, "temperature": 0.2},
    )
    content = result["output"]["message"]["content"]
    usage = result["usage"]
    return {"summary": "".join(block.get("text", "") for block in content).strip(),
            "truncated": result["stopReason"] == "max_tokens",
            "model_id": MODEL_ID,
            "usage": {"input_tokens": usage["inputTokens"], "output_tokens": usage["outputTokens"]}}


def lambda_handler(event: dict, context) -> dict:
    request_id = getattr(context, "aws_request_id", "") or "local"
    try:
        body = json.loads(event.get("body") or "")
    except ValueError:
        return _respond(400, {"error": "Body must be JSON.", "request_id": request_id})
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text.strip():
        return _respond(400, {"error": "Field 'text' must be a non-empty string.",
                              "request_id": request_id})
    if len(text) > MAX_TEXT_CHARS:
        return _respond(400, {"error": f"Field 'text' is over {MAX_TEXT_CHARS} characters.",
                              "request_id": request_id})
    max_tokens = body.get("max_tokens", DEFAULT_MAX_TOKENS)
    try:
        result = summarise(text, max_tokens)
    except ParamValidationError as exc:  # botocore's own checks, before anything is sent
        _log(logging.WARNING, "request not sent", request_id, error_code="ParamValidationError",
             detail=str(exc))
        return _respond(400, {"error": "Invalid request parameters.", "request_id": request_id})
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        attempts = exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) + 1
        _log(logging.ERROR, "bedrock call failed", request_id, error_code=code, attempts=attempts)
        if code in RETRYABLE:
            return _respond(503, {"error": "The model is busy. Retry shortly.",
                                  "request_id": request_id},
                            {"Retry-After": str(RETRY_AFTER_SECONDS)})
        if code == "ValidationException":
            return _respond(400, {"error": "Bedrock rejected the request parameters.",
                                  "request_id": request_id})
        return _respond(502, {"error": "The model is not available to this service.",
                              "request_id": request_id})
    level = logging.WARNING if result["truncated"] else logging.INFO
    _log(level, "summary done", request_id, truncated=result["truncated"], **result["usage"])
    return _respond(200, result)


def _respond(status: int, body: dict, headers: dict | None = None) -> dict:
    return {"statusCode": status,
            "headers": {"Content-Type": "application/json", **(headers or {})},
            "body": json.dumps(body)}


def _log(level: int, message: str, request_id: str, **fields) -> None:
    """One JSON line; never the document itself (it may hold personal data)."""
    log.log(level, json.dumps({"message": message, "request_id": request_id, **fields}))
