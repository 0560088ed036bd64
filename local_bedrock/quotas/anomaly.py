"""CloudWatch anomaly detection offline: what moto's CloudWatch lacks, added to the engine's moto.

* PutAnomalyDetector, DescribeAnomalyDetectors, DeleteAnomalyDetector (single-metric detectors;
  metric-math detectors are stored but never trained);
* alarms whose threshold is an ``ANOMALY_DETECTION_BAND(m, k)`` expression (``ThresholdMetricId``)
  are evaluated when they are described, like the static alarms `local_bedrock.observability`
  evaluates.

CloudWatch's model (CloudWatch_Anomaly_Detection.html) is statistical and machine-learned, with
hourly, daily and weekly seasonality and trends, trained on the metric's history; the band's
width is the expression's second argument (in standard deviations, 2 by convention). The engine's
stand-in is plain: the band is the mean +/- k standard deviations of the metric's values before
the evaluated periods (the last two weeks at most); with fewer than `MIN_TRAINING` values the
detector is not trained yet and the alarm is INSUFFICIENT_DATA. GetMetricData does not return
band values offline.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import statistics
import threading
import uuid

MIN_TRAINING = 10  # values the engine needs before it draws a band
TRAINING_SPAN = dt.timedelta(days=14)
_BAND = re.compile(r"^\s*ANOMALY_DETECTION_BAND\(\s*(\w+)\s*(?:,\s*([0-9.]+)\s*)?\)\s*$")
_OPS = {
    "GreaterThanUpperThreshold": ("above", "greater than the upper thresholds"),
    "LessThanLowerThreshold": ("below", "less than the lower thresholds"),
    "LessThanLowerOrGreaterThanUpperThreshold": ("outside", "outside the thresholds"),
}
_lock = threading.Lock()
_patched = False


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def _dims(dimensions) -> list[tuple[str, str]]:
    out = []
    for d in dimensions or []:
        name = d["Name"] if isinstance(d, dict) else d.name
        value = d["Value"] if isinstance(d, dict) else d.value
        out.append((name, value))
    return sorted(out)


def _values(points: list) -> list[float]:
    """Raw values of moto datums (an aggregated datum counts as its average)."""
    out = []
    for p in points:
        if hasattr(p, "value"):
            out.append(p.value)
        elif getattr(p, "sample_count", 0):
            out.append(p.sum / p.sample_count)
    return out


def matching(backend, namespace: str, name: str, dimensions) -> list:
    """The stored datums of one metric (exact dimensions)."""
    dims = _dims(dimensions)
    return [p for p in backend.get_all_metrics() if p.namespace == namespace
            and p.name == name and _dims(p.dimensions) == dims]


def band(values: list[float], k: float) -> tuple[float, float] | None:
    """(lower, upper): the engine's band over training values, or None when untrained."""
    if len(values) < MIN_TRAINING:
        return None
    mean = statistics.fmean(values)
    sd = max(statistics.pstdev(values), abs(mean) * 0.01, 1e-9)
    return mean - k * sd, mean + k * sd


# -- detectors --------------------------------------------------------------------------------
def _detectors(backend) -> dict[str, dict]:
    if not hasattr(backend, "workshop_anomaly_detectors"):
        backend.workshop_anomaly_detectors = {}
    return backend.workshop_anomaly_detectors


def _single(params: dict) -> dict | None:
    single = params.get("SingleMetricAnomalyDetector")
    if single:
        return {k: single.get(k) for k in ("Namespace", "MetricName", "Dimensions", "Stat")}
    if params.get("MetricName"):  # the deprecated top-level form
        return {k: params.get(k) for k in ("Namespace", "MetricName", "Dimensions", "Stat")}
    return None


def _state(backend, detector: dict) -> str:
    single = detector.get("SingleMetricAnomalyDetector")
    if not single:
        return "PENDING_TRAINING"
    values = _values(matching(backend, single["Namespace"], single["MetricName"],
                              single.get("Dimensions")))
    return "TRAINED" if len(values) >= MIN_TRAINING else "PENDING_TRAINING"


def put_detector(backend, params: dict) -> str:
    """Create (or replace) a detector; its id."""
    from moto.cloudwatch.exceptions import InvalidParameterCombination

    single, math = _single(params), params.get("MetricMathAnomalyDetector")
    if bool(single) == bool(math):
        raise InvalidParameterCombination(
            "Specify either SingleMetricAnomalyDetector or MetricMathAnomalyDetector.")
    detectors = _detectors(backend)
    for did, d in list(detectors.items()):
        if single and d.get("SingleMetricAnomalyDetector") and _same(d["SingleMetricAnomalyDetector"], single):
            del detectors[did]
    did = str(uuid.uuid4())
    detectors[did] = {"AnomalyDetectorId": did,
                      **({"SingleMetricAnomalyDetector": single} if single else
                         {"MetricMathAnomalyDetector": math}),
                      **({"Configuration": params["Configuration"]}
                         if params.get("Configuration") else {})}
    return did


def _same(a: dict, b: dict) -> bool:
    return (a.get("Namespace"), a.get("MetricName"), a.get("Stat"), _dims(a.get("Dimensions"))) \
        == (b.get("Namespace"), b.get("MetricName"), b.get("Stat"), _dims(b.get("Dimensions")))


def describe_detectors(backend, params: dict) -> list[dict]:
    """Detectors matching the filters, with their training state."""
    ids = params.get("AnomalyDetectorIds") or []
    out = []
    for d in _detectors(backend).values():
        single = d.get("SingleMetricAnomalyDetector") or {}
        if ids and d["AnomalyDetectorId"] not in ids:
            continue
        if params.get("Namespace") and single.get("Namespace") != params["Namespace"]:
            continue
        if params.get("MetricName") and single.get("MetricName") != params["MetricName"]:
            continue
        if params.get("Dimensions") and _dims(single.get("Dimensions")) != _dims(params["Dimensions"]):
            continue
        out.append({**d, "StateValue": _state(backend, d)})
    return out


def delete_detector(backend, params: dict) -> None:
    """Delete by id or by its metric; ResourceNotFoundException when there is none."""
    from moto.cloudwatch.exceptions import ResourceNotFoundException

    detectors, single = _detectors(backend), _single(params)
    gone = [did for did, d in detectors.items()
            if did == params.get("AnomalyDetectorId")
            or (single and d.get("SingleMetricAnomalyDetector")
                and _same(d["SingleMetricAnomalyDetector"], single))]
    if not gone:
        raise ResourceNotFoundException("The anomaly detector does not exist.")
    for did in gone:
        del detectors[did]


# -- alarms on a band -------------------------------------------------------------------------
def band_alarm_parts(alarm) -> tuple | None:
    """(metric query, k) of an alarm whose threshold is an ANOMALY_DETECTION_BAND, else None."""
    if not alarm.threshold_metric_id or not alarm.metric_data_queries:
        return None
    by_id = {q.id: q for q in alarm.metric_data_queries}
    threshold = by_id.get(alarm.threshold_metric_id)
    m = _BAND.match(getattr(threshold, "expression", None) or "")
    if not m or m.group(1) not in by_id or by_id[m.group(1)].metric_stat is None:
        return None
    return by_id[m.group(1)], float(m.group(2) or 2)


def evaluate_band_alarm(backend, alarm, now: dt.datetime | None = None) -> tuple[str, str]:
    """(state, reason) of an anomaly-detection alarm over the stored datums."""
    from local_bedrock.observability.cloudwatch import statistic

    query, k = band_alarm_parts(alarm)
    stat = query.metric_stat
    metric = stat.metric
    now = now or dt.datetime.now(dt.timezone.utc)
    period = dt.timedelta(seconds=int(stat.period))
    n = int(alarm.evaluation_periods)
    m_needed = int(alarm.datapoints_to_alarm or n)
    mine = matching(backend, metric.namespace, metric.metric_name,
                    [{"Name": d.name, "Value": d.value} for d in metric.dimensions])
    window_start = now - n * period
    training = _values([p for p in mine
                        if window_start - TRAINING_SPAN <= _aware(p.timestamp) <= window_start])
    limits = band(training, k)
    if limits is None:
        return "INSUFFICIENT_DATA", (f"Insufficient Data: the anomaly detection model has "
                                     f"{len(training)} of the {MIN_TRAINING} earlier values the "
                                     "local engine needs to draw a band.")
    lower, upper = limits
    side, words = _OPS.get(alarm.comparison_operator, ("outside", "outside the thresholds"))
    values = []
    for i in range(n):  # newest first
        end, start = now - i * period, now - (i + 1) * period
        values.append(statistic([p for p in mine if start < _aware(p.timestamp) <= end],
                                stat.stat))
    present = [v for v in values if v is not None]
    breach = [v for v in present if (side in ("above", "outside") and v > upper)
              or (side in ("below", "outside") and v < lower)]
    missing = n - len(present)
    if (alarm.treat_missing_data or "missing") == "breaching":
        breach += [float("nan")] * missing
    shown = ", ".join(f"{v:g}" for v in present[:5])
    thresholds = {"above": f"[{upper:.4g}]", "below": f"[{lower:.4g}]",
                  "outside": f"[{lower:.4g}, {upper:.4g}]"}[side]
    if len(breach) >= m_needed:
        return "ALARM", (f"Thresholds Crossed: {len(breach)} out of the last {n} datapoints "
                         f"[{shown}] was {words} {thresholds} (minimum {m_needed} datapoint"
                         f"{'s' if m_needed > 1 else ''} for OK -> ALARM transition).")
    if not present:
        return "INSUFFICIENT_DATA", (f"Insufficient Data: {n} datapoint"
                                     f"{'s were' if n > 1 else ' was'} unknown.")
    return "OK", (f"Thresholds Crossed: {len(present)} datapoint"
                  f"{'s' if len(present) > 1 else ''} [{shown}] "
                  f"{'were' if len(present) > 1 else 'was'} not {words} {thresholds}.")


def evaluate_all(backend, now: dt.datetime | None = None) -> None:
    """Evaluate every band alarm of a moto CloudWatch backend; record state changes."""
    for alarm in list(backend.alarms.values()):
        if alarm.rule is not None or band_alarm_parts(alarm) is None:
            continue
        state, reason = evaluate_band_alarm(backend, alarm, now)
        if state != alarm.state_value or alarm.state_reason.startswith("Unchecked") \
                or reason != alarm.state_reason:
            alarm.update_state(reason, json.dumps({"version": "1.0", "engine": "local_bedrock"}),
                               state)


def patch_moto() -> None:
    """Teach moto's CloudWatch anomaly detectors and band alarms (idempotent, per process)."""
    global _patched
    if _patched:
        return
    with _lock:
        if _patched:
            return
        from moto.cloudwatch import responses
        from moto.core.responses import ActionResult, EmptyResult

        cls = responses.CloudWatchResponse

        def put_anomaly_detector(self):
            return ActionResult({"AnomalyDetectorId": put_detector(self.cloudwatch_backend,
                                                                   self._get_params())})

        def describe_anomaly_detectors(self):
            return ActionResult({"AnomalyDetectors": describe_detectors(self.cloudwatch_backend,
                                                                        self._get_params())})

        def delete_anomaly_detector(self):
            delete_detector(self.cloudwatch_backend, self._get_params())
            return EmptyResult()

        describe = cls.describe_alarms

        def describe_alarms(self):
            evaluate_all(self.cloudwatch_backend)
            return describe(self)

        cls.put_anomaly_detector = put_anomaly_detector
        cls.describe_anomaly_detectors = describe_anomaly_detectors
        cls.delete_anomaly_detector = delete_anomaly_detector
        cls.describe_alarms = describe_alarms
        _patched = True
