"""Bedrock's CloudWatch runtime metrics: computed from this session's invocation-log records,
and read back from CloudWatch, where Bedrock publishes them itself for every call (offline, the
engine does: :mod:`local_bedrock.observability.runtime_metrics`).

Names and meanings follow the AWS/Bedrock namespace: Invocations (successful calls),
InvocationLatency (ms), InvocationClientErrors, InvocationServerErrors, InvocationThrottles,
InputTokenCount, OutputTokenCount; dimension ModelId.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Iterable

from local_bedrock.catalog import cost_usd
from local_bedrock.observability.runtime_metrics import (  # one definition, shared with the engine
    CACHE_METRIC_NAMES,
    METRIC_NAMES,
    THROTTLE_CODES,
    model_dimension,
)
from local_bedrock.observability.runtime_metrics import classify as classify_error
from utils.display import Table

__all__ = ["CACHE_METRIC_NAMES", "METRIC_NAMES", "THROTTLE_CODES", "model_dimension"]


def classify(record: dict) -> str:
    """'ok', 'throttle', 'client' or 'server' for one invocation-log record."""
    err = record.get("error") or {}
    return classify_error(err.get("code"), err.get("status")) if err else "ok"


def datapoints(records: Iterable[dict]) -> list[dict]:
    """One row per record: timestamp, ModelId and the value of each metric for that call."""
    out = []
    for r in records:
        kind = classify(r)
        out.append({
            "Timestamp": dt.datetime.fromisoformat(r["timestamp"].replace("Z", "+00:00")),
            "ModelId": r["modelId"],
            "Invocations": int(kind == "ok"),
            "InvocationLatency": r.get("latencyMs", 0.0) if kind == "ok" else None,
            "InvocationClientErrors": int(kind == "client"),
            "InvocationServerErrors": int(kind == "server"),
            "InvocationThrottles": int(kind == "throttle"),
            "InputTokenCount": r["input"].get("inputTokenCount", 0),
            "OutputTokenCount": r["output"].get("outputTokenCount", 0),
            "CacheReadInputTokenCount": r["input"].get("cacheReadInputTokenCount", 0),
            "CacheWriteInputTokenCount": r["input"].get("cacheWriteInputTokenCount", 0),
        })
    return out


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    s = sorted(values)
    k = (len(s) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary(records: Iterable[dict], by: str = "ModelId") -> list[dict]:
    """Per-model totals (sums of counts, latency avg/p50/p90/p99, estimated cost)."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for p in datapoints(records):
        groups[p[by]].append(p)
    rows = []
    for key, points in sorted(groups.items()):
        lat = [p["InvocationLatency"] for p in points if p["InvocationLatency"] is not None]
        row = {by: key}
        for name in METRIC_NAMES + CACHE_METRIC_NAMES:
            if name != "InvocationLatency":
                row[name] = sum(p[name] for p in points)
        row["LatencyAvgMs"] = round(sum(lat) / len(lat), 1) if lat else 0.0
        for q in (50, 90, 99):
            row[f"LatencyP{q}Ms"] = round(percentile(lat, q), 1)
        row["CostUSD"] = round(cost_usd(key, row["InputTokenCount"], row["OutputTokenCount"],
                                        row["CacheReadInputTokenCount"],
                                        row["CacheWriteInputTokenCount"]), 6)
        rows.append(row)
    return rows


def table(records: Iterable[dict] | None = None, by: str = "ModelId") -> Table:
    """The summary as a displayable table (default: this process's calls)."""
    rows = summary(_default(records), by)
    cache = [n for n in CACHE_METRIC_NAMES if any(r[n] for r in rows)]  # only when caching
    cols = [by, "Invocations", "InvocationClientErrors", "InvocationServerErrors",
            "InvocationThrottles", "InputTokenCount", "OutputTokenCount", *cache, "LatencyP50Ms",
            "LatencyP90Ms", "CostUSD"]
    return Table(rows, cols, title="Bedrock runtime metrics")


def plot(records: Iterable[dict] | None = None, by: str = "ModelId"):
    """One figure: invocations and errors, tokens, and latency percentiles per model."""
    import matplotlib.pyplot as plt

    rows = summary(_default(records), by)
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    names = [r[by].split(".")[-1][:28] for r in rows]
    x = range(len(rows))
    bottom = [0] * len(rows)
    for metric, colour in (("Invocations", "#4c78a8"), ("InvocationClientErrors", "#f58518"),
                           ("InvocationServerErrors", "#e45756"), ("InvocationThrottles", "#b279a2")):
        vals = [r[metric] for r in rows]
        axes[0].bar(x, vals, bottom=bottom, label=metric, color=colour)
        bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
    axes[0].set_title("Calls by outcome")
    axes[0].legend(fontsize=7)
    w = 0.4
    axes[1].bar([i - w / 2 for i in x], [r["InputTokenCount"] for r in rows], w, label="InputTokenCount")
    axes[1].bar([i + w / 2 for i in x], [r["OutputTokenCount"] for r in rows], w, label="OutputTokenCount")
    axes[1].set_title("Tokens")
    axes[1].legend(fontsize=7)
    for q, marker in ((50, "o"), (90, "s"), (99, "^")):
        axes[2].plot(list(x), [r[f"LatencyP{q}Ms"] for r in rows], marker, label=f"p{q}")
    axes[2].set_title("InvocationLatency (ms)")
    axes[2].legend(fontsize=7)
    for ax in axes:
        ax.set_xticks(list(x))
        ax.set_xticklabels(names, rotation=20, ha="right", fontsize=8)
    fig.tight_layout()
    return fig


def _default(records: Iterable[dict] | None) -> list[dict]:
    if records is not None:
        return list(records)
    from utils.setup import current

    return current().logger.records if current() else []


# -- over time, and CloudWatch -------------------------------------------------------------------
_COUNTS = ("Invocations", "InvocationClientErrors", "InvocationServerErrors",
           "InvocationThrottles", "InputTokenCount", "OutputTokenCount")


def _bucket(ts: dt.datetime, period_s: int) -> dt.datetime:
    epoch = int(ts.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % period_s, dt.timezone.utc)


def timeseries(records: Iterable[dict] | None = None, period_s: int = 60) -> list[dict]:
    """Rows per (period start, ModelId): the six counts summed and latency p50/p90/p99 (ms),
    computed from invocation-log records (default: this process's calls)."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for p in datapoints(_default(records)):
        groups[(_bucket(p["Timestamp"], period_s), p["ModelId"])].append(p)
    rows = []
    for (ts, model), points in sorted(groups.items()):
        lat = [p["InvocationLatency"] for p in points if p["InvocationLatency"] is not None]
        row = {"Timestamp": ts, "ModelId": model}
        row.update({name: sum(p[name] for p in points) for name in _COUNTS})
        for q in (50, 90, 99):
            row[f"LatencyP{q}Ms"] = round(percentile(lat, q), 1) if lat else None
        rows.append(row)
    return rows


def metric_queries(model_ids: Iterable[str], period_s: int = 60,
                   namespace: str = "AWS/Bedrock") -> list[dict]:
    """GetMetricData queries for every model: Sum of the six counts, p50/p90/p99 latency.
    Query ids are m<model index>_<metric index>; labels are "<ModelId> <column>"."""
    queries = []
    for i, model in enumerate(model_ids):
        wanted = [(name, "Sum", name) for name in _COUNTS] + \
            [("InvocationLatency", f"p{q}", f"LatencyP{q}Ms") for q in (50, 90, 99)]
        for j, (name, stat, column) in enumerate(wanted):
            queries.append({"Id": f"m{i}_{j}", "Label": f"{model} {column}", "MetricStat": {
                "Metric": {"Namespace": namespace, "MetricName": name,
                           "Dimensions": [{"Name": "ModelId", "Value": model}]},
                "Period": period_s, "Stat": stat}})
    return queries


def rows_from_metric_data(results: list[dict]) -> list[dict]:
    """GetMetricData `MetricDataResults` (from `metric_queries`) as rows shaped like
    `timeseries`: one per (Timestamp, ModelId); counts absent from a period are 0."""
    rows: dict[tuple, dict] = {}
    for res in results:
        model, column = res["Label"].rsplit(" ", 1)
        for ts, value in zip(res["Timestamps"], res["Values"], strict=True):
            ts = ts.astimezone(dt.timezone.utc)
            row = rows.setdefault((ts, model), {"Timestamp": ts, "ModelId": model,
                                                **{c: 0 for c in _COUNTS},
                                                **{f"LatencyP{q}Ms": None for q in (50, 90, 99)}})
            row[column] = round(value, 1) if column.startswith("Latency") else int(value)
    return [rows[k] for k in sorted(rows)]


def read_cloudwatch(model_ids: Iterable[str], minutes: int = 60, period_s: int = 60,
                    cloudwatch=None, namespace: str = "AWS/Bedrock") -> list[dict]:
    """The last `minutes` of Bedrock runtime metrics per model, read with GetMetricData
    (paginated), as `timeseries`-shaped rows."""
    if cloudwatch is None:
        import boto3

        cloudwatch = boto3.client("cloudwatch")
    end = _bucket(dt.datetime.now(dt.timezone.utc), period_s) + dt.timedelta(seconds=period_s)
    start = end - dt.timedelta(minutes=minutes)  # aligned to the period, as CloudWatch rounds
    queries = metric_queries(list(model_ids), period_s, namespace)
    results: list[dict] = []
    for i in range(0, len(queries), 500):
        kwargs = {"MetricDataQueries": queries[i:i + 500], "StartTime": start, "EndTime": end,
                  "ScanBy": "TimestampAscending"}
        while True:
            page = cloudwatch.get_metric_data(**kwargs)
            results += page["MetricDataResults"]
            if not page.get("NextToken"):
                break
            kwargs["NextToken"] = page["NextToken"]
    return rows_from_metric_data(results)


def plot_timeseries(rows: list[dict], title: str = "", period_s: int | None = None):
    """Three panels over time: latency p50/p90/p99 per model, tokens in/out, and calls by
    outcome (invocations, throttles, client and server errors), summed over models.

    Each row covers one period from its Timestamp (`timeseries`, `read_cloudwatch`): a bar spans
    80 % of it and latency points sit at its middle; the time axis covers exactly the periods
    shown, so calls that all fall within one period still get a readable axis. Pass the
    `period_s` the rows were computed with; without it, the smallest gap between rows is used
    (60 s for a single period)."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    models = sorted({r["ModelId"] for r in rows})
    times = sorted({r["Timestamp"] for r in rows})
    period = dt.timedelta(seconds=period_s or _smallest_gap(times) or 60)
    middle = period / 2
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, model in enumerate(models):
        mine = [r for r in rows if r["ModelId"] == model and r["LatencyP50Ms"] is not None]
        for q, style in ((50, ":"), (90, "-"), (99, "--")):
            axes[0].plot([r["Timestamp"] + middle for r in mine],
                         [r[f"LatencyP{q}Ms"] for r in mine], style, marker=".",
                         color=colours[i % len(colours)],
                         label=f"{model.split('.')[-1][:20]} p{q}")
    axes[0].set_title("InvocationLatency (ms, log scale)")
    if any(r["LatencyP50Ms"] for r in rows):
        from matplotlib.ticker import FuncFormatter, NullFormatter

        axes[0].set_yscale("log")
        plain = FuncFormatter(lambda v, _pos: f"{v:g}")  # 15, not 1.5 x 10^1
        axes[0].yaxis.set_major_formatter(plain)
        lat = [r[f"LatencyP{q}Ms"] for r in rows for q in (50, 90, 99)
               if r[f"LatencyP{q}Ms"]]
        # minor ticks get labels only within one decade (else they crowd into each other)
        axes[0].yaxis.set_minor_formatter(plain if max(lat) < 10 * min(lat) else NullFormatter())
    total = {t: defaultdict(int) for t in times}
    for r in rows:
        for name in _COUNTS:
            total[r["Timestamp"]][name] += r[name]
    width = period.total_seconds() / 86400 * 0.8  # matplotlib dates are in days
    axes[1].bar(times, [total[t]["InputTokenCount"] for t in times], width, align="edge",
                label="InputTokenCount", color="#4c78a8")
    axes[1].bar(times, [total[t]["OutputTokenCount"] for t in times], width, align="edge",
                bottom=[total[t]["InputTokenCount"] for t in times], label="OutputTokenCount",
                color="#72b7b2")
    axes[1].set_title("Tokens")
    bottom = [0] * len(times)
    for name, colour in (("Invocations", "#4c78a8"), ("InvocationThrottles", "#b279a2"),
                         ("InvocationClientErrors", "#f58518"),
                         ("InvocationServerErrors", "#e45756")):
        vals = [total[t][name] for t in times]
        axes[2].bar(times, vals, width, bottom=bottom, align="edge", label=name, color=colour)
        bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
    axes[2].set_title("Calls by outcome")
    for ax in axes:
        ax.legend(fontsize=7)
        if times:  # exactly the periods shown, with a margin of a tenth of a period
            ax.set_xlim(times[0] - period / 10, times[-1] + period * 1.1)
        locator = mdates.AutoDateLocator(minticks=3, maxticks=6)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.tick_params(axis="x", labelsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _smallest_gap(times: list[dt.datetime]) -> float | None:
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
    return min(gaps) if gaps else None


# -- guardrails: AWS/Bedrock/Guardrails ------------------------------------------------------------
# Metric and dimension names: https://docs.aws.amazon.com/bedrock/latest/userguide/
# monitoring-guardrails-cw-metrics.html (checked 2026-12-07). Offline the engine publishes them
# (local_bedrock/observability/guardrail_metrics.py); live, Bedrock does.
GUARDRAIL_NAMESPACE = "AWS/Bedrock/Guardrails"
POLICY_TYPES = ("ContentPolicy", "TopicPolicy", "WordPolicy", "SensitiveInformationPolicy",
                "ContextualGroundingPolicy")


def guardrail_versions(cloudwatch, namespace: str = GUARDRAIL_NAMESPACE) -> list[tuple[str, str]]:
    """(GuardrailArn, GuardrailVersion) pairs that have an `Invocations` metric (list_metrics)."""
    pairs = set()
    for page in cloudwatch.get_paginator("list_metrics").paginate(Namespace=namespace,
                                                                  MetricName="Invocations"):
        for m in page["Metrics"]:
            dims = {d["Name"]: d["Value"] for d in m["Dimensions"]}
            if set(dims) == {"GuardrailArn", "GuardrailVersion"}:
                pairs.add((dims["GuardrailArn"], dims["GuardrailVersion"]))
    return sorted(pairs)


def guardrail_queries(versions: list[tuple[str, str]], period_s: int,
                      namespace: str = GUARDRAIL_NAMESPACE) -> list[dict]:
    """GetMetricData queries: Sum of InvocationsIntervened and TextUnitCount per policy type
    (ids p<i>_<j>), Sum of Invocations and InvocationsIntervened per guardrail version
    (v<i>_<j>); labels say which series."""
    def stat(qid, label, name, dims):
        return {"Id": qid, "Label": label, "MetricStat": {
            "Metric": {"Namespace": namespace, "MetricName": name,
                       "Dimensions": [{"Name": k, "Value": v} for k, v in dims]},
            "Period": period_s, "Stat": "Sum"}}

    queries = [stat(f"p{i}_{j}", f"policy|{policy}|{name}", name,
                    [("GuardrailPolicyType", policy)])
               for i, policy in enumerate(POLICY_TYPES)
               for j, name in enumerate(("InvocationsIntervened", "TextUnitCount"))]
    queries += [stat(f"v{i}_{j}", f"version|{arn}|{version}|{name}", name,
                     [("GuardrailArn", arn), ("GuardrailVersion", version)])
                for i, (arn, version) in enumerate(versions)
                for j, name in enumerate(("Invocations", "InvocationsIntervened"))]
    return queries


def read_guardrail_metrics(cloudwatch=None, minutes: int = 60, expect_invocations: int = 0,
                           wait_s: float = 0, namespace: str = GUARDRAIL_NAMESPACE) -> dict:
    """Guardrail interventions over the last `minutes` (one period), read with GetMetricData:
    {"policy": rows per GuardrailPolicyType, "version": rows per guardrail version}. Live,
    Bedrock's metrics arrive a minute or two after the calls: with `wait_s`, poll until the
    versions add up to `expect_invocations` evaluations or the time is up."""
    import time

    if cloudwatch is None:
        import boto3

        cloudwatch = boto3.client("cloudwatch")
    deadline = time.monotonic() + wait_s
    while True:
        end = _bucket(dt.datetime.now(dt.timezone.utc), 60) + dt.timedelta(minutes=1)
        queries = guardrail_queries(guardrail_versions(cloudwatch, namespace), minutes * 60,
                                    namespace)
        sums: dict[str, float] = {}
        for i in range(0, len(queries), 500):
            page = cloudwatch.get_metric_data(MetricDataQueries=queries[i:i + 500],
                                              StartTime=end - dt.timedelta(minutes=minutes),
                                              EndTime=end)
            sums.update({r["Label"]: sum(r["Values"]) for r in page["MetricDataResults"]})
        summary = _guardrail_rows(sums)
        seen = sum(r["Invocations"] for r in summary["version"])
        if seen >= expect_invocations or time.monotonic() >= deadline:
            return summary
        time.sleep(10)


def _guardrail_rows(sums: dict[str, float]) -> dict:
    policy = [{"GuardrailPolicyType": p,
               "InvocationsIntervened": int(sums.get(f"policy|{p}|InvocationsIntervened", 0)),
               "TextUnitCount": int(sums.get(f"policy|{p}|TextUnitCount", 0))}
              for p in POLICY_TYPES]
    versions: dict[tuple, dict] = {}
    for label, value in sums.items():
        kind, *rest = label.split("|")
        if kind == "version":
            arn, version, name = rest
            row = versions.setdefault((arn, version), {
                "guardrail": arn.rsplit("/", 1)[-1], "GuardrailVersion": version,
                "Invocations": 0, "InvocationsIntervened": 0})
            row[name] = int(value)
    rows = []
    for row in (versions[k] for k in sorted(versions)):
        rate = row["InvocationsIntervened"] / row["Invocations"] if row["Invocations"] else 0
        rows.append({**row, "intervened": f"{rate:.0%}"})
    return {"policy": [r for r in policy if r["TextUnitCount"] or r["InvocationsIntervened"]],
            "version": rows}


def plot_guardrail_interventions(summary: dict, title: str = ""):
    """Two panels: interventions per policy type, and evaluations vs interventions per
    guardrail version (from `read_guardrail_metrics`)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 3.2))
    policies = summary["policy"]
    axes[0].barh([r["GuardrailPolicyType"] for r in policies],
                 [r["InvocationsIntervened"] for r in policies], color="#e45756")
    axes[0].set_title("InvocationsIntervened per GuardrailPolicyType")
    versions = summary["version"]
    names = [f"{r['guardrail'][:12]} v{r['GuardrailVersion']}" for r in versions]
    axes[1].barh(names, [r["Invocations"] for r in versions], color="#bab0ac",
                 label="Invocations")
    axes[1].barh(names, [r["InvocationsIntervened"] for r in versions], color="#e45756",
                 label="InvocationsIntervened")
    axes[1].set_title("Per guardrail version")
    axes[1].legend(fontsize=7)
    for ax in axes:
        ax.invert_yaxis()
        ax.tick_params(labelsize=8)
        if not ax.patches:
            ax.text(0.5, 0.5, "no guardrail metrics yet", ha="center", va="center",
                    transform=ax.transAxes)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
