"""Metric datums buffered in the engine and put into its CloudWatch (moto) on demand: what
Bedrock's runtime and guardrail metrics (:mod:`.runtime_metrics`, :mod:`.guardrail_metrics`) share."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter, defaultdict


class MetricBuffer:
    """Values with counts per (timestamp, dimensions, metric), as PutMetricData items; a
    subclass sets ``namespace`` and calls :meth:`_put`."""

    namespace = ""

    def __init__(self, engine):
        self.engine = engine
        self._lock = threading.RLock()  # held while publishing: readers wait for the data
        self._buffer: dict[tuple, Counter] = defaultdict(Counter)
        self.published = 0  # items put into CloudWatch so far
        self.failures: list[str] = []

    def _put(self, when: dt.datetime, dims: tuple, metric: str, value: float) -> None:
        """One datum; ``dims`` is a tuple of (name, value) pairs."""
        with self._lock:
            self._buffer[(when, dims, metric)][value] += 1

    def metric_data(self) -> list[dict]:
        """The buffered datums as PutMetricData items (and the buffer emptied)."""
        with self._lock:
            buffer, self._buffer = self._buffer, defaultdict(Counter)
        items = []
        for (when, dims, metric), counts in sorted(buffer.items(), key=lambda kv: kv[0][:1]):
            pairs = sorted(counts.items())
            for i in range(0, len(pairs), 150):  # CloudWatch takes up to 150 values per item
                chunk = pairs[i:i + 150]
                items.append({
                    "MetricName": metric, "Timestamp": when,
                    "Unit": "Milliseconds" if metric == "InvocationLatency" else "Count",
                    "Dimensions": [{"Name": n, "Value": v} for n, v in dims],
                    "Values": [v for v, _ in chunk], "Counts": [float(c) for _, c in chunk]})
        return items

    def flush(self) -> int:
        """Put the buffered datums into the engine's CloudWatch; the number of items put."""
        with self._lock:  # re-entrant: the put below is itself a CloudWatch request
            items = self.metric_data()
            if not items:
                return 0
            try:
                cloudwatch = self.engine.client("cloudwatch")
                for i in range(0, len(items), 500):
                    cloudwatch.put_metric_data(Namespace=self.namespace, MetricData=items[i:i + 500])
                self.published += len(items)
            except Exception as exc:  # never break the reader's request
                self.failures.append(f"{type(exc).__name__}: {exc}")
            return len(items)
