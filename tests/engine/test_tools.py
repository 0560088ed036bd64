"""Offline tool use: tool selection, schema-valid argument filling, toolChoice, several tools
in one turn, answers from tool results (errors included), no repeated calls, streaming and
the Anthropic InvokeModel body."""

from __future__ import annotations

import json

import jsonschema
import pytest
from shapes import assert_conforms, assert_event_conforms

from local_bedrock.text import tools
from local_bedrock.text.responder import MARKER
from local_bedrock.text.types import GenerationRequest, Turn

MODEL = "amazon.nova-lite-v1:0"
CLAUDE = "us.anthropic.claude-haiku-4-5-20251001-v1:0"


def spec(name: str, description: str, properties: dict, required: list[str]) -> dict:
    return {"toolSpec": {"name": name, "description": description, "inputSchema": {"json": {
        "type": "object", "properties": properties, "required": required}}}}


ORDER = spec("get_order", "Look up a customer order by its order id: status, items, total.",
             {"order_id": {"type": "string", "pattern": r"^ORD-\d{5}$",
                           "description": "Order id like ORD-12345."}}, ["order_id"])
WEATHER = spec("get_weather", "Current weather forecast for a city: temperature and rain.",
               {"city": {"type": "string", "description": "City name."},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"],
                         "description": "Temperature unit."}}, ["city"])
CALC = spec("calculator", "Evaluate an arithmetic expression exactly.",
            {"expression": {"type": "string", "description": "Arithmetic expression."}},
            ["expression"])
CONVERT = spec("convert_currency", "Convert an amount of money between currencies.",
               {"amount": {"type": "number", "minimum": 0, "description": "Amount of money."},
                "from_currency": {"type": "string", "enum": ["USD", "EUR", "GBP"],
                                  "description": "Source currency: USD (dollars, $), EUR (euros), "
                                                 "GBP (pounds)."},
                "to_currency": {"type": "string", "enum": ["USD", "EUR", "GBP"],
                                "description": "Target currency: USD (dollars, $), EUR (euros), "
                                               "GBP (pounds)."}},
               ["amount", "from_currency", "to_currency"])
TICKET = spec("open_ticket", "Open a support ticket for a customer's problem.", {
    "customer": {"type": "object", "properties": {
        "email": {"type": "string", "format": "email", "description": "Customer email."},
        "order_id": {"type": "string", "pattern": r"^ORD-\d{5}$"}}, "required": ["email"]},
    "priority": {"type": "string", "enum": ["low", "normal", "high", "urgent"]},
    "attempts": {"type": "integer", "minimum": 1, "maximum": 5,
                 "description": "Number of delivery attempts so far."},
    "express": {"type": "boolean", "description": "Express shipping."},
    "tags": {"type": "array", "items": {"type": "string", "enum": ["damaged", "late", "lost"]}},
    "summary": {"type": "string", "description": "One sentence summary of the problem."}},
    ["customer", "summary"])
TOOLS = [ORDER, WEATHER, CALC, CONVERT, TICKET]


def schema_of(tool: dict) -> dict:
    return tool["toolSpec"]["inputSchema"]["json"]


def converse(runtime, messages, tools_=TOOLS, **kw):
    return runtime.converse(modelId=kw.pop("modelId", MODEL), messages=messages,
                            toolConfig={"tools": tools_, **kw.pop("config", {})}, **kw)


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": [{"text": text}]}]


def tool_uses(resp: dict) -> list[dict]:
    return [b["toolUse"] for b in resp["output"]["message"]["content"] if "toolUse" in b]


def text_of(resp: dict) -> str:
    return "".join(b.get("text", "") for b in resp["output"]["message"]["content"])


def answer_with(messages: list[dict], resp: dict, results: dict[str, tuple[str, object]]):
    """Append the assistant turn and a user turn of toolResults ({name: (status, value)})."""
    messages = messages + [resp["output"]["message"]]
    blocks = []
    for use in tool_uses(resp):
        status, value = results[use["name"]]
        content = [{"json": value}] if isinstance(value, dict) else [{"text": str(value)}]
        blocks.append({"toolResult": {"toolUseId": use["toolUseId"], "content": content,
                                      "status": status}})
    return messages + [{"role": "user", "content": blocks}]


# --------------------------------------------------------------------------- selection


@pytest.mark.parametrize("question, expected", [
    ("What is the status of order ORD-12345?", "get_order"),
    ("Will it rain in Lisbon tomorrow?", "get_weather"),
    ("What is (17 + 25) * 3?", "calculator"),
    ("Convert 120 euros to dollars", "convert_currency"),
])
def test_the_fitting_tool_ranks_first_with_an_explanation(question, expected):
    ranking = tools.rank_tools(question, TOOLS)
    assert ranking[0].name == expected
    assert ranking[0].score >= tools.THRESHOLD > ranking[-1].score
    why = ranking[0].explain()
    assert expected in why and "meaning" in why and "input found" in why


@pytest.mark.parametrize("question", ["Write a haiku about the sea.", "Hello, how are you?",
                                      "Who painted the Mona Lisa?"])
def test_no_tool_fits_so_the_responder_answers(runtime, question):
    ranking = tools.rank_tools(question, TOOLS)
    assert ranking[0].score < tools.THRESHOLD
    resp = converse(runtime, user(question))
    assert_conforms(resp, "bedrock-runtime", "Converse")
    assert resp["stopReason"] == "end_turn"
    assert not tool_uses(resp)
    assert text_of(resp).startswith(MARKER)


def test_converse_tool_use_response_is_valid_and_deterministic(runtime):
    a = converse(runtime, user("Where is my order ORD-20417?"))
    b = converse(runtime, user("Where is my order ORD-20417?"))
    assert_conforms(a, "bedrock-runtime", "Converse")
    assert a["stopReason"] == "tool_use"
    [use] = tool_uses(a)
    assert use["name"] == "get_order" and use["input"] == {"order_id": "ORD-20417"}
    assert use["toolUseId"].startswith("tooluse_")
    assert tool_uses(b) == [use]  # same request, same call and id
    assert "get_order" in text_of(a) and "pattern" in text_of(a)  # the explanation
    assert a["usage"]["outputTokens"] > 0


# --------------------------------------------------------------------------- argument filling


@pytest.mark.parametrize("tool, text, expected", [
    (ORDER, "status of ord-54321 please", {"order_id": "ORD-54321"}),
    (WEATHER, "Weather in Porto in fahrenheit?", {"city": "Porto", "unit": "fahrenheit"}),
    (CALC, "What is 15% of 1,899?", {"expression": "15 / 100 * 1899"}),
    (CALC, "How much is 3 times 129 plus 14.99?", {"expression": "3 * 129 + 14.99"}),
    (CONVERT, "Convert $1,250.50 to pounds",
     {"amount": 1250.5, "from_currency": "USD", "to_currency": "GBP"}),
    (CONVERT, "How much is 80 GBP in euros?",
     {"amount": 80.0, "from_currency": "GBP", "to_currency": "EUR"}),
])
def test_arguments_are_filled_from_the_request(tool, text, expected):
    filled = tools.fill_arguments(schema_of(tool), text)
    assert filled.value == expected
    assert filled.complete
    jsonschema.validate(filled.value, schema_of(tool))


def test_nested_objects_integers_booleans_arrays_and_enums():
    text = ("Urgent: parcel ORD-20410 for sofia.rossi@example.com is late and damaged after 3 "
            "delivery attempts, no express shipping.")
    filled = tools.fill_arguments(schema_of(TICKET), text)
    value = filled.value
    jsonschema.validate(value, schema_of(TICKET), format_checker=jsonschema.FormatChecker())
    assert value["customer"] == {"email": "sofia.rossi@example.com", "order_id": "ORD-20410"}
    assert value["priority"] == "urgent"
    assert value["attempts"] == 3 and isinstance(value["attempts"], int)
    assert value["express"] is False  # "no express": negated
    assert value["tags"] == ["late", "damaged"]
    assert value["summary"]
    assert "customer.email" in filled.sources and "pattern" in filled.sources["customer.order_id"]


def test_numbers_outside_the_schema_range_are_not_used():
    filled = tools.fill_arguments(schema_of(TICKET), "ticket for a@example.com, 9 attempts")
    assert "attempts" not in filled.value  # maximum is 5
    jsonschema.validate(filled.value, schema_of(TICKET))


def test_missing_required_fields_are_reported_not_invented():
    filled = tools.fill_arguments(schema_of(ORDER), "Where is my order?")
    assert filled.missing == ["order_id"] and not filled.complete
    nested = tools.fill_arguments(schema_of(TICKET), "My parcel is lost.")
    assert "customer.email" in nested.missing


def test_the_engine_asks_for_an_input_the_request_lacks(runtime):
    resp = converse(runtime, user("What is the status of my order?"), tools_=[ORDER])
    assert resp["stopReason"] == "end_turn" and not tool_uses(resp)
    assert "order_id" in text_of(resp) and "Please provide it" in text_of(resp)


# --------------------------------------------------------------------------- toolChoice


def test_tool_choice_any_forces_a_call_even_when_nothing_fits(runtime):
    resp = converse(runtime, user("Write a haiku about the sea."), config={
        "toolChoice": {"any": {}}})
    assert resp["stopReason"] == "tool_use" and len(tool_uses(resp)) == 1


def test_tool_choice_tool_forces_that_tool_with_a_valid_input(runtime):
    resp = converse(runtime, user("Tell me about Lisbon."), config={
        "toolChoice": {"tool": {"name": "get_weather"}}})
    [use] = tool_uses(resp)
    assert use["name"] == "get_weather"
    jsonschema.validate(use["input"], schema_of(WEATHER))
    assert use["input"]["city"] == "Lisbon"
    forced = converse(runtime, user("Hi!"), tools_=[ORDER], config={
        "toolChoice": {"tool": {"name": "get_order"}}})
    assert tool_uses(forced)[0]["name"] == "get_order"  # placeholder input, but a call


def test_tool_choice_auto_may_answer_without_tools(runtime):
    resp = converse(runtime, user("Write a haiku about the sea."), config={
        "toolChoice": {"auto": {}}})
    assert resp["stopReason"] == "end_turn"


# --------------------------------------------------------------------------- several tools


def test_several_tools_in_one_turn(runtime):
    resp = converse(runtime, user("Where is ORD-20417, and also what is 3 times 129?"))
    uses = tool_uses(resp)
    assert [u["name"] for u in uses] == ["get_order", "calculator"]
    assert uses[1]["input"]["expression"] == "3 * 129"
    assert len({u["toolUseId"] for u in uses}) == 2


def test_one_tool_called_once_per_id_named():
    calls = tools.plan("Compare orders ORD-20417 and ORD-20410", TOOLS)
    assert [(c.name, c.filled.value["order_id"]) for c in calls] == [
        ("get_order", "ORD-20417"), ("get_order", "ORD-20410")]


def test_a_statement_joins_the_request_it_belongs_to():
    calls = tools.plan("My order ORD-20410 arrived damaged. Please open a ticket; my email is "
                       "sofia.rossi@example.com.", [ORDER, TICKET])
    assert [c.name for c in calls] == ["open_ticket"]
    assert calls[0].filled.value["customer"]["order_id"] == "ORD-20410"


# --------------------------------------------------------------------------- tool results


def test_final_answer_uses_the_results(runtime):
    messages = user("What is the status of order ORD-20417?")
    first = converse(runtime, messages)
    messages = answer_with(messages, first, {"get_order": (
        "success", {"order_id": "ORD-20417", "status": "shipped", "carrier": "UPS"})})
    final = converse(runtime, messages)
    assert_conforms(final, "bedrock-runtime", "Converse")
    assert final["stopReason"] == "end_turn" and not tool_uses(final)
    assert "shipped" in text_of(final) and "UPS" in text_of(final)


def test_error_results_are_reported_and_never_retried(runtime):
    messages = user("What is the status of order ORD-99999?")
    first = converse(runtime, messages)
    messages = answer_with(messages, first, {"get_order": ("error", "Order ORD-99999 not found")})
    final = converse(runtime, messages)
    assert not tool_uses(final)  # the same call again would loop
    assert "failed" in text_of(final) and "not found" in text_of(final)


def test_dependent_call_takes_its_input_from_earlier_results(runtime):
    messages = user("Look up order ORD-20405 and convert its total to US dollars.")
    first = converse(runtime, messages)
    assert [u["name"] for u in tool_uses(first)] == ["get_order"]  # amount unknown yet
    messages = answer_with(messages, first, {"get_order": (
        "success", {"order_id": "ORD-20405", "total": 449.0, "currency": "EUR"})})
    second = converse(runtime, messages)
    [use] = tool_uses(second)
    assert use["name"] == "convert_currency"
    assert use["input"] == {"amount": 449.0, "from_currency": "EUR", "to_currency": "USD"}
    jsonschema.validate(use["input"], schema_of(CONVERT))
    messages = answer_with(messages, second, {"convert_currency": ("success", "487.91 USD")})
    final = converse(runtime, messages)
    assert final["stopReason"] == "end_turn" and "487.91 USD" in text_of(final)


def test_a_follow_up_takes_missing_input_from_earlier_turns(runtime):
    messages = user("How much is 100 euros in pounds?")
    first = converse(runtime, messages)
    messages = answer_with(messages, first, {"convert_currency": ("success", "86 GBP")})
    messages += [converse(runtime, messages)["output"]["message"],
                 {"role": "user", "content": [{"text": "And in dollars?"}]}]
    [use] = tool_uses(converse(runtime, messages))
    assert use["name"] == "convert_currency"
    assert use["input"] == {"amount": 100.0, "from_currency": "EUR", "to_currency": "USD"}


def test_retrieval_results_are_quoted_by_their_best_sentences():
    req = GenerationRequest(MODEL, [
        Turn("user", [{"text": "How long is the return window?"}]),
        Turn("assistant", [{"toolUse": {"toolUseId": "t1", "name": "search", "input": {
            "query": "return window"}}}]),
        Turn("user", [{"toolResult": {"toolUseId": "t1", "content": [{"json": {"results": [
            {"doc_id": "policy-returns", "text": "# Returns\n\n## Return window\n\nYou can "
             "return any product within 45 days of delivery. Gift cards are final. Opened "
             "consumables cannot be returned unless faulty."}]}}]}}])],
        tools=[spec("search", "Search documents.", {"query": {"type": "string"}}, ["query"])])
    result = tools.decide(req)
    assert result.stop_reason == "end_turn"
    assert "within 45 days of delivery. [policy-returns]" in result.text


def test_rounds_are_bounded():
    turns = [Turn("user", [{"text": "Where is ORD-20417?"}])]
    for i in range(tools.MAX_TOOL_ROUNDS):
        turns.append(Turn("assistant", [{"toolUse": {"toolUseId": f"t{i}", "name": "get_order",
                                                     "input": {"order_id": f"ORD-1000{i}"}}}]))
        turns.append(Turn("user", [{"toolResult": {"toolUseId": f"t{i}",
                                                   "content": [{"text": "nothing"}]}}]))
    result = tools.decide(GenerationRequest(MODEL, turns, tools=TOOLS))
    assert result.stop_reason == "end_turn" and not result.tool_uses


# --------------------------------------------------------------------------- wire formats


def test_converse_stream_sends_tool_use_events(runtime):
    resp = runtime.converse_stream(modelId=MODEL, messages=user("Is ORD-20417 shipped?"),
                                   toolConfig={"tools": TOOLS})
    events = list(resp["stream"])
    for ev in events:
        assert_event_conforms(ev, "bedrock-runtime", "ConverseStream")
    starts = [e["contentBlockStart"]["start"]["toolUse"] for e in events
              if "contentBlockStart" in e]
    deltas = [e["contentBlockDelta"]["delta"]["toolUse"]["input"] for e in events
              if "contentBlockDelta" in e and "toolUse" in e["contentBlockDelta"]["delta"]]
    assert [s["name"] for s in starts] == ["get_order"]
    assert json.loads("".join(deltas)) == {"order_id": "ORD-20417"}
    assert [e["messageStop"]["stopReason"] for e in events if "messageStop" in e] == ["tool_use"]


def test_anthropic_invoke_model_renders_tool_use_blocks(runtime):
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 400,
            "messages": [{"role": "user", "content": "What's the weather in Oslo in celsius?"}],
            "tools": [{"name": t["toolSpec"]["name"], "description": t["toolSpec"]["description"],
                       "input_schema": schema_of(t)} for t in TOOLS]}
    out = json.loads(runtime.invoke_model(modelId=CLAUDE, body=json.dumps(body))["body"].read())
    assert out["stop_reason"] == "tool_use"
    [use] = [b for b in out["content"] if b["type"] == "tool_use"]
    assert use["name"] == "get_weather" and use["input"] == {"city": "Oslo", "unit": "celsius"}
    body["messages"] += [{"role": "assistant", "content": out["content"]},
                         {"role": "user", "content": [{"type": "tool_result",
                                                       "tool_use_id": use["id"],
                                                       "content": "4 degrees, light snow"}]}]
    final = json.loads(runtime.invoke_model(modelId=CLAUDE, body=json.dumps(body))["body"].read())
    assert final["stop_reason"] == "end_turn"
    assert "light snow" in final["content"][0]["text"]
