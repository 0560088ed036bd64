"""Lab 08.08's tracing helpers: OpenTelemetry spans as table rows, one row per trace (08.06's
slowest traces) and a trace waterfall, spans for the agent's tool calls, GenAI attributes for
knowledge-base retrieval, a local OTLP/HTTP receiver, and a SigV4-signing session for
CloudWatch's OTLP traces endpoint.

The spans themselves come from the OpenTelemetry SDK and its botocore instrumentation; this
module only reads them, or adds spans where no instrumentation exists (your own code).
"""

from __future__ import annotations

import gzip
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterable, Sequence

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, Status, StatusCode

from utils.agents import Toolbox, ToolCall

TRACER_NAME = "workshop.lab08"  # the instrumentation scope of the spans this module creates
BEDROCK_OPERATIONS = ("Converse", "ConverseStream", "InvokeModel", "InvokeModelWithResponseStream")


# =========================================================================== reading spans


def _parent_id(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def tree(spans: Iterable[ReadableSpan]) -> list[tuple[int, ReadableSpan]]:
    """(depth, span) in tree order: each root, then its children by start time, depth first.
    A span whose parent is not among `spans` counts as a root."""
    spans = list(spans)
    ids = {s.context.span_id for s in spans}
    children: dict[int | None, list[ReadableSpan]] = {}
    for s in spans:
        parent = _parent_id(s)
        children.setdefault(parent if parent in ids else None, []).append(s)
    out: list[tuple[int, ReadableSpan]] = []

    def walk(parent: int | None, depth: int) -> None:
        for s in sorted(children.get(parent, []), key=lambda s: s.start_time or 0):
            out.append((depth, s))
            walk(s.context.span_id, depth + 1)

    walk(None, 0)
    return out


def in_trace(spans: Iterable[ReadableSpan], trace_id: int) -> list[ReadableSpan]:
    """The spans of one trace (a span context's `trace_id`)."""
    return [s for s in spans if s.context.trace_id == trace_id]


def is_model_call(span: ReadableSpan) -> bool:
    """True for the botocore instrumentation's span of one Bedrock runtime model call."""
    attrs = span.attributes or {}
    return span.kind == SpanKind.CLIENT and attrs.get("rpc.method") in BEDROCK_OPERATIONS


def _label(depth: int, name: str) -> str:
    return ("· " * (depth - 1) + "└ " if depth else "") + name


def span_rows(spans: Iterable[ReadableSpan]) -> list[dict]:
    """One row per span in tree order: kind, status and the GenAI attributes that matter in
    operations (operation, model, tokens, finish reason, error type, retries)."""
    rows = []
    for depth, s in tree(spans):
        a = s.attributes or {}
        finish = a.get("gen_ai.response.finish_reasons") or ()
        rows.append({
            "span": _label(depth, s.name), "call": a.get("rpc.method", ""), "kind": s.kind.name,
            "status": s.status.status_code.name,
            "gen_ai.operation.name": a.get("gen_ai.operation.name", ""),
            "gen_ai.request.model": a.get("gen_ai.request.model", ""),
            "input tokens": a.get("gen_ai.usage.input_tokens", ""),
            "output tokens": a.get("gen_ai.usage.output_tokens", ""),
            "finish reasons": ", ".join(finish), "error.type": a.get("error.type", ""),
            "retries": a.get("retry_attempts", ""),
        })
    return rows


def attribute_rows(span: ReadableSpan, prefix: str = "") -> list[dict]:
    """The span's attributes (those starting with `prefix`) as rows, sorted by name."""
    return [{"attribute": k, "value": ", ".join(map(str, v)) if isinstance(v, tuple) else v}
            for k, v in sorted((span.attributes or {}).items()) if k.startswith(prefix)]


_BOTOCORE_PREFIX = re.compile(
    r"^An error occurred \([^)]*\) when calling the \w+ operation( \(reached max retries: \d+\))?: ")


def event_rows(span: ReadableSpan, width: int = 80) -> list[dict]:
    """The span's events (an exception event for a failed call): type and message, without
    botocore's "An error occurred (...) when calling the ... operation:" prefix."""
    rows = []
    for e in span.events:
        a = e.attributes or {}
        message = str(a.get("exception.message", ""))
        rows.append({"span": span.name, "event": e.name,
                     "exception.type": a.get("exception.type", ""),
                     "message": _BOTOCORE_PREFIX.sub("", message)[:width]})
    return rows


def trace_rows(spans: Iterable[ReadableSpan], top: int | None = None) -> list[dict]:
    """One row per trace, slowest first: root span, spans, Bedrock model calls and their tokens
    (each call counted once), duration (first start to last end) and spans with error status."""
    by_trace: dict[int, list[ReadableSpan]] = {}
    for s in spans:
        by_trace.setdefault(s.context.trace_id, []).append(s)
    rows = []
    for trace_id, group in by_trace.items():
        calls = [s for s in group if is_model_call(s)]
        duration = max(s.end_time for s in group) - min(s.start_time for s in group)
        rows.append({
            "trace id": f"{trace_id:032x}", "root": tree(group)[0][1].name, "spans": len(group),
            "model calls": len(calls),
            "input tokens": sum((s.attributes or {}).get("gen_ai.usage.input_tokens", 0)
                                for s in calls),
            "output tokens": sum((s.attributes or {}).get("gen_ai.usage.output_tokens", 0)
                                 for s in calls),
            "duration ms": round(duration / 1e6, 1),
            "errors": sum(s.status.status_code == StatusCode.ERROR for s in group),
        })
    rows.sort(key=lambda r: r["duration ms"], reverse=True)
    return rows[:top] if top is not None else rows


# =========================================================================== the waterfall

_COLOURS = {  # category -> (colour, legend label)
    "app": ("#4c78a8", "application / agent step"),
    "model": ("#f58518", "Bedrock model call (botocore)"),
    "framework": ("#ffbf79", "framework's model span"),
    "tool": ("#54a24b", "tool call"),
    "retrieval": ("#b279a2", "retrieval (botocore + hooks)"),
    "aws": ("#9ecae9", "other AWS call (botocore)"),
    "error": ("#e45756", "error status"),
}


def _category(span: ReadableSpan) -> str:
    a = span.attributes or {}
    if span.status.status_code == StatusCode.ERROR:
        return "error"
    if is_model_call(span):
        return "model"
    op = a.get("gen_ai.operation.name")
    if op == "retrieval":
        return "retrieval"
    if a.get("rpc.system") == "aws-api":
        return "aws"
    if op == "execute_tool":
        return "tool"
    if op == "chat":
        return "framework"
    return "app"


def waterfall(spans: Iterable[ReadableSpan], title: str = "", width: float = 11.0):
    """A trace as a waterfall: one bar per span (start offset and duration in ms), children
    indented under their parent, Bedrock calls annotated with their tokens."""
    import matplotlib.pyplot as plt

    ordered = tree(spans)
    if not ordered:
        raise ValueError("No spans to draw: run something while the tracer provider is set.")
    t0 = min(s.start_time for _, s in ordered)
    end = max(s.end_time for _, s in ordered)
    total_ms = max((end - t0) / 1e6, 1e-3)
    fig, ax = plt.subplots(figsize=(width, 0.42 * len(ordered) + 1.6))
    used = set()
    for row, (depth, s) in enumerate(ordered):
        cat = _category(s)
        used.add(cat)
        start, dur = (s.start_time - t0) / 1e6, (s.end_time - s.start_time) / 1e6
        ax.barh(row, max(dur, total_ms * 0.004), left=start, color=_COLOURS[cat][0],
                edgecolor="black" if depth == 0 else "none", height=0.62)
        a = s.attributes or {}
        note = f"{dur:,.1f} ms"
        if "gen_ai.usage.input_tokens" in a and cat in ("model", "framework"):
            note += (f"  {a['gen_ai.usage.input_tokens']} in"
                     f" / {a.get('gen_ai.usage.output_tokens', 0)} out")
        if cat == "error":
            note += f"  {a.get('error.type', 'error')}"
        ax.text(start + max(dur, total_ms * 0.004) + total_ms * 0.01, row, note, va="center",
                fontsize=7.5)
    ax.set_yticks(range(len(ordered)))
    ax.set_yticklabels([_label(d, s.name)[:48] for d, s in ordered], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, total_ms * 1.35)
    ax.set_xlabel("ms since the trace started")
    ax.set_title(title or ordered[0][1].name, fontsize=10, pad=22)
    handles = [plt.Rectangle((0, 0), 1, 1, color=_COLOURS[c][0]) for c in _COLOURS if c in used]
    ax.legend(handles, [_COLOURS[c][1] for c in _COLOURS if c in used], fontsize=7.5,
              loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(handles),
              frameon=False)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def png(fig, dpi: int = 72, colors: int = 64) -> bytes:
    """A figure (or PNG bytes, such as the dashboard's `board.png`) as compact PNG bytes, for
    `IPython.display.Image`: drawn at `dpi` (a figure is closed) and reduced to a palette of
    `colors`, a third of the inline backend's copy or less (plots of a few flat colours lose
    nothing visible), so stored notebooks stay small."""
    import io

    from PIL import Image

    if isinstance(fig, (bytes, bytearray)):
        buf = io.BytesIO(fig)
    else:
        import matplotlib.pyplot as plt

        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
        plt.close(fig)
        buf.seek(0)
    out = io.BytesIO()
    Image.open(buf).convert("RGB").quantize(colors=colors).save(out, format="PNG", optimize=True)
    return out.getvalue()


# =========================================================================== spans you add


class TracedToolbox(Toolbox):
    """Lab 06's Toolbox, each tool call in an `execute_tool {name}` span (GenAI conventions:
    kind INTERNAL, gen_ai.operation.name, gen_ai.tool.name; error status on a failed call)."""

    def execute(self, name: str, tool_input: dict) -> ToolCall:
        tracer = trace.get_tracer(TRACER_NAME)
        attributes = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name,
                      "gen_ai.tool.type": "function"}
        with tracer.start_as_current_span(f"execute_tool {name}", kind=SpanKind.INTERNAL,
                                          attributes=attributes) as span:
            call = super().execute(name, tool_input)
            if call.status == "error":
                span.set_status(Status(StatusCode.ERROR, str(call.output)[:200]))
                span.set_attribute("error.type", "tool_error")
            return call


def _is_retrieve(span, service_name: str, operation_name: str) -> bool:
    return (service_name == "bedrock-agent-runtime" and operation_name == "Retrieve"
            and span.is_recording())


def retrieval_request_hook(span, service_name: str, operation_name: str, api_params: dict) -> None:
    """botocore request hook: GenAI attributes on knowledge-base Retrieve spans, which the
    instrumentation traces as plain AWS calls."""
    if _is_retrieve(span, service_name, operation_name):
        span.set_attribute("gen_ai.operation.name", "retrieval")
        span.set_attribute("gen_ai.data_source.id", api_params.get("knowledgeBaseId", ""))


def retrieval_response_hook(span, service_name: str, operation_name: str, result: dict) -> None:
    """botocore response hook: how many passages a Retrieve call returned."""
    if _is_retrieve(span, service_name, operation_name):
        results = (result or {}).get("retrievalResults", [])
        span.set_attribute("workshop.retrieval.results", len(results))


# =========================================================================== exporting


@dataclass
class ReceivedSpan:
    """One span as an OTLP receiver decoded it."""

    service: str
    scope: str
    name: str
    trace_id: str
    attributes: dict[str, Any] = field(default_factory=dict)


def _value(any_value) -> Any:
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return tuple(_value(v) for v in any_value.array_value.values)
    return getattr(any_value, kind) if kind else None


def decode_traces(body: bytes) -> list[ReceivedSpan]:
    """Spans of an OTLP/HTTP protobuf ExportTraceServiceRequest body."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    out = []
    for rs in request.resource_spans:
        resource = {kv.key: _value(kv.value) for kv in rs.resource.attributes}
        for ss in rs.scope_spans:
            for s in ss.spans:
                out.append(ReceivedSpan(str(resource.get("service.name", "")), ss.scope.name,
                                        s.name, s.trace_id.hex(),
                                        {kv.key: _value(kv.value) for kv in s.attributes}))
    return out


class OtlpReceiver:
    """A minimal OTLP/HTTP traces receiver on 127.0.0.1 (a stand-in for a collector): accepts
    POST /v1/traces (protobuf, optionally gzip), keeps the decoded spans and each request's
    headers and body, answers 200."""

    def __init__(self) -> None:
        self.spans: list[ReceivedSpan] = []
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                gzipped = self.headers.get("Content-Encoding") == "gzip"
                body = gzip.decompress(raw) if gzipped else raw
                if self.path != "/v1/traces":
                    self.send_error(404, "only /v1/traces is served")
                    return
                try:
                    spans = decode_traces(body)
                except Exception as exc:  # a body that is not an OTLP request
                    self.send_error(400, f"not an OTLP protobuf traces request: {exc}")
                    return
                with receiver._lock:
                    receiver.spans += spans
                    receiver.requests.append({"path": self.path, "spans": len(spans),
                                              "authorization": self.headers.get("Authorization"),
                                              "headers": dict(self.headers.items()),
                                              "body": raw})  # as sent
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:  # keep notebook output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The base URL to give OTEL_EXPORTER_OTLP_ENDPOINT (the exporter adds /v1/traces)."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "OtlpReceiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "OtlpReceiver":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def received_rows(spans: Sequence[ReceivedSpan]) -> list[dict]:
    """What a receiver got, per (service, scope, span name): how many spans."""
    counts: dict[tuple[str, str, str], int] = {}
    for s in spans:
        key = (s.service, s.scope, s.name)
        counts[key] = counts.get(key, 0) + 1
    return [{"service.name": k[0], "instrumentation scope": k[1], "span": k[2], "spans": n}
            for k, n in counts.items()]


def sigv4_session(region: str, service: str = "xray", session=None):
    """A requests.Session that signs each request with SigV4 (boto3's credentials), for the
    OTLP exporter's `session=`: CloudWatch's OTLP traces endpoint accepts SigV4-signed requests.
    Nothing is sent until the exporter exports."""
    import boto3
    import requests
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    credentials = (session or boto3.Session()).get_credentials()
    if credentials is None:
        raise RuntimeError("No AWS credentials found: SigV4 signing needs them (aws configure, "
                           "an IAM role, or environment variables).")

    class _SigV4(requests.auth.AuthBase):
        def __call__(self, r):
            signed = AWSRequest(method=r.method, url=r.url, data=r.body, headers={
                k: v for k, v in r.headers.items()
                if k.lower() in ("content-type", "content-encoding")})
            SigV4Auth(credentials.get_frozen_credentials(), service, region).add_auth(signed)
            r.headers.update(dict(signed.headers))
            return r

    out = requests.Session()
    out.auth = _SigV4()
    return out
