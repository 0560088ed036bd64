"""Bedrock Guardrails' CloudWatch metrics, offline: namespace ``AWS/Bedrock/Guardrails``.

What the docs say ("Monitor Amazon Bedrock Guardrails using CloudWatch metrics",
https://docs.aws.amazon.com/bedrock/latest/userguide/monitoring-guardrails-cw-metrics.html,
checked 2026-12-07): metrics ``Invocations``, ``InvocationLatency`` (ms),
``InvocationClientErrors``, ``InvocationServerErrors``, ``InvocationThrottles``,
``TextUnitCount`` and ``InvocationsIntervened``; dimensions ``Operation`` (``ApplyGuardrail``),
``GuardrailContentSource`` (``Input`` / ``Output``), ``GuardrailPolicyType`` (``ContentPolicy``,
``TopicPolicy``, ``WordPolicy``, ``SensitiveInformationPolicy``, ``ContextualGroundingPolicy``;
for ``InvocationsIntervened`` and ``TextUnitCount`` only) and ``GuardrailArn`` +
``GuardrailVersion`` (a version number or ``DRAFT``).

What the engine does, one guardrail evaluation (a content source of one call) at a time:

* ApplyGuardrail: one evaluation (its ``source``), latency = the call's latency; failed calls
  count as client or server errors or throttles;
* Converse, ConverseStream, InvokeModel, InvokeModelWithResponseStream with a guardrail: the
  input evaluation and, when the input was not blocked, the output evaluation, latency = the
  assessment's ``guardrailProcessingLatency``;
* each evaluation is published under each documented dimension row as its own dimension set:
  ``{Operation}`` (ApplyGuardrail only), ``{GuardrailContentSource}``, ``{GuardrailPolicyType}``
  (per policy that had text units or intervened) and ``{GuardrailArn, GuardrailVersion}``;
  ``InvocationsIntervened`` is published as 0 or 1, so ``Sum / Invocations`` is a rate.

Where the docs are silent, and the engine's choice: whether guardrails applied inside model
calls are counted (the ``Invocations`` row names ApplyGuardrail only; the engine counts them,
without an ``Operation`` dimension, since no value for it is documented); whether dimension rows
are combined (the engine publishes each row alone: per-policy series are account-wide, not per
guardrail); ``TextUnitCount`` without a policy dimension (the engine adds every policy's units,
sensitive-information free units included).

Per-policy results need the guardrail's assessment, which a model call returns only with
``trace`` enabled: the engine asks the guardrail hooks for the trace on every guarded call and
removes it from the answer when the caller did not ask for it (the evaluation is the same).

Datums are kept in memory and put into the engine's CloudWatch (moto) just before any CloudWatch
request is served, so guarded calls pay nothing unless someone reads the metrics.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Iterator

from local_bedrock.observability.buffer import MetricBuffer

NAMESPACE = "AWS/Bedrock/Guardrails"
MODEL_OPERATIONS = ("Converse", "ConverseStream", "InvokeModel", "InvokeModelWithResponseStream")
POLICY_TYPES = {  # assessment key -> GuardrailPolicyType value
    "contentPolicy": "ContentPolicy", "topicPolicy": "TopicPolicy", "wordPolicy": "WordPolicy",
    "sensitiveInformationPolicy": "SensitiveInformationPolicy",
    "contextualGroundingPolicy": "ContextualGroundingPolicy",
}
UNIT_KEYS = {  # GuardrailPolicyType -> GuardrailUsage fields counted as its text units
    "ContentPolicy": ("contentPolicyUnits",), "TopicPolicy": ("topicPolicyUnits",),
    "WordPolicy": ("wordPolicyUnits",),
    "SensitiveInformationPolicy": ("sensitiveInformationPolicyUnits",
                                   "sensitiveInformationPolicyFreeUnits"),
    "ContextualGroundingPolicy": ("contextualGroundingPolicyUnits",),
}
_THROTTLES = {"ThrottlingException", "TooManyRequestsException"}
_MAX_PENDING = 512  # captured assessments waiting for their call's observer


def policy_results(assessment: dict) -> tuple[set[str], dict[str, int]]:
    """(policy types that intervened, text units per policy type) of a GuardrailAssessment."""
    intervened = set()
    for key, name in POLICY_TYPES.items():
        for items in (assessment.get(key) or {}).values():
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and item.get("action") not in (None, "NONE") \
                        and item.get("detected", True) is not False:
                    intervened.add(name)
    usage = (assessment.get("invocationMetrics") or {}).get("usage") or {}
    units = {name: sum(int(usage.get(k) or 0) for k in keys) for name, keys in UNIT_KEYS.items()}
    return intervened, {k: v for k, v in units.items() if v}


class GuardrailMetrics(MetricBuffer):
    """Per engine: captures guardrail assessments of model calls, turns each guardrail
    evaluation into datums, and publishes them to the engine's CloudWatch on demand."""

    namespace = NAMESPACE

    def __init__(self, engine, account: str):
        super().__init__(engine)
        self.account = account
        self._pending: dict[int, tuple[dict, dict]] = {}  # id(params) -> (params, captured)

    # -- capture (hooks around the guardrail family's Converse hooks and InvokeModel) ---------
    def install(self) -> None:
        """Wrap the engine's guardrail hooks and InvokeModel handlers; observe every call."""
        engine = self.engine
        inner_in, inner_out = engine.guardrail_input, engine.guardrail_output

        def guardrail_input(params: dict, req):
            forced = _forced_converse(params)
            out = inner_in(forced or params, req)
            return self._take_converse_trace(params, out, forced is not None)

        def guardrail_output(params: dict, req, out: dict):
            forced = _forced_converse(params)
            checked = inner_out(forced or params, req, out)
            return self._take_converse_trace(params, checked, forced is not None)

        engine.guardrail_input, engine.guardrail_output = guardrail_input, guardrail_output
        for op in ("InvokeModel", "InvokeModelWithResponseStream"):
            key = ("bedrock-runtime", op)
            if key in engine.handlers:
                engine.handlers[key] = self._wrap_invoke(engine.handlers[key], op)
        engine.observers.append(self)

    def _take_converse_trace(self, params: dict, out: dict | None, forced: bool) -> dict | None:
        if not out or not isinstance(out.get("trace"), dict):
            return out
        trace = out["trace"].get("guardrail") or {}
        captured = self._captured(params)
        for assessment in (trace.get("inputAssessment") or {}).values():
            captured["input"] = assessment
        for assessments in (trace.get("outputAssessments") or {}).values():
            captured["outputs"] = list(assessments)
        return {k: v for k, v in out.items() if k != "trace"} if forced else out

    def _wrap_invoke(self, inner, operation: str):
        def handler(engine, params: dict) -> dict:
            if not params.get("guardrailIdentifier"):
                return inner(engine, params)
            forced = (params.get("trace") or "DISABLED") == "DISABLED"
            out = inner(engine, {**params, "trace": "ENABLED"} if forced else params)
            if operation == "InvokeModel":
                body = self._take_invoke_trace(params, out.get("body"), forced)
                return {**out, "body": body} if body is not None else out
            return {**out, "body": self._stream(params, out["body"], forced)}

        handler.__wrapped__ = inner
        return handler

    def _take_invoke_trace(self, params: dict, raw, forced: bool) -> bytes | None:
        """Capture ``amazon-bedrock-trace`` from a body (bytes); the body without it if forced."""
        try:
            body = json.loads(raw)
        except (TypeError, ValueError):
            return None
        if not isinstance(body, dict) or "amazon-bedrock-trace" not in body:
            return None
        trace = (body["amazon-bedrock-trace"] or {}).get("guardrail") or {}
        captured = self._captured(params)
        for assessment in (trace.get("input") or {}).values():
            captured["input"] = assessment
        outputs = [a for item in trace.get("outputs") or [] for a in item.values()]
        if outputs:
            captured["outputs"] = outputs
        if not forced:
            return None
        body.pop("amazon-bedrock-trace")
        return json.dumps(body).encode()

    def _stream(self, params: dict, events, forced: bool) -> Iterator[dict]:
        for event in events:
            chunk = event.get("chunk") if isinstance(event, dict) else None
            if chunk and b"amazon-bedrock-trace" in chunk.get("bytes", b""):
                body = self._take_invoke_trace(params, chunk["bytes"], forced)
                if body is not None:
                    event = {**event, "chunk": {**chunk, "bytes": body}}
            yield event

    def _captured(self, params: dict) -> dict:
        with self._lock:
            entry = self._pending.get(id(params))
            if entry is None or entry[0] is not params:
                if len(self._pending) >= _MAX_PENDING:  # calls that never reached an observer
                    self._pending.pop(next(iter(self._pending)))
                entry = self._pending[id(params)] = (params, {})
            return entry[1]

    def _take(self, params: dict) -> dict | None:
        with self._lock:
            entry = self._pending.get(id(params))
            if entry is None or entry[0] is not params:
                return None
            del self._pending[id(params)]
            return entry[1]

    # -- the observer --------------------------------------------------------------------------
    def __call__(self, *, operation: str, params: dict, output: dict | None, error, latency_ms,
                 request_id: str, headers: dict) -> None:
        """Engine observer: turn a finished call's guardrail evaluations into datums."""
        captured = self._take(params)
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        if operation == "ApplyGuardrail":
            self._apply_guardrail(params, output, error, latency_ms, now)
        elif operation in MODEL_OPERATIONS and captured and error is None:
            for source, assessments in (("Input", [captured.get("input")]),
                                        ("Output", captured.get("outputs") or [])):
                for assessment in assessments:
                    if assessment:
                        arn, version = self._identity(assessment, params)
                        latency = (assessment.get("invocationMetrics") or {}).get(
                            "guardrailProcessingLatency", 0)
                        self.add(now, arn, version, source, None, latency, assessment)

    def _apply_guardrail(self, params: dict, output: dict | None, error, latency_ms: float,
                         now: dt.datetime) -> None:
        source = str(params.get("source") or "INPUT").capitalize()
        if error is not None:
            arn, version = self._identity({}, params)
            kind = ("InvocationThrottles" if error.code in _THROTTLES or error.status == 429
                    else "InvocationServerErrors" if error.status >= 500
                    else "InvocationClientErrors")
            for dims in self._dimension_sets(arn, version, source, "ApplyGuardrail"):
                self._put(now, dims, kind, 1.0)
            return
        assessment = ((output or {}).get("assessments") or [{}])[0]
        arn, version = self._identity(assessment, params)
        self.add(now, arn, version, source, "ApplyGuardrail", latency_ms, assessment,
                 intervened=(output or {}).get("action") == "GUARDRAIL_INTERVENED")

    def _identity(self, assessment: dict, params: dict) -> tuple[str, str]:
        details = assessment.get("appliedGuardrailDetails") or {}
        cfg = params.get("guardrailConfig") or {}
        ident = (details.get("guardrailArn") or cfg.get("guardrailIdentifier")
                 or params.get("guardrailIdentifier") or "")
        version = str(details.get("guardrailVersion") or cfg.get("guardrailVersion")
                      or params.get("guardrailVersion") or "DRAFT")
        if not ident.startswith("arn:"):
            ident = f"arn:aws:bedrock:{self.engine.region}:{self.account}:guardrail/{ident}"
        return ident, version

    def _dimension_sets(self, arn: str, version: str, source: str,
                        operation: str | None) -> list[tuple]:
        sets = [(("GuardrailContentSource", source),),
                (("GuardrailArn", arn), ("GuardrailVersion", version))]
        if operation:
            sets.insert(0, (("Operation", operation),))
        return sets

    # -- datums ----------------------------------------------------------------------------------
    def add(self, when: dt.datetime, arn: str, version: str, source: str, operation: str | None,
            latency_ms: float, assessment: dict, intervened: bool | None = None) -> None:
        """One successful guardrail evaluation, as datums under each dimension set."""
        by_policy, units = policy_results(assessment)
        if intervened is None:
            intervened = bool(by_policy)
        for dims in self._dimension_sets(arn, version, source, operation):
            self._put(when, dims, "Invocations", 1.0)
            self._put(when, dims, "InvocationLatency", float(latency_ms))
            self._put(when, dims, "InvocationsIntervened", float(intervened))
            self._put(when, dims, "TextUnitCount", float(sum(units.values())))
        for policy in sorted(set(units) | by_policy):
            dims = (("GuardrailPolicyType", policy),)
            self._put(when, dims, "InvocationsIntervened", float(policy in by_policy))
            self._put(when, dims, "TextUnitCount", float(units.get(policy, 0)))


def _forced_converse(params: dict) -> dict | None:
    """Converse params asking for the guardrail trace, when the caller did not (else None)."""
    cfg = params.get("guardrailConfig")
    if not isinstance(cfg, dict) or cfg.get("trace", "disabled") != "disabled":
        return None
    return {**params, "guardrailConfig": {**cfg, "trace": "enabled"}}


def of(engine) -> GuardrailMetrics | None:
    """The engine's guardrail metrics, if installed."""
    return engine.state.get("guardrail_metrics")


def is_cloudwatch(request: Any) -> bool:
    """True for a request signed for CloudWatch (service ``monitoring``)."""
    auth = request.header("Authorization") or ""
    return "/monitoring/aws4_request" in auth
