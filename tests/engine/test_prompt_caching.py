"""Prompt caching, accounted as Bedrock accounts it: writes, reads, TTLs, minimums, latency,
logs, metrics and cost."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from local_bedrock.runtime.prompt_cache import PromptCache

LITE = "amazon.nova-lite-v1:0"  # caching from 1,000 tokens, 5-minute TTL
HAIKU45 = "us.anthropic.claude-haiku-4-5-20251001-v1:0"  # from 4,096 tokens, 5 min and 1 h
CORPUS = Path(__file__).resolve().parents[2] / "03_knowledge_bases" / "data" / "corpus"
POLICY = "\n\n".join(p.read_text() for p in sorted(CORPUS.glob("policy-*.md")))


def ask(runtime, model, question, system_text=POLICY, ttl=None, stream=False):
    point = {"type": "default", **({"ttl": ttl} if ttl else {})}
    kwargs = dict(modelId=model, system=[{"text": system_text}, {"cachePoint": point}],
                  messages=[{"role": "user", "content": [{"text": question}]}],
                  inferenceConfig={"maxTokens": 60})
    if not stream:
        return runtime.converse(**kwargs)
    events = list(runtime.converse_stream(**kwargs)["stream"])
    return events[-1]["metadata"]


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(engine):
    c = Clock()
    engine.state["prompt_cache"] = PromptCache(clock=c)
    return c


def test_first_call_writes_the_prefix_and_the_next_reads_it(runtime, clock):
    first = ask(runtime, LITE, "How long do I have to return a robot?")["usage"]
    assert first["cacheWriteInputTokens"] > 1000 and first["cacheReadInputTokens"] == 0
    assert first["cacheDetails"] == [{"ttl": "5m", "inputTokens": first["cacheWriteInputTokens"]}]
    second = ask(runtime, LITE, "Who pays return shipping?")["usage"]
    assert second["cacheReadInputTokens"] == first["cacheWriteInputTokens"]
    assert second["cacheWriteInputTokens"] == 0 and "cacheDetails" not in second
    assert second["inputTokens"] < 30  # the question only: the prefix is not counted twice
    assert second["totalTokens"] == (second["inputTokens"] + second["outputTokens"]
                                     + second["cacheReadInputTokens"])


def test_the_ttl_expires_unless_a_hit_renews_it(runtime, clock):
    ask(runtime, LITE, "q1")
    clock.now += 240
    assert ask(runtime, LITE, "q2")["usage"]["cacheReadInputTokens"] > 0  # renews to +300 s
    clock.now += 240
    assert ask(runtime, LITE, "q3")["usage"]["cacheReadInputTokens"] > 0
    clock.now += 301
    again = ask(runtime, LITE, "q4")["usage"]
    assert again["cacheReadInputTokens"] == 0 and again["cacheWriteInputTokens"] > 0


def test_one_hour_ttl_where_the_model_offers_it(runtime, clock):
    long_prefix = POLICY * 3  # above Haiku 4.5's 4,096-token minimum
    first = ask(runtime, HAIKU45, "q1", long_prefix, ttl="1h")["usage"]
    assert first["cacheDetails"][0]["ttl"] == "1h"
    clock.now += 1800
    assert ask(runtime, HAIKU45, "q2", long_prefix, ttl="1h")["usage"]["cacheReadInputTokens"]


def test_a_prefix_below_the_minimum_is_not_cached(runtime, clock):
    usage = ask(runtime, HAIKU45, "q", POLICY)["usage"]  # about 1,900 tokens < 4,096
    assert usage["cacheReadInputTokens"] == usage["cacheWriteInputTokens"] == 0
    assert usage["inputTokens"] > 1000
    plain = runtime.converse(modelId=LITE, messages=[{"role": "user", "content": [{"text": "q"}]}])
    assert "cacheReadInputTokens" not in plain["usage"]  # no cache point, no cache fields


def test_a_different_prefix_misses(runtime, clock):
    ask(runtime, LITE, "q1")
    other = ask(runtime, LITE, "q2", POLICY + "\nOne more rule.")["usage"]
    assert other["cacheReadInputTokens"] == 0 and other["cacheWriteInputTokens"] > 0


def test_streams_report_the_same_usage(runtime, clock):
    meta = ask(runtime, LITE, "q1", stream=True)
    assert meta["usage"]["cacheWriteInputTokens"] > 0
    assert ask(runtime, LITE, "q2", stream=True)["usage"]["cacheReadInputTokens"] > 0


def test_a_hit_is_measurably_faster(runtime, clock):
    big = POLICY * 4
    miss = ask(runtime, LITE, "q1", big)["metrics"]["latencyMs"]
    hit = ask(runtime, LITE, "q2", big)["metrics"]["latencyMs"]
    assert hit + 75 < miss  # the simulated prefill (>= 150 ms here) skips the cached tokens


def test_logs_metrics_and_cost_carry_the_cache(ws):
    import utils
    from utils import cost

    runtime = boto3.client("bedrock-runtime")
    for q in ("q1", "q2"):
        ask(runtime, LITE, q)
    first, second = ws.logger.records[-2:]
    assert first["input"]["cacheWriteInputTokenCount"] > 0
    assert second["input"]["cacheReadInputTokenCount"] == first["input"]["cacheWriteInputTokenCount"]
    row = next(r for r in utils.metrics.summary(ws.logger.records) if r["ModelId"] == LITE)
    assert row["CacheReadInputTokenCount"] == second["input"]["cacheReadInputTokenCount"]
    assert "CacheReadInputTokenCount" in utils.metrics.table(ws.logger.records).columns
    published = boto3.client("cloudwatch").list_metrics(
        Namespace="AWS/Bedrock", Dimensions=[{"Name": "ModelId", "Value": LITE}])["Metrics"]
    assert {"CacheReadInputTokenCount", "CacheWriteInputTokenCount"} <= {m["MetricName"] for m in published}
    lite = utils.models.get(LITE)
    read = second["input"]["cacheReadInputTokenCount"]
    assert cost.record_cost(second) == pytest.approx(
        (second["input"]["inputTokenCount"] * lite.input_price
         + second["output"]["outputTokenCount"] * lite.output_price
         + read * lite.cache_read_price) / 1000)
    assert cost.record_cost(second) < cost.record_cost(first)
