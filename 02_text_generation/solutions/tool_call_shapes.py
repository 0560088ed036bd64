"""Worked solution to 02.07's "Your turn": one tool call through Chat Completions and through
Responses, and the shapes each uses.

The same function tool (``get_weather``) and the same two-city question go through both
OpenAI-compatible APIs on bedrock-runtime with the openai SDK. Chat Completions wraps the tool
in ``{"type": "function", "function": {...}}``, returns the calls in
``choices[0].message.tool_calls`` (``id``, ``function.name``, ``function.arguments`` as a JSON
string, ``finish_reason`` "tool_calls") and takes the results back as ``role: "tool"`` messages
appended to the whole history. Responses takes the tool flat (``{"type": "function", "name", ...}``),
returns ``function_call`` output items (``call_id``, ``name``, ``arguments``) and takes
``function_call_output`` items back with ``previous_response_id`` instead of the history.
"""

from __future__ import annotations

import json

from utils import openai_compat

QUESTION = "What is the weather in Paris? And also, what is the weather in Rome?"
FUNCTION = {"name": "get_weather", "description": "Get the current weather for a city",
            "parameters": {"type": "object", "required": ["city"],
                           "properties": {"city": {"type": "string", "description": "the city name"}}}}
CHAT_TOOLS = [{"type": "function", "function": FUNCTION}]
RESPONSE_TOOLS = [{"type": "function", **FUNCTION}]


def get_weather(city: str) -> dict:
    """A fixed weather service, so both APIs get the same results."""
    return {"city": city, "temperature_c": 18, "sky": "light rain"}


def chat_completions(client, model: str) -> dict:
    messages = [{"role": "user", "content": QUESTION}]
    asked = client.chat.completions.create(model=model, messages=messages, tools=CHAT_TOOLS,
                                           max_completion_tokens=200)
    message = asked.choices[0].message
    calls = message.tool_calls or []
    messages.append(message)
    messages += [{"role": "tool", "tool_call_id": c.id,
                  "content": json.dumps(get_weather(**json.loads(c.function.arguments)))} for c in calls]
    final = client.chat.completions.create(model=model, messages=messages, tools=CHAT_TOOLS,
                                           max_completion_tokens=200)
    return {"API": "Chat Completions", "tool spec keys": ", ".join(CHAT_TOOLS[0]),
            "calls found in": "choices[0].message.tool_calls", "stop": asked.choices[0].finish_reason,
            "call id field": "id", "arguments type": type(calls[0].function.arguments).__name__ if calls else "-",
            "results sent as": "role=tool messages + full history",
            "calls": len(calls), "cities": sorted(json.loads(c.function.arguments)["city"] for c in calls),
            "messages in 2nd request": len(messages), "final stop": final.choices[0].finish_reason,
            "final text": final.choices[0].message.content or ""}


def responses(client, model: str) -> dict:
    asked = client.responses.create(model=model, tools=RESPONSE_TOOLS, input=QUESTION,
                                   max_output_tokens=200)
    calls = [item for item in asked.output if item.type == "function_call"]
    outputs = [{"type": "function_call_output", "call_id": c.call_id,
                "output": json.dumps(get_weather(**json.loads(c.arguments)))} for c in calls]
    final = client.responses.create(model=model, tools=RESPONSE_TOOLS, previous_response_id=asked.id,
                                    input=outputs, max_output_tokens=200)
    return {"API": "Responses", "tool spec keys": ", ".join(RESPONSE_TOOLS[0]),
            "calls found in": "output[type=function_call]", "stop": asked.status,
            "call id field": "call_id", "arguments type": type(calls[0].arguments).__name__ if calls else "-",
            "results sent as": "function_call_output items + previous_response_id",
            "calls": len(calls), "cities": sorted(json.loads(c.arguments)["city"] for c in calls),
            "messages in 2nd request": len(outputs), "final stop": final.status,
            "final text": final.output_text or ""}


def run() -> list[dict]:
    client = openai_compat.client()
    model = openai_compat.model_id()
    return [chat_completions(client, model), responses(client, model)]


def check(rows: list[dict]) -> None:
    chat, resp = rows
    assert chat["stop"] == "tool_calls", "Chat Completions stops to let you run the tools"
    assert chat["calls"] == resp["calls"] == 2 and chat["cities"] == resp["cities"] == ["Paris", "Rome"]
    assert chat["arguments type"] == resp["arguments type"] == "str", "arguments arrive as a JSON string"
    assert chat["tool spec keys"] == "type, function" and resp["tool spec keys"].startswith("type, name")
    # Chat Completions resends the history (question, assistant turn, two results); Responses
    # sends only the two results and points at the stored response.
    assert chat["messages in 2nd request"] == 4 and resp["messages in 2nd request"] == 2
    assert chat["final stop"] == "stop" and resp["final stop"] == "completed"
    assert chat["final text"] and resp["final text"]
