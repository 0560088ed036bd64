"""utils.cost: prices from the registry, grouping, failed calls free, model and caching what-ifs,
repeated prefixes; hand-computed expectations."""

from __future__ import annotations

import pytest

from local_bedrock.catalog import find
from utils import cost

MICRO, LITE = "amazon.nova-micro-v1:0", "amazon.nova-lite-v1:0"
HAIKU45 = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET = "anthropic.claude-sonnet-4-20250514-v1:0"


def rec(model=MICRO, tin=1000, tout=500, lab="08_llmops", nb="a.ipynb", error=None,
        system="", text="Hi", ts="2025-03-04T10:00:00.000Z", meta=None) -> dict:
    body = {"messages": [{"role": "user", "content": [{"text": text}]}]}
    if system:
        body["system"] = [{"text": system}]
    r = {"modelId": model, "timestamp": ts, "error": error,
         "input": {"inputTokenCount": tin, "inputBodyJson": body},
         "output": {"outputTokenCount": tout},
         "workshop": {"lab": lab, "notebook": nb}}
    if meta:
        r["requestMetadata"] = meta
    return r


def test_record_cost_is_tokens_times_registry_prices_and_failures_are_free():
    m = find(MICRO)
    assert cost.record_cost(rec()) == pytest.approx(1.0 * m.input_price + 0.5 * m.output_price)
    assert cost.record_cost(rec(error={"code": "ThrottlingException"})) == 0
    assert cost.record_cost({**rec(), "errorCode": "ValidationException"}) == 0  # engine-side record
    assert cost.record_cost(rec(model="us." + MICRO)) == cost.record_cost(rec())  # profile = base


def test_summary_groups_by_any_path_costliest_first_with_shares():
    records = [rec(nb="a.ipynb"), rec(nb="a.ipynb"), rec(model=LITE, nb="b.ipynb"),
               rec(nb="b.ipynb", error={"code": "X"}), rec(nb="", meta={"feature": "triage"})]
    rows = {r["workshop.notebook"]: r for r in cost.summary(records, "workshop.notebook")}
    micro = 1.0 * find(MICRO).input_price + 0.5 * find(MICRO).output_price
    lite = 1.0 * find(LITE).input_price + 0.5 * find(LITE).output_price
    assert rows["a.ipynb"]["USD"] == pytest.approx(2 * micro)
    assert rows["b.ipynb"]["USD"] == pytest.approx(lite) and rows["b.ipynb"]["failed"] == 1
    assert rows["(none)"]["calls"] == 1
    assert [r["workshop.notebook"] for r in cost.summary(records, "workshop.notebook")][0] in (
        "a.ipynb", "b.ipynb")
    shares = sum(int(r["share"].rstrip("%")) for r in rows.values())
    assert 99 <= shares <= 101
    by_feature = cost.summary(records, "requestMetadata.feature")
    assert {r["requestMetadata.feature"] for r in by_feature} == {"triage", "(none)"}
    total = cost.table(records, "workshop.lab").rows[-1]
    assert total["workshop.lab"] == "TOTAL" and total["calls"] == 5


def test_what_if_models_reprices_the_same_tokens():
    records = [rec(tin=2000, tout=1000), rec(error={"code": "X"})]
    rows = {r["model"]: r for r in cost.what_if_models(records, [MICRO, SONNET])}
    assert rows[MICRO]["vs actual"] == "1.00x"
    s = find(SONNET)
    assert rows[SONNET]["USD"] == pytest.approx(2 * s.input_price + 1 * s.output_price, abs=1e-6)
    assert float(rows[SONNET]["vs actual"][:-1]) > 10


def test_caching_what_if_by_hand():
    s = find(HAIKU45)  # prompt caching from 4,096 tokens; reads 0.1x, writes 1.25x the input
    out = cost.caching_what_if(HAIKU45, prefix_tokens=5000, other_input_tokens=200,
                               output_tokens=300, calls=100, hit_rate=0.9)
    rest = 100 * (200 * s.input_price + 300 * s.output_price) / 1000
    assert out["USD without"] == pytest.approx(rest + 100 * 5 * s.input_price, abs=1e-4)
    # 90 hits at 0.1x, 10 misses written at 1.25x
    expected = rest + 5 * s.input_price * (90 * 0.10 + 10 * 1.25)
    assert out["USD with cache"] == pytest.approx(expected, abs=1e-4)
    short = cost.caching_what_if(HAIKU45, prefix_tokens=3000, other_input_tokens=200,
                                 output_tokens=300, calls=100)  # below its 4,096-token minimum
    assert not short["cacheable"] and short["USD with cache"] == short["USD without"]
    assert cost.cache_terms(MICRO) == pytest.approx((1.0, 0.25))
    none = cost.caching_what_if("us.meta.llama3-3-70b-instruct-v1:0", prefix_tokens=5000,
                                other_input_tokens=0, output_tokens=0, calls=10)
    assert not none["cacheable"]  # no prompt caching for this model


def test_repeated_prefixes_estimate_tokens_and_reuse_within_ttl():
    system = "You are the support assistant. " * 200  # 6,200 characters
    records = [rec(system=system, text="Where is my order?", tin=1600,
                   ts=f"2025-03-04T10:0{i}:00.000Z") for i in (0, 1, 9)]
    records += [rec(text="one-off"), rec(text="one-off", system="short")]
    (row,) = cost.repeated_prefixes(records)
    assert row["calls"] == 3 and row["reuses within TTL"] == 1  # 10:00->10:01 yes, 10:01->10:09 no
    assert 1500 <= row["est. prefix tokens"] <= 1600 and row["cacheable"]


def test_per_thousand_calls():
    out = cost.per_thousand_calls([rec(tin=100, tout=50), rec(tin=300, tout=150),
                                   rec(error={"code": "X"})])
    assert out["input tokens"] == 200_000 and out["output tokens"] == 100_000
