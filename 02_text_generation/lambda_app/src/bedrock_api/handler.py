"""AWS Lambda handler behind API Gateway (REST API, Lambda proxy integration): prompt in, answer out.

Request body: the "Bedrock Prompt Schema" (`schemas/prompt.schema.json`, JSON Schema draft-04,
the dialect API Gateway models use). Response body: the "Bedrock Response Schema"
(`schemas/response.schema.json`) for every status, errors included, plus `requestId` and, on
success, `modelId`, `stopReason` and `usage`.

Statuses: 200 answer; 400 bad input (empty body, invalid JSON, not an object, missing /
non-string / blank prompt, body over MAX_BODY_BYTES); 502 Bedrock refused the call
(validation, access, unknown model) or the SDK could not send it (no credentials): a
configuration problem, retrying will not help; 503 Bedrock throttled or was unavailable, or the
connection failed or timed out (retry later; a Retry-After header says when); 500 anything
unexpected. Error bodies never carry tracebacks or AWS error text (which can
name accounts and roles); the details go to the structured log, keyed by the request id.

Logging: aws-lambda-powertools Logger, one JSON object per line, correlation id = API Gateway's
request id. The prompt itself is never logged (only its length).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from pathlib import Path
from typing import Any

import boto3
import jsonschema
from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from bedrock_api.config import SERVICE_NAME, Settings

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
PROMPT_SCHEMA = json.loads((SCHEMA_DIR / "prompt.schema.json").read_text())
RESPONSE_SCHEMA = json.loads((SCHEMA_DIR / "response.schema.json").read_text())
jsonschema.Draft4Validator.check_schema(PROMPT_SCHEMA)
_PROMPT = jsonschema.Draft4Validator(PROMPT_SCHEMA)

# Retryable Bedrock errors -> 503 with this advice; every other ClientError -> 502.
THROTTLED = {"ThrottlingException", "ServiceQuotaExceededException", "TooManyRequestsException"}
UNAVAILABLE = {"ServiceUnavailableException", "ModelNotReadyException", "ModelTimeoutException",
               "InternalServerException"}
RETRY_AFTER_SECONDS = 5

MSG_THROTTLED = "The model is receiving too many requests. Retry in a few seconds."
MSG_UNAVAILABLE = "The model is temporarily unavailable. Retry in a few seconds."
MSG_UPSTREAM = ("The model could not answer this request because of a service configuration "
                "problem. Quote the requestId to the operators.")
MSG_INTERNAL = "Internal error. Quote the requestId to the operators."

# Lambda reuses the execution environment: one client per cold start, not per request.
# Two attempts of (connect + read) timeouts must fit API Gateway's 29 s integration timeout,
# or the caller gets the gateway's own 504 instead of our 503. botocore's `max_attempts` counts
# retries only (2 would mean 3 calls, 42 s); `total_max_attempts` counts the first call too.
MAX_ATTEMPTS = 2
CLIENT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
                       connect_timeout=2, read_timeout=12)

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME") or SERVICE_NAME)
SETTINGS = Settings.from_env()
_client = None


class BadRequest(Exception):
    """Input the API rejects with 400; `message` is safe to show to the caller."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def bedrock_client():
    """The bedrock-runtime client, created on first use and reused while the container lives."""
    global _client
    if _client is None:
        _client = boto3.client("bedrock-runtime", config=CLIENT_CONFIG)
    return _client


def set_client(client) -> None:
    """Use this client for Bedrock calls (tests and notebooks; None resets to the default)."""
    global _client
    _client = client


# ---------------------------------------------------------------------------- request


def parse_prompt(event: dict, settings: Settings) -> str:
    """The prompt of an API Gateway proxy event, or BadRequest saying what is wrong."""
    body = event.get("body")
    if body is None or body == "":
        raise BadRequest("Request body is empty. Send a JSON object with a string field "
                         "'prompt'.")
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("Request body is marked base64-encoded but is not valid base64.") \
                from None
    else:
        raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    if len(raw) > settings.max_body_bytes:
        raise BadRequest(f"Request body is {len(raw):,} bytes; the limit is "
                         f"{settings.max_body_bytes:,} bytes.")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Request body is not valid JSON.") from None
    errors = sorted(_PROMPT.iter_errors(data), key=lambda e: (len(e.absolute_path), e.validator))
    if errors:
        raise BadRequest(describe(errors[0]))
    prompt = data["prompt"]
    if not prompt.strip():
        raise BadRequest("Field 'prompt' must not be empty.")
    return prompt


def describe(error: jsonschema.ValidationError) -> str:
    """A caller-facing message for a schema violation (never echoes the caller's input)."""
    field = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "type" and not field:
        return "Request body must be a JSON object with a string field 'prompt'."
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        return f"Missing required field '{missing[0]}'." if missing else "Missing a required field."
    if error.validator == "type":
        return f"Field '{field}' must be a {error.validator_value}."
    return f"Field '{field or 'body'}' is invalid ({error.validator})."


# ---------------------------------------------------------------------------- Bedrock


def converse_request(prompt: str, settings: Settings) -> dict:
    """The Converse parameters for one prompt under these settings."""
    request: dict[str, Any] = {
        "modelId": settings.model_id,
        "messages": [{"role": "user", "content": [{"text": prompt}]}],
        "inferenceConfig": {"maxTokens": settings.max_tokens,
                            "temperature": settings.temperature},
    }
    if settings.system_prompt:
        request["system"] = [{"text": settings.system_prompt}]
    guardrail = settings.guardrail_config()
    if guardrail:
        request["guardrailConfig"] = guardrail
    return request


def classify(code: str) -> tuple[int, str]:
    """(HTTP status, caller-facing message) for a Bedrock error code."""
    if code in THROTTLED:
        return 503, MSG_THROTTLED
    if code in UNAVAILABLE:
        return 503, MSG_UNAVAILABLE
    return 502, MSG_UPSTREAM


# ---------------------------------------------------------------------------- response


def respond(status: int, text: str, request_id: str, headers: dict | None = None,
            **fields: Any) -> dict:
    """An API Gateway proxy response whose body follows the Bedrock Response Schema."""
    body = {"response": text, "statusCode": str(status), "requestId": request_id, **fields}
    return {"statusCode": status,
            "headers": {"Content-Type": "application/json", "X-Request-Id": request_id,
                        **(headers or {})},
            "body": json.dumps(body)}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST,
                              clear_state=True)
def lambda_handler(event: dict, context) -> dict:
    """Entry point (template.yaml: Handler: bedrock_api.handler.lambda_handler)."""
    request_id = logger.get_correlation_id() or getattr(context, "aws_request_id", "") or ""
    try:
        return _handle(event, request_id)
    except Exception:  # the last line of defence: log everything, tell the caller nothing
        logger.exception("unexpected error", extra={"status": 500})
        return respond(500, MSG_INTERNAL, request_id)


def _handle(event: dict, request_id: str) -> dict:
    settings = SETTINGS
    try:
        prompt = parse_prompt(event, settings)
    except BadRequest as exc:
        logger.warning("request rejected", extra={"status": 400, "reason": exc.message})
        return respond(400, exc.message, request_id)
    logger.info("request accepted", extra={"prompt_chars": len(prompt),
                                           "model_id": settings.model_id,
                                           "guardrail": bool(settings.guardrail_id)})
    start = time.perf_counter()
    try:
        result = bedrock_client().converse(**converse_request(prompt, settings))
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code", "Unknown")
        status, message = classify(code)
        logger.error("bedrock call failed", extra={
            "status": status, "error_code": code, "error_message": error.get("Message", ""),
            "bedrock_status": exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
            "bedrock_request_id": exc.response.get("ResponseMetadata", {}).get("RequestId"),
            "duration_ms": _ms(start)})
        retry = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else None
        return respond(status, message, request_id, headers=retry)
    except (BotoConnectionError, HTTPClientError) as exc:  # timeouts, dropped connections
        logger.error("bedrock unreachable", extra={"status": 503, "error_code": type(exc).__name__,
                                                   "duration_ms": _ms(start)})
        return respond(503, MSG_UNAVAILABLE, request_id,
                       headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    except BotoCoreError as exc:  # no credentials, invalid parameters: configuration, not load
        logger.error("bedrock call not sent", extra={"status": 502,
                                                     "error_code": type(exc).__name__})
        return respond(502, MSG_UPSTREAM, request_id)
    text = "".join(b.get("text", "") for b in result["output"]["message"]["content"])
    usage = result.get("usage", {})
    stop = result.get("stopReason", "")
    log = logger.warning if stop in ("max_tokens", "guardrail_intervened") else logger.info
    log("bedrock call succeeded", extra={
        "status": 200, "model_id": settings.model_id, "stop_reason": stop,
        "input_tokens": usage.get("inputTokens", 0), "output_tokens": usage.get("outputTokens", 0),
        "bedrock_latency_ms": result.get("metrics", {}).get("latencyMs"),
        "bedrock_request_id": result.get("ResponseMetadata", {}).get("RequestId"),
        "duration_ms": _ms(start)})
    return respond(200, text, request_id, modelId=settings.model_id, stopReason=stop,
                   usage={"inputTokens": usage.get("inputTokens", 0),
                          "outputTokens": usage.get("outputTokens", 0)})


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)
