"""Amazon Nova understanding models: the "messages-v1" Invoke body.

Request::

    {"schemaVersion": "messages-v1", "system": [{"text": "..."}],
     "messages": [{"role": "user", "content": [{"text": "..."}]}],
     "inferenceConfig": {"maxTokens": 512, "temperature": 0.7, "topP": 0.9, "topK": 20,
                         "stopSequences": [...]},
     "toolConfig": {"tools": [{"toolSpec": {...}}], "toolChoice": {"auto": {}}}}

(`max_new_tokens`, `top_p` and `top_k` are accepted as aliases, as the Nova docs use both.)

Response::

    {"output": {"message": {"content": [{"text": "..."}], "role": "assistant"}},
     "stopReason": "end_turn",
     "usage": {"inputTokens": 5, "outputTokens": 9, "totalTokens": 14, ...}}

Conversation-shape errors use the Converse wording, which Nova's Invoke API shares.
"""

from __future__ import annotations

import json
from typing import Any

from local_bedrock import errors
from local_bedrock.catalog import Model
from local_bedrock.runtime.bodies import common as c
from local_bedrock.text.types import GenerationRequest, GenerationResult, Turn

SCHEMA_VERSION = "messages-v1"
TOP_KEYS = frozenset({"schemaVersion", "system", "messages", "inferenceConfig", "toolConfig"})
CONFIG_KEYS = frozenset({"maxTokens", "max_new_tokens", "temperature", "topP", "top_p", "topK",
                         "top_k", "stopSequences"})
IMAGE_FORMATS = ("png", "jpeg", "gif", "webp")
VIDEO_FORMATS = ("mkv", "mov", "mp4", "webm", "three_gp", "flv", "mpeg", "mpg", "wmv")
DEFAULT_MAX_TOKENS = 5000

START_WITH_USER = ("A conversation must start with a user message. Try again with a conversation "
                   "that starts with a user message.")
ALTERNATE = ("A conversation must alternate between user and assistant roles. Make sure the "
             "conversation alternates between user and assistant roles and try again.")


def parse(model: Model, body: Any) -> GenerationRequest:
    c.require_object(body, "")
    c.check_keys(body, "", TOP_KEYS, ("messages",))
    c.get_str(body, "schemaVersion", "", SCHEMA_VERSION, enum=(SCHEMA_VERSION,))
    system = _system(body.get("system", []))
    messages = _messages(model, body["messages"])
    config = c.require_object(body.get("inferenceConfig", {}), "/inferenceConfig")
    c.check_keys(config, "/inferenceConfig", CONFIG_KEYS)
    cp = "/inferenceConfig"
    limit = model.max_output_tokens or None
    key = "maxTokens" if "maxTokens" in config else "max_new_tokens"
    max_tokens = c.get_int(config, key, cp, min(DEFAULT_MAX_TOKENS, limit or DEFAULT_MAX_TOKENS),
                           lo=1, hi=limit)
    temperature = c.get_number(config, "temperature", cp, 0.7, lo=0, hi=1)
    top_p = c.get_number(config, "topP" if "topP" in config else "top_p", cp, 0.9, lo=0, hi=1)
    c.get_int(config, "topK" if "topK" in config else "top_k", cp, None, lo=0)
    stops = c.get_str_list(config, "stopSequences", cp, [])
    tools, tool_choice = _tool_config(body.get("toolConfig"))
    return GenerationRequest(
        model_id=model.model_id, messages=messages, system=system, max_tokens=max_tokens,
        temperature=temperature, top_p=top_p, stop_sequences=stops, tools=tools,
        tool_choice=tool_choice)


def _system(system: Any) -> str:
    if not isinstance(system, list):
        raise c.wrong_type("/system", "JSONArray", system)
    texts = []
    for i, block in enumerate(system):
        p = f"/system/{i}"
        c.require_object(block, p)
        c.check_keys(block, p, {"text", "cachePoint"})
        if "text" in block:
            texts.append(c.get_str(block, "text", p))
    return "\n".join(texts)


def _messages(model: Model, messages: Any) -> list[Turn]:
    if not isinstance(messages, list):
        raise c.wrong_type("/messages", "JSONArray", messages)
    if not messages:
        raise c.malformed("/messages", "expected minimum item count: 1, found: 0")
    turns: list[Turn] = []
    for i, msg in enumerate(messages):
        p = f"/messages/{i}"
        c.require_object(msg, p)
        c.check_keys(msg, p, {"role", "content"}, ("role", "content"))
        role = c.get_str(msg, "role", p, enum=("user", "assistant"))
        if i == 0 and role != "user":
            raise errors.validation(START_WITH_USER)
        if turns and turns[-1].role == role:
            raise errors.validation(ALTERNATE)
        content = c.get_list(msg, "content", p, min_items=1)
        blocks = []
        for j, item in enumerate(content):
            block = _block(model, item, f"{p}/content/{j}", role)
            if block is not None:
                blocks.append(block)
        turns.append(Turn(role=role, content=blocks))
    return turns


def _media(block: Any, p: str, formats: tuple[str, ...]) -> dict:
    c.require_object(block, p)
    c.check_keys(block, p, {"format", "source"}, ("format", "source"))
    fmt = c.get_str(block, "format", p, enum=formats)
    source = c.require_object(block["source"], f"{p}/source")
    c.check_keys(source, f"{p}/source", {"bytes", "s3Location"})
    if "bytes" in source:
        return {"format": fmt, "source": {"bytes": c.decode_base64(source["bytes"],
                                                                   f"{p}/source/bytes")}}
    if "s3Location" in source:
        return {"format": fmt, "source": {"s3Location": source["s3Location"]}}
    raise c.malformed(f"{p}/source", "required key [bytes] not found")


def _block(model: Model, block: Any, p: str, role: str) -> dict | None:
    c.require_object(block, p)
    kinds = [k for k in block if k in ("text", "image", "video", "toolUse", "toolResult",
                                       "cachePoint", "reasoningContent")]
    if len(block) != 1 or len(kinds) != 1:
        c.check_keys(block, p, {"text", "image", "video", "toolUse", "toolResult", "cachePoint",
                                "reasoningContent"})
        raise c.malformed(p, "a content block must have exactly one of [text, image, video, "
                             "toolUse, toolResult]")
    kind = kinds[0]
    if kind == "text":
        text = c.get_str(block, "text", p)
        return {"text": text}
    if kind in ("image", "video"):
        modality = kind.upper()
        if modality not in model.input_modalities:
            raise errors.validation(
                f"This model doesn't support the {kind} content block that you provided. "
                "Try again with a supported model.")
        return {kind: _media(block[kind], f"{p}/{kind}",
                             IMAGE_FORMATS if kind == "image" else VIDEO_FORMATS)}
    if kind == "toolUse":
        use = c.require_object(block["toolUse"], f"{p}/toolUse")
        c.check_keys(use, f"{p}/toolUse", {"toolUseId", "name", "input"},
                     ("toolUseId", "name", "input"))
        return {"toolUse": {"toolUseId": c.get_str(use, "toolUseId", f"{p}/toolUse"),
                            "name": c.get_str(use, "name", f"{p}/toolUse"),
                            "input": use["input"]}}
    if kind == "toolResult":
        tr = c.require_object(block["toolResult"], f"{p}/toolResult")
        tp = f"{p}/toolResult"
        c.check_keys(tr, tp, {"toolUseId", "content", "status"}, ("toolUseId", "content"))
        out: dict[str, Any] = {"toolUseId": c.get_str(tr, "toolUseId", tp), "content": []}
        for k, item in enumerate(c.get_list(tr, "content", tp)):
            ip = f"{tp}/content/{k}"
            c.require_object(item, ip)
            c.check_keys(item, ip, {"text", "json", "image"})
            if "image" in item:
                out["content"].append({"image": _media(item["image"], f"{ip}/image",
                                                       IMAGE_FORMATS)})
            else:
                out["content"].append(dict(item))
        if "status" in tr:
            out["status"] = c.get_str(tr, "status", tp, enum=("success", "error"))
        return {"toolResult": out}
    return None  # cachePoint / reasoningContent: nothing for the responder


def _tool_config(config: Any) -> tuple[list[dict], dict | None]:
    if config is None:
        return [], None
    p = "/toolConfig"
    c.require_object(config, p)
    c.check_keys(config, p, {"tools", "toolChoice"}, ("tools",))
    tools = []
    for i, tool in enumerate(c.get_list(config, "tools", p, min_items=1)):
        tp = f"{p}/tools/{i}"
        c.require_object(tool, tp)
        c.check_keys(tool, tp, {"toolSpec"}, ("toolSpec",))
        spec = c.require_object(tool["toolSpec"], f"{tp}/toolSpec")
        sp = f"{tp}/toolSpec"
        c.check_keys(spec, sp, {"name", "description", "inputSchema"}, ("name", "inputSchema"))
        c.get_str(spec, "name", sp, min_length=1, max_length=64)
        schema = c.require_object(spec["inputSchema"], f"{sp}/inputSchema")
        c.check_keys(schema, f"{sp}/inputSchema", {"json"}, ("json",))
        c.require_object(schema["json"], f"{sp}/inputSchema/json")
        tools.append({"toolSpec": dict(spec)})
    choice = config.get("toolChoice")
    if choice is not None:
        c.require_object(choice, f"{p}/toolChoice")
        c.check_keys(choice, f"{p}/toolChoice", {"auto", "any", "tool"})
        if len(choice) != 1:
            raise c.malformed(f"{p}/toolChoice", "expected exactly one of [auto, any, tool]")
        if "tool" in choice:
            name = c.get_str(c.require_object(choice["tool"], f"{p}/toolChoice/tool"), "name",
                             f"{p}/toolChoice/tool")
            if name not in {t["toolSpec"]["name"] for t in tools}:
                raise errors.validation(
                    f"The tool {name} named in toolChoice isn't defined in toolConfig.tools.")
        choice = dict(choice)
    return tools, choice


STOP_REASONS = {"end_turn": "end_turn", "max_tokens": "max_tokens",
                "stop_sequence": "stop_sequence", "tool_use": "tool_use",
                "guardrail_intervened": "content_filtered"}


def _stop(result: GenerationResult) -> str:
    reason = STOP_REASONS.get(result.stop_reason, "end_turn")
    if result.tool_uses and reason == "end_turn":
        reason = "tool_use"
    return reason


def render(model: Model, result: GenerationResult) -> dict:
    content: list[dict[str, Any]] = []
    if result.text or not result.tool_uses:
        content.append({"text": result.text})
    for use in result.tool_uses:
        content.append({"toolUse": {"toolUseId": use["toolUseId"], "name": use["name"],
                                    "input": use.get("input", {})}})
    return {
        "output": {"message": {"content": content, "role": "assistant"}},
        "stopReason": _stop(result),
        "usage": {"inputTokens": result.input_tokens, "outputTokens": result.output_tokens,
                  "totalTokens": result.input_tokens + result.output_tokens,
                  "cacheReadInputTokenCount": 0, "cacheWriteInputTokenCount": 0},
    }


def stream(model: Model, result: GenerationResult, pieces: list[str]) -> list[dict]:
    chunks: list[dict[str, Any]] = [{"messageStart": {"role": "assistant"}}]
    index = 0
    text_pieces = c.text_pieces(result, pieces)
    if text_pieces:
        for piece in text_pieces:
            chunks.append({"contentBlockDelta": {"delta": {"text": piece},
                                                 "contentBlockIndex": 0}})
        chunks.append({"contentBlockStop": {"contentBlockIndex": 0}})
        index = 1
    for use in result.tool_uses:
        chunks.append({"contentBlockStart": {"start": {"toolUse": {
            "toolUseId": use["toolUseId"], "name": use["name"]}}, "contentBlockIndex": index}})
        chunks.append({"contentBlockDelta": {"delta": {"toolUse": {
            "input": json.dumps(use.get("input", {}))}}, "contentBlockIndex": index}})
        chunks.append({"contentBlockStop": {"contentBlockIndex": index}})
        index += 1
    chunks.append({"messageStop": {"stopReason": _stop(result)}})
    chunks.append({
        "metadata": {"usage": {"inputTokens": result.input_tokens,
                               "outputTokens": result.output_tokens},
                     "metrics": {}, "trace": {}},
        "amazon-bedrock-invocationMetrics": c.invocation_metrics(result),
    })
    return chunks


def usage(body: dict) -> tuple[int, int]:
    u = body.get("usage") or {}
    return int(u.get("inputTokens", 0)), int(u.get("outputTokens", 0))
