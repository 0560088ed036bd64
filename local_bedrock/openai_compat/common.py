"""What both OpenAI-compatible APIs share: errors, the model check, the Converse call, the log.

Error bodies are OpenAI's (`{"error": {"message", "type", "param", "code"}}`), with the HTTP status
of the Bedrock error behind them, so the openai SDK raises the matching class (400
BadRequestError, 403 PermissionDeniedError, 404 NotFoundError, 429 RateLimitError, 5xx
InternalServerError). The refusal of a model on a route it does not serve is worded as Bedrock
words it on bedrock-mantle (a public issue thread quotes it: 400, `validation_error`, "The model
'...' does not support the '/v1/chat/completions' API"); the docs read give no bedrock-runtime
example, so the engine uses that form there too. Codes other than `validation_error` are the
engine's (Bedrock's exception name in OpenAI's style).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

from local_bedrock import catalog
from local_bedrock.errors import EngineError
from local_bedrock.text.types import GenerationResult

CHAT, RESPONSES = "chat_completions", "responses"
API_PATHS = {CHAT: "/v1/chat/completions", RESPONSES: "/v1/responses"}
LOG_OPERATIONS = {CHAT: "ChatCompletions", RESPONSES: "Responses"}  # the engine's labels
_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
          404: "not_found_error", 409: "conflict_error", 429: "rate_limit_error"}
FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
          "tool_use": "tool_calls", "guardrail_intervened": "content_filter",
          "content_filtered": "content_filter"}


class OpenAIError(Exception):
    """An error answered in OpenAI's error shape with Bedrock's HTTP status."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 param: str | None = None, type_: str | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.param = status, message, code, param
        self.type = type_ or _TYPES.get(status, "server_error" if status >= 500 else "api_error")

    def body(self) -> dict:
        """The JSON body the openai SDK parses into its exception."""
        return {"error": {"message": self.message, "type": self.type, "param": self.param,
                          "code": self.code}}


def bad_request(message: str, param: str | None = None) -> OpenAIError:
    """400 invalid_request_error / validation_error (openai.BadRequestError)."""
    return OpenAIError(400, message, "validation_error", param)


def from_engine(err: EngineError) -> OpenAIError:
    """A Bedrock error of the Converse path, in OpenAI's shape with the same status."""
    name = re.sub(r"Exception$", "", err.code)
    code = "validation_error" if name == "Validation" else \
        re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower() + "_error"
    return OpenAIError(err.status, err.message, code)


def check_model(engine, model_id: Any, api: str, streaming: bool = False) -> catalog.Model:
    """The registry entry for `model_id` if it serves `api` from this region, else the error
    Bedrock answers (invalid id, end of life, profile-only, no access, not on this route)."""
    from local_bedrock.runtime import models

    if not isinstance(model_id, str) or not model_id:
        raise bad_request("you must provide a model parameter", "model")
    try:
        model = models.resolve(model_id, converse=True, streaming=streaming, engine=engine)
    except EngineError as err:
        raise from_engine(err) from None
    if api not in model.openai_apis:
        raise bad_request(f"The model '{model_id}' does not support the '{API_PATHS[api]}' API",
                          "model")
    return model


def sampling(body: dict, limit_field: str) -> dict:
    """Converse's inferenceConfig from an OpenAI body: its token limit (``limit_field``, or for
    Chat Completions the older ``max_tokens``), temperature (0-2, capped at Converse's 1) and top_p."""
    cfg: dict[str, Any] = {}
    limit = body.get(limit_field, body.get("max_tokens") if limit_field == "max_completion_tokens" else None)
    if limit is not None:
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise bad_request(f"{limit_field} must be an integer of at least 1.", limit_field)
        cfg["maxTokens"] = limit
    for name, key, top in (("temperature", "temperature", 2.0), ("top_p", "topP", 1.0)):
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= top:
            raise bad_request(f"{name} must be a number between 0 and {top:g}.", name)
        cfg[key] = min(float(value), 1.0)
    return cfg


def tool_spec(name: str, description: str | None, parameters: dict | None) -> dict:
    """A Converse ``toolSpec`` from an OpenAI function tool's name, description and parameters."""
    spec = {"name": name, "inputSchema": {"json": parameters or {"type": "object", "properties": {}}}}
    if description:
        spec["description"] = description
    return {"toolSpec": spec}


def converse_params(model_id: str, messages: list[dict], system: list[dict], inference: dict,
                    tools: list[dict]) -> dict:
    """A Converse request (boto3 shape) from the translated pieces."""
    params: dict[str, Any] = {"modelId": model_id, "messages": merge_turns(messages)}
    if system:
        params["system"] = system
    if inference:
        params["inferenceConfig"] = inference
    if tools:
        params["toolConfig"] = {"tools": tools}
    return params


def merge_turns(messages: list[dict]) -> list[dict]:
    """Consecutive turns of one role merged (tool results then a user line are one user turn)."""
    out: list[dict] = []
    for m in messages:
        if out and out[-1]["role"] == m["role"]:
            out[-1] = {"role": m["role"], "content": out[-1]["content"] + m["content"]}
        else:
            out.append({"role": m["role"], "content": list(m["content"])})
    return out


def answer(engine, model: catalog.Model, params: dict, tool_choice: dict | None) -> dict:
    """The Converse answer for `params` (the engine's Converse path, step by step, so an OpenAI
    `tool_choice` of required/named reaches the tool planner). Returns Converse's output shape
    plus `_result`, the GenerationResult."""
    from local_bedrock.runtime import capabilities, converse

    try:
        capabilities.check_converse(model, params)
        req = converse.to_generation_request(params, model.max_output_tokens)
        if tool_choice and req.tools:
            req.tool_choice = tool_choice
        blocked = engine.guardrail_input(params, req)
        if blocked is not None:
            return {**blocked, "_result": _result_of(blocked)}
        result = converse._cached_generate(engine, model, params, req)
        out = {"output": {"message": {"role": "assistant", "content": converse._content(result)}},
               "stopReason": result.stop_reason, "usage": converse._usage(result),
               "metrics": {"latencyMs": max(result.latency_ms, 1)}}
        out = engine.guardrail_output(params, req, out)
    except EngineError as err:
        raise from_engine(err) from None
    return {**out, "_result": _result_of(out, result)}


def _result_of(out: dict, result: GenerationResult | None = None) -> GenerationResult:
    """The answer's text, tool uses and usage as a GenerationResult (guardrails may rewrite)."""
    blocks = out["output"]["message"]["content"]
    usage = out.get("usage") or {}
    return GenerationResult(
        text="".join(b["text"] for b in blocks if "text" in b),
        tool_uses=[b["toolUse"] for b in blocks if "toolUse" in b],
        stop_reason=out.get("stopReason", "end_turn"),
        input_tokens=(result.input_tokens if result else usage.get("inputTokens", 0)),
        output_tokens=usage.get("outputTokens", 0))


def pace(engine, n: int = 1) -> None:
    """The fault config's per-token delay, as ConverseStream paces its deltas."""
    engine.faults.token_delay(n)


def now() -> int:
    """Unix seconds, as OpenAI's `created` / `created_at` fields carry them."""
    return int(time.time())


def log_invocation(engine, api: str, model_id: str, request: dict, response: dict | None,
                   usage: tuple[int, int], error: OpenAIError | None, request_id: str) -> None:
    """Deliver a model-invocation-log record to the destinations configured with
    PutModelInvocationLoggingConfiguration (the logging page: invocation logging covers calls
    through the bedrock-runtime endpoint). The record's `operation` is the engine's label
    (ChatCompletions / Responses): the docs read do not give the value Bedrock writes."""
    try:
        from local_bedrock.observability import models as observability
    except ModuleNotFoundError:
        return
    config = observability.get_config(engine)
    if not config:
        return
    stamp = dt.datetime.now(dt.timezone.utc)
    text_on = config.get("textDataDeliveryEnabled", True)
    record: dict[str, Any] = {
        "schemaType": "ModelInvocationLog", "schemaVersion": "1.0",
        "timestamp": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "accountId": observability.DEFAULT_ACCOUNT,
        "identity": {"arn": f"arn:aws:sts::{observability.DEFAULT_ACCOUNT}:user/moto"},
        "region": engine.region, "requestId": request_id, "operation": LOG_OPERATIONS[api],
        "modelId": model_id,
        "input": {"inputContentType": "application/json", "inputTokenCount": usage[0]},
    }
    if text_on:
        record["input"]["inputBodyJson"] = request
    if error is not None:
        record["errorCode"] = error.code or error.type
    else:
        record["output"] = {"outputContentType": "application/json",
                            "outputTokenCount": usage[1]}
        if text_on:
            record["output"]["outputBodyJson"] = response
    observability._delivery(engine).deliver(config, record, stamp)
