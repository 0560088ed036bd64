"""utils.metrics: time series from invocation logs, PutMetricData items, publishing offline and
reading back with GetMetricData (the same numbers), and the live-mode no-op."""

from __future__ import annotations

import datetime as dt
import uuid

import boto3
from botocore.config import Config

from utils import metrics

MODEL = "amazon.nova-micro-v1:0"
OTHER = "amazon.nova-lite-v1:0"
T0 = dt.datetime(2025, 3, 4, 10, 0, 0, tzinfo=dt.timezone.utc)


def rec(seconds: float, model: str = MODEL, latency: float = 100.0, tokens=(10, 20),
        error: dict | None = None) -> dict:
    ts = (T0 + dt.timedelta(seconds=seconds)).isoformat(timespec="milliseconds")
    return {"timestamp": ts.replace("+00:00", "Z"), "modelId": model, "requestId": f"r{seconds}",
            "operation": "Converse", "latencyMs": latency, "error": error,
            "input": {"inputTokenCount": 0 if error else tokens[0]},
            "output": {"outputTokenCount": 0 if error else tokens[1]}}


THROTTLE = {"code": "ThrottlingException", "message": "slow down", "status": 429}
SERVER = {"code": "ServiceUnavailableException", "message": "", "status": 503}
CLIENT = {"code": "ValidationException", "message": "", "status": 400}


def test_timeseries_buckets_counts_and_percentiles_by_hand():
    records = [rec(1, latency=10), rec(2, latency=20), rec(3, latency=30), rec(4, latency=40),
               rec(5, error=THROTTLE), rec(12, latency=50), rec(13, error=SERVER),
               rec(14, error=CLIENT), rec(15, model=OTHER, latency=7, tokens=(1, 2))]
    rows = metrics.timeseries(records, period_s=10)
    assert [(r["Timestamp"].second, r["ModelId"]) for r in rows] == [
        (0, MODEL), (10, OTHER), (10, MODEL)]  # by time, then model id
    first, other, second = rows
    assert first["Invocations"] == 4 and first["InvocationThrottles"] == 1
    assert first["InputTokenCount"] == 40 and first["OutputTokenCount"] == 80
    # p50 of 10,20,30,40 by linear interpolation: 25; p90: 37; p99: 39.7
    assert (first["LatencyP50Ms"], first["LatencyP90Ms"], first["LatencyP99Ms"]) == (25, 37, 39.7)
    assert second["InvocationServerErrors"] == 1 and second["InvocationClientErrors"] == 1
    assert second["LatencyP90Ms"] == 50
    assert other["Invocations"] == 1 and other["LatencyP50Ms"] == 7


def test_rows_from_metric_data_fill_missing_counts_with_zero():
    ts = [T0, T0 + dt.timedelta(seconds=60)]
    results = [{"Label": f"{MODEL} Invocations", "Timestamps": ts, "Values": [3.0, 1.0]},
               {"Label": f"{MODEL} InvocationThrottles", "Timestamps": ts[1:], "Values": [2.0]},
               {"Label": f"{MODEL} LatencyP90Ms", "Timestamps": ts[:1], "Values": [12.345]}]
    rows = metrics.rows_from_metric_data(results)
    assert [r["Invocations"] for r in rows] == [3, 1]
    assert [r["InvocationThrottles"] for r in rows] == [0, 2]
    assert [r["LatencyP90Ms"] for r in rows] == [12.3, None]



def _one_period_rows():
    """12 calls within 15 ms, as 08.06 makes them: one 1-second period."""
    records = [rec(0.003 + i / 1000, model=(MODEL, OTHER)[i % 2], latency=10 + i,
                   error=THROTTLE if i >= 8 else None) for i in range(12)]
    return metrics.timeseries(records, period_s=1)


def test_plot_of_calls_within_one_period_keeps_bars_and_axis_to_that_period():
    import matplotlib

    matplotlib.use("Agg")
    rows = _one_period_rows()
    assert len({r["Timestamp"] for r in rows}) == 1
    fig = metrics.plot_timeseries(rows, period_s=1)
    fig.canvas.draw()
    latency, tokens, calls = fig.axes
    widths_s = [bar.get_width() * 86400 for ax in (tokens, calls) for bar in ax.patches]
    assert widths_s and all(abs(w - 0.8) < 1e-6 for w in widths_s)  # 80 % of the 1 s period
    for ax in fig.axes:  # the axis spans the period (not 43 s bars over days of axis)
        lo, hi = ax.get_xlim()
        assert (hi - lo) * 86400 < 2
        labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        assert len(set(labels)) == len(labels) > 1 and "00:00:00" not in labels
    from matplotlib.dates import date2num

    bar_start = tokens.patches[0].get_x()  # bars start at the period, latency at its middle
    assert abs(date2num(latency.lines[0].get_xdata()[0]) - (bar_start + 0.5 / 86400)) < 1e-9


def test_plot_without_a_period_uses_the_smallest_gap():
    import matplotlib

    matplotlib.use("Agg")
    rows = metrics.timeseries([rec(0), rec(10), rec(30)], period_s=10)
    fig = metrics.plot_timeseries(rows)
    assert {round(b.get_width() * 86400, 6) for b in fig.axes[1].patches} == {8.0}


def test_the_engine_publishes_bedrocks_metrics_for_every_call(ws):
    """As Bedrock does, with no step in the notebook: each call's AWS/Bedrock datums (ModelId:
    here an application profile, so no other test's calls mix in) are in CloudWatch when read;
    the counts and tokens equal the session's invocation log, and Bedrock's latency (measured on
    its side) is at most the latency the SDK measured."""
    from utils import cost

    bedrock = boto3.client("bedrock")
    arn = bedrock.create_inference_profile(
        inferenceProfileName=f"metrics-{uuid.uuid4().hex[:6]}",
        modelSource={"copyFrom": cost.copy_from(MODEL, ws.region, "123456789012")})["inferenceProfileArn"]
    ws.configure_faults(rpm=6)
    rt = boto3.client("bedrock-runtime", config=Config(retries={"total_max_attempts": 1}))
    msg = [{"role": "user", "content": [{"text": "Count me."}]}]
    for _ in range(9):
        try:
            rt.converse(modelId=arn, messages=msg)
        except rt.exceptions.ThrottlingException:
            pass
    records = [r for r in ws.logger.records if r["modelId"] == arn]
    assert sum(metrics.classify(r) == "throttle" for r in records) == 3
    dim = metrics.model_dimension(arn)
    read = metrics.read_cloudwatch([dim], minutes=10, period_s=60)
    computed = metrics.timeseries([{**r, "modelId": dim} for r in records], period_s=60)
    counts = ("Invocations", "InvocationClientErrors", "InvocationServerErrors",
              "InvocationThrottles", "InputTokenCount", "OutputTokenCount")
    assert [{k: r[k] for k in ("Timestamp", "ModelId", *counts)} for r in read] == \
        [{k: r[k] for k in ("Timestamp", "ModelId", *counts)} for r in computed]
    assert sum(r["Invocations"] for r in read) == 6 and sum(r["InvocationThrottles"] for r in read) == 3
    assert max(r["LatencyP99Ms"] for r in read) <= max(r["LatencyP99Ms"] for r in computed)
    assert metrics.read_cloudwatch([dim], minutes=10, period_s=60) == read  # published once
    bedrock.delete_inference_profile(inferenceProfileIdentifier=arn)
