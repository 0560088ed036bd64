"""utils.metrics: time series from invocation logs, PutMetricData items, publishing offline and
reading back with GetMetricData (the same numbers), and the live-mode no-op."""

from __future__ import annotations

import datetime as dt
import sys
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


def test_metric_data_items_follow_bedrock_names_and_count_values():
    records = [rec(1, latency=10), rec(1.2, latency=10), rec(1.5, latency=30),
               rec(2, error=THROTTLE), rec(2.5, error=THROTTLE)]
    items = {(i["MetricName"], i["Timestamp"].second): i for i in metrics.metric_data(records)}
    lat = items[("InvocationLatency", 1)]
    assert dict(zip(lat["Values"], lat["Counts"], strict=True)) == {10.0: 2.0, 30.0: 1.0}
    assert lat["Unit"] == "Milliseconds"
    assert items[("Invocations", 1)]["Values"] == [1.0] and items[("Invocations", 1)]["Counts"] == [3.0]
    assert items[("InvocationThrottles", 2)]["Counts"] == [2.0]
    assert ("Invocations", 2) not in items  # throttled calls are not invocations
    assert all(i["Dimensions"] == [{"Name": "ModelId", "Value": MODEL}] for i in items.values())
    assert {n for n, _ in items} <= set(metrics.METRIC_NAMES)


def test_metric_data_splits_more_than_150_distinct_values():
    records = [rec(1 + i / 1000, latency=float(i)) for i in range(320)]
    lat = [i for i in metrics.metric_data(records) if i["MetricName"] == "InvocationLatency"]
    assert [len(i["Values"]) for i in lat] == [150, 150, 20]


def test_rows_from_metric_data_fill_missing_counts_with_zero():
    ts = [T0, T0 + dt.timedelta(seconds=60)]
    results = [{"Label": f"{MODEL} Invocations", "Timestamps": ts, "Values": [3.0, 1.0]},
               {"Label": f"{MODEL} InvocationThrottles", "Timestamps": ts[1:], "Values": [2.0]},
               {"Label": f"{MODEL} LatencyP90Ms", "Timestamps": ts[:1], "Values": [12.345]}]
    rows = metrics.rows_from_metric_data(results)
    assert [r["Invocations"] for r in rows] == [3, 1]
    assert [r["InvocationThrottles"] for r in rows] == [0, 2]
    assert [r["LatencyP90Ms"] for r in rows] == [12.3, None]



APP_ARN = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/ab12cd34ef56"


def test_application_profile_calls_are_published_under_the_profile_id():
    items = metrics.metric_data([rec(1, model=APP_ARN), rec(2)])
    dims = {i["Dimensions"][0]["Value"] for i in items}
    assert dims == {"ab12cd34ef56", MODEL}  # the id, as Bedrock's metrics carry it; not the ARN
    assert metrics.model_dimension("us." + MODEL) == "us." + MODEL  # system profiles: as called


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


def test_published_metrics_read_back_equal_the_logs(ws):
    ws.configure_faults(rpm=6)
    rt = boto3.client("bedrock-runtime", config=Config(retries={"total_max_attempts": 1}))
    msg = [{"role": "user", "content": [{"text": "Count me."}]}]
    for model in (MODEL, OTHER):
        for _ in range(9):
            try:
                rt.converse(modelId=model, messages=msg)
            except rt.exceptions.ThrottlingException:
                pass
    records = ws.logger.records
    assert sum(metrics.classify(r) == "throttle" for r in records) == 6  # 3 over the quota x 2
    ns = f"Workshop/Test-{uuid.uuid4().hex[:8]}"  # moto's state is shared by every test
    assert metrics.publish_to_cloudwatch(namespace=ns) == 18
    assert metrics.publish_to_cloudwatch(namespace=ns) == 0  # already published: nothing twice
    read = metrics.read_cloudwatch([MODEL, OTHER], minutes=10, period_s=60, namespace=ns)
    computed = metrics.timeseries(records, period_s=60)
    assert read == computed
    assert sum(r["Invocations"] for r in read) == 12


def test_publishing_is_a_no_op_in_live_mode(monkeypatch, capsys):
    class LiveWorkshop:  # a stub standing in for a live-mode Workshop
        mode, region = "live", "us-east-1"

    class NoCalls:  # a stub CloudWatch client that fails if it is used
        def put_metric_data(self, **kw):
            raise AssertionError("live mode must not publish")

    monkeypatch.setattr(sys.modules["utils.setup"], "_current", LiveWorkshop())
    assert metrics.publish_to_cloudwatch([rec(1)], cloudwatch=NoCalls()) == 0
    assert "publishes AWS/Bedrock metrics itself" in capsys.readouterr().out
