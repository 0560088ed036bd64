"""Per-call cost of the offline engine against two baselines, measured in one process.

    python benchmarks/engine_overhead.py [--calls 300]

Same Converse call answered by: botocore's Stubber (canned parsed response, no wire at all),
a canned response through the in-process hook (botocore's full serialise/sign/parse path and
nothing else: the in-process floor), the engine in-process (botocore builds, signs and parses; no socket), a canned-response
loopback HTTP server (same server code, no engine work: the transport floor), and the engine
over HTTP. Also ConverseStream's time to first event. Targets (issue 2): in-process <= 3x
Stubber; over HTTP <= 1.5x the canned loopback floor.
"""

from __future__ import annotations

import argparse
import statistics
import time

import boto3
from botocore.config import Config
from botocore.stub import Stubber

from local_bedrock import Engine, EngineServer, InProcessTransport
from local_bedrock.wire.protocol import Response

MODEL = "amazon.nova-micro-v1:0"
KW = dict(region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench",
          config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
MESSAGES = [{"role": "user", "content": [{"text": "Give me one tip for operating LLM apps."}]}]
ARGS = dict(modelId=MODEL, messages=MESSAGES, inferenceConfig={"maxTokens": 64, "temperature": 0})


def per_call_us(fn, calls: int) -> float:
    """Median of 5 rounds of `calls` calls, in microseconds per call."""
    fn()  # warm up (model load, connection)
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(calls // 5):
            fn()
        rounds.append((time.perf_counter() - start) / (calls // 5) * 1e6)
    return statistics.median(rounds)


class CannedEngine:
    """Answers every request with the same pre-serialised Converse response bytes."""

    def __init__(self, body: bytes):
        self.body = body

    def handle(self, request) -> Response:
        return Response(200, {"Content-Type": "application/json", "x-amzn-RequestId": "canned"},
                        self.body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=300)
    n = parser.parse_args().calls
    engine = Engine()
    server = EngineServer(engine).start()

    inproc = boto3.client("bedrock-runtime", endpoint_url="http://127.0.0.1:9", **KW)
    InProcessTransport(engine, "http://127.0.0.1:9").attach(inproc)
    reference = inproc.converse(**ARGS)
    canned_parsed = {k: v for k, v in reference.items() if k != "ResponseMetadata"}

    stubbed = boto3.client("bedrock-runtime", **KW)
    stubber = Stubber(stubbed)
    stubber.activate()

    def stub_call():
        stubber.add_response("converse", canned_parsed)
        stubbed.converse(**ARGS)

    from local_bedrock.wire import protocol

    op = protocol.service_model("bedrock-runtime").operation_model("Converse")
    canned_body = protocol.serialize_response(op, dict(canned_parsed), "canned").body
    canned_server = EngineServer(CannedEngine(canned_body)).start()
    canned = boto3.client("bedrock-runtime", endpoint_url=canned_server.url, **KW)
    http = boto3.client("bedrock-runtime", endpoint_url=server.url, **KW)

    canned_inproc = boto3.client("bedrock-runtime", endpoint_url="http://127.0.0.1:8", **KW)
    InProcessTransport(CannedEngine(canned_body), "http://127.0.0.1:8").attach(canned_inproc)

    results = {
        "Stubber (no wire)": per_call_us(stub_call, n),
        "canned in-process": per_call_us(lambda: canned_inproc.converse(**ARGS), n),
        "engine in-process": per_call_us(lambda: inproc.converse(**ARGS), n),
        "canned loopback HTTP": per_call_us(lambda: canned.converse(**ARGS), n),
        "engine over HTTP": per_call_us(lambda: http.converse(**ARGS), n),
    }

    def first_event_us(client) -> float:
        def once():
            start = time.perf_counter()
            stream = client.converse_stream(**ARGS)["stream"]
            next(iter(stream))
            elapsed = time.perf_counter() - start
            for _ in stream:
                pass
            return elapsed

        once()
        return statistics.median(once() for _ in range(50)) * 1e6

    ttfe = {"in-process": first_event_us(inproc), "HTTP": first_event_us(http)}
    server.stop()
    canned_server.stop()

    print(f"Converse, {n} calls each (median of 5 rounds), microseconds per call")
    for name, us in results.items():
        print(f"  {name:<22} {us:9.0f} us")
    r1 = results["engine in-process"] / results["Stubber (no wire)"]
    r2 = results["engine over HTTP"] / results["canned loopback HTTP"]
    r0 = results["canned in-process"] / results["Stubber (no wire)"]
    print(f"  in-process / Stubber       {r1:5.2f}x  (target <= 3.0x)")
    print(f"    of which botocore's own serialise/sign/parse path: {r0:4.2f}x (canned in-process)")
    print(f"  HTTP / canned loopback     {r2:5.2f}x  (target <= 1.5x)")
    print("ConverseStream time to first event (median of 50)")
    for name, us in ttfe.items():
        print(f"  {name:<22} {us:9.0f} us")


if __name__ == "__main__":
    main()
