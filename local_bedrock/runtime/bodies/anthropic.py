"""Anthropic Claude bodies: the Messages API ("anthropic") and Text Completions ("anthropic-legacy").

Messages request (InvokeModel body)::

    {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 512, "system": "...",
     "messages": [{"role": "user", "content": "..." | [blocks]}], "temperature": 0.5,
     "top_p": 0.9, "top_k": 250, "stop_sequences": [...], "tools": [...], "tool_choice": {...}}

Messages response::

    {"id": "msg_bdrk_...", "type": "message", "role": "assistant", "model": "claude-...",
     "content": [{"type": "text", "text": "..."}, {"type": "tool_use", ...}],
     "stop_reason": "end_turn", "stop_sequence": null,
     "usage": {"input_tokens": 12, "output_tokens": 34}}

Semantic errors (roles, content, max_tokens) use the wording of Anthropic's own API, which
Bedrock passes through; schema errors use Bedrock's "Malformed input request" wording.
"""

from __future__ import annotations

import json
import re
from typing import Any

from local_bedrock import errors
from local_bedrock.catalog import Model
from local_bedrock.runtime.bodies import common as c
from local_bedrock.text.tokens import count_tokens
from local_bedrock.text.types import GenerationRequest, GenerationResult, Turn

ANTHROPIC_VERSION = "bedrock-2023-05-31"
IMAGE_MEDIA_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
DOCUMENT_MEDIA_TYPES = ("application/pdf", "text/plain")
TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")

MESSAGES_KEYS = frozenset({
    "anthropic_version", "anthropic_beta", "max_tokens", "system", "messages", "temperature",
    "top_p", "top_k", "stop_sequences", "tools", "tool_choice", "thinking",
})


# =========================================================================== Messages API

def parse(model: Model, body: Any) -> GenerationRequest:
    c.require_object(body, "")
    c.check_keys(body, "", MESSAGES_KEYS, ("anthropic_version", "max_tokens", "messages"))
    c.get_str(body, "anthropic_version", "", enum=(ANTHROPIC_VERSION,))
    if "anthropic_beta" in body:
        c.get_str_list(body, "anthropic_beta", "")
    max_tokens = c.get_int(body, "max_tokens", "", lo=1)
    if model.max_output_tokens and max_tokens > model.max_output_tokens:
        raise errors.validation(
            f"max_tokens: {max_tokens} > {model.max_output_tokens}, which is the maximum "
            f"allowed number of output tokens for {c.short_model_name(model)}")
    temperature = c.get_number(body, "temperature", "", 1.0, lo=0, hi=1)
    top_p = c.get_number(body, "top_p", "", 0.999, lo=0, hi=1)
    c.get_int(body, "top_k", "", None, lo=0, hi=500)
    stops = c.get_str_list(body, "stop_sequences", "", [])
    system = _system(body.get("system", ""))
    messages = _messages(model, body["messages"])
    tools = _tools(body.get("tools", []))
    tool_choice, tools = _tool_choice(body.get("tool_choice"), tools)
    if "thinking" in body:
        _thinking(body["thinking"], max_tokens)
    return GenerationRequest(
        model_id=model.model_id, messages=messages, system=system, max_tokens=max_tokens,
        temperature=temperature, top_p=top_p, stop_sequences=stops, tools=tools,
        tool_choice=tool_choice)


def _system(system: Any) -> str:
    if isinstance(system, str):
        return system
    if not isinstance(system, list):
        raise c.wrong_type("/system", "String or JSONArray", system)
    texts = []
    for i, block in enumerate(system):
        p = f"/system/{i}"
        c.require_object(block, p)
        c.check_keys(block, p, {"type", "text", "cache_control"}, ("type", "text"))
        if block["type"] != "text":
            raise errors.validation(f"system.{i}.type: Input should be 'text'")
        texts.append(c.get_str(block, "text", p))
    return "\n".join(texts)


def _messages(model: Model, messages: Any) -> list[Turn]:
    if not isinstance(messages, list):
        raise c.wrong_type("/messages", "JSONArray", messages)
    if not messages:
        raise errors.validation("messages: at least one message is required")
    turns: list[Turn] = []
    for i, msg in enumerate(messages):
        p = f"/messages/{i}"
        c.require_object(msg, p)
        c.check_keys(msg, p, {"role", "content"}, ("role", "content"))
        role = msg["role"]
        if role not in ("user", "assistant"):
            raise errors.validation(
                f"messages.{i}.role: Input should be 'user' or 'assistant'")
        if i == 0 and role != "user":
            raise errors.validation('messages: first message must use the "user" role')
        if turns and turns[-1].role == role:
            raise errors.validation(
                'messages: roles must alternate between "user" and "assistant", but found '
                f'multiple "{role}" roles in a row')
        last = i == len(messages) - 1
        blocks = _content(model, msg["content"], i, role, allow_empty=last and role == "assistant")
        if blocks or role == "user":
            turns.append(Turn(role=role, content=blocks))
    _check_tool_pairs(turns)
    return turns


def _content(model: Model, content: Any, i: int, role: str, allow_empty: bool) -> list[dict]:
    empty = errors.validation(
        "messages: all messages must have non-empty content except for the optional final "
        "assistant message")
    if isinstance(content, str):
        if not content and not allow_empty:
            raise empty
        return [{"text": content}] if content else []
    if not isinstance(content, list):
        raise c.wrong_type(f"/messages/{i}/content", "String or JSONArray", content)
    if not content and not allow_empty:
        raise empty
    blocks = []
    for j, block in enumerate(content):
        converted = _block(model, block, i, j, role)
        if converted is not None:
            blocks.append(converted)
    return blocks


def _block(model: Model, block: Any, i: int, j: int, role: str) -> dict | None:
    p = f"/messages/{i}/content/{j}"
    where = f"messages.{i}.content.{j}"
    c.require_object(block, p)
    kind = c.get_str(block, "type", p)
    if kind == "text":
        c.check_keys(block, p, {"type", "text", "cache_control", "citations"}, ("text",))
        text = c.get_str(block, "text", p)
        if not text:
            raise errors.validation("messages: text content blocks must be non-empty")
        return {"text": text}
    if kind == "image":
        if "IMAGE" not in model.input_modalities:
            raise errors.validation(
                f"{where}: {c.short_model_name(model)} does not support image input.")
        c.check_keys(block, p, {"type", "source", "cache_control"}, ("source",))
        data, media = _base64_source(block["source"], f"{p}/source", f"{where}.image.source",
                                     IMAGE_MEDIA_TYPES)
        return {"image": {"format": media.split("/")[1], "source": {"bytes": data}}}
    if kind == "document":
        c.check_keys(block, p, {"type", "source", "cache_control", "title", "context",
                                "citations"}, ("source",))
        data, media = _base64_source(block["source"], f"{p}/source",
                                     f"{where}.document.source", DOCUMENT_MEDIA_TYPES)
        fmt = "pdf" if media == "application/pdf" else "txt"
        name = block.get("title") or f"document-{i}-{j}"
        return {"document": {"format": fmt, "name": name, "source": {"bytes": data}}}
    if kind == "tool_use":
        if role != "assistant":
            raise errors.validation(f"{where}: tool_use blocks can only be in assistant messages")
        c.check_keys(block, p, {"type", "id", "name", "input", "cache_control"},
                     ("id", "name", "input"))
        tool_input = block["input"]
        if not isinstance(tool_input, dict):
            raise c.wrong_type(f"{p}/input", "JSONObject", tool_input)
        return {"toolUse": {"toolUseId": c.get_str(block, "id", p),
                            "name": c.get_str(block, "name", p), "input": tool_input}}
    if kind == "tool_result":
        if role != "user":
            raise errors.validation(f"{where}: tool_result blocks can only be in user messages")
        c.check_keys(block, p, {"type", "tool_use_id", "content", "is_error", "cache_control"},
                     ("tool_use_id",))
        result: dict[str, Any] = {"toolUseId": c.get_str(block, "tool_use_id", p),
                                  "content": _tool_result_content(model, block, i, j)}
        if c.get_bool(block, "is_error", p, False):
            result["status"] = "error"
        return {"toolResult": result}
    if kind in ("thinking", "redacted_thinking"):
        return None  # earlier reasoning handed back verbatim: nothing for the responder
    raise errors.validation(
        f"{where}.type: Input tag '{kind}' found using 'type' does not match any of the "
        "expected tags: 'text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', "
        "'redacted_thinking'")


def _base64_source(source: Any, p: str, where: str, media_types: tuple[str, ...]
                   ) -> tuple[bytes, str]:
    c.require_object(source, p)
    c.check_keys(source, p, {"type", "media_type", "data"}, ("type", "media_type", "data"))
    if source["type"] != "base64":
        raise errors.validation(f"{where}.type: Input should be 'base64'")
    media = source["media_type"]
    if media not in media_types:
        allowed = ", ".join(f"'{m}'" for m in media_types[:-1]) + f" or '{media_types[-1]}'"
        raise errors.validation(f"{where}.base64.media_type: Input should be {allowed}")
    try:
        data = c.decode_base64(source["data"], p)
    except errors.EngineError:
        raise errors.validation(f"{where}.base64.data: invalid base64 data") from None
    return data, media


def _tool_result_content(model: Model, block: dict, i: int, j: int) -> list[dict]:
    content = block.get("content", "")
    if isinstance(content, str):
        return [{"text": content}] if content else []
    if not isinstance(content, list):
        raise c.wrong_type(f"/messages/{i}/content/{j}/content", "String or JSONArray", content)
    out = []
    for k, item in enumerate(content):
        p = f"/messages/{i}/content/{j}/content/{k}"
        c.require_object(item, p)
        kind = item.get("type")
        if kind == "text":
            out.append({"text": c.get_str(item, "text", p)})
        elif kind == "image":
            converted = _block(model, item, i, j, "user")
            out.append(converted)
        else:
            raise errors.validation(
                f"messages.{i}.content.{j}.content.{k}.type: Input should be 'text' or 'image'")
    return out


def _check_tool_pairs(turns: list[Turn]) -> None:
    """Every tool_result answers a tool_use of the previous turn, and vice versa."""
    for i, turn in enumerate(turns):
        uses = [b["toolUse"]["toolUseId"] for b in turn.content if "toolUse" in b]
        if uses and i + 1 < len(turns):
            answered = {b["toolResult"]["toolUseId"] for b in turns[i + 1].content
                        if "toolResult" in b}
            missing = [u for u in uses if u not in answered]
            if missing:
                raise errors.validation(
                    f"messages.{i + 1}: `tool_use` ids were found without `tool_result` blocks "
                    f"immediately after: {', '.join(missing)}. Each `tool_use` block must have "
                    "a corresponding `tool_result` block in the next message.")
        results = [b["toolResult"]["toolUseId"] for b in turn.content if "toolResult" in b]
        if results:
            previous = set()
            if i > 0:
                previous = {b["toolUse"]["toolUseId"] for b in turns[i - 1].content
                            if "toolUse" in b}
            unknown = [r for r in results if r not in previous]
            if unknown:
                raise errors.validation(
                    f"messages.{i}.content: unexpected `tool_use_id` found in `tool_result` "
                    f"blocks: {', '.join(unknown)}. Each `tool_result` block must have a "
                    "corresponding `tool_use` block in the previous message.")


def _tools(tools: Any) -> list[dict]:
    if not isinstance(tools, list):
        raise c.wrong_type("/tools", "JSONArray", tools)
    specs = []
    for i, tool in enumerate(tools):
        p = f"/tools/{i}"
        c.require_object(tool, p)
        kind = tool.get("type", "custom")
        name = tool.get("name")
        if not isinstance(name, str) or not TOOL_NAME.match(name):
            raise errors.validation(
                f"tools.{i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'")
        if kind != "custom":  # Anthropic-defined tools (bash, text editor, computer)
            specs.append({"toolSpec": {"name": name, "description": f"Anthropic {kind} tool",
                                       "inputSchema": {"json": {"type": "object"}}}})
            continue
        c.check_keys(tool, p, {"type", "name", "description", "input_schema", "cache_control"})
        if "input_schema" not in tool:
            raise errors.validation(f"tools.{i}.custom.input_schema: Field required")
        schema = tool["input_schema"]
        if not isinstance(schema, dict):
            raise errors.validation(
                f"tools.{i}.custom.input_schema: Input should be a valid dictionary")
        spec: dict[str, Any] = {"name": name, "inputSchema": {"json": schema}}
        if "description" in tool:
            spec["description"] = c.get_str(tool, "description", p)
        specs.append({"toolSpec": spec})
    return specs


def _tool_choice(choice: Any, tools: list[dict]) -> tuple[dict | None, list[dict]]:
    if choice is None:
        return None, tools
    c.require_object(choice, "/tool_choice")
    kind = c.get_str(choice, "type", "/tool_choice")
    c.check_keys(choice, "/tool_choice", {"type", "name", "disable_parallel_tool_use"})
    if kind in ("auto", "any") and not tools:
        raise errors.validation(
            "tool_choice: tool_choice may only be specified while providing tools.")
    if kind == "auto":
        return {"auto": {}}, tools
    if kind == "any":
        return {"any": {}}, tools
    if kind == "none":
        return None, []
    if kind == "tool":
        name = c.get_str(choice, "name", "/tool_choice")
        if name not in {t["toolSpec"]["name"] for t in tools}:
            raise errors.validation(
                f"tool_choice.tool.name: Tool '{name}' not found in provided tools")
        return {"tool": {"name": name}}, tools
    raise errors.validation(
        f"tool_choice: Input tag '{kind}' found using 'type' does not match any of the expected "
        "tags: 'auto', 'any', 'tool', 'none'")


def _thinking(thinking: Any, max_tokens: int) -> None:
    c.require_object(thinking, "/thinking")
    kind = c.get_str(thinking, "type", "/thinking", enum=("enabled", "disabled"))
    if kind == "enabled":
        c.check_keys(thinking, "/thinking", {"type", "budget_tokens"}, ("budget_tokens",))
        budget = c.get_int(thinking, "budget_tokens", "/thinking", lo=1024)
        if budget >= max_tokens:
            raise errors.validation(
                "`max_tokens` must be greater than `thinking.budget_tokens`.")


STOP_REASONS = {"end_turn": "end_turn", "max_tokens": "max_tokens",
                "stop_sequence": "stop_sequence", "tool_use": "tool_use",
                "guardrail_intervened": "end_turn"}


def _stop(result: GenerationResult) -> tuple[str, str | None]:
    reason = STOP_REASONS.get(result.stop_reason, "end_turn")
    if result.tool_uses and reason == "end_turn":
        reason = "tool_use"
    return reason, (result.stop_sequence if reason == "stop_sequence" else None)


def _message_id(model: Model, result: GenerationResult) -> str:
    return "msg_bdrk_01" + c.stable_id(model.model_id, result.text,
                                       json.dumps(result.tool_uses, sort_keys=True, default=str),
                                       result.input_tokens, length=22)


def render(model: Model, result: GenerationResult) -> dict:
    content: list[dict[str, Any]] = []
    if result.text:
        content.append({"type": "text", "text": result.text})
    for use in result.tool_uses:
        content.append({"type": "tool_use", "id": use["toolUseId"], "name": use["name"],
                        "input": use.get("input", {})})
    reason, sequence = _stop(result)
    body: dict[str, Any] = {
        "id": _message_id(model, result), "type": "message", "role": "assistant",
        "model": c.short_model_name(model), "content": content, "stop_reason": reason,
        "stop_sequence": sequence,
        "usage": {"input_tokens": result.input_tokens, "output_tokens": result.output_tokens},
    }
    if result.stop_reason == "guardrail_intervened":
        body["amazon-bedrock-guardrailAction"] = "INTERVENED"
    return body


def stream(model: Model, result: GenerationResult, pieces: list[str]) -> list[dict]:
    reason, sequence = _stop(result)
    chunks: list[dict[str, Any]] = [{"type": "message_start", "message": {
        "id": _message_id(model, result), "type": "message", "role": "assistant",
        "model": c.short_model_name(model), "content": [], "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": result.input_tokens, "output_tokens": 1}}}]
    index = 0
    text_pieces = c.text_pieces(result, pieces)
    if text_pieces or not result.tool_uses:
        chunks.append({"type": "content_block_start", "index": 0,
                       "content_block": {"type": "text", "text": ""}})
        for piece in text_pieces:
            chunks.append({"type": "content_block_delta", "index": 0,
                           "delta": {"type": "text_delta", "text": piece}})
        chunks.append({"type": "content_block_stop", "index": 0})
        index = 1
    for use in result.tool_uses:
        chunks.append({"type": "content_block_start", "index": index, "content_block": {
            "type": "tool_use", "id": use["toolUseId"], "name": use["name"], "input": {}}})
        chunks.append({"type": "content_block_delta", "index": index, "delta": {
            "type": "input_json_delta", "partial_json": json.dumps(use.get("input", {}))}})
        chunks.append({"type": "content_block_stop", "index": index})
        index += 1
    chunks.append({"type": "message_delta",
                   "delta": {"stop_reason": reason, "stop_sequence": sequence},
                   "usage": {"output_tokens": result.output_tokens}})
    chunks.append({"type": "message_stop",
                   "amazon-bedrock-invocationMetrics": c.invocation_metrics(result)})
    return chunks


def usage(body: dict) -> tuple[int, int]:
    u = body.get("usage") or {}
    return int(u.get("input_tokens", 0)), int(u.get("output_tokens", 0))


# =========================================================================== Text Completions

HUMAN, ASSISTANT = "\n\nHuman:", "\n\nAssistant:"
LEGACY_KEYS = frozenset({"prompt", "max_tokens_to_sample", "stop_sequences", "temperature",
                         "top_p", "top_k", "anthropic_version"})
_TURN = re.compile(r"(\n\nHuman:|\n\nAssistant:)")


def parse_legacy(model: Model, body: Any) -> GenerationRequest:
    c.require_object(body, "")
    c.check_keys(body, "", LEGACY_KEYS, ("prompt", "max_tokens_to_sample"))
    prompt = c.get_str(body, "prompt", "")
    max_tokens = c.get_int(body, "max_tokens_to_sample", "", lo=1,
                           hi=model.max_output_tokens or None)
    temperature = c.get_number(body, "temperature", "", 1.0, lo=0, hi=1)
    top_p = c.get_number(body, "top_p", "", 1.0, lo=0, hi=1)
    c.get_int(body, "top_k", "", 250, lo=0, hi=500)
    stops = c.get_str_list(body, "stop_sequences", "", [])
    if "anthropic_version" in body:
        c.get_str(body, "anthropic_version", "", enum=(ANTHROPIC_VERSION,))
    system, messages = _legacy_turns(prompt)
    return GenerationRequest(
        model_id=model.model_id, messages=messages, system=system, max_tokens=max_tokens,
        temperature=temperature, top_p=top_p, stop_sequences=[HUMAN] + stops)


def _legacy_turns(prompt: str) -> tuple[str, list[Turn]]:
    parts = _TURN.split(prompt)
    system = parts[0].strip()
    if len(parts) < 3 or parts[1] != HUMAN:
        raise errors.validation(
            'prompt must start with "\\n\\nHuman:" turn after an optional system prompt')
    turns = [(parts[k], parts[k + 1]) for k in range(1, len(parts), 2)]
    if turns[-1][0] != ASSISTANT:
        raise errors.validation('prompt must end with "\\n\\nAssistant:" turn')
    messages: list[Turn] = []
    for k, (marker, text) in enumerate(turns):
        role = "user" if marker == HUMAN else "assistant"
        text = text.strip()
        if messages and messages[-1].role == role:
            raise errors.validation(
                'prompt must alternate between "\\n\\nHuman:" and "\\n\\nAssistant:" turns')
        if not text and not (role == "assistant" and k == len(turns) - 1):
            raise errors.validation(f"prompt: the {marker.strip()} turn {k} is empty")
        if text:
            messages.append(Turn(role=role, content=[{"text": text}]))
        elif role == "assistant":
            messages.append(Turn(role=role, content=[]))
    if messages and messages[-1].role == "assistant" and not messages[-1].content:
        messages.pop()  # the usual empty "\n\nAssistant:" generation prompt
    return system, messages


def _legacy_stop(result: GenerationResult) -> tuple[str, str | None]:
    if result.stop_reason == "max_tokens":
        return "max_tokens", None
    if result.stop_reason == "stop_sequence" and result.stop_sequence:
        return "stop_sequence", result.stop_sequence
    return "stop_sequence", HUMAN


def _legacy_text(result: GenerationResult) -> str:
    text = result.text
    return text if not text or text[0].isspace() else " " + text


def render_legacy(model: Model, result: GenerationResult) -> dict:
    reason, stop = _legacy_stop(result)
    text = _legacy_text(result)
    return {"completion": text, "stop_reason": reason, "stop": stop}


def stream_legacy(model: Model, result: GenerationResult, pieces: list[str]) -> list[dict]:
    reason, stop = _legacy_stop(result)
    pieces = list(c.text_pieces(result, pieces))
    if pieces and not pieces[0][0].isspace():
        pieces[0] = " " + pieces[0]
    chunks: list[dict[str, Any]] = [{"completion": p, "stop_reason": None, "stop": None}
                                    for p in pieces]
    chunks.append({"completion": "", "stop_reason": reason, "stop": stop,
                   "amazon-bedrock-invocationMetrics": c.invocation_metrics(result)})
    return chunks


def usage_legacy(body: dict) -> tuple[int, int]:
    text = body.get("completion", "")
    return 0, count_tokens(text)  # the body has no counts: Bedrock sends them in X-Amzn-Bedrock-* headers
