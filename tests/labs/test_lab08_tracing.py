"""Lab 08.08's claims about tracing hold offline: the botocore instrumentation sees the real
boto3 calls the engine answers (GenAI attributes equal the responses; failures are ERROR spans
with exception events), agent and RAG traces nest as the notebook draws them, and the OTLP
receiver, the fail-fast export and the SigV4 session behave as described."""

from __future__ import annotations

import importlib.util
import json
import socket
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.eventstream import EventStream
from botocore.exceptions import ClientError
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

LAB = Path(__file__).resolve().parents[2] / "08_llmops"
NOVA = "amazon.nova-lite-v1:0"  # the unit tests' region is us-east-1 (bare ids are invocable)
CLAUDE = "us.anthropic.claude-haiku-5-5"
TITAN_EMBED = "amazon.titan-embed-text-v2:0"
HELLO = [{"role": "user", "content": [{"text": "Hello, what is a trace?"}]}]


@pytest.fixture(scope="module")
def tracing():
    spec = importlib.util.spec_from_file_location("lab08_tracing", LAB / "tracing.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses resolve annotations through it
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def provider() -> TracerProvider:
    """The global SDK provider (set once per process, as an application does)."""
    current = trace.get_tracer_provider()
    if not isinstance(current, TracerProvider):
        current = TracerProvider(resource=Resource.create({"service.name": "lab08-tests"}))
        trace.set_tracer_provider(current)
    return current


@pytest.fixture
def memory(ws, provider, tracing):
    """Spans of this test only: a fresh in-memory exporter, botocore instrumented with the
    notebook's retrieval hooks; uninstrumented afterwards."""
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    BotocoreInstrumentor().instrument(tracer_provider=provider,
                                      request_hook=tracing.retrieval_request_hook,
                                      response_hook=tracing.retrieval_response_hook)
    yield exporter
    BotocoreInstrumentor().uninstrument()
    exporter.shutdown()  # the provider keeps the processor; a stopped exporter takes nothing


def _client(attempts: int = 1):
    return boto3.client("bedrock-runtime", config=Config(
        retries={"mode": "standard", "total_max_attempts": attempts}))


def _sum(spans, key: str) -> int:
    return sum(s.attributes.get(key, 0) for s in spans)


# =========================================================================== model calls


def test_converse_span_carries_the_responses_genai_attributes(memory):
    resp = _client().converse(modelId=NOVA, messages=HELLO,
                              inferenceConfig={"maxTokens": 80, "temperature": 0.2, "topP": 0.9})
    (span,) = memory.get_finished_spans()
    a = span.attributes
    assert span.name == f"chat {NOVA}" and span.kind == SpanKind.CLIENT
    assert span.status.status_code == StatusCode.UNSET
    assert (a["rpc.service"], a["rpc.method"], a["gen_ai.system"]) == (
        "Bedrock Runtime", "Converse", "aws.bedrock")
    assert a["gen_ai.operation.name"] == "chat" and a["gen_ai.request.model"] == NOVA
    assert (a["gen_ai.request.max_tokens"], a["gen_ai.request.temperature"],
            a["gen_ai.request.top_p"]) == (80, 0.2, 0.9)
    assert a["gen_ai.usage.input_tokens"] == resp["usage"]["inputTokens"]
    assert a["gen_ai.usage.output_tokens"] == resp["usage"]["outputTokens"]
    assert a["gen_ai.response.finish_reasons"] == (resp["stopReason"],)
    assert a["aws.request_id"] == resp["ResponseMetadata"]["RequestId"]
    assert (a["http.status_code"], a["retry_attempts"]) == (200, 0)


def test_converse_stream_span_ends_when_the_stream_is_read(ws, memory):
    resp = _client().converse_stream(modelId=NOVA, messages=HELLO,
                                     inferenceConfig={"maxTokens": 60})
    assert memory.get_finished_spans() == ()  # open until the stream is consumed
    events = list(resp["stream"])
    usage = next(e["metadata"]["usage"] for e in events if "metadata" in e)
    (span,) = memory.get_finished_spans()
    assert span.attributes["rpc.method"] == "ConverseStream"
    assert span.attributes["gen_ai.usage.input_tokens"] == usage["inputTokens"]
    assert span.attributes["gen_ai.usage.output_tokens"] == usage["outputTokens"]
    assert ws.logger.records[-1]["output"]["outputTokenCount"] == usage["outputTokens"]


def test_the_workshop_logger_keeps_the_stream_an_eventstream(ws):
    """The instrumentation wraps only EventStream results; the workshop's logging wrapper must
    stay one, or ConverseStream spans never end (and are never exported)."""
    resp = _client().converse_stream(modelId=NOVA, messages=HELLO, inferenceConfig={"maxTokens": 30})
    assert isinstance(resp["stream"], EventStream)
    before = len(ws.logger.records)
    list(resp["stream"])
    assert len(ws.logger.records) == before + 1  # still logged once read


def test_invoke_model_claude_tokens_and_titan_embedding_labelled_text_completion(memory):
    body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 40,
                       "messages": [{"role": "user", "content": "Name three robots."}]})
    claude = json.loads(_client().invoke_model(modelId=CLAUDE, body=body)["body"].read())
    embed = json.loads(_client().invoke_model(modelId=TITAN_EMBED, body=json.dumps(
        {"inputText": "Name three robots."}))["body"].read())
    claude_span, embed_span = memory.get_finished_spans()
    assert claude_span.name == f"chat {CLAUDE}"
    assert claude_span.attributes["gen_ai.usage.input_tokens"] == claude["usage"]["input_tokens"]
    assert claude_span.attributes["gen_ai.usage.output_tokens"] == claude["usage"]["output_tokens"]
    assert claude_span.attributes["gen_ai.response.finish_reasons"] == (claude["stop_reason"],)
    assert embed_span.attributes["gen_ai.operation.name"] == "text_completion"  # not "embeddings"
    assert embed_span.attributes["gen_ai.usage.input_tokens"] == embed["inputTextTokenCount"]
    assert "gen_ai.usage.output_tokens" not in embed_span.attributes


# =========================================================================== failures


def test_throttled_calls_are_error_spans_with_an_exception_event(ws, memory):
    ws.configure_faults(rpm=1, window_s=60)
    try:
        _client().converse(modelId=NOVA, messages=HELLO, inferenceConfig={"maxTokens": 10})
        for attempts in (1, 3):
            with pytest.raises(ClientError) as caught:
                _client(attempts).converse(modelId=NOVA, messages=HELLO,
                                           inferenceConfig={"maxTokens": 10})
            assert caught.value.response["Error"]["Code"] == "ThrottlingException"
    finally:
        ws.configure_faults(rpm=None)
    ok, once, retried = memory.get_finished_spans()  # one span per call, retries included
    assert ok.status.status_code == StatusCode.UNSET
    for span, retries in ((once, 0), (retried, 2)):
        assert span.status.status_code == StatusCode.ERROR
        assert "Too many requests" in span.status.description
        assert span.attributes["error.type"] == "ThrottlingException"
        assert span.attributes["http.status_code"] == 429
        assert span.attributes["retry_attempts"] == retries
        (event,) = span.events
        assert event.name == "exception"
        assert event.attributes["exception.type"].endswith("ThrottlingException")


def test_invalid_model_id_is_a_validation_error_span(memory, tracing):
    with pytest.raises(ClientError, match="ValidationException"):
        _client().converse(modelId=NOVA + "-typo", messages=HELLO)
    (span,) = memory.get_finished_spans()
    assert span.attributes["error.type"] == "ValidationException"
    assert span.attributes["http.status_code"] == 400
    (row,) = tracing.event_rows(span)
    assert row["exception.type"].endswith("ValidationException")
    assert row["message"] == "The provided model identifier is invalid."


# =========================================================================== agent and RAG traces


def test_agent_loop_trace_nests_model_and_tool_spans_under_the_root(memory, tracing):
    from utils import agents

    tracer = trace.get_tracer("lab08-tests")
    toolbox = tracing.TracedToolbox(["lookup_order", "convert_currency", "calculator"])
    with tracer.start_as_current_span("invoke_agent support-agent") as root:
        run = agents.run_agent(_client(), NOVA, "Look up order ORD-20408 and convert its total "
                               "to US dollars.", toolbox)
    spans = memory.get_finished_spans()
    assert {s.context.trace_id for s in spans} == {root.get_span_context().trace_id}
    children = [s for s in spans if s.parent is not None]
    assert all(s.parent.span_id == root.get_span_context().span_id for s in children)
    calls = [s for s in spans if tracing.is_model_call(s)]
    tools = [s for s in spans if s.attributes.get("gen_ai.operation.name") == "execute_tool"]
    assert len(calls) == len(run.model_steps) == 3
    assert [s.attributes["gen_ai.tool.name"] for s in tools] == [c.name for c in run.tool_calls]
    assert [s.name for s in tools] == ["execute_tool lookup_order", "execute_tool convert_currency"]
    assert _sum(calls, "gen_ai.usage.input_tokens") == run.input_tokens
    assert _sum(calls, "gen_ai.usage.output_tokens") == run.output_tokens
    rows = tracing.span_rows(spans)
    assert rows[0]["span"] == "invoke_agent support-agent"
    assert [r["span"] for r in rows[1:3]] == [f"└ chat {NOVA}", "└ execute_tool lookup_order"]
    assert [r["finish reasons"] for r in rows if r["call"] == "Converse"] == [
        "tool_use", "tool_use", "end_turn"]


def test_a_failing_tool_call_is_an_error_span(memory, tracing):
    toolbox = tracing.TracedToolbox(["lookup_order"])
    call = toolbox.execute("lookup_order", {"order_id": "not-an-order-id"})
    (span,) = memory.get_finished_spans()
    assert call.status == "error"
    assert span.status.status_code == StatusCode.ERROR
    assert span.attributes["error.type"] == "tool_error"
    assert span.attributes["gen_ai.tool.name"] == "lookup_order"


def test_strands_traces_natively_and_botocore_spans_nest_under_its_chat_spans(memory, tracing):
    from strands import Agent
    from strands.models import BedrockModel

    from utils import agents

    model = BedrockModel(boto_session=boto3.Session(), model_id=NOVA, temperature=0, max_tokens=700)
    agent = Agent(model=model, tools=agents.strands_tools(agents.Toolbox(["lookup_order"])),
                  callback_handler=None)
    agent("What is the status of order ORD-20417?")
    spans = memory.get_finished_spans()
    by_id = {s.context.span_id: s for s in spans}
    ops = {s.attributes.get("gen_ai.operation.name") for s in spans}
    assert {"invoke_agent", "execute_event_loop_cycle", "chat", "execute_tool"} <= ops
    calls = [s for s in spans if tracing.is_model_call(s)]
    assert calls and all(c.attributes["rpc.method"] == "ConverseStream" for c in calls)
    assert all(by_id[c.parent.span_id].name == "chat" for c in calls)  # Strands' own model span
    root = next(s for s in spans if s.attributes.get("gen_ai.operation.name") == "invoke_agent")
    once = _sum(calls, "gen_ai.usage.input_tokens")
    assert once == root.attributes["gen_ai.usage.input_tokens"]
    assert _sum(spans, "gen_ai.usage.input_tokens") == 3 * once  # the naive sum triple-counts


def test_retrieve_span_gets_retrieval_attributes_from_the_hooks(memory):
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    from utils import rag

    with suppress_instrumentation():
        kb_id = rag.ensure_workshop_kb(quiet=True)
    assert memory.get_finished_spans() == ()  # set-up calls were not traced
    resp = boto3.client("bedrock-agent-runtime").retrieve(
        knowledgeBaseId=kb_id, retrievalQuery={"text": "How long is the return window?"},
        retrievalConfiguration={"vectorSearchConfiguration": {"numberOfResults": 3}})
    (span,) = memory.get_finished_spans()
    assert span.name == "Bedrock Agent Runtime.Retrieve"
    assert span.attributes["gen_ai.operation.name"] == "retrieval"
    assert span.attributes["gen_ai.data_source.id"] == kb_id
    assert span.attributes["workshop.retrieval.results"] == len(resp["retrievalResults"]) == 3


# =========================================================================== rows and figures


def test_span_rows_follow_the_tree_and_the_waterfall_draws_one_bar_per_span(memory, tracing):
    tracer = trace.get_tracer("lab08-tests")
    with tracer.start_as_current_span("root"):
        with tracer.start_as_current_span("child"):
            with tracer.start_as_current_span("grandchild"):
                pass
        with tracer.start_as_current_span("second child"):
            pass
    spans = memory.get_finished_spans()  # finished order: grandchild, child, second, root
    assert [r["span"] for r in tracing.span_rows(spans)] == [
        "root", "└ child", "· └ grandchild", "└ second child"]
    fig = tracing.waterfall(spans)
    assert len(fig.axes[0].patches) == 4
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()][2] == "· └ grandchild"
    with pytest.raises(ValueError, match="No spans"):
        tracing.waterfall([])


# =========================================================================== exporting


def _some_spans(memory) -> tuple:
    _client().converse(modelId=NOVA, messages=HELLO, inferenceConfig={"maxTokens": 20})
    return memory.get_finished_spans()


def test_otlp_exporter_delivers_decodable_spans_to_the_local_receiver(memory, tracing, monkeypatch):
    spans = _some_spans(memory)
    with tracing.OtlpReceiver() as receiver:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)  # the exporter adds /v1/traces
        assert OTLPSpanExporter(timeout=2).export(spans) == SpanExportResult.SUCCESS
    (got,) = receiver.spans
    assert receiver.requests[0]["path"] == "/v1/traces"
    assert got.name == spans[0].name and got.scope.startswith("opentelemetry.instrumentation.botocore")
    assert got.trace_id == f"{spans[0].context.trace_id:032x}"
    assert got.attributes["gen_ai.usage.input_tokens"] == spans[0].attributes["gen_ai.usage.input_tokens"]
    assert got.attributes["gen_ai.response.finish_reasons"] == spans[0].attributes[
        "gen_ai.response.finish_reasons"]
    assert tracing.received_rows(receiver.spans)[0]["spans"] == 1


def test_the_receiver_refuses_what_is_not_an_otlp_traces_request(tracing):
    with tracing.OtlpReceiver() as receiver:
        for path, status in (("/v1/traces", 400), ("/v1/metrics", 404)):
            request = urllib.request.Request(receiver.url + path, data=b"not protobuf at all",
                                             method="POST")
            with pytest.raises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(request, timeout=5)
            assert caught.value.code == status
    assert receiver.spans == [] and receiver.requests == []


def test_a_dead_collector_fails_fast(memory):
    spans = _some_spans(memory)
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.perf_counter()
    result = OTLPSpanExporter(endpoint=f"http://127.0.0.1:{port}/v1/traces", timeout=1).export(spans)
    assert result == SpanExportResult.FAILURE
    assert time.perf_counter() - started < 2.5


def test_sigv4_session_signs_each_export_for_xray(ws, memory, tracing):
    spans = _some_spans(memory)
    with tracing.OtlpReceiver() as receiver:
        exporter = OTLPSpanExporter(endpoint=receiver.url + "/v1/traces", timeout=2,
                                    session=tracing.sigv4_session("eu-central-1"))
        assert exporter.export(spans) == SpanExportResult.SUCCESS
    (request,) = receiver.requests
    headers = {k.lower(): v for k, v in request["headers"].items()}
    auth = headers["authorization"]
    credential = auth.split("Credential=")[1].split(",")[0].split("/")
    assert auth.startswith("AWS4-HMAC-SHA256 ")
    assert credential[2:] == ["eu-central-1", "xray", "aws4_request"]
    signed = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
    assert {"host", "content-type", "x-amz-date"} <= set(signed)
    # recompute the signature over what the receiver got: it covers this exact body
    replay = AWSRequest(method="POST", url=receiver.url + "/v1/traces", data=request["body"],
                        headers={h: headers[h] for h in signed if h != "host"})
    replay.context["timestamp"] = headers["x-amz-date"]
    signer = SigV4Auth(boto3.Session().get_credentials().get_frozen_credentials(), "xray",
                       "eu-central-1")
    expected = signer.signature(signer.string_to_sign(replay, signer.canonical_request(replay)),
                                replay)
    assert auth.endswith(f"Signature={expected}")


def test_sigv4_session_needs_credentials(tracing):
    class NoCredentials:
        def get_credentials(self):
            return None

    with pytest.raises(RuntimeError, match="No AWS credentials"):
        tracing.sigv4_session("us-east-1", session=NoCredentials())


def test_trace_rows_list_the_slowest_traces_with_calls_tokens_and_errors(memory, tracing):
    """08.06's Traces view: one row per trace, slowest first, tokens from model calls only."""
    from utils import agents

    tracer = trace.get_tracer("lab08-tests")
    toolbox = tracing.TracedToolbox(["lookup_order"])
    runs = {}
    for name, question in (("ok", "What is the status of order ORD-20417?"),
                           ("failing tool", "What is the status of order ORD-99999?")):
        with tracer.start_as_current_span(f"invoke_agent {name}"):
            runs[name] = agents.run_agent(_client(), NOVA, question, toolbox)
    with tracer.start_as_current_span("slow step"):
        time.sleep(0.3)
    spans = memory.get_finished_spans()
    rows = tracing.trace_rows(spans)
    assert len(rows) == 3
    assert [r["duration ms"] for r in rows] == sorted((r["duration ms"] for r in rows), reverse=True)
    by_root = {r["root"]: r for r in rows}
    assert by_root["slow step"]["duration ms"] >= 300
    assert (by_root["slow step"]["spans"], by_root["slow step"]["model calls"]) == (1, 0)
    for name, run in runs.items():
        row = by_root[f"invoke_agent {name}"]
        assert row["model calls"] == len(run.model_steps)
        assert row["spans"] == 1 + len(run.model_steps) + len(run.tool_calls)
        assert (row["input tokens"], row["output tokens"]) == (run.input_tokens, run.output_tokens)
    assert by_root["invoke_agent ok"]["errors"] == 0
    assert by_root["invoke_agent failing tool"]["errors"] == 1
    assert len(tracing.trace_rows(spans, top=2)) == 2
    failing = by_root["invoke_agent failing tool"]
    fig = tracing.waterfall(tracing.in_trace(spans, int(failing["trace id"], 16)))
    assert len(fig.axes[0].patches) == failing["spans"]
