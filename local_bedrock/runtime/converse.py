"""Converse and ConverseStream: one message API for every text model."""

from __future__ import annotations

import json
import time
from typing import Any, Iterator

from local_bedrock import catalog
from local_bedrock.errors import EngineError, validation
from local_bedrock.runtime import capabilities, models, prompt_cache
from local_bedrock.text import responder
from local_bedrock.text.tokens import split_tokens
from local_bedrock.text.types import GenerationRequest, GenerationResult, Turn
from local_bedrock.wire.validation import load_json

ENGINE_HEADER = "x-local-bedrock-engine"  # on every engine answer: who answered (not a model)
NOTE_HEADER = "x-local-bedrock-note"  # JSON: what a stand-in (e.g. a custom model) did


def to_generation_request(params: dict, model_max: int) -> GenerationRequest:
    """Validate a Converse request like Bedrock does and convert it."""
    messages = params.get("messages") or []
    if not messages:
        raise validation("A conversation must start with a user message. Try again with a "
                         "conversation that starts with a user message.")
    if messages[0]["role"] != "user":
        raise validation("A conversation must start with a user message. Try again with a "
                         "conversation that starts with a user message.")
    for prev, cur in zip(messages, messages[1:]):
        if prev["role"] == cur["role"]:
            raise validation("A conversation must alternate between user and assistant roles. "
                             "Make sure the conversation alternates between user and assistant "
                             "roles and try again.")
    for i, m in enumerate(messages):
        if not m.get("content"):
            raise validation(f"The content field in the Message object at messages.{i} is empty. "
                             "Add a ContentBlock object to the content field and try again.")
        for block in m["content"]:
            if "text" in block and not block["text"].strip() and m is not messages[-1]:
                raise validation("The text field in the ContentBlock object at "
                                 f"messages.{i}.content is blank. Add text to the text field, "
                                 "and try again.")
    cfg = params.get("inferenceConfig") or {}
    max_tokens = cfg.get("maxTokens", min(model_max, 4096) or 4096)
    if model_max and max_tokens > model_max:
        raise validation(f"The maximum tokens you requested exceeds the model limit of "
                         f"{model_max}. Try again with a maximum tokens value that is lower "
                         f"than {model_max}.")
    temperature = cfg.get("temperature", 0.7)
    top_p = cfg.get("topP", 0.9)
    for name, value in (("temperature", temperature), ("topP", top_p)):
        if not 0 <= value <= 1:
            raise validation(f"inferenceConfig.{name} must be between 0 and 1 (got {value}).")
    system = "\n".join(b["text"] for b in params.get("system") or [] if "text" in b)
    tool_cfg = params.get("toolConfig") or {}
    tools = [t["toolSpec"] for t in tool_cfg.get("tools", []) if "toolSpec" in t]
    for i, spec in enumerate(tools):
        schema_json = (spec.get("inputSchema") or {}).get("json")
        if not isinstance(schema_json, dict) or schema_json.get("type", "object") != "object":
            raise validation(f"The value at toolConfig.tools.{i}.toolSpec.inputSchema.json.type "
                             "must be one of the following: object.")
    if tool_cfg and not tools:
        raise validation("The toolConfig field must be defined when using toolUse and "
                         "toolResult content blocks.")
    schema = None
    fmt = ((params.get("outputConfig") or {}).get("textFormat") or {})
    js = (fmt.get("structure") or {}).get("jsonSchema")
    if js:
        try:
            schema = load_json(js["schema"], "JSON schema")
        except EngineError as exc:
            raise validation(f"outputConfig.textFormat.structure.jsonSchema.schema: "
                             f"{exc.message}") from None
    req = GenerationRequest(
        model_id=params["modelId"],
        messages=[Turn(m["role"], m["content"]) for m in messages],
        system=system, max_tokens=max_tokens, temperature=temperature, top_p=top_p,
        stop_sequences=cfg.get("stopSequences") or [], tools=tools,
        tool_choice=tool_cfg.get("toolChoice"), json_schema=schema,
    )
    # quota admission reserves maxTokens, or the model's maximum when the request sets none
    req.reserve_tokens = max_tokens if "maxTokens" in cfg else (model_max or max_tokens)  # type: ignore[attr-defined]
    return req


def admit(engine, req: GenerationRequest) -> None:
    """The checks Bedrock makes before it answers: context window and throttling quotas."""
    input_tokens = responder.count_request_tokens(req)
    model = catalog.find(req.model_id)
    if model is not None and model.context_tokens and input_tokens > model.context_tokens:
        raise validation(f"Input is too long for requested model. The request has {input_tokens} "
                         f"input tokens; {model.model_id} accepts {model.context_tokens}.")
    reserve = getattr(req, "reserve_tokens", req.max_tokens)
    req.quota_ticket = engine.faults.admit(req.model_id, input_tokens + reserve)  # type: ignore[attr-defined]


def generate(engine, req: GenerationRequest, admitted: bool = False) -> GenerationResult:
    """Run the responder (tool selection first when tools are offered), under fault injection."""
    if not admitted:
        admit(engine, req)
    req.next_repeat = engine.next_repeat  # type: ignore[attr-defined]  # sampling varies per repeat
    start = time.perf_counter()
    served = getattr(req, "served", None)
    engine.faults.first_byte_delay(served.first_byte_factor if served else 1.0)
    result = None
    if req.tools:
        from local_bedrock.text import tools as tool_use

        result = tool_use.decide(req)
    custom = engine.custom_models.get(req.model_id)  # lab 04: a custom model's served ARN
    if result is None and custom is not None and custom.get("respond"):
        result = custom["respond"](req)
    if result is None:
        result = responder.respond(req)
    result.latency_ms = int((time.perf_counter() - start) * 1000)
    engine.faults.settle(getattr(req, "quota_ticket", None), result.input_tokens,
                         result.output_tokens)
    return result


def _pace(req: GenerationRequest) -> float:
    """The per-token pace factor of the service tier / latency mode the request is served with."""
    served = getattr(req, "served", None)
    return served.token_pace_factor if served else 1.0


def _content(result: GenerationResult) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if result.text:
        blocks.append({"text": result.text})
    blocks += [{"toolUse": t} for t in result.tool_uses]
    return blocks or [{"text": ""}]


def _usage(result: GenerationResult) -> dict:
    """Bedrock's usage block; with prompt caching, inputTokens excludes what was read from or
    written to the cache (reported apart), and totalTokens counts all of it."""
    use = getattr(result, "cache", None)
    usage = {"inputTokens": result.input_tokens, "outputTokens": result.output_tokens,
             "totalTokens": result.input_tokens + result.output_tokens}
    if use is not None:
        usage["inputTokens"] = max(result.input_tokens - use.read - use.write, 0)
        usage["cacheReadInputTokens"] = use.read
        usage["cacheWriteInputTokens"] = use.write
        if use.details:
            usage["cacheDetails"] = use.details
    return usage


def _cached_generate(engine, model, params: dict, req: GenerationRequest,
                     admitted: bool = False) -> GenerationResult:
    """generate(), with the prompt cache read and written and its prefill latency simulated."""
    use = prompt_cache.cache_of(engine).account(model, params)
    result = generate(engine, req, admitted)
    if use is not None:
        start = time.perf_counter()
        prompt_cache.prefill_delay(use, result.input_tokens)
        result.latency_ms += int((time.perf_counter() - start) * 1000)
        result.cache = use  # type: ignore[attr-defined]
    return result


def converse(engine, params: dict) -> dict:
    """Converse: the whole answer at once."""
    model = models.resolve(params["modelId"], converse=True, engine=engine)
    served = capabilities.check_converse(model, params, region=engine.call_region)
    req = to_generation_request(params, model.max_output_tokens)
    req.resolved_model = model.model_id  # answers seeded by the model, not by a profile's random id
    req.served = served  # type: ignore[attr-defined]
    blocked = engine.guardrail_input(params, req)
    if blocked is not None:
        return blocked
    result = _cached_generate(engine, model, params, req)
    engine.faults.token_delay(result.output_tokens, served.token_pace_factor)
    out = {
        "output": {"message": {"role": "assistant", "content": _content(result)}},
        "stopReason": result.stop_reason,
        "usage": _usage(result),
        "metrics": {"latencyMs": max(result.latency_ms, 1)},
        **served.converse_fields(),
    }
    note = getattr(result, "note", None)  # the real models send no additionalModelResponseFields
    if note:
        out["_headers"] = {NOTE_HEADER: json.dumps(note)}
    return engine.guardrail_output(params, req, out)


def converse_stream(engine, params: dict) -> dict:
    """ConverseStream: the same answer as events, paced by the fault config's per-token delay."""
    model = models.resolve(params["modelId"], converse=True, streaming=True, engine=engine)
    served = capabilities.check_converse(model, params, streaming=True, region=engine.call_region)
    req = to_generation_request(params, model.max_output_tokens)
    req.resolved_model = model.model_id  # answers seeded by the model, not by a profile's random id
    req.served = served  # type: ignore[attr-defined]
    blocked = engine.guardrail_input(params, req)
    if blocked is not None:
        return {"stream": _events_from_output(blocked)}
    admit(engine, req)  # refusals come back as HTTP errors, before the stream starts
    if _text_only(params) and req.model_id not in engine.custom_models:
        return {"stream": _composed_while_streaming(engine, model, params, req)}
    result, trace = _answer_for_stream(engine, model, params, req)
    return {"stream": _events(engine, params, req, result, trace)}


def _text_only(params: dict) -> bool:
    """No images, documents or videos: nothing the responder could still refuse mid-stream."""
    return all(not ({"image", "document", "video"} & set(block))
               for m in params.get("messages") or [] for block in m.get("content") or [])


def _composed_while_streaming(engine, model, params: dict, req: GenerationRequest) -> Iterator[dict]:
    """messageStart leaves at once and the answer is composed after it, so the first event does
    not wait for a long document to be read (as live, where it precedes the first token)."""
    yield {"messageStart": {"role": "assistant"}}
    result, trace = _answer_for_stream(engine, model, params, req)
    yield from _events(engine, params, req, result, trace, started=True)


def _answer_for_stream(engine, model, params: dict, req: GenerationRequest) -> tuple[GenerationResult, dict | None]:
    """The answer and, with a guardrail, its checked form and trace."""
    result = _cached_generate(engine, model, params, req, admitted=True)
    trace = None
    if params.get("guardrailConfig"):  # the whole answer is checked before it streams (sync mode)
        checked = engine.guardrail_output(params, req, {
            "output": {"message": {"role": "assistant", "content": _content(result)}},
            "stopReason": result.stop_reason, "usage": _usage(result), "metrics": {"latencyMs": 1}})
        blocks = checked["output"]["message"]["content"]
        result.text = "".join(b["text"] for b in blocks if "text" in b)
        result.tool_uses = [b["toolUse"] for b in blocks if "toolUse" in b]
        result.stop_reason = checked["stopReason"]
        trace = checked.get("trace")
    return result, trace


def _events(engine, params: dict, req: GenerationRequest, result: GenerationResult,
            trace: dict | None = None, started: bool = False) -> Iterator[dict]:
    start = time.perf_counter()
    if not started:
        yield {"messageStart": {"role": "assistant"}}
    index = 0
    if result.text:
        pace = _pace(req)
        for piece in split_tokens(result.text):
            engine.faults.token_delay(1, pace)
            yield {"contentBlockDelta": {"delta": {"text": piece}, "contentBlockIndex": index}}
        yield {"contentBlockStop": {"contentBlockIndex": index}}
        index += 1
    for tool in result.tool_uses:
        yield {"contentBlockStart": {"start": {"toolUse": {"toolUseId": tool["toolUseId"],
                                                           "name": tool["name"]}},
                                     "contentBlockIndex": index}}
        yield {"contentBlockDelta": {"delta": {"toolUse": {"input": json.dumps(tool["input"])}},
                                     "contentBlockIndex": index}}
        yield {"contentBlockStop": {"contentBlockIndex": index}}
        index += 1
    yield {"messageStop": {"stopReason": result.stop_reason}}
    latency = result.latency_ms + int((time.perf_counter() - start) * 1000)
    meta = {"usage": _usage(result), "metrics": {"latencyMs": max(latency, 1)}}
    if trace:
        meta["trace"] = trace
    served = getattr(req, "served", None)
    if served is not None:
        meta.update(served.converse_fields())
    yield {"metadata": meta}


def _events_from_output(out: dict) -> Iterator[dict]:
    """Events for an answer already complete (e.g. a guardrail's blocked message)."""
    yield {"messageStart": {"role": "assistant"}}
    for i, block in enumerate(out["output"]["message"]["content"]):
        yield {"contentBlockDelta": {"delta": {"text": block.get("text", "")},
                                     "contentBlockIndex": i}}
        yield {"contentBlockStop": {"contentBlockIndex": i}}
    yield {"messageStop": {"stopReason": out["stopReason"]}}
    meta = {"usage": out["usage"], "metrics": out["metrics"]}
    if out.get("trace"):
        meta["trace"] = out["trace"]
    yield {"metadata": meta}


def count_tokens(engine, params: dict) -> dict:
    """CountTokens: the input tokens a Converse or InvokeModel request would be billed for."""
    body = params.get("input") or {}
    model = models.resolve(params["modelId"], engine=engine)
    capabilities.check_count_tokens(model)
    if "converse" in body:
        req = to_generation_request({**body["converse"], "modelId": params["modelId"]},
                                    model.max_output_tokens)
    elif "invokeModel" in body:
        from local_bedrock.runtime import providers

        raw = body["invokeModel"]["body"]
        from local_bedrock.runtime.invoke import json_body

        req = providers.parse_text_request(model.model_id, json_body(raw))
    else:
        raise validation("input must contain either converse or invokeModel.")
    return {"inputTokens": responder.count_request_tokens(req)}
