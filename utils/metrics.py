"""Bedrock's CloudWatch runtime metrics, computed from invocation-log records.

Names and meanings follow the AWS/Bedrock namespace: Invocations (successful calls),
InvocationLatency (ms), InvocationClientErrors, InvocationServerErrors, InvocationThrottles,
InputTokenCount, OutputTokenCount; dimension ModelId.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Iterable

from utils.display import Table
from local_bedrock.catalog import cost_usd

METRIC_NAMES = ("Invocations", "InvocationLatency", "InvocationClientErrors",
                "InvocationServerErrors", "InvocationThrottles", "InputTokenCount",
                "OutputTokenCount")
THROTTLE_CODES = {"ThrottlingException", "TooManyRequestsException"}
_SERVER_STATUSES = {500, 502, 503, 504, 408}


def classify(record: dict) -> str:
    """'ok', 'throttle', 'client' or 'server' for one invocation-log record."""
    err = record.get("error")
    if not err:
        return "ok"
    if err.get("code") in THROTTLE_CODES or err.get("status") == 429:
        return "throttle"
    if err.get("status") in _SERVER_STATUSES or err.get("code", "").endswith(
            ("ServerException", "UnavailableException", "TimeoutException")):
        return "server"
    return "client"


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
        for name in METRIC_NAMES:
            if name != "InvocationLatency":
                row[name] = sum(p[name] for p in points)
        row["LatencyAvgMs"] = round(sum(lat) / len(lat), 1) if lat else 0.0
        for q in (50, 90, 99):
            row[f"LatencyP{q}Ms"] = round(percentile(lat, q), 1)
        row["CostUSD"] = round(cost_usd(key, row["InputTokenCount"], row["OutputTokenCount"]), 6)
        rows.append(row)
    return rows


def table(records: Iterable[dict] | None = None, by: str = "ModelId") -> Table:
    """The summary as a displayable table (default: this process's calls)."""
    cols = [by, "Invocations", "InvocationClientErrors", "InvocationServerErrors",
            "InvocationThrottles", "InputTokenCount", "OutputTokenCount", "LatencyP50Ms",
            "LatencyP90Ms", "CostUSD"]
    return Table(summary(_default(records), by), cols, title="Bedrock runtime metrics")


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
        bottom = [b + v for b, v in zip(bottom, vals)]
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
