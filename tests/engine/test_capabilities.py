"""Per-model capabilities: what a model does not support fails as Bedrock fails it, per model."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

MSG = [{"role": "user", "content": [{"text": "Hello"}]}]
TOOLS = {"tools": [{"toolSpec": {"name": "lookup", "description": "Look something up",
                                 "inputSchema": {"json": {"type": "object"}}}}]}
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
       b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe"
       b"\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")
MICRO, LITE, MISTRAL7B = ("amazon.nova-micro-v1:0", "amazon.nova-lite-v1:0",
                          "mistral.mistral-7b-instruct-v0:2")
LLAMA, HAIKU45, HAIKU55 = ("us.meta.llama3-3-70b-instruct-v1:0",
                           "us.anthropic.claude-haiku-4-5-20251001-v1:0",
                           "us.anthropic.claude-haiku-5-5")


def refused(call, **kwargs) -> str:
    with pytest.raises(ClientError) as err:
        result = call(**kwargs)
        for _ in result.get("stream", []):
            pass
    assert err.value.response["Error"]["Code"] == "ValidationException"
    return err.value.response["Error"]["Message"]


def test_system_prompts_only_where_the_model_takes_them(runtime):
    system = [{"text": "Be brief."}]
    assert "doesn't support system messages" in refused(
        runtime.converse, modelId=MISTRAL7B, messages=MSG, system=system)
    assert runtime.converse(modelId=LITE, messages=MSG, system=system)["stopReason"]


def test_tool_use_and_streaming_tool_use(runtime):
    assert refused(runtime.converse, modelId=MISTRAL7B, messages=MSG,
                   toolConfig=TOOLS) == "This model doesn't support tool use."
    assert runtime.converse(modelId=LLAMA, messages=MSG, toolConfig=TOOLS)
    assert refused(runtime.converse_stream, modelId=LLAMA, messages=MSG,
                   toolConfig=TOOLS) == "This model doesn't support tool use in streaming mode."
    events = list(runtime.converse_stream(modelId=LITE, messages=MSG, toolConfig=TOOLS)["stream"])
    assert "messageStop" in events[-2] or "metadata" in events[-1]
    forced = {**TOOLS, "toolChoice": {"any": {}}}
    assert "toolConfig.toolChoice.any" in refused(runtime.converse, modelId=LLAMA,
                                                  messages=MSG, toolConfig=forced)


def test_images_and_documents_only_for_models_that_read_them(runtime):
    image = [{"role": "user", "content": [{"image": {"format": "png", "source": {"bytes": PNG}}},
                                          {"text": "What is this?"}]}]
    doc = [{"role": "user", "content": [{"document": {"format": "txt", "name": "note",
                                                      "source": {"bytes": b"Kite L1 mows."}}},
                                        {"text": "What mows?"}]}]
    assert "image content block" in refused(runtime.converse, modelId=MICRO, messages=image)
    assert "document content block" in refused(runtime.converse, modelId=MICRO, messages=doc)
    assert runtime.converse(modelId=LITE, messages=image)["stopReason"]


def test_cache_points_follow_each_models_prompt_caching_rules(runtime):
    cached = [{"text": "A long shared instruction."}, {"cachePoint": {"type": "default"}}]
    assert runtime.converse(modelId=LITE, messages=MSG, system=cached)
    hour = [{"text": "x"}, {"cachePoint": {"type": "default", "ttl": "1h"}}]
    assert "prompt caching" in refused(runtime.converse, modelId=LITE, messages=MSG, system=hour)
    assert runtime.converse(modelId=HAIKU45, messages=MSG, system=hour)
    assert "prompt caching" in refused(runtime.converse, modelId=LLAMA, messages=MSG,
                                       system=cached)
    tools = {"tools": [*TOOLS["tools"], {"cachePoint": {"type": "default"}}]}
    assert "prompt caching" in refused(runtime.converse, modelId=LITE, messages=MSG,
                                       toolConfig=tools)  # Nova: system and messages only
    five = [{"text": "x"}] + [{"cachePoint": {"type": "default"}}] * 5
    assert "A maximum of 4" in refused(runtime.converse, modelId=HAIKU45, messages=MSG,
                                       system=five)


def test_service_tiers_latency_optimized_and_unknown_request_fields(runtime):
    assert "serviceTier" in refused(runtime.converse, modelId=LITE, messages=MSG,
                                    serviceTier={"type": "priority"})
    assert runtime.converse(modelId="us.amazon.nova-2-lite-v1:0", messages=MSG,
                            serviceTier={"type": "flex"})
    assert "performanceConfig.latency" in refused(runtime.converse, modelId=LITE, messages=MSG,
                                                  performanceConfig={"latency": "optimized"})
    assert "extraneous key [tempo]" in refused(runtime.converse, modelId=LITE, messages=MSG,
                                               additionalModelRequestFields={"tempo": 3})
    assert runtime.converse(modelId=LITE, messages=MSG, additionalModelRequestFields={
        "inferenceConfig": {"topK": 20}})


def test_count_tokens_only_where_its_page_lists_the_model(runtime):
    for model in (LITE, HAIKU55):
        assert "doesn't support counting tokens" in refused(
            runtime.count_tokens, modelId=model, input={"converse": {"messages": MSG}})
