"""Chat Completions (`POST /openai/v1/chat/completions`): OpenAI's request to Converse and back.

The mapping is the one the OpenAI models page gives for Converse (developer/system messages to
`system`, user and assistant messages to `messages`, max_completion_tokens/stop/temperature/top_p
to `inferenceConfig`), plus function tools (`toolSpec`), tool calls (`toolUse`) and tool results
(role `tool` to `toolResult`). Temperatures above 1 (OpenAI allows 2) reach the engine's stand-in
as 1: it is deterministic either way.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Iterator

from local_bedrock.openai_compat import common
from local_bedrock.openai_compat.common import bad_request
from local_bedrock.openai_compat.content import image_block, text_of

ROLES = ("system", "developer", "user", "assistant", "tool")


def create(engine, body: dict) -> tuple[dict | Iterator[dict], tuple[int, int]]:
    """The chat.completion object (or, with `stream`, its chunks) and (input, output) tokens."""
    stream = bool(body.get("stream"))
    model = common.check_model(engine, body.get("model"), common.CHAT, streaming=stream)
    params, choice = to_converse(body)
    out = common.answer(engine, model, params, choice)
    result = out["_result"]
    ident, created = f"chatcmpl-{uuid.uuid4().hex}", common.now()
    usage = (result.input_tokens, result.output_tokens)
    if stream:
        return _chunks(engine, body, ident, created, result), usage
    return _completion(body["model"], ident, created, result), usage


def to_converse(body: dict) -> tuple[dict, dict | None]:
    """The Converse request for a chat request, and the tool choice to plan with."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise bad_request("'messages' must be a non-empty array of messages.", "messages")
    system: list[dict] = []
    turns: list[dict] = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ROLES:
            raise bad_request(f"messages[{i}].role must be one of {', '.join(ROLES)}.",
                              f"messages[{i}].role")
        role = m["role"]
        if role in ("system", "developer"):
            system.append({"text": text_of(m.get("content"), f"messages[{i}].content")})
        elif role == "tool":
            turns.append({"role": "user", "content": [_tool_result(m, i)]})
        elif role == "assistant":
            turns.append({"role": "assistant", "content": _assistant(m, i)})
        else:
            turns.append({"role": "user", "content": _user(m.get("content"), i)})
    tools = [_tool_spec(t, i) for i, t in enumerate(body.get("tools") or [])]
    choice = _tool_choice(body.get("tool_choice"), tools)
    if choice == "none":
        has_tool_turns = any("toolUse" in b or "toolResult" in b for t in turns for b in t["content"])
        tools, choice = (tools if has_tool_turns else []), None
    params = common.converse_params(body["model"], turns, system, _inference(body), tools)
    return params, choice


def _inference(body: dict) -> dict:
    cfg = common.sampling(body, "max_completion_tokens")
    stop = body.get("stop")
    if stop is not None:
        stops = [stop] if isinstance(stop, str) else stop
        if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops) \
                or len(stops) > 4:
            raise bad_request("stop must be a string or an array of up to 4 strings.", "stop")
        cfg["stopSequences"] = stops
    return cfg


def _user(content: Any, i: int) -> list[dict]:
    if isinstance(content, str):
        return [{"text": content}]
    if not isinstance(content, list) or not content:
        raise bad_request(f"messages[{i}].content must be a string or an array of content parts.",
                          f"messages[{i}].content")
    blocks = []
    for j, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            blocks.append({"text": part["text"]})
        elif kind == "image_url":
            url = (part.get("image_url") or {}).get("url")
            blocks.append(image_block(url, f"messages[{i}].content[{j}].image_url.url"))
        else:
            raise bad_request(f"messages[{i}].content[{j}]: content parts of type {kind!r} are "
                              "not supported (use text or image_url).",
                              f"messages[{i}].content[{j}].type")
    return blocks


def _assistant(m: dict, i: int) -> list[dict]:
    blocks: list[dict] = []
    if m.get("content"):
        blocks.append({"text": text_of(m["content"], f"messages[{i}].content")})
    for j, call in enumerate(m.get("tool_calls") or []):
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict) or not call.get("id") or not fn.get("name"):
            raise bad_request(f"messages[{i}].tool_calls[{j}] needs an id and a function with a "
                              "name and arguments.", f"messages[{i}].tool_calls[{j}]")
        blocks.append({"toolUse": {"toolUseId": call["id"], "name": fn["name"],
                                   "input": _arguments(fn.get("arguments"), i, j)}})
    if not blocks:
        raise bad_request(f"messages[{i}]: an assistant message needs content or tool_calls.",
                          f"messages[{i}].content")
    return blocks


def _arguments(raw: Any, i: int, j: int) -> dict:
    try:
        value = json.loads(raw) if isinstance(raw, str) else (raw or {})
    except json.JSONDecodeError:
        raise bad_request(f"messages[{i}].tool_calls[{j}].function.arguments is not valid JSON.",
                          f"messages[{i}].tool_calls[{j}].function.arguments") from None
    if not isinstance(value, dict):
        raise bad_request(f"messages[{i}].tool_calls[{j}].function.arguments must be a JSON "
                          "object.", f"messages[{i}].tool_calls[{j}].function.arguments")
    return value


def _tool_result(m: dict, i: int) -> dict:
    if not m.get("tool_call_id"):
        raise bad_request(f"messages[{i}]: a tool message needs tool_call_id.",
                          f"messages[{i}].tool_call_id")
    text = text_of(m.get("content"), f"messages[{i}].content")
    return {"toolResult": {"toolUseId": m["tool_call_id"], "content": [{"text": text}]}}


def _tool_spec(tool: Any, i: int) -> dict:
    fn = tool.get("function") if isinstance(tool, dict) else None
    if not isinstance(tool, dict) or tool.get("type") != "function" or not isinstance(fn, dict) \
            or not fn.get("name"):
        raise bad_request(f"tools[{i}] must be {{\"type\": \"function\", \"function\": {{\"name\": "
                          "..., \"parameters\": {...}}}.", f"tools[{i}]")
    return common.tool_spec(fn["name"], fn.get("description"), fn.get("parameters"))


def _tool_choice(choice: Any, tools: list[dict]) -> dict | str | None:
    if choice is None or choice == "auto":
        return None
    if choice == "none":
        return "none"
    if not tools:
        raise bad_request("tool_choice is only allowed when tools are specified.", "tool_choice")
    if choice == "required":
        return {"any": {}}
    name = ((choice or {}).get("function") or {}).get("name") if isinstance(choice, dict) else None
    if name and any(t["toolSpec"]["name"] == name for t in tools):
        return {"tool": {"name": name}}
    raise bad_request("tool_choice must be 'none', 'auto', 'required' or {\"type\": \"function\", "
                      "\"function\": {\"name\": <one of tools>}}.", "tool_choice")


def _tool_calls(result) -> list[dict]:
    return [{"id": t["toolUseId"], "type": "function",
             "function": {"name": t["name"], "arguments": json.dumps(t["input"])}}
            for t in result.tool_uses]


def _usage(result) -> dict:
    return {"prompt_tokens": result.input_tokens, "completion_tokens": result.output_tokens,
            "total_tokens": result.input_tokens + result.output_tokens}


def _completion(model: str, ident: str, created: int, result) -> dict:
    message: dict[str, Any] = {"role": "assistant", "content": result.text or None,
                               "refusal": None}
    if result.tool_uses:
        message["tool_calls"] = _tool_calls(result)
    return {"id": ident, "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": common.FINISH.get(result.stop_reason, "stop")}],
            "usage": _usage(result)}


def _chunks(engine, body: dict, ident: str, created: int, result) -> Iterator[dict]:
    """The chunks of a streamed completion: role, text deltas, tool calls, finish, usage."""
    from local_bedrock.text.tokens import split_tokens

    def chunk(delta: dict, finish: str | None = None) -> dict:
        return {"id": ident, "object": "chat.completion.chunk", "created": created,
                "model": body["model"],
                "choices": [{"index": 0, "delta": delta, "logprobs": None,
                             "finish_reason": finish}]}

    yield chunk({"role": "assistant", "content": ""})
    for piece in split_tokens(result.text) if result.text else []:
        common.pace(engine)
        yield chunk({"content": piece})
    for n, call in enumerate(_tool_calls(result)):
        yield chunk({"tool_calls": [{"index": n, "id": call["id"], "type": "function",
                                     "function": {"name": call["function"]["name"],
                                                  "arguments": ""}}]})
        yield chunk({"tool_calls": [{"index": n, "function": {
            "arguments": call["function"]["arguments"]}}]})
    yield chunk({}, common.FINISH.get(result.stop_reason, "stop"))
    if (body.get("stream_options") or {}).get("include_usage"):
        yield {"id": ident, "object": "chat.completion.chunk", "created": created,
               "model": body["model"], "choices": [], "usage": _usage(result)}
