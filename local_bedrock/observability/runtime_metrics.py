"""Amazon Bedrock's runtime metrics, offline: namespace ``AWS/Bedrock``, published by the engine.

Bedrock publishes these for every model invocation, whatever the caller does ("Monitor Amazon
Bedrock with Amazon CloudWatch", https://docs.aws.amazon.com/bedrock/latest/userguide/
monitoring.html#runtime-cloudwatch-metrics, checked 2026-12-07): ``Invocations``,
``InvocationLatency`` (ms), ``InvocationClientErrors``, ``InvocationServerErrors``,
``InvocationThrottles``, ``InputTokenCount``, ``OutputTokenCount`` and, for calls that use prompt
caching, ``CacheReadInputTokenCount`` / ``CacheWriteInputTokenCount``; dimension ``ModelId``.

The engine does the same for Converse, ConverseStream, InvokeModel and
InvokeModelWithResponseStream (streams once they end): one datum per metric and call, the latency
as the engine measured it (as Bedrock measures it: on its side), errors classified by code and
status. Datums are buffered and put into the engine's CloudWatch (moto) just before any
CloudWatch request is served, like :mod:`.guardrail_metrics`: a notebook reads them with
``GetMetricData`` exactly as it would read Bedrock's own.

Where the docs are silent: which ``ModelId`` value a call through an application inference
profile is counted under (:func:`model_dimension`).
"""

from __future__ import annotations

import datetime as dt

from local_bedrock.observability.buffer import MetricBuffer
from local_bedrock.observability.models import DEFAULT_ACCOUNT, LOGGED_OPERATIONS, build_record

NAMESPACE = "AWS/Bedrock"
METRIC_NAMES = ("Invocations", "InvocationLatency", "InvocationClientErrors",
                "InvocationServerErrors", "InvocationThrottles", "InputTokenCount",
                "OutputTokenCount")
CACHE_METRIC_NAMES = ("CacheReadInputTokenCount", "CacheWriteInputTokenCount")
THROTTLE_CODES = frozenset({"ThrottlingException", "TooManyRequestsException"})
SERVER_STATUSES = frozenset({500, 502, 503, 504, 408})
_ERROR_METRIC = {"client": "InvocationClientErrors", "server": "InvocationServerErrors",
                 "throttle": "InvocationThrottles"}
_QUIET = {"textDataDeliveryEnabled": False, "imageDataDeliveryEnabled": False,
          "embeddingDataDeliveryEnabled": False}  # counts only: no bodies in the record


def classify(code: str | None, status: int | None) -> str:
    """'ok', 'throttle', 'client' or 'server' for a call's error code and HTTP status."""
    if not code and not status:
        return "ok"
    if code in THROTTLE_CODES or status == 429:
        return "throttle"
    if status in SERVER_STATUSES or (code or "").endswith(
            ("ServerException", "UnavailableException", "TimeoutException")):
        return "server"
    return "client"


def model_dimension(model_id: str) -> str:
    """The ModelId dimension value Bedrock publishes a call's metrics under: the profile id for
    a call through an application inference profile (its ARN as modelId), else the id as called.

    The Bedrock docs do not say which value the ModelId dimension carries for application
    profiles (checked 2026-12-07); the id is what a live recording shows: Cloud Custodian's
    Bedrock inference-profile metrics filter queries ModelId=<inferenceProfileId> and its
    recorded GetMetricStatistics answer holds the profile's tokens (cloud-custodian/
    cloud-custodian, c7n/resources/bedrock.py and tests/data/placebo/
    bedrock_inference_profile_token_metrics, recorded 2026-07-21). Check with list_metrics."""
    if ":application-inference-profile/" in model_id:
        return model_id.rsplit("/", 1)[-1]
    return model_id


class RuntimeMetrics(MetricBuffer):
    """Per engine: AWS/Bedrock datums from every model call, published on demand."""

    namespace = NAMESPACE

    def __call__(self, *, operation: str, params: dict, output: dict | None, error, latency_ms,
                 request_id: str, headers: dict) -> None:
        """Engine observer: one finished model call's datums."""
        if operation not in LOGGED_OPERATIONS:
            return
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        model = model_dimension(params.get("modelId", ""))
        kind = classify(getattr(error, "code", None), getattr(error, "status", None)) \
            if error is not None else "ok"
        if kind != "ok":
            self._put(now, (("ModelId", model),), _ERROR_METRIC[kind], 1.0)
            return
        record = build_record(_QUIET, operation=operation, params=params, output=output,
                              error=None, request_id=request_id, headers=headers,
                              region=self.engine.region, account=DEFAULT_ACCOUNT, now=now)
        self._put(now, (("ModelId", model),), "Invocations", 1.0)
        self._put(now, (("ModelId", model),), "InvocationLatency", float(latency_ms))
        self._put(now, (("ModelId", model),), "InputTokenCount", float(record["input"].get("inputTokenCount", 0)))
        self._put(now, (("ModelId", model),), "OutputTokenCount", float(record["output"].get("outputTokenCount", 0)))
        for name, key in zip(CACHE_METRIC_NAMES, ("cacheReadInputTokenCount",
                                                  "cacheWriteInputTokenCount"), strict=True):
            if record["input"].get(key):
                self._put(now, (("ModelId", model),), name, float(record["input"][key]))


def of(engine) -> RuntimeMetrics | None:
    """The engine's runtime metrics, if installed."""
    return engine.state.get("runtime_metrics")
