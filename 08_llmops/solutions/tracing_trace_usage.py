"""Worked solution to 08.08's "Your turn": price a trace from its spans, counting each call once.

``trace_usage(spans)`` keeps only the botocore spans of Bedrock model calls (``CLIENT`` spans
whose ``rpc.method`` is a runtime inference operation: ``tracing.is_model_call``) and sums their
``gen_ai.usage.*`` attributes; roots (``invoke_agent``) and framework spans (Strands' ``chat``)
repeat the same tokens. ``run()`` traces one run of lab 06's agent loop with a tracer provider
of its own (the botocore instrumentation pointed at it for the run, as the notebook had it
before), and compares the result with the run's own totals and with the naive sum over all spans.
Run it from the notebook (``from solutions.tracing_trace_usage import trace_usage, run, check``)
or the tests.
"""

from __future__ import annotations

import boto3
import tracing
from opentelemetry import trace
from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from utils import agents, models

QUESTION = "Look up order ORD-20408 and convert its total to US dollars."


def trace_usage(spans) -> dict:
    """Model calls, input and output tokens and USD of one trace, each Bedrock call counted once."""
    calls = [s for s in spans if tracing.is_model_call(s)]
    tokens_in = sum(s.attributes.get("gen_ai.usage.input_tokens", 0) for s in calls)
    tokens_out = sum(s.attributes.get("gen_ai.usage.output_tokens", 0) for s in calls)
    usd = sum(models.cost_usd(s.attributes["gen_ai.request.model"], s.attributes.get("gen_ai.usage.input_tokens", 0),
                              s.attributes.get("gen_ai.usage.output_tokens", 0)) for s in calls)
    return {"model calls": len(calls), "input tokens": tokens_in, "output tokens": tokens_out, "USD": round(usd, 7)}


def naive_input_tokens(spans) -> int:
    """The wrong way: every span that carries gen_ai.usage.input_tokens, added up."""
    return sum(s.attributes.get("gen_ai.usage.input_tokens", 0) for s in spans)


def run() -> dict:
    provider = TracerProvider(resource=Resource.create({"service.name": "kestrel-support"}))
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    instrumentor = BotocoreInstrumentor()
    was_on = instrumentor.is_instrumented_by_opentelemetry
    if was_on:
        instrumentor.uninstrument()
    instrumentor.instrument(tracer_provider=provider)
    try:
        runtime = boto3.client("bedrock-runtime")
        model_id = models.TEXT_MODEL
        tracer = provider.get_tracer("kestrel-support")
        with tracer.start_as_current_span("invoke_agent support-agent", attributes={
                "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support-agent",
                "gen_ai.request.model": model_id}) as root:
            agent_run = agents.run_agent(runtime, model_id, QUESTION,
                                         agents.Toolbox(["lookup_order", "convert_currency", "calculator"]))
            root.set_attribute("gen_ai.usage.input_tokens", agent_run.input_tokens)
            root.set_attribute("gen_ai.usage.output_tokens", agent_run.output_tokens)
    finally:
        instrumentor.uninstrument()
        if was_on:  # give the caller its instrumentation back, on the global provider
            instrumentor.instrument(tracer_provider=trace.get_tracer_provider())
        provider.shutdown()
    spans = memory.get_finished_spans()
    return {"model": model_id, "spans": len(spans), "usage": trace_usage(spans),
            "naive input tokens": naive_input_tokens(spans),
            "run": {"model calls": len(agent_run.model_steps), "input tokens": agent_run.input_tokens,
                    "output tokens": agent_run.output_tokens}}


def check(result: dict) -> None:
    usage, reference = result["usage"], result["run"]
    assert usage["model calls"] == reference["model calls"] >= 2, "one span per Bedrock call"
    assert usage["input tokens"] == reference["input tokens"]
    assert usage["output tokens"] == reference["output tokens"]
    expected = models.cost_usd(result["model"], reference["input tokens"], reference["output tokens"])
    assert abs(usage["USD"] - expected) <= 1e-6
    # the root span repeats the totals: adding up every span counts each token twice
    assert result["naive input tokens"] == 2 * reference["input tokens"]
