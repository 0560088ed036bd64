"""The engine publishes Bedrock's AWS/Bedrock runtime metrics itself (local_bedrock.observability.
runtime_metrics): names, units, values with counts, errors classified, the ModelId dimension."""

from __future__ import annotations

import pytest

from local_bedrock.errors import EngineError
from local_bedrock.observability.runtime_metrics import (
    METRIC_NAMES,
    RuntimeMetrics,
    classify,
    model_dimension,
)

MODEL = "amazon.nova-micro-v1:0"
APP_ARN = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/ab12cd34ef56"


class _Engine:
    region = "us-east-1"


def converse(metrics: RuntimeMetrics, model: str = MODEL, latency: float = 10.0,
             tokens=(10, 20), error: EngineError | None = None) -> None:
    """One finished Converse call, as the engine reports it to its observers."""
    output = None if error else {"output": {"message": {"role": "assistant", "content": [{"text": "ok"}]}},
                                 "usage": {"inputTokens": tokens[0], "outputTokens": tokens[1]}}
    metrics(operation="Converse", params={"modelId": model, "messages": []}, output=output,
            error=error, latency_ms=latency, request_id="r", headers={})


def items_by_name(metrics: RuntimeMetrics) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for item in metrics.metric_data():
        out.setdefault(item["MetricName"], []).append(item)
    return out


def test_datums_follow_bedrocks_names_and_count_values():
    m = RuntimeMetrics(_Engine())
    for latency in (10, 10, 30):
        converse(m, latency=latency)
    for _ in range(2):
        converse(m, error=EngineError("ThrottlingException", "Too many requests", 429))
    converse(m, error=EngineError("ValidationException", "bad", 400))
    items = items_by_name(m)
    lat = items["InvocationLatency"]
    assert sum(sum(i["Counts"]) for i in lat) == 3 and lat[0]["Unit"] == "Milliseconds"
    values = {v: c for i in lat for v, c in zip(i["Values"], i["Counts"], strict=True)}
    assert values == {10.0: 2.0, 30.0: 1.0}
    assert sum(sum(i["Counts"]) for i in items["Invocations"]) == 3  # failed calls are not invocations
    assert sum(sum(i["Counts"]) for i in items["InvocationThrottles"]) == 2
    assert sum(sum(i["Counts"]) for i in items["InvocationClientErrors"]) == 1
    assert {v for i in items["InputTokenCount"] for v in i["Values"]} == {10.0}
    assert set(items) <= set(METRIC_NAMES)
    assert all(i["Dimensions"] == [{"Name": "ModelId", "Value": MODEL}] for v in items.values() for i in v)
    assert m.metric_data() == []  # the buffer empties once taken


def test_more_than_150_distinct_values_are_split():
    m = RuntimeMetrics(_Engine())
    for i in range(320):
        converse(m, latency=float(i))
    lat = [i for i in m.metric_data() if i["MetricName"] == "InvocationLatency"]
    assert sum(len(i["Values"]) for i in lat) == 320 and max(len(i["Values"]) for i in lat) == 150


def test_application_profile_calls_are_published_under_the_profile_id():
    m = RuntimeMetrics(_Engine())
    converse(m, model=APP_ARN)
    converse(m)
    assert {i["Dimensions"][0]["Value"] for i in m.metric_data()} == {"ab12cd34ef56", MODEL}
    assert model_dimension("us." + MODEL) == "us." + MODEL  # system profiles: as called


@pytest.mark.parametrize("code, status, kind", [
    (None, None, "ok"), ("ThrottlingException", 429, "throttle"), ("ServiceUnavailableException", 503, "server"),
    ("ModelTimeoutException", 408, "server"), ("ValidationException", 400, "client"),
    ("AccessDeniedException", 403, "client")])
def test_errors_are_classified_like_bedrocks_metrics(code, status, kind):
    assert classify(code, status) == kind


def test_only_model_invocations_count():
    m = RuntimeMetrics(_Engine())
    m(operation="ApplyGuardrail", params={}, output={}, error=None, latency_ms=1.0,
      request_id="r", headers={})
    m(operation="CountTokens", params={"modelId": MODEL}, output={}, error=None, latency_ms=1.0,
      request_id="r", headers={})
    assert m.metric_data() == []
