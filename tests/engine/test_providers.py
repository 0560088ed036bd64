"""InvokeModel body formats per provider family: parse -> respond -> render, streams, embeddings."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from local_bedrock.errors import EngineError
from local_bedrock.runtime import providers as P
from local_bedrock.text.tokens import count_tokens
from local_bedrock.text.types import GenerationRequest, GenerationResult

CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"
CLAUDE_TEXT_ONLY = "anthropic.claude-3-5-haiku-20241022-v1:0"
CLAUDE_V2 = "anthropic.claude-v2:1"
NOVA = "amazon.nova-lite-v1:0"
NOVA_MICRO = "amazon.nova-micro-v1:0"
TITAN = "amazon.titan-text-express-v1"
LLAMA = "meta.llama3-1-8b-instruct-v1:0"
MISTRAL = "mistral.mistral-7b-instruct-v0:2"
TITAN_EMBED_V2 = "amazon.titan-embed-text-v2:0"
TITAN_EMBED_V1 = "amazon.titan-embed-text-v1"
TITAN_MM = "amazon.titan-embed-image-v1"
COHERE = "cohere.embed-english-v3"

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()
METRIC_KEYS = {"inputTokenCount", "outputTokenCount", "invocationLatency", "firstByteLatency"}


def fake_respond(req: GenerationRequest, text: str = "Paris is the capital of France.",
                 stop_reason: str = "end_turn", tool_uses=None) -> GenerationResult:
    """A tiny deterministic stand-in for local_bedrock.text.responder.respond."""
    return GenerationResult(text=text, stop_reason=stop_reason,
                            input_tokens=sum(len(t.text.split()) for t in req.messages) + 3,
                            output_tokens=len(text.split()), latency_ms=200,
                            tool_uses=list(tool_uses or []),
                            stop_sequence="END" if stop_reason == "stop_sequence" else None)


def raises(model_id: str, body, *fragments: str, embed: bool = False) -> str:
    with pytest.raises(EngineError) as info:
        (P.embed_request if embed else P.parse_text_request)(model_id, body)
    err = info.value
    assert err.code == "ValidationException" and err.status == 400
    for fragment in fragments:
        assert fragment in err.message, err.message
    return err.message


def claude_body(**over):
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 200,
            "messages": [{"role": "user", "content": "What is the capital of France?"}]}
    body.update(over)
    return body


# =========================================================================== anthropic

def test_anthropic_round_trip_shape():
    req = P.parse_text_request(CLAUDE, claude_body(
        system="Answer briefly.", temperature=0.2, top_p=0.8, top_k=50,
        stop_sequences=["END"]))
    assert req.system == "Answer briefly." and req.max_tokens == 200
    assert req.temperature == 0.2 and req.top_p == 0.8 and req.stop_sequences == ["END"]
    assert [(t.role, t.text) for t in req.messages] == [
        ("user", "What is the capital of France?")]
    result = fake_respond(req)
    body = P.render_text_response(CLAUDE, result)
    assert list(body) == ["id", "type", "role", "model", "content", "stop_reason",
                          "stop_sequence", "usage"]
    assert body["id"].startswith("msg_bdrk_")
    assert body["id"] == P.render_text_response(CLAUDE, result)["id"]  # deterministic
    assert body["type"] == "message" and body["role"] == "assistant"
    assert body["model"] == "claude-3-haiku-20240307"
    assert body["content"] == [{"type": "text", "text": "Paris is the capital of France."}]
    assert body["stop_reason"] == "end_turn" and body["stop_sequence"] is None
    assert body["usage"] == {"input_tokens": result.input_tokens,
                             "output_tokens": result.output_tokens}
    assert P.usage_of(CLAUDE, body) == (result.input_tokens, result.output_tokens)
    json.dumps(body)


@pytest.mark.parametrize("reason", ["max_tokens", "stop_sequence"])
def test_anthropic_stop_reasons(reason):
    req = P.parse_text_request(CLAUDE, claude_body())
    body = P.render_text_response(CLAUDE, fake_respond(req, stop_reason=reason))
    assert body["stop_reason"] == reason
    assert body["stop_sequence"] == ("END" if reason == "stop_sequence" else None)


def test_anthropic_blocks_images_and_tools():
    messages = [
        {"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                         "data": PNG}},
            {"type": "text", "text": "What is the weather in Paris?"}]},
        {"role": "assistant", "content": [
            {"type": "text", "text": "Let me check."},
            {"type": "tool_use", "id": "toolu_bdrk_1", "name": "get_weather",
             "input": {"city": "Paris"}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_bdrk_1", "content": "18C, sunny"}]},
    ]
    tools = [{"name": "get_weather", "description": "Weather for a city",
              "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}]
    req = P.parse_text_request(CLAUDE, claude_body(
        messages=messages, tools=tools, tool_choice={"type": "auto"},
        system=[{"type": "text", "text": "Be helpful."}]))
    assert req.system == "Be helpful."
    image = req.messages[0].content[0]["image"]
    assert image["format"] == "png" and image["source"]["bytes"].startswith(b"\x89PNG")
    assert req.messages[1].content[1] == {"toolUse": {"toolUseId": "toolu_bdrk_1",
                                                      "name": "get_weather",
                                                      "input": {"city": "Paris"}}}
    assert req.messages[2].content[0] == {"toolResult": {"toolUseId": "toolu_bdrk_1",
                                                         "content": [{"text": "18C, sunny"}]}}
    assert req.tools == [{"toolSpec": {
        "name": "get_weather", "description": "Weather for a city",
        "inputSchema": {"json": tools[0]["input_schema"]}}}]
    assert req.tool_choice == {"auto": {}}
    forced = P.parse_text_request(CLAUDE, claude_body(
        tools=tools, tool_choice={"type": "tool", "name": "get_weather"}))
    assert forced.tool_choice == {"tool": {"name": "get_weather"}}


def test_anthropic_tool_use_response_and_stream():
    req = P.parse_text_request(CLAUDE, claude_body())
    use = {"toolUseId": "toolu_bdrk_01abc", "name": "get_weather", "input": {"city": "Paris"}}
    result = fake_respond(req, text="Checking.", stop_reason="tool_use", tool_uses=[use])
    body = P.render_text_response(CLAUDE, result)
    assert body["stop_reason"] == "tool_use"
    assert body["content"] == [
        {"type": "text", "text": "Checking."},
        {"type": "tool_use", "id": "toolu_bdrk_01abc", "name": "get_weather",
         "input": {"city": "Paris"}}]
    chunks = P.render_stream_chunks(CLAUDE, result, ["Checking."])
    assert [c["type"] for c in chunks] == [
        "message_start", "content_block_start", "content_block_delta", "content_block_stop",
        "content_block_start", "content_block_delta", "content_block_stop",
        "message_delta", "message_stop"]
    assert chunks[4]["content_block"] == {"type": "tool_use", "id": "toolu_bdrk_01abc",
                                          "name": "get_weather", "input": {}}
    assert chunks[5]["index"] == 1
    assert json.loads(chunks[5]["delta"]["partial_json"]) == {"city": "Paris"}
    assert chunks[-2]["delta"]["stop_reason"] == "tool_use"


def test_anthropic_stream_chunks():
    req = P.parse_text_request(CLAUDE, claude_body())
    result = fake_respond(req)
    pieces = ["Paris", " is the", " capital of France."]
    chunks = P.render_stream_chunks(CLAUDE, result, pieces)
    assert [c["type"] for c in chunks] == (
        ["message_start", "content_block_start"] + ["content_block_delta"] * 3
        + ["content_block_stop", "message_delta", "message_stop"])
    start = chunks[0]["message"]
    assert start["id"].startswith("msg_bdrk_") and start["content"] == []
    assert start["usage"]["input_tokens"] == result.input_tokens
    assert chunks[1]["content_block"] == {"type": "text", "text": ""}
    assert "".join(c["delta"]["text"] for c in chunks[2:5]) == result.text
    assert all(c["delta"]["type"] == "text_delta" for c in chunks[2:5])
    assert chunks[-2]["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}
    assert chunks[-2]["usage"] == {"output_tokens": result.output_tokens}
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert set(metrics) == METRIC_KEYS
    assert metrics["inputTokenCount"] == result.input_tokens
    assert metrics["outputTokenCount"] == result.output_tokens
    assert not any("amazon-bedrock-invocationMetrics" in c for c in chunks[:-1])
    assert P.usage_of(CLAUDE, chunks[-1]) == (result.input_tokens, result.output_tokens)


@pytest.mark.parametrize("over, fragments", [
    ({"foo": 1}, ["extraneous key [foo] is not permitted"]),
    ({"max_tokens": "200"}, ["#/max_tokens", "expected type: Integer, found: String"]),
    ({"max_tokens": 0}, ["#/max_tokens", "0 is not greater or equal to 1"]),
    ({"max_tokens": 100_000}, ["max_tokens: 100000 > 4096", "claude-3-haiku-20240307"]),
    ({"temperature": 1.5}, ["#/temperature", "1.5 is not less or equal to 1"]),
    ({"temperature": "hot"}, ["#/temperature", "expected type: Number, found: String"]),
    ({"top_p": -0.1}, ["#/top_p", "is not greater or equal to 0"]),
    ({"top_k": 501}, ["#/top_k"]),
    ({"stop_sequences": "END"}, ["#/stop_sequences", "JSONArray"]),
    ({"anthropic_version": "bedrock-2023-06-01"}, ["#/anthropic_version",
                                                   "not a valid enum value"]),
    ({"messages": []}, ["messages: at least one message is required"]),
    ({"messages": [{"role": "assistant", "content": "hi"}]}, ["first message", '"user"']),
    ({"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]},
     ["roles must alternate", '"user"']),
    ({"messages": [{"role": "system", "content": "a"}]}, ["messages.0.role"]),
    ({"messages": [{"role": "user", "content": ""}]}, ["non-empty content"]),
    ({"messages": [{"role": "user", "content": [{"type": "text", "text": ""}]}]},
     ["text content blocks must be non-empty"]),
    ({"messages": [{"role": "user", "content": "a", "name": "x"}]},
     ["#/messages/0", "extraneous key [name]"]),
    ({"messages": [{"role": "user", "content": [{"type": "image", "source": {
        "type": "base64", "media_type": "image/bmp", "data": PNG}}]}]},
     ["media_type", "image/jpeg"]),
    ({"messages": [{"role": "user", "content": [{"type": "image", "source": {
        "type": "base64", "media_type": "image/png", "data": "not base64!"}}]}]},
     ["invalid base64"]),
    ({"messages": [{"role": "user", "content": [{"type": "audio"}]}]}, ["messages.0.content.0"]),
    ({"tools": [{"name": "bad name!", "input_schema": {}}]}, ["tools.0", "name"]),
    ({"tools": [{"name": "t"}]}, ["tools.0.custom.input_schema"]),
    ({"tool_choice": {"type": "tool", "name": "nope"}, "tools": [
        {"name": "t", "input_schema": {"type": "object"}}]}, ["tool_choice", "nope"]),
    ({"messages": [{"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_x", "content": "r"}]}]},
     ["tool_use_id", "toolu_x"]),
])
def test_anthropic_validation(over, fragments):
    raises(CLAUDE, claude_body(**over), *fragments)


def test_anthropic_required_keys_named():
    msg = raises(CLAUDE, {"anthropic_version": "bedrock-2023-05-31",
                          "messages": [{"role": "user", "content": "hi"}]},
                 "required key [max_tokens] not found")
    assert msg.startswith("Malformed input request: #:")
    raises(CLAUDE, {"max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]},
           "required key [anthropic_version] not found")
    raises(CLAUDE, {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10},
           "required key [messages] not found")
    raises(CLAUDE, "not an object", "expected type: JSONObject")


def test_anthropic_image_needs_vision_model():
    body = claude_body(messages=[{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                     "data": PNG}}]}])
    P.parse_text_request(CLAUDE, body)
    raises(CLAUDE_TEXT_ONLY, body, "does not support image input")


def test_anthropic_prefill_and_inference_profile_ids():
    req = P.parse_text_request("us." + CLAUDE, claude_body(messages=[
        {"role": "user", "content": "Give me JSON."},
        {"role": "assistant", "content": "{"}]))
    assert [t.role for t in req.messages] == ["user", "assistant"]
    assert req.messages[-1].text == "{"


# =========================================================================== anthropic-legacy

def test_anthropic_legacy_round_trip_shape():
    prompt = ("You are terse.\n\nHuman: Hi there\n\nAssistant: Hello!\n\n"
              "Human: What is the capital of France?\n\nAssistant:")
    req = P.parse_text_request(CLAUDE_V2, {"prompt": prompt, "max_tokens_to_sample": 300,
                                           "temperature": 0.5, "top_k": 250, "top_p": 1,
                                           "stop_sequences": ["\n\nObservation:"]})
    assert req.system == "You are terse."
    assert [(t.role, t.text) for t in req.messages] == [
        ("user", "Hi there"), ("assistant", "Hello!"),
        ("user", "What is the capital of France?")]
    assert req.max_tokens == 300 and "\n\nHuman:" in req.stop_sequences
    assert "\n\nObservation:" in req.stop_sequences
    result = fake_respond(req)
    body = P.render_text_response(CLAUDE_V2, result)
    assert body == {"completion": " Paris is the capital of France.",
                    "stop_reason": "stop_sequence", "stop": "\n\nHuman:"}
    # Text Completions bodies carry no counts (Bedrock sends them as headers): output only, counted
    assert P.usage_of(CLAUDE_V2, body) == (0, count_tokens(body["completion"]))
    capped = P.render_text_response(CLAUDE_V2, fake_respond(req, stop_reason="max_tokens"))
    assert capped["stop_reason"] == "max_tokens" and capped["stop"] is None
    chunks = P.render_stream_chunks(CLAUDE_V2, result, ["Paris", " is the capital of France."])
    assert [c["completion"] for c in chunks] == [" Paris", " is the capital of France.", ""]
    assert [c["stop_reason"] for c in chunks] == [None, None, "stop_sequence"]
    assert set(chunks[-1]["amazon-bedrock-invocationMetrics"]) == METRIC_KEYS


@pytest.mark.parametrize("body, fragments", [
    ({"prompt": "Hello", "max_tokens_to_sample": 10}, ['"\\n\\nHuman:"']),
    ({"prompt": "\n\nHuman: Hello", "max_tokens_to_sample": 10}, ['"\\n\\nAssistant:"']),
    ({"prompt": "\n\nHuman: Hi\n\nAssistant:"}, ["required key [max_tokens_to_sample]"]),
    ({"prompt": "\n\nHuman: Hi\n\nAssistant:", "max_tokens_to_sample": 10, "max_tokens": 5},
     ["extraneous key [max_tokens]"]),
    ({"prompt": "\n\nHuman: Hi\n\nAssistant:", "max_tokens_to_sample": 9000},
     ["#/max_tokens_to_sample", "not less or equal to 4096"]),
    ({"prompt": "\n\nHuman: Hi\n\nAssistant:", "max_tokens_to_sample": 10, "temperature": 2},
     ["#/temperature"]),
])
def test_anthropic_legacy_validation(body, fragments):
    raises(CLAUDE_V2, body, *fragments)


# =========================================================================== nova

def nova_body(**over):
    body = {"schemaVersion": "messages-v1",
            "system": [{"text": "Answer briefly."}],
            "messages": [{"role": "user", "content": [{"text": "Capital of France?"}]}],
            "inferenceConfig": {"maxTokens": 300, "temperature": 0.3, "topP": 0.8, "topK": 20,
                                "stopSequences": ["END"]}}
    body.update(over)
    return body


def test_nova_round_trip_shape():
    req = P.parse_text_request(NOVA, nova_body())
    assert req.system == "Answer briefly." and req.max_tokens == 300
    assert req.temperature == 0.3 and req.top_p == 0.8 and req.stop_sequences == ["END"]
    assert [(t.role, t.text) for t in req.messages] == [("user", "Capital of France?")]
    result = fake_respond(req)
    body = P.render_text_response(NOVA, result)
    assert body["output"] == {"message": {"content": [{"text": result.text}],
                                          "role": "assistant"}}
    assert body["stopReason"] == "end_turn"
    usage = body["usage"]
    assert (usage["inputTokens"], usage["outputTokens"], usage["totalTokens"]) == (
        result.input_tokens, result.output_tokens, result.input_tokens + result.output_tokens)
    assert P.usage_of(NOVA, body) == (result.input_tokens, result.output_tokens)
    capped = P.render_text_response(NOVA, fake_respond(req, stop_reason="max_tokens"))
    assert capped["stopReason"] == "max_tokens"


def test_nova_aliases_images_and_tools():
    body = nova_body(
        inferenceConfig={"max_new_tokens": 50, "top_p": 0.5},
        messages=[{"role": "user", "content": [
            {"image": {"format": "png", "source": {"bytes": PNG}}},
            {"text": "Weather in Paris?"}]}],
        toolConfig={"tools": [{"toolSpec": {"name": "get_weather", "description": "w",
                                            "inputSchema": {"json": {"type": "object"}}}}],
                    "toolChoice": {"any": {}}})
    req = P.parse_text_request(NOVA, body)
    assert req.max_tokens == 50 and req.top_p == 0.5
    assert req.messages[0].content[0]["image"]["source"]["bytes"].startswith(b"\x89PNG")
    assert req.tools[0]["toolSpec"]["name"] == "get_weather"
    assert req.tool_choice == {"any": {}}
    use = {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Paris"}}
    result = fake_respond(req, text="", stop_reason="tool_use", tool_uses=[use])
    out = P.render_text_response(NOVA, result)
    assert out["stopReason"] == "tool_use"
    assert out["output"]["message"]["content"] == [{"toolUse": use}]
    chunks = P.render_stream_chunks(NOVA, result, [])
    assert [next(iter(c)) for c in chunks] == ["messageStart", "contentBlockStart",
                                               "contentBlockDelta", "contentBlockStop",
                                               "messageStop", "metadata"]
    assert chunks[1]["contentBlockStart"]["start"]["toolUse"]["name"] == "get_weather"
    assert json.loads(chunks[2]["contentBlockDelta"]["delta"]["toolUse"]["input"]) == {
        "city": "Paris"}


def test_nova_stream_chunks():
    req = P.parse_text_request(NOVA, nova_body())
    result = fake_respond(req)
    chunks = P.render_stream_chunks(NOVA, result, ["Paris is", " the capital", " of France."])
    assert [next(iter(c)) for c in chunks] == (
        ["messageStart"] + ["contentBlockDelta"] * 3
        + ["contentBlockStop", "messageStop", "metadata"])
    assert chunks[0] == {"messageStart": {"role": "assistant"}}
    assert "".join(c["contentBlockDelta"]["delta"]["text"] for c in chunks[1:4]) == result.text
    assert all(c["contentBlockDelta"]["contentBlockIndex"] == 0 for c in chunks[1:4])
    assert chunks[-2] == {"messageStop": {"stopReason": "end_turn"}}
    assert chunks[-1]["metadata"]["usage"] == {"inputTokens": result.input_tokens,
                                               "outputTokens": result.output_tokens}
    assert set(chunks[-1]["amazon-bedrock-invocationMetrics"]) == METRIC_KEYS


@pytest.mark.parametrize("model_id, over, fragments", [
    (NOVA, {"foo": 1}, ["extraneous key [foo]"]),
    (NOVA, {"schemaVersion": "messages-v2"}, ["#/schemaVersion", "not a valid enum value"]),
    (NOVA, {"messages": []}, ["#/messages", "minimum item count: 1"]),
    (NOVA, {"messages": [{"role": "user", "content": "hi"}]},
     ["#/messages/0/content", "expected type: JSONArray, found: String"]),
    (NOVA, {"messages": [{"role": "user", "content": []}]}, ["#/messages/0/content"]),
    (NOVA, {"messages": [{"role": "assistant", "content": [{"text": "hi"}]}]},
     ["must start with a user message"]),
    (NOVA, {"messages": [{"role": "user", "content": [{"text": "a"}]},
                         {"role": "user", "content": [{"text": "b"}]}]}, ["alternate"]),
    (NOVA, {"system": "Be brief."}, ["#/system", "JSONArray"]),
    (NOVA, {"inferenceConfig": {"maxTokens": 20000}}, ["#/inferenceConfig/maxTokens",
                                                      "not less or equal to 5000"]),
    (NOVA, {"inferenceConfig": {"temperature": 1.2}}, ["#/inferenceConfig/temperature"]),
    (NOVA, {"inferenceConfig": {"max_tokens": 10}}, ["#/inferenceConfig",
                                                     "extraneous key [max_tokens]"]),
    (NOVA, {"messages": [{"role": "user", "content": [{"image": {
        "format": "bmp", "source": {"bytes": PNG}}}]}]}, ["#/messages/0/content/0/image/format"]),
    (NOVA_MICRO, {"messages": [{"role": "user", "content": [{"image": {
        "format": "png", "source": {"bytes": PNG}}}]}]}, ["doesn't support the image"]),
    (NOVA, {"toolConfig": {"tools": [{"toolSpec": {"name": "t"}}]}},
     ["required key [inputSchema]"]),
])
def test_nova_validation(model_id, over, fragments):
    raises(model_id, nova_body(**over), *fragments)


# =========================================================================== titan-text

def test_titan_text_round_trip_shape():
    req = P.parse_text_request(TITAN, {
        "inputText": "User: Hi\nBot: Hello!\nUser: What is the capital of France?\nBot:",
        "textGenerationConfig": {"maxTokenCount": 256, "temperature": 0, "topP": 1,
                                 "stopSequences": ["User:"]}})
    assert [(t.role, t.text) for t in req.messages] == [
        ("user", "Hi"), ("assistant", "Hello!"), ("user", "What is the capital of France?")]
    assert req.max_tokens == 256 and req.temperature == 0 and req.stop_sequences == ["User:"]
    plain = P.parse_text_request(TITAN, {"inputText": "Summarise: the sky is blue."})
    assert plain.messages[0].text == "Summarise: the sky is blue." and plain.max_tokens == 512
    result = fake_respond(req)
    body = P.render_text_response(TITAN, result)
    assert body == {"inputTextTokenCount": result.input_tokens, "results": [
        {"tokenCount": result.output_tokens, "outputText": result.text,
         "completionReason": "FINISH"}]}
    assert P.usage_of(TITAN, body) == (result.input_tokens, result.output_tokens)
    for reason, expected in [("max_tokens", "LENGTH"), ("stop_sequence", "STOP_CRITERIA_MET")]:
        out = P.render_text_response(TITAN, fake_respond(req, stop_reason=reason))
        assert out["results"][0]["completionReason"] == expected
    chunks = P.render_stream_chunks(TITAN, result, ["Paris is", " the capital of France."])
    assert [c["outputText"] for c in chunks] == ["Paris is", " the capital of France."]
    assert chunks[0]["inputTextTokenCount"] == result.input_tokens
    assert [c["completionReason"] for c in chunks] == [None, "FINISH"]
    assert chunks[-1]["totalOutputTextTokenCount"] == result.output_tokens
    assert set(chunks[-1]["amazon-bedrock-invocationMetrics"]) == METRIC_KEYS


@pytest.mark.parametrize("body, fragments", [
    ({}, ["required key [inputText] not found"]),
    ({"inputText": ""}, ["#/inputText", "minLength"]),
    ({"inputText": "hi", "maxTokenCount": 10}, ["extraneous key [maxTokenCount]"]),
    ({"inputText": "hi", "textGenerationConfig": {"maxTokenCount": 9000}},
     ["#/textGenerationConfig/maxTokenCount", "not less or equal to 8192"]),
    ({"inputText": "hi", "textGenerationConfig": {"topP": 2}}, ["#/textGenerationConfig/topP"]),
    ({"inputText": "hi", "textGenerationConfig": {"max_tokens": 5}},
     ["#/textGenerationConfig", "extraneous key [max_tokens]"]),
])
def test_titan_text_validation(body, fragments):
    raises(TITAN, body, *fragments)


# =========================================================================== llama

LLAMA_PROMPT = ("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief."
                "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
                "<|start_header_id|>user<|end_header_id|>\n\nCapital of France?<|eot_id|>"
                "<|start_header_id|>assistant<|end_header_id|>\n\n")


def test_llama_round_trip_shape():
    req = P.parse_text_request(LLAMA, {"prompt": LLAMA_PROMPT, "max_gen_len": 128,
                                       "temperature": 0.1, "top_p": 0.9})
    assert req.system == "Be brief." and req.max_tokens == 128
    assert [(t.role, t.text) for t in req.messages] == [
        ("user", "Hi"), ("assistant", "Hello!"), ("user", "Capital of France?")]
    plain = P.parse_text_request(LLAMA, {"prompt": "Tell me a joke."})
    assert plain.messages[0].text == "Tell me a joke." and plain.max_tokens == 512
    result = fake_respond(req)
    body = P.render_text_response(LLAMA, result)
    assert body == {"generation": result.text, "prompt_token_count": result.input_tokens,
                    "generation_token_count": result.output_tokens, "stop_reason": "stop"}
    assert P.usage_of(LLAMA, body) == (result.input_tokens, result.output_tokens)
    capped = P.render_text_response(LLAMA, fake_respond(req, stop_reason="max_tokens"))
    assert capped["stop_reason"] == "length"
    chunks = P.render_stream_chunks(LLAMA, result, ["Paris is", " the capital", " of France."])
    assert "".join(c["generation"] for c in chunks) == result.text
    assert chunks[0]["prompt_token_count"] == result.input_tokens
    counts = [c["generation_token_count"] for c in chunks]
    assert counts == sorted(counts) and counts[-1] == result.output_tokens
    assert [c["stop_reason"] for c in chunks] == [None, None, None, "stop"]
    assert set(chunks[-1]["amazon-bedrock-invocationMetrics"]) == METRIC_KEYS


@pytest.mark.parametrize("body, fragments", [
    ({}, ["required key [prompt] not found"]),
    ({"prompt": 42}, ["#/prompt", "expected type: String, found: Integer"]),
    ({"prompt": "hi", "max_gen_len": 5000}, ["#/max_gen_len", "not less or equal to 2048"]),
    ({"prompt": "hi", "max_gen_len": 0}, ["#/max_gen_len", "not greater or equal to 1"]),
    ({"prompt": "hi", "temperature": 1.5}, ["#/temperature"]),
    ({"prompt": "hi", "max_tokens": 100}, ["extraneous key [max_tokens]"]),
])
def test_llama_validation(body, fragments):
    raises(LLAMA, body, *fragments)


# =========================================================================== mistral

def test_mistral_round_trip_shape():
    prompt = ("<s>[INST] What is your favourite condiment? [/INST] Lemon juice.</s>"
              "[INST] Do you have mayonnaise recipes? [/INST]")
    req = P.parse_text_request(MISTRAL, {"prompt": prompt, "max_tokens": 400,
                                         "temperature": 0.5, "top_p": 0.9, "top_k": 50,
                                         "stop": ["</s>"]})
    assert [(t.role, t.text) for t in req.messages] == [
        ("user", "What is your favourite condiment?"), ("assistant", "Lemon juice."),
        ("user", "Do you have mayonnaise recipes?")]
    assert req.max_tokens == 400 and req.stop_sequences == ["</s>"]
    result = fake_respond(req)
    body = P.render_text_response(MISTRAL, result)
    assert body == {"outputs": [{"text": result.text, "stop_reason": "stop"}]}
    assert P.usage_of(MISTRAL, body) == (0, count_tokens(result.text))  # no counts in the body
    capped = P.render_text_response(MISTRAL, fake_respond(req, stop_reason="max_tokens"))
    assert capped["outputs"][0]["stop_reason"] == "length"
    chunks = P.render_stream_chunks(MISTRAL, result, ["Paris is", " the capital of France."])
    assert [c["outputs"][0]["text"] for c in chunks] == ["Paris is", " the capital of France."]
    assert [c["outputs"][0]["stop_reason"] for c in chunks] == [None, "stop"]
    assert set(chunks[-1]["amazon-bedrock-invocationMetrics"]) == METRIC_KEYS


@pytest.mark.parametrize("body, fragments", [
    ({"max_tokens": 10}, ["required key [prompt] not found"]),
    ({"prompt": "<s>[INST] hi [/INST]", "max_tokens": 9000},
     ["#/max_tokens", "not less or equal to 8192"]),
    ({"prompt": "<s>[INST] hi [/INST]", "top_k": 500}, ["#/top_k", "not less or equal to 200"]),
    ({"prompt": "<s>[INST] hi [/INST]", "stop": "x"}, ["#/stop", "JSONArray"]),
    ({"prompt": "<s>[INST] hi [/INST]", "stop": ["a"] * 11}, ["#/stop", "maximum item count"]),
    ({"prompt": "<s>[INST] hi [/INST]", "stop_sequences": ["x"]},
     ["extraneous key [stop_sequences]"]),
])
def test_mistral_validation(body, fragments):
    raises(MISTRAL, body, *fragments)


# =========================================================================== stream endings

@pytest.mark.parametrize("model_id", [CLAUDE, CLAUDE_V2, NOVA, TITAN, LLAMA, MISTRAL])
def test_every_stream_ends_with_invocation_metrics(model_id):
    result = GenerationResult(text="One two three.", stop_reason="end_turn", input_tokens=7,
                              output_tokens=4, latency_ms=321)
    chunks = P.render_stream_chunks(model_id, result, ["One", " two", " three."])
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert metrics == {"inputTokenCount": 7, "outputTokenCount": 4, "invocationLatency": 321,
                       "firstByteLatency": metrics["firstByteLatency"]}
    assert 0 <= metrics["firstByteLatency"] <= 321
    assert sum("amazon-bedrock-invocationMetrics" in c for c in chunks) == 1
    assert P.usage_of(model_id, chunks[-1]) == (7, 4)
    json.dumps(chunks)


def test_unknown_model_and_wrong_family():
    raises("acme.unknown-model-v1", {}, "model identifier is invalid")
    raises(TITAN_EMBED_V2, {"inputText": "hi"}, "embedding model")
    raises(CLAUDE, claude_body(), "not an embedding model", embed=True)


# =========================================================================== embeddings

PARAPHRASE = ("The cat sat on the mat.", "A kitten was sitting on the rug.")
UNRELATED = "Quarterly revenue grew by ten percent."


def _cos(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def _titan(text: str, **kw) -> dict:
    return P.embed_request(TITAN_EMBED_V2, {"inputText": text, **kw})


@pytest.mark.parametrize("dims", [256, 512, 1024])
def test_titan_v2_dimensions_normalisation_and_similarity(dims):
    body = _titan(PARAPHRASE[0], dimensions=dims)
    assert list(body) == ["embedding", "inputTextTokenCount", "embeddingsByType"]
    vec = body["embedding"]
    assert len(vec) == dims and all(type(x) is float for x in vec)
    assert abs(np.linalg.norm(vec) - 1.0) < 1e-4
    assert body["embeddingsByType"] == {"float": vec}
    assert body["inputTextTokenCount"] > 0
    assert P.usage_of(TITAN_EMBED_V2, body) == (body["inputTextTokenCount"], 0)
    para = _titan(PARAPHRASE[1], dimensions=dims)["embedding"]
    other = _titan(UNRELATED, dimensions=dims)["embedding"]
    assert _cos(vec, para) > _cos(vec, other)


def test_titan_v2_projection_preserves_cosine_and_options():
    sims = []
    for dims in (256, 512, 1024):
        a, b = (_titan(t, dimensions=dims)["embedding"] for t in PARAPHRASE)
        sims.append(_cos(a, b))
    assert max(sims) - min(sims) < 1e-4
    default = _titan("hello world")
    assert len(default["embedding"]) == 1024
    raw = _titan("hello world", normalize=False)["embedding"]
    assert _cos(raw, default["embedding"]) > 0.9999
    both = _titan("hello world", dimensions=256, embeddingTypes=["float", "binary"])
    assert set(both["embeddingsByType"]) == {"float", "binary"}
    assert set(both["embeddingsByType"]["binary"]) <= {0, 1}
    assert len(both["embeddingsByType"]["binary"]) == 256
    only_binary = _titan("hello world", embeddingTypes=["binary"])
    assert set(only_binary["embeddingsByType"]) == {"binary"}
    assert len(only_binary["embedding"]) == 1024  # "embedding" is always float


@pytest.mark.parametrize("body, fragments", [
    ({}, ["required key [inputText] not found"]),
    ({"inputText": ""}, ["#/inputText", "minLength"]),
    ({"inputText": "hi", "dimensions": 300}, ["#/dimensions", "300 is not a valid enum value"]),
    ({"inputText": "hi", "dimensions": "256"}, ["#/dimensions", "Integer"]),
    ({"inputText": "hi", "normalize": "yes"}, ["#/normalize", "Boolean"]),
    ({"inputText": "hi", "embeddingTypes": ["int8"]}, ["#/embeddingTypes/0"]),
    ({"inputText": "hi", "embeddingTypes": []}, ["#/embeddingTypes", "minimum item count"]),
    ({"inputText": "hi", "texts": ["hi"]}, ["extraneous key [texts]"]),
])
def test_titan_v2_validation(body, fragments):
    raises(TITAN_EMBED_V2, body, *fragments, embed=True)


def test_titan_v2_token_limit():
    raises(TITAN_EMBED_V2, {"inputText": "word " * 9000}, "Too many input tokens",
           "8192", embed=True)


def test_titan_v1():
    body = P.embed_request(TITAN_EMBED_V1, {"inputText": PARAPHRASE[0]})
    assert list(body) == ["embedding", "inputTextTokenCount"]
    assert len(body["embedding"]) == 1536
    para = P.embed_request(TITAN_EMBED_V1, {"inputText": PARAPHRASE[1]})["embedding"]
    other = P.embed_request(TITAN_EMBED_V1, {"inputText": UNRELATED})["embedding"]
    assert _cos(body["embedding"], para) > _cos(body["embedding"], other)
    raises(TITAN_EMBED_V1, {"inputText": "hi", "dimensions": 256},
           "extraneous key [dimensions]", embed=True)


def test_titan_multimodal_text_only():
    for dims in (256, 384, 1024):
        body = P.embed_request(TITAN_MM, {"inputText": "a red bicycle",
                                          "embeddingConfig": {"outputEmbeddingLength": dims}})
        assert len(body["embedding"]) == dims
        assert abs(np.linalg.norm(body["embedding"]) - 1.0) < 1e-4
        assert body["inputTextTokenCount"] > 0
    assert len(P.embed_request(TITAN_MM, {"inputText": "a red bicycle"})["embedding"]) == 1024
    raises(TITAN_MM, {"inputText": "x", "embeddingConfig": {"outputEmbeddingLength": 512}},
           "#/embeddingConfig/outputEmbeddingLength", embed=True)
    raises(TITAN_MM, {"inputImage": PNG}, "lab 05", embed=True)
    raises(TITAN_MM, {}, "required key [inputText]", embed=True)


def test_cohere_floats_and_similarity():
    texts = [*PARAPHRASE, UNRELATED]
    body = P.embed_request(COHERE, {"texts": texts, "input_type": "search_document"})
    assert set(body) == {"id", "texts", "embeddings", "response_type"}
    assert body["response_type"] == "embeddings_floats" and body["texts"] == texts
    vecs = body["embeddings"]
    assert len(vecs) == 3 and all(len(v) == 1024 for v in vecs)
    assert all(abs(np.linalg.norm(v) - 1.0) < 1e-4 for v in vecs)
    assert _cos(vecs[0], vecs[1]) > _cos(vecs[0], vecs[2])
    again = P.embed_request(COHERE, {"texts": texts, "input_type": "search_document"})
    assert again["id"] == body["id"]
    in_tokens, out_tokens = P.usage_of(COHERE, body)
    assert in_tokens > 0 and out_tokens == 0


def test_cohere_embedding_types():
    body = P.embed_request(COHERE, {"texts": ["hello there"], "input_type": "search_query",
                                    "embedding_types": ["float", "int8", "uint8", "binary",
                                                        "ubinary"]})
    assert body["response_type"] == "embeddings_by_type"
    emb = body["embeddings"]
    assert set(emb) == {"float", "int8", "uint8", "binary", "ubinary"}
    assert len(emb["float"][0]) == 1024
    assert all(-128 <= x <= 127 for x in emb["int8"][0])
    assert all(0 <= x <= 255 for x in emb["uint8"][0])
    assert len(emb["binary"][0]) == 128 and len(emb["ubinary"][0]) == 128


@pytest.mark.parametrize("body, fragments", [
    ({"texts": ["hi"]}, ["required key [input_type] not found"]),
    ({"texts": ["hi"], "input_type": "search"}, ["#/input_type", "not a valid enum value"]),
    ({"input_type": "search_query"}, ["required key [texts] not found"]),
    ({"texts": [], "input_type": "search_query"}, ["#/texts", "minimum item count: 1"]),
    ({"texts": ["x"] * 97, "input_type": "search_query"}, ["#/texts", "maximum item count: 96"]),
    ({"texts": ["x" * 2049], "input_type": "search_query"}, ["#/texts/0", "maxLength: 2048"]),
    ({"texts": [1], "input_type": "search_query"}, ["#/texts/0", "String"]),
    ({"texts": ["hi"], "input_type": "search_query", "truncate": "MIDDLE"}, ["#/truncate"]),
    ({"texts": ["hi"], "input_type": "search_query", "embedding_types": ["int4"]},
     ["#/embedding_types/0"]),
    ({"texts": ["hi"], "input_type": "search_query", "inputText": "hi"},
     ["extraneous key [inputText]"]),
])
def test_cohere_validation(body, fragments):
    raises(COHERE, body, *fragments, embed=True)


def test_cohere_truncate():
    long_text = "cats purr 7 " * 150 + "dogs bark 9 " * 20  # < 2048 chars, > 512 tokens
    raises(COHERE, {"texts": [long_text], "input_type": "search_document"}, "truncate",
           embed=True)
    for side in ("START", "END"):
        body = P.embed_request(COHERE, {"texts": [long_text], "input_type": "search_document",
                                        "truncate": side})
        assert len(body["embeddings"][0]) == 1024
        kept = body["texts"][0]
        assert len(kept) < len(long_text) and count_tokens(kept) <= 512
        assert kept.strip().endswith("9") if side == "START" else kept.startswith("cats")


# =========================================================================== with the real responder

def test_round_trip_with_local_responder_when_available():
    responder = pytest.importorskip("local_bedrock.text.responder")
    for model_id, body in [(CLAUDE, claude_body()), (NOVA, nova_body()),
                           (TITAN, {"inputText": "What is the capital of France?"}),
                           (LLAMA, {"prompt": LLAMA_PROMPT}),
                           (MISTRAL, {"prompt": "<s>[INST] Capital of France? [/INST]"})]:
        req = P.parse_text_request(model_id, body)
        result = responder.respond(req)
        out = P.render_text_response(model_id, result)
        json.dumps(out)
        counted_in_body = model_id != MISTRAL  # Mistral's body has no counts (headers carry them)
        expected = (result.input_tokens if counted_in_body else 0, result.output_tokens)
        assert P.usage_of(model_id, out) == expected
