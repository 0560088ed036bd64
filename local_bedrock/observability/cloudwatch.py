"""What real CloudWatch does and moto's CloudWatch does not, added to the engine's moto:

* GetMetricData that keeps the namespace apart (moto ignores it when a query has dimensions);
* percentile statistics (``p50``, ``p90``, ``p99.9``...) in GetMetricData, computed from the raw
  values published with PutMetricData (``Value`` or ``Values``/``Counts``); values published as
  ``StatisticValues`` carry no distribution, so they are left out of percentiles (CloudWatch
  cannot compute exact percentiles from them either);
* metric alarms evaluated against the stored data whenever they are described: the statistic
  over each of the last ``EvaluationPeriods`` periods (ending now), breaching when it compares
  with ``Threshold`` per ``ComparisonOperator``, ALARM when at least ``DatapointsToAlarm`` of them
  breach, OK when enough data does not, ``TreatMissingData`` for periods without data.
  CloudWatch evaluates continuously, once a minute; evaluating on read gives a notebook the same
  state without waiting. Metric-math alarms (``Metrics``) are evaluated the same way, each
  period's expression computed from its queries' statistics (:mod:`.metric_math`);
  anomaly-detection alarms are not evaluated;
* metric math expressions in GetMetricData (moto only copies a series whose id is the whole
  expression).

Both are patches of moto's classes, applied once per process (moto's state is per process too).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading

_PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?|100)$")
_OPS = {
    "GreaterThanThreshold": (lambda v, t: v > t, "greater than"),
    "GreaterThanOrEqualToThreshold": (lambda v, t: v >= t, "greater than or equal to"),
    "LessThanThreshold": (lambda v, t: v < t, "less than"),
    "LessThanOrEqualToThreshold": (lambda v, t: v <= t, "less than or equal to"),
}
_lock = threading.Lock()
_query_lock = threading.Lock()  # get_metric_data swaps a backend method briefly
_patched = False


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100) of values by linear interpolation, as `utils.metrics` computes
    it from logs (CloudWatch does not publish its method; its estimates can differ slightly)."""
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def statistic(points: list, stat: str) -> float | None:
    """A CloudWatch statistic over moto datums (MetricDatum / MetricAggregatedDatum)."""
    singles = [p.value for p in points if hasattr(p, "value")]
    aggs = [p for p in points if not hasattr(p, "value")]
    count = len(singles) + sum(a.sample_count for a in aggs)
    if not count:
        return None
    m = _PERCENTILE.match(stat)
    if m:
        return percentile(singles, float(m.group(1)))
    total = sum(singles) + sum(a.sum for a in aggs)
    if stat == "Sum":
        return total
    if stat == "SampleCount":
        return float(count)
    if stat == "Average":
        return total / count
    if stat == "Minimum":
        return min(singles + [a.min for a in aggs])
    if stat == "Maximum":
        return max(singles + [a.max for a in aggs])
    return None


def evaluate_alarm(alarm, metric_data: list, now: dt.datetime | None = None) -> tuple[str, str]:
    """(state, reason) of a metric alarm over the stored datums, as CloudWatch would decide."""
    now = now or dt.datetime.now(dt.timezone.utc)
    stat = alarm.extended_statistic or alarm.statistic
    mine = _matching(metric_data, alarm.namespace, alarm.metric_name, alarm.dimensions,
                     alarm.unit)
    n = int(alarm.evaluation_periods)
    period = dt.timedelta(seconds=int(alarm.period))
    values = [statistic([p for p in mine if start < _aware(p.timestamp) <= end], stat)
              for start, end in _windows(now, period, n)]
    return _decide(alarm, values)


def evaluate_math_alarm(alarm, metric_data: list, now: dt.datetime | None = None
                        ) -> tuple[str, str]:
    """(state, reason) of a metric-math alarm: per period, each query's statistic, then the
    expression of the query with ReturnData (CloudWatch evaluates the same per period)."""
    from local_bedrock.observability import metric_math

    now = now or dt.datetime.now(dt.timezone.utc)
    queries = alarm.metric_data_queries
    watched = [q for q in queries if _truthy(q.return_data)]
    if len(watched) != 1:
        raise metric_math.MathError("A metric-math alarm needs exactly one query with "
                                    "ReturnData true.")
    stats = [q for q in queries if q.metric_stat is not None]
    period_s = int(next((q.metric_stat.period for q in stats if q.metric_stat.period),
                        watched[0].period or alarm.period or 60))
    points = {q.id: _matching(metric_data, q.metric_stat.metric.namespace,
                              q.metric_stat.metric.metric_name, q.metric_stat.metric.dimensions,
                              q.metric_stat.unit) for q in stats}
    maths = [q for q in queries if q.expression]
    values = []
    for start, end in _windows(now, dt.timedelta(seconds=period_s), int(alarm.evaluation_periods)):
        series = {}
        for q in stats:
            v = statistic([p for p in points[q.id] if start < _aware(p.timestamp) <= end],
                          q.metric_stat.stat)
            series[q.id] = {end: v} if v is not None else {}
        pending = list(maths)  # expressions may use other expressions
        while pending:
            ready = [q for q in pending if metric_math.ids(q.expression) <= set(series)]
            if not ready:
                raise metric_math.MathError("An expression refers to an id that is not another "
                                            "query of the alarm.")
            for q in ready:
                series[q.id] = metric_math.evaluate(q.expression, series, [end])
                pending.remove(q)
        values.append(series.get(watched[0].id, {}).get(end))
    return _decide(alarm, values)


def _matching(metric_data: list, namespace: str, name: str, dimensions, unit) -> list:
    dims = sorted((d.name, d.value) for d in dimensions or [])
    return [p for p in metric_data
            if p.namespace == namespace and p.name == name
            and sorted((d.name, d.value) for d in p.dimensions) == dims
            and (not unit or p.unit == unit)]


def _windows(now: dt.datetime, period: dt.timedelta, n: int) -> list[tuple]:
    """(start, end] of the last n periods ending now, newest first."""
    return [(now - (k + 1) * period, now - k * period) for k in range(n)]


def _truthy(value) -> bool:
    return value is None or value is True or str(value).lower() == "true"


def _decide(alarm, values: list) -> tuple[str, str]:
    """ALARM / OK / INSUFFICIENT_DATA from the per-period values (newest first, None: no data),
    with CloudWatch-style reasons."""
    compare, words = _OPS[alarm.comparison_operator]
    n = len(values)
    m = int(alarm.datapoints_to_alarm or n)
    present = [v for v in values if v is not None]
    treat = alarm.treat_missing_data or "missing"
    breaching = sum(compare(v, alarm.threshold) for v in present)
    missing = n - len(present)
    if treat == "breaching":
        breaching += missing
    shown = ", ".join(f"{v:g}" for v in present[:5])
    if breaching >= m:
        return "ALARM", (f"Threshold Crossed: {breaching} out of the last {n} datapoints "
                         f"[{shown}] was {words} the threshold ({alarm.threshold:g}) "
                         f"(minimum {m} datapoint{'s' if m > 1 else ''} for OK -> ALARM "
                         "transition).")
    if not present and treat in ("missing", "ignore"):
        if treat == "ignore":
            return alarm.state_value, alarm.state_reason
        return "INSUFFICIENT_DATA", (f"Insufficient Data: {n} datapoint"
                                     f"{'s were' if n > 1 else ' was'} unknown.")
    if not present:
        return "OK", (f"Threshold Crossed: no datapoints were received for {n} period"
                      f"{'s' if n > 1 else ''} and {missing} missing datapoint"
                      f"{'s were' if missing > 1 else ' was'} treated as [NonBreaching].")
    return "OK", (f"Threshold Crossed: {len(present)} datapoint{'s' if len(present) > 1 else ''} "
                  f"[{shown}] {'were' if len(present) > 1 else 'was'} not {words} the threshold "
                  f"({alarm.threshold:g}).")


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def evaluate_all(backend, now: dt.datetime | None = None) -> None:
    """Evaluate every simple and metric-math alarm of a moto CloudWatch backend; record state
    changes (an expression the offline metric math refuses leaves the alarm as it is)."""
    from local_bedrock.observability.metric_math import MathError

    data = backend.get_all_metrics()
    for alarm in list(backend.alarms.values()):
        if alarm.rule is not None or alarm.comparison_operator not in _OPS:
            continue
        try:
            if alarm.metric_data_queries:
                state, reason = evaluate_math_alarm(alarm, data, now)
            elif alarm.metric_name:
                state, reason = evaluate_alarm(alarm, data, now)
            else:
                continue
        except MathError as exc:
            state, reason = "INSUFFICIENT_DATA", f"Offline metric math: {exc}"
        if state != alarm.state_value or alarm.state_reason.startswith("Unchecked"):
            alarm.update_state(reason, json.dumps({"version": "1.0", "engine": "local_bedrock"}),
                               state)


def metric_data_with_math(run_stats, queries: list[dict], start_time, end_time,
                          scan_by: str = "TimestampAscending") -> list[dict]:
    """GetMetricData results (moto's shape) for MetricStat queries and metric math expressions:
    `run_stats(queries)` answers MetricStat queries; expressions are computed on the grid of
    periods from StartTime (the one moto's MetricStat loop uses)."""
    from local_bedrock.observability import metric_math

    stats = [q for q in queries if "MetricStat" in q]
    maths = [q for q in queries if "Expression" in q]
    by_id = {r["id"]: r for r in run_stats([{**q, "ReturnData": True} for q in stats])}
    period = int(next((q["Period"] for q in maths if q.get("Period")),
                      stats[0]["MetricStat"]["Period"] if stats else 60))
    grid, t = [], start_time
    while t <= end_time:
        grid.append(t)
        t += dt.timedelta(seconds=period)
    series = {i: dict(zip(r["timestamps"], r["values"], strict=True)) for i, r in by_id.items()}
    pending = list(maths)
    while pending:  # expressions may use other expressions: evaluate once their inputs exist
        ready = [q for q in pending if metric_math.ids(q["Expression"]) <= set(series)]
        if not ready:
            missing = sorted(set().union(*(metric_math.ids(q["Expression"]) for q in pending))
                             - set(series))
            raise metric_math.MathError(f"Unknown query id(s) in the expressions: {missing}.")
        for q in ready:
            series[q["Id"]] = metric_math.evaluate(q["Expression"], series, grid)
            stamps = sorted(series[q["Id"]], reverse=scan_by == "TimestampDescending")
            by_id[q["Id"]] = {"id": q["Id"], "label": q.get("Label") or q["Id"],
                              "timestamps": stamps, "values": [series[q["Id"]][s] for s in stamps],
                              "status_code": "Complete"}
            pending.remove(q)
    return [by_id[q["Id"]] for q in queries if _truthy(q.get("ReturnData", True))]


def patch_moto() -> None:
    """Teach moto's CloudWatch percentiles and alarm evaluation (idempotent)."""
    global _patched
    if _patched:
        return
    with _lock:
        if _patched:
            return
        from moto.cloudwatch import models, responses

        original = models.Statistics.get_statistics_for_type

        def get_statistics_for_type(self, stat: str):
            if _PERCENTILE.match(stat):
                return percentile(self.metric_single_values_list, float(stat[1:]))
            return original(self, stat)

        models.Statistics.get_statistics_for_type = get_statistics_for_type

        get_metric_data = models.CloudWatchBackend.get_metric_data
        all_metrics = models.CloudWatchBackend.get_all_metrics

        def get_metric_data_per_namespace(self, queries, start_time, end_time,
                                          scan_by="TimestampAscending"):
            # moto drops the namespace filter when a query has dimensions: run each namespace's
            # MetricStat queries over that namespace's data only; metric math on top of them;
            # Metrics Insights (SELECT) queries: moto as is
            if not queries or any("MetricStat" not in q and not (
                    "Expression" in q and not q["Expression"].lstrip().upper().startswith(
                        "SELECT")) for q in queries):
                return get_metric_data(self, queries, start_time, end_time, scan_by)
            if any("Expression" in q for q in queries):
                from moto.cloudwatch.exceptions import ValidationError

                from local_bedrock.observability.metric_math import MathError

                try:
                    return metric_data_with_math(
                        lambda stats: get_metric_data_per_namespace(
                            self, stats, start_time, end_time, scan_by) if stats else [],
                        queries, start_time, end_time, scan_by)
                except MathError as exc:  # a 400 the caller can act on, not a 500
                    raise ValidationError(str(exc)) from exc
            by_id = {}
            with _query_lock:
                for ns in {q["MetricStat"]["Metric"]["Namespace"] for q in queries}:
                    self.get_all_metrics = lambda ns=ns: [
                        m for m in all_metrics(self) if m.namespace == ns]
                    try:
                        mine = [q for q in queries if q["MetricStat"]["Metric"]["Namespace"] == ns]
                        for res in get_metric_data(self, mine, start_time, end_time, scan_by):
                            by_id[res["id"]] = res
                    finally:
                        del self.get_all_metrics
            return [by_id[q["Id"]] for q in queries if q["Id"] in by_id]

        models.CloudWatchBackend.get_metric_data = get_metric_data_per_namespace

        describe = responses.CloudWatchResponse.describe_alarms

        def describe_alarms(self):
            evaluate_all(self.cloudwatch_backend)
            return describe(self)

        responses.CloudWatchResponse.describe_alarms = describe_alarms
        _patched = True
