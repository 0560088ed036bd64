"""Bedrock's OpenAI-compatible APIs on the engine, driven by the real openai SDK over HTTP:
Chat Completions (plain, streamed, tools), Responses (plain, streamed, stateful, tools), the
refusals Bedrock gives (model not on the route, missing auth, runtime-only limits) and error
bodies the SDK turns into the right exception class."""

from __future__ import annotations

import json
import uuid

import openai
import pytest
import requests

from local_bedrock import Engine, EngineServer, FaultConfig
from local_bedrock.replay import Cassette

SOL = "us.openai.gpt-6-sol"  # Chat Completions + Responses on bedrock-runtime (its model card)
NOVA = "amazon.nova-lite-v1:0"  # neither (the API compatibility page)
QUESTION = "What does Amazon Bedrock's Converse API do?"
WEATHER = [{"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string",
                                                             "description": "the city name"}},
                   "required": ["city"]}}}]
RESPONSE_TOOLS = [{"type": "function", **WEATHER[0]["function"]}]


@pytest.fixture
def oa(server):
    """An openai client on the engine's /openai/v1, no retries."""
    return openai.OpenAI(base_url=server.url + "/openai/v1", api_key="test-key", max_retries=0)


def _client_for(engine: Engine):
    srv = EngineServer(engine).start()
    return srv, openai.OpenAI(base_url=srv.url + "/openai/v1", api_key="k", max_retries=0)


# -- Chat Completions ------------------------------------------------------------------------
def test_chat_completion_is_the_converse_answer_in_openai_shape(oa, runtime):
    raw = oa.chat.completions.with_raw_response.create(
        model=SOL, messages=[{"role": "developer", "content": "Answer briefly."},
                             {"role": "user", "content": QUESTION}], max_completion_tokens=80,
        temperature=0)
    assert raw.headers["x-local-bedrock-engine"].startswith("local_bedrock")
    done = raw.parse()
    assert done.object == "chat.completion" and done.id.startswith("chatcmpl-")
    assert done.model == SOL
    conv = runtime.converse(modelId=SOL, system=[{"text": "Answer briefly."}],
                            messages=[{"role": "user", "content": [{"text": QUESTION}]}],
                            inferenceConfig={"maxTokens": 80, "temperature": 0})
    assert done.choices[0].message.content == conv["output"]["message"]["content"][0]["text"]
    assert done.usage.prompt_tokens == conv["usage"]["inputTokens"]
    assert done.usage.completion_tokens == conv["usage"]["outputTokens"] <= 80
    assert done.usage.total_tokens == done.usage.prompt_tokens + done.usage.completion_tokens
    finish = {"end_turn": "stop", "max_tokens": "length"}[conv["stopReason"]]
    assert done.choices[0].finish_reason == finish


def test_chat_stream_is_sse_ending_done_and_adds_up(oa, server):
    messages = [{"role": "user", "content": QUESTION}]
    whole = oa.chat.completions.create(model=SOL, messages=messages, temperature=0)
    chunks = list(oa.chat.completions.create(model=SOL, messages=messages, stream=True,
                                             temperature=0,
                                             stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == whole.usage.total_tokens
    raw = requests.post(server.url + "/openai/v1/chat/completions", timeout=30,
                        headers={"Authorization": "Bearer k"},
                        json={"model": SOL, "messages": messages, "stream": True})
    assert raw.headers["Content-Type"] == "text/event-stream"
    frames = [f for f in raw.text.split("\n\n") if f]
    assert all(f.startswith("data: ") for f in frames) and frames[-1] == "data: [DONE]"


def test_chat_tool_call_then_tool_result(oa):
    ask = [{"role": "user", "content": "What is the weather in Lisbon right now?"}]
    first = oa.chat.completions.create(model=SOL, messages=ask, tools=WEATHER)
    assert first.choices[0].finish_reason == "tool_calls"
    call = first.choices[0].message.tool_calls[0]
    assert call.type == "function" and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Lisbon"}
    result = {"role": "tool", "tool_call_id": call.id,
              "content": json.dumps({"temperature_c": 21, "sky": "sunny"})}
    second = oa.chat.completions.create(
        model=SOL, tools=WEATHER,
        messages=ask + [first.choices[0].message.model_dump(exclude_none=True), result])
    assert second.choices[0].finish_reason == "stop"
    assert "21" in second.choices[0].message.content and "sunny" in second.choices[0].message.content


def test_chat_tool_choice_required_forces_a_call_and_streams_tool_calls(oa):
    hello = [{"role": "user", "content": "Hello there, how are you?"}]
    assert oa.chat.completions.create(model=SOL, messages=hello, tools=WEATHER) \
        .choices[0].finish_reason == "stop"
    forced = oa.chat.completions.create(model=SOL, messages=hello, tools=WEATHER,
                                        tool_choice="required")
    assert forced.choices[0].message.tool_calls[0].function.name == "get_weather"
    chunks = list(oa.chat.completions.create(
        model=SOL, tools=WEATHER, stream=True,
        messages=[{"role": "user", "content": "Weather in Oslo?"}]))
    calls = [tc for c in chunks for tc in (c.choices[0].delta.tool_calls or [])]
    assert calls[0].function.name == "get_weather" and calls[0].id
    assert json.loads("".join(tc.function.arguments or "" for tc in calls)) == {"city": "Oslo"}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


# -- Responses ---------------------------------------------------------------------------------
def test_responses_create_retrieve_and_continue(oa):
    first = oa.responses.create(model=SOL, input=QUESTION, instructions="Answer briefly.")
    assert first.id.startswith("resp_") and first.status == "completed"
    assert first.output_text.startswith("[local engine]")
    assert first.usage.total_tokens == first.usage.input_tokens + first.usage.output_tokens
    again = oa.responses.retrieve(first.id)
    assert again.id == first.id and again.output_text == first.output_text
    follow = oa.responses.create(model=SOL, input="Say that in one sentence.",
                                 previous_response_id=first.id)
    alone = oa.responses.create(model=SOL, input="Say that in one sentence.")
    assert follow.previous_response_id == first.id
    assert follow.usage.input_tokens > alone.usage.input_tokens + first.usage.output_tokens // 2
    unstored = oa.responses.create(model=SOL, input=QUESTION, store=False)
    with pytest.raises(openai.NotFoundError, match="not found"):
        oa.responses.retrieve(unstored.id)
    with pytest.raises(openai.NotFoundError):
        oa.responses.create(model=SOL, input="hi", previous_response_id="resp_unknown")


def test_responses_stream_events(oa):
    whole = oa.responses.create(model=SOL, input=QUESTION, temperature=0)
    events = list(oa.responses.create(model=SOL, input=QUESTION, stream=True, temperature=0))
    kinds = [e.type for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed" and "response.output_item.done" in kinds
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == whole.output_text == events[-1].response.output_text
    assert [e.sequence_number for e in events] == list(range(len(events)))


def test_responses_function_call_round_trip(oa):
    first = oa.responses.create(model=SOL, input="What is the weather in Rome?",
                                tools=RESPONSE_TOOLS)
    call = next(i for i in first.output if i.type == "function_call")
    assert call.name == "get_weather" and json.loads(call.arguments) == {"city": "Rome"}
    second = oa.responses.create(
        model=SOL, previous_response_id=first.id, tools=RESPONSE_TOOLS,
        input=[{"type": "function_call_output", "call_id": call.call_id,
                "output": json.dumps({"temperature_c": 25, "sky": "clear"})}])
    assert "25" in second.output_text and "clear" in second.output_text


def test_responses_runtime_limits_are_refused(oa):
    with pytest.raises(openai.BadRequestError, match="always synchronous"):
        oa.responses.create(model=SOL, input="hi", background=True)
    with pytest.raises(openai.BadRequestError, match="server-side tools"):
        oa.responses.create(model=SOL, input="hi", tools=[{"type": "web_search"}])
    with pytest.raises(openai.BadRequestError, match="default project"):
        oa.responses.create(model=SOL, input="hi", extra_headers={"OpenAI-Project": "proj_team"})


# -- refusals and errors -----------------------------------------------------------------------
def test_model_not_served_on_the_route_is_refused(oa):
    with pytest.raises(openai.BadRequestError) as err:
        oa.chat.completions.create(model=NOVA, messages=[{"role": "user", "content": "hi"}])
    assert err.value.status_code == 400
    assert err.value.body == {"message": f"The model '{NOVA}' does not support the "
                                         "'/v1/chat/completions' API",
                              "type": "invalid_request_error", "param": "model",
                              "code": "validation_error"}
    with pytest.raises(openai.BadRequestError, match="does not support the '/v1/responses' API"):
        oa.responses.create(model=NOVA, input="hi")


def test_gpt_oss_serves_chat_but_not_responses_on_bedrock_runtime():
    srv, oa = _client_for(Engine(region="us-west-2"))
    try:
        ok = oa.chat.completions.create(model="openai.gpt-oss-20b-1:0",
                                        messages=[{"role": "user", "content": "hi"}])
        assert ok.choices[0].message.content
        with pytest.raises(openai.BadRequestError, match="'/v1/responses' API"):
            oa.responses.create(model="openai.gpt-oss-20b-1:0", input="hi")
    finally:
        srv.stop()


@pytest.mark.parametrize("model, error, message", [
    ("no.such-model-v1:0", openai.BadRequestError, "model identifier is invalid"),
    ("openai.gpt-6-sol", openai.BadRequestError, "on-demand throughput isn\u2019t supported"),
    ("eu.openai.gpt-6-sol", openai.BadRequestError, "model identifier is invalid"),
    ("anthropic.claude-3-haiku-20240307-v1:0", openai.NotFoundError, "end of its life"),
])
def test_bedrock_model_errors_map_to_sdk_exceptions(oa, model, error, message):
    with pytest.raises(error, match=message):
        oa.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])


def test_missing_or_empty_auth_is_refused(server):
    url = server.url + "/openai/v1/chat/completions"
    body = {"model": SOL, "messages": [{"role": "user", "content": "hi"}]}
    bare = requests.post(url, json=body, timeout=30)
    assert bare.status_code == 403
    assert bare.json()["error"]["message"] == "Missing Authentication Token"
    oa = openai.OpenAI(base_url=server.url + "/openai/v1", api_key="k", max_retries=0)
    with pytest.raises(openai.PermissionDeniedError, match="API Key is valid"):
        oa.chat.completions.create(**body, extra_headers={"Authorization": "Bearer"})
    with pytest.raises(openai.PermissionDeniedError, match="Missing Authentication Token"):
        oa.chat.completions.create(**body, extra_headers={"Authorization": openai.Omit()})
    signed = requests.post(url, json=body, timeout=30, headers={
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20261207/us-east-1/bedrock/"
                         "aws4_request, SignedHeaders=host, Signature=abc"})
    assert signed.status_code == 200


@pytest.mark.parametrize("body, status, fragment", [
    (b"{not json", 400, "could not parse"),
    (b"[1, 2]", 400, "JSON object"),
    (json.dumps({"model": SOL}).encode(), 400, "messages"),
    (json.dumps({"messages": [{"role": "user", "content": "x"}]}).encode(), 400, "model"),
    (json.dumps({"model": SOL, "messages": [{"role": "robot", "content": "x"}]}).encode(), 400,
     "role"),
    (json.dumps({"model": SOL, "messages": [{"role": "user", "content": "x"}],
                 "temperature": 3}).encode(), 400, "temperature"),
    (json.dumps({"model": SOL, "messages": [{"role": "user", "content": "x"}],
                 "tools": [{"type": "retrieval"}]}).encode(), 400, "tools[0]"),
    (json.dumps({"model": SOL, "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}]}).encode(),
     400, "data URL"),
    (json.dumps({"model": [SOL], "messages": []}).encode(), 400, "model"),
])
def test_malformed_chat_requests_get_openai_error_bodies(server, body, status, fragment):
    got = requests.post(server.url + "/openai/v1/chat/completions", data=body, timeout=30,
                        headers={"Authorization": "Bearer k", "Content-Type": "application/json"})
    assert got.status_code == status
    error = got.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and fragment in error["message"]


def test_unserved_routes_are_404_not_500(oa, server):
    with pytest.raises(openai.NotFoundError, match="not served"):
        oa.models.list()
    got = requests.delete(server.url + "/openai/v1/responses/resp_x", timeout=30,
                          headers={"Authorization": "Bearer k"})
    assert got.status_code == 404 and got.json()["error"]["type"] == "not_found_error"


def test_throttling_is_a_rate_limit_error(engine, oa):
    engine.faults.configure(FaultConfig(rpm=1))
    messages = [{"role": "user", "content": "hi"}]
    oa.chat.completions.create(model=SOL, messages=messages)
    with pytest.raises(openai.RateLimitError) as err:
        oa.chat.completions.create(model=SOL, messages=messages)
    assert err.value.status_code == 429 and err.value.body["type"] == "rate_limit_error"


def test_replay_mode_says_the_sdk_was_not_recorded(tmp_path):
    srv, oa = _client_for(Engine(replay=Cassette(tmp_path / "empty.jsonl")))
    try:
        with pytest.raises(openai.BadRequestError, match="records boto3 calls only"):
            oa.chat.completions.create(model=SOL, messages=[{"role": "user", "content": "hi"}])
    finally:
        srv.stop()


def test_calls_are_delivered_to_the_invocation_log(make_client, oa):
    logs, bedrock = make_client("logs"), make_client("bedrock")
    group = f"/workshop/openai-{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    bedrock.put_model_invocation_logging_configuration(loggingConfig={
        "cloudWatchConfig": {"logGroupName": group,
                             "roleArn": "arn:aws:iam::123456789012:role/logging"},
        "textDataDeliveryEnabled": True})
    done = oa.chat.completions.create(model=SOL, messages=[{"role": "user", "content": "hi"}])
    list(oa.responses.create(model=SOL, input="hi", stream=True))
    with pytest.raises(openai.BadRequestError):
        oa.chat.completions.create(model=NOVA, messages=[{"role": "user", "content": "hi"}])
    records = [json.loads(e["message"]) for e in
               logs.filter_log_events(logGroupName=group)["events"]]
    assert [r["operation"] for r in records] == ["ChatCompletions", "Responses", "ChatCompletions"]
    chat, streamed, refused = records
    assert chat["modelId"] == SOL and chat["input"]["inputTokenCount"] == done.usage.prompt_tokens
    assert chat["output"]["outputBodyJson"]["id"] == done.id
    assert streamed["output"]["outputBodyJson"]["object"] == "response"
    assert refused["errorCode"] == "validation_error" and "output" not in refused


# -- utils.openai_compat: the notebook's client in each mode ------------------------------------
def test_utils_client_offline_and_live_settings(ws, monkeypatch):
    from utils import openai_compat
    from utils.setup import Workshop

    assert openai_compat.base_url() == ws.endpoint_url + "/openai/v1"
    assert openai_compat.model_id() == SOL
    answer = openai_compat.client(max_retries=0).chat.completions.create(
        model=openai_compat.model_id(), messages=[{"role": "user", "content": "hi"}])
    assert answer.choices[0].message.content.startswith("[local engine]")
    live = Workshop(mode="live", region="eu-central-1")
    assert openai_compat.base_url(live) == \
        "https://bedrock-runtime.eu-central-1.amazonaws.com/openai/v1"
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)
    with pytest.raises(RuntimeError, match="needs a Bedrock API key for eu-central-1"):
        openai_compat.api_key(live)
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-abc")
    assert openai_compat.environment(live) == {
        "OPENAI_BASE_URL": "https://bedrock-runtime.eu-central-1.amazonaws.com/openai/v1",
        "OPENAI_API_KEY": "bedrock-api-key-abc"}
