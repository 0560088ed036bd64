"""Responses (`POST /openai/v1/responses`, `GET /openai/v1/responses/{id}`), as bedrock-runtime
serves them: stateful (`previous_response_id` continues a stored response), always synchronous
(`background` is refused), client-side function tools only (server-side tools are refused),
default project only (an `OpenAI-Project` header naming another project is refused). Those four
are the documented differences from bedrock-mantle (inference-responses-api.html); the refusal
messages are the engine's, the docs read quote none.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import OrderedDict
from typing import Any, Iterator

from local_bedrock.openai_compat import common
from local_bedrock.openai_compat.common import OpenAIError, bad_request
from local_bedrock.openai_compat.content import image_block, text_of

STORE_LIMIT = 1000  # stored responses kept per engine (oldest dropped first)
DEFAULT_PROJECTS = ("", "default", "proj_default")


class ResponseStore:
    """Stored responses: the object to retrieve and the Converse turns to continue from."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, dict] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, response: dict, turns: list[dict]) -> None:
        with self._lock:
            self._items[response["id"]] = {"response": response, "turns": turns}
            while len(self._items) > STORE_LIMIT:
                self._items.popitem(last=False)

    def get(self, response_id: str) -> dict:
        with self._lock:
            item = self._items.get(response_id)
        if item is None:
            raise OpenAIError(404, f"Response with id '{response_id}' not found.",
                              param="response_id")
        return item


def store_of(engine) -> ResponseStore:
    """This engine's stored responses."""
    return engine.state.setdefault("openai_responses", ResponseStore())


def create(engine, body: dict, headers: dict) -> tuple[dict | Iterator[dict], tuple[int, int]]:
    """The response object (or, with `stream`, its events) and (input, output) tokens."""
    _check_runtime_limits(body, headers)
    stream = bool(body.get("stream"))
    model = common.check_model(engine, body.get("model"), common.RESPONSES, streaming=stream)
    previous = body.get("previous_response_id")
    if previous is not None and not isinstance(previous, str):
        raise bad_request("previous_response_id must be a string.", "previous_response_id")
    history = store_of(engine).get(previous)["turns"] if previous else []
    new_turns = _input_turns(body.get("input"))
    tools = [_tool_spec(t, i) for i, t in enumerate(body.get("tools") or [])]
    choice = _tool_choice(body.get("tool_choice"), tools)
    system = [{"text": body["instructions"]}] if body.get("instructions") else []
    params = common.converse_params(body["model"], history + new_turns, system,
                                    _inference(body), [] if choice == "none" else tools)
    out = common.answer(engine, model, params, None if choice == "none" else choice)
    result = out["_result"]
    response = _response(body, result)
    if body.get("store", True):
        reply = out["output"]["message"]
        store_of(engine).put(response, params["messages"] + [reply])
    usage = (result.input_tokens, result.output_tokens)
    if stream:
        return _events(engine, response), usage
    return response, usage


def retrieve(engine, response_id: str) -> dict:
    """A stored response, or 404 as OpenAI answers an unknown id."""
    return store_of(engine).get(response_id)["response"]


def _check_runtime_limits(body: dict, headers: dict) -> None:
    if body.get("background"):
        raise bad_request("background is not supported on the bedrock-runtime endpoint: requests "
                          "there are always synchronous. Use bedrock-mantle for background "
                          "inference, or leave background unset.", "background")
    project = next((v for k, v in headers.items() if k.lower() == "openai-project"), "")
    if project.strip() not in DEFAULT_PROJECTS:
        raise bad_request(f"Project {project!r}: the bedrock-runtime endpoint supports only the "
                          "default project. Use bedrock-mantle for Projects, or drop the "
                          "OpenAI-Project header.", "project")
    if body.get("conversation"):
        raise bad_request("conversation objects are not supported here: continue a conversation "
                          "with previous_response_id.", "conversation")


def _inference(body: dict) -> dict:
    return common.sampling(body, "max_output_tokens")


def _input_turns(items: Any) -> list[dict]:
    """Converse turns from `input`: a string, or messages, function calls and their outputs."""
    if isinstance(items, str):
        return [{"role": "user", "content": [{"text": items}]}]
    if not isinstance(items, list) or not items:
        raise bad_request("input must be a string or a non-empty array of input items.", "input")
    turns: list[dict] = []
    for i, item in enumerate(items):
        kind = item.get("type", "message") if isinstance(item, dict) else None
        where = f"input[{i}]"
        if kind == "message" and item.get("role") in ("system", "developer"):
            raise bad_request(f"{where}: give system instructions as `instructions`.", where)
        if kind == "message" and item.get("role") in ("user", "assistant"):
            turns.append({"role": item["role"], "content": _message_blocks(item, where)})
        elif kind == "function_call":
            try:
                args = json.loads(item.get("arguments") or "{}")
            except json.JSONDecodeError:
                raise bad_request(f"{where}.arguments is not valid JSON.", where) from None
            if not item.get("call_id") or not item.get("name") or not isinstance(args, dict):
                raise bad_request(f"{where}: a function_call needs call_id, name and JSON object "
                                  "arguments.", where)
            turns.append({"role": "assistant", "content": [{"toolUse": {
                "toolUseId": item["call_id"], "name": item["name"], "input": args}}]})
        elif kind == "function_call_output":
            if not item.get("call_id"):
                raise bad_request(f"{where}: a function_call_output needs call_id.", where)
            output = item.get("output")
            text = output if isinstance(output, str) else json.dumps(output)
            turns.append({"role": "user", "content": [{"toolResult": {
                "toolUseId": item["call_id"], "content": [{"text": text}]}}]})
        else:
            raise bad_request(f"{where}: input items of type {kind!r} (role "
                              f"{item.get('role') if isinstance(item, dict) else None!r}) are not "
                              "supported; use messages, function_call and function_call_output.",
                              where)
    return turns


def _message_blocks(item: dict, where: str) -> list[dict]:
    content = item.get("content")
    if isinstance(content, str):
        return [{"text": content}]
    if not isinstance(content, list) or not content:
        raise bad_request(f"{where}.content must be a string or an array of content parts.", where)
    blocks = []
    for j, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in ("input_text", "output_text"):
            blocks.append({"text": text_of([part], f"{where}.content[{j}]")})
        elif kind == "input_image":
            url = part.get("image_url")
            blocks.append(image_block(url, f"{where}.content[{j}].image_url"))
        else:
            raise bad_request(f"{where}.content[{j}]: parts of type {kind!r} are not supported "
                              "(use input_text, output_text or input_image).", where)
    return blocks


def _tool_spec(tool: Any, i: int) -> dict:
    kind = tool.get("type") if isinstance(tool, dict) else None
    if kind != "function":
        raise bad_request(f"tools[{i}]: tools of type {kind!r} are server-side tools, which are "
                          "not available on the bedrock-runtime endpoint (use bedrock-mantle for "
                          "them); give function tools.", f"tools[{i}].type")
    if not tool.get("name"):
        raise bad_request(f"tools[{i}] needs a name.", f"tools[{i}].name")
    return common.tool_spec(tool["name"], tool.get("description"), tool.get("parameters"))


def _tool_choice(choice: Any, tools: list[dict]) -> dict | str | None:
    if choice is None or choice == "auto":
        return None
    if choice == "none":
        return "none"
    if choice == "required" and tools:
        return {"any": {}}
    name = choice.get("name") if isinstance(choice, dict) and choice.get("type") == "function" \
        else None
    if name and any(t["toolSpec"]["name"] == name for t in tools):
        return {"tool": {"name": name}}
    raise bad_request("tool_choice must be 'none', 'auto', 'required' or {\"type\": \"function\", "
                      "\"name\": <one of tools>} (with tools given).", "tool_choice")


def _output(result) -> list[dict]:
    items: list[dict] = []
    if result.text or not result.tool_uses:
        items.append({"type": "message", "id": f"msg_{uuid.uuid4().hex}", "status": "completed",
                      "role": "assistant",
                      "content": [{"type": "output_text", "text": result.text,
                                   "annotations": [], "logprobs": []}]})
    for t in result.tool_uses:
        items.append({"type": "function_call", "id": f"fc_{uuid.uuid4().hex}",
                      "call_id": t["toolUseId"], "name": t["name"],
                      "arguments": json.dumps(t["input"]), "status": "completed"})
    return items


def _response(body: dict, result) -> dict:
    incomplete = result.stop_reason == "max_tokens"
    return {
        "id": f"resp_{uuid.uuid4().hex}", "object": "response", "created_at": common.now(),
        "status": "incomplete" if incomplete else "completed", "background": False,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
        "instructions": body.get("instructions"), "max_output_tokens": body.get("max_output_tokens"),
        "model": body["model"], "output": _output(result), "parallel_tool_calls": True,
        "previous_response_id": body.get("previous_response_id"), "store": body.get("store", True),
        "temperature": body.get("temperature"), "top_p": body.get("top_p"),
        "text": {"format": {"type": "text"}}, "tool_choice": body.get("tool_choice") or "auto",
        "tools": body.get("tools") or [], "truncation": "disabled", "metadata": body.get("metadata") or {},
        "usage": {"input_tokens": result.input_tokens,
                  "input_tokens_details": {"cached_tokens": 0},
                  "output_tokens": result.output_tokens,
                  "output_tokens_details": {"reasoning_tokens": 0},
                  "total_tokens": result.input_tokens + result.output_tokens},
    }


def _events(engine, response: dict) -> Iterator[dict]:
    """The server-sent events of a streamed response, in OpenAI's order."""
    from local_bedrock.text.tokens import split_tokens

    seq = iter(range(1_000_000))
    started = {**response, "status": "in_progress", "output": [], "usage": None}
    yield {"type": "response.created", "sequence_number": next(seq), "response": started}
    yield {"type": "response.in_progress", "sequence_number": next(seq), "response": started}
    for n, item in enumerate(response["output"]):
        base = {"output_index": n, "item_id": item["id"]}
        if item["type"] == "message":
            text = item["content"][0]["text"]
            yield {"type": "response.output_item.added", "sequence_number": next(seq),
                   "output_index": n, "item": {**item, "status": "in_progress", "content": []}}
            empty = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            yield {"type": "response.content_part.added", "sequence_number": next(seq), **base,
                   "content_index": 0, "part": empty}
            for piece in split_tokens(text) if text else []:
                common.pace(engine)
                yield {"type": "response.output_text.delta", "sequence_number": next(seq), **base,
                       "content_index": 0, "delta": piece, "logprobs": []}
            yield {"type": "response.output_text.done", "sequence_number": next(seq), **base,
                   "content_index": 0, "text": text, "logprobs": []}
            yield {"type": "response.content_part.done", "sequence_number": next(seq), **base,
                   "content_index": 0, "part": item["content"][0]}
        else:
            yield {"type": "response.output_item.added", "sequence_number": next(seq),
                   "output_index": n, "item": {**item, "arguments": "", "status": "in_progress"}}
            yield {"type": "response.function_call_arguments.delta", "sequence_number": next(seq),
                   **base, "delta": item["arguments"]}
            yield {"type": "response.function_call_arguments.done", "sequence_number": next(seq),
                   **base, "name": item["name"], "arguments": item["arguments"]}
        yield {"type": "response.output_item.done", "sequence_number": next(seq),
               "output_index": n, "item": item}
    done = "response.incomplete" if response["status"] == "incomplete" else "response.completed"
    yield {"type": done, "sequence_number": next(seq), "response": response}
