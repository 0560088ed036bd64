"""Converse, ConverseStream, InvokeModel(+stream), CountTokens through real boto3 clients."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from shapes import assert_conforms, assert_event_conforms

from local_bedrock.text.responder import MARKER

MODEL = "amazon.nova-lite-v1:0"


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": [{"text": text}]}]


def ask(runtime, text: str, **kw) -> dict:
    return runtime.converse(modelId=kw.pop("modelId", MODEL), messages=user(text), **kw)


def text_of(resp: dict) -> str:
    return "".join(b.get("text", "") for b in resp["output"]["message"]["content"])


def test_converse_answer_is_valid_and_marked_as_local(runtime):
    resp = ask(runtime, "What does Amazon Bedrock do?")
    assert_conforms(resp, "bedrock-runtime", "Converse")
    assert text_of(resp).startswith(MARKER)
    assert "additionalModelResponseFields" not in resp  # Nova sends none
    assert "not a model" in resp["ResponseMetadata"]["HTTPHeaders"]["x-local-bedrock-engine"]
    usage = resp["usage"]
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]


def test_count_tokens_is_refused_where_bedrock_does_not_serve_it(runtime):
    with pytest.raises(runtime.exceptions.ValidationException,
                       match="doesn't support counting tokens"):
        runtime.count_tokens(modelId=MODEL, input={"converse": {"messages": user("Hi")}})


def test_input_tokens_match_count_tokens(runtime, counting):
    counting(MODEL)
    messages = user("Count these tokens, please: one two three.")
    resp = runtime.converse(modelId=MODEL, messages=messages, system=[{"text": "Be brief."}])
    counted = runtime.count_tokens(modelId=MODEL, input={"converse": {
        "messages": messages, "system": [{"text": "Be brief."}]}})
    assert counted["inputTokens"] == resp["usage"]["inputTokens"]


def test_max_tokens_truncates_and_says_so(runtime):
    resp = ask(runtime, "Tell me everything about operations.", inferenceConfig={"maxTokens": 7})
    assert resp["stopReason"] == "max_tokens"
    assert resp["usage"]["outputTokens"] == 7


def test_stop_sequence_stops_before_it(runtime):
    full = text_of(ask(runtime, "Explain invocation logging.", inferenceConfig={"temperature": 0}))
    word = full.split()[4]
    resp = ask(runtime, "Explain invocation logging.",
               inferenceConfig={"temperature": 0, "stopSequences": [word]})
    assert resp["stopReason"] == "stop_sequence"
    assert word not in text_of(resp)
    assert full.startswith(text_of(resp))


def test_temperature_zero_repeats_and_higher_varies(runtime):
    cfg0 = {"temperature": 0.0}
    a, b = (text_of(ask(runtime, "Describe a robot vacuum.", inferenceConfig=cfg0)) for _ in "ab")
    assert a == b
    cfg1 = {"temperature": 1.0}
    outs = {text_of(ask(runtime, "Describe a robot vacuum.", inferenceConfig=cfg1)) for _ in range(4)}
    assert len(outs) > 1


def test_answers_from_documents_extractively(runtime):
    prompt = ("<document>The Wren V3 vacuum has a 2.4 litre dust bin. Its battery lasts 140 "
              "minutes.</document>\nHow long does the battery last?")
    answer = text_of(ask(runtime, prompt))
    assert "140 minutes" in answer
    missing = text_of(ask(runtime, "<document>The Wren V3 has a dust bin.</document>\n"
                                   "What is the CEO's favourite colour?"))
    assert "not in the documents" in missing


def test_json_requested_gives_valid_json_with_the_keys(runtime):
    prompt = ('Classify the ticket into one of: billing, technical, account.\n'
              '- billing: charges, refunds, invoices, payments and prices\n'
              '- technical: the robot breaks, errors, firmware, batteries, connectivity\n'
              '- account: login, password, email address, profile settings\n'
              'Reply in JSON with keys "category" and "summary".\n'
              'Ticket: I was charged twice for my order, please refund one payment.')
    data = json.loads(text_of(ask(runtime, prompt)))
    assert set(data) == {"category", "summary"}
    assert data["category"] == "billing"


def test_classification_uses_few_shot_examples(runtime):
    prompt = ("Classify the message. Categories: praise, complaint\n"
              "Message: the robot is wonderful and quiet\nLabel: praise\n"
              "Message: it broke after two days, terrible\nLabel: complaint\n"
              "Message: stopped working and support never answered")
    assert text_of(ask(runtime, prompt)).strip() == "complaint"


def test_multi_turn_and_system_prompt_are_seen(runtime):
    messages = user("Hello") + [{"role": "assistant", "content": [{"text": "Hi."}]}] + user("And now?")
    resp = runtime.converse(modelId=MODEL, messages=messages, system=[{"text": "You are terse."}])
    text = text_of(resp)
    assert "3 messages" in text and "system prompt" in text


def test_prefill_continues_the_assistant_turn(runtime):
    messages = user('Give JSON with key "answer" for: is water wet?') + [
        {"role": "assistant", "content": [{"text": "{"}]}]
    text = text_of(runtime.converse(modelId=MODEL, messages=messages))
    assert json.loads("{" + text)["answer"]


def test_converse_stream_events_are_bedrocks(runtime):
    resp = runtime.converse_stream(modelId=MODEL, messages=user("Hi there"),
                                   inferenceConfig={"temperature": 0})
    events = list(resp["stream"])
    for ev in events:
        assert_event_conforms(ev, "bedrock-runtime", "ConverseStream")
    assert list(events[0]) == ["messageStart"]
    assert list(events[-2]) == ["messageStop"] and list(events[-1]) == ["metadata"]
    streamed = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events
                       if "contentBlockDelta" in e)
    full = text_of(ask(runtime, "Hi there", inferenceConfig={"temperature": 0}))
    assert streamed == full
    assert events[-1]["metadata"]["usage"]["outputTokens"] > 1


def test_invoke_model_with_response_stream_anthropic(runtime):
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 50,
            "messages": [{"role": "user", "content": "Hello"}]}
    resp = runtime.invoke_model_with_response_stream(
        modelId="us.anthropic.claude-haiku-4-5-20251001-v1:0", body=json.dumps(body))
    chunks = [json.loads(e["chunk"]["bytes"]) for e in resp["body"]]
    assert chunks[0]["type"] == "message_start" and chunks[-1]["type"] == "message_stop"
    assert "amazon-bedrock-invocationMetrics" in chunks[-1]


def test_invoke_model_sets_token_headers(runtime):
    body = {"prompt": "Hello", "max_gen_len": 20}
    resp = runtime.invoke_model(modelId="us.meta.llama3-3-70b-instruct-v1:0", body=json.dumps(body))
    out = json.loads(resp["body"].read())
    headers = resp["ResponseMetadata"]["HTTPHeaders"]
    assert int(headers["x-amzn-bedrock-output-token-count"]) == out["generation_token_count"]


def test_titan_v2_embeddings_are_real(runtime):
    def vec(text):
        body = json.dumps({"inputText": text, "dimensions": 512})
        out = json.loads(runtime.invoke_model(modelId="amazon.titan-embed-text-v2:0", body=body)["body"].read())
        return out["embedding"]

    a, b, c = vec("How do I reset my password?"), vec("I forgot my login password"), vec("Pasta recipe")
    dot = lambda x, y: sum(i * j for i, j in zip(x, y))  # noqa: E731
    assert len(a) == 512
    assert dot(a, b) > dot(a, c)


@pytest.mark.parametrize("model_id, code", [
    ("not-a-model", "ValidationException"),
    ("anthropic.claude-v2", "ResourceNotFoundException"),
    ("amazon.titan-embed-text-v2:0", "ValidationException"),
])
def test_model_errors(runtime, model_id, code):
    with pytest.raises(ClientError) as err:
        ask(runtime, "hi", modelId=model_id)
    assert err.value.response["Error"]["Code"] == code


def test_access_denied_can_be_simulated(runtime, engine):
    engine.denied_models.add("amazon.nova-pro-v1:0")
    with pytest.raises(runtime.exceptions.AccessDeniedException):
        ask(runtime, "hi", modelId="amazon.nova-pro-v1:0")


@pytest.mark.parametrize("messages, fragment", [
    ([{"role": "assistant", "content": [{"text": "hi"}]}], "start with a user message"),
    (user("a") + user("b"), "alternate"),
])
def test_conversation_validation(runtime, messages, fragment):
    with pytest.raises(runtime.exceptions.ValidationException, match=fragment):
        runtime.converse(modelId=MODEL, messages=messages)


def test_out_of_range_parameters_are_rejected(runtime):
    with pytest.raises(runtime.exceptions.ValidationException, match="temperature"):
        ask(runtime, "hi", inferenceConfig={"temperature": 1.5})
    with pytest.raises(runtime.exceptions.ValidationException, match="maximum tokens"):
        ask(runtime, "hi", inferenceConfig={"maxTokens": 10_000_000})


def test_malformed_invoke_body(runtime):
    with pytest.raises(runtime.exceptions.ValidationException, match="Malformed"):
        runtime.invoke_model(modelId=MODEL, body=b"{not json")


def test_input_longer_than_the_context_window_is_rejected(runtime):
    long_text = "word " * 9000  # Cohere Embed English v3 takes 512 tokens; Mistral 7B 32k
    with pytest.raises(runtime.exceptions.ValidationException, match="Input is too long"):
        ask(runtime, long_text * 4, modelId="mistral.mistral-7b-instruct-v0:2")
