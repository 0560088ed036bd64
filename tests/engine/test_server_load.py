"""The HTTP server under concurrent load: many boto3 clients at once, streams, connection bursts.

Functional, not timed: every call must succeed and every stream arrive whole; the bounds on
time are generous limits against a hang, not performance targets (those are measured by
benchmarks/server_load.py).
"""

from __future__ import annotations

import threading
import time

import boto3
import pytest
from botocore.config import Config

from local_bedrock.faults import FaultConfig

MODEL = "amazon.nova-micro-v1:0"
CLIENTS, CALLS = 16, 6  # every third call a stream
LIMIT_S = 120  # against a hang only
CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=LIMIT_S)
FAKE = dict(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")


def _args(client: int, call: int) -> dict:
    text = f"Client {client}, call {call}: one tip for running LLM apps, please."
    return dict(modelId=MODEL, messages=[{"role": "user", "content": [{"text": text}]}],
                inferenceConfig={"maxTokens": 64, "temperature": 0})


def _streamed_text(events: list[dict]) -> str:
    return "".join(e["contentBlockDelta"]["delta"].get("text", "")
                   for e in events if "contentBlockDelta" in e)


def test_concurrent_clients_with_streams_all_succeed(server, runtime):
    session = boto3.Session(**FAKE)  # clients made here: client creation is not thread-safe
    clients = [session.client("bedrock-runtime", endpoint_url=server.url, config=CONFIG)
               for _ in range(CLIENTS)]
    results: list[tuple[int, int, str, str]] = []  # (client, call, kind, text)
    failures: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS)

    def work(c: int) -> None:
        start.wait()
        for i in range(CALLS):
            try:
                if i % 3 == 2:
                    events = list(clients[c].converse_stream(**_args(c, i))["stream"])
                    assert "messageStart" in events[0] and "metadata" in events[-1]
                    outcome = (c, i, "stream", _streamed_text(events))
                else:
                    out = clients[c].converse(**_args(c, i))
                    outcome = (c, i, "converse", out["output"]["message"]["content"][0]["text"])
            except BaseException as exc:  # collected: the assertion below names them
                with lock:
                    failures.append(exc)
                continue
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=work, args=(c,), daemon=True) for c in range(CLIENTS)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + LIMIT_S
    for t in threads:
        t.join(max(deadline - time.monotonic(), 0))
    assert not any(t.is_alive() for t in threads), f"calls still running after {LIMIT_S} s"
    assert failures == [], f"{len(failures)} calls failed, first: {failures[0]!r}"
    assert len(results) == CLIENTS * CALLS
    # every answer whole: the same text as the in-process engine gives (deterministic engine)
    for c, i, kind, text in results[::7]:
        expected = runtime.converse(**_args(c, i))["output"]["message"]["content"][0]["text"]
        assert text == expected, (c, i, kind)
    for client in clients:
        client.close()


def test_a_burst_of_new_connections_is_answered(server):
    """128 connections opened at once (socketserver's default backlog of 5 drops most)."""
    from benchmarks.server_load import connection_burst

    out = connection_burst(server.port, 128, timeout=30)
    assert (out["answered"], out["failed"], out["hanging"]) == (128, 0, 0)


@pytest.mark.parametrize("operation", ["converse_stream", "invoke_model_with_response_stream"])
def test_a_paced_stream_still_arrives_message_by_message(server, operation):
    """Messages share a write only when produced back to back; paced ones leave as they come."""
    server.engine.faults.configure(FaultConfig(per_token_ms=25))
    client = boto3.client("bedrock-runtime", endpoint_url=server.url, config=CONFIG, **FAKE)
    if operation == "converse_stream":
        stream = client.converse_stream(**_args(0, 0))["stream"]
    else:
        import json

        body = json.dumps({"messages": [{"role": "user", "content": [{"text": "Stream, please"}]}],
                           "inferenceConfig": {"maxTokens": 16}})
        stream = client.invoke_model_with_response_stream(modelId=MODEL, body=body)["body"]
    arrivals = []
    for _ in stream:
        arrivals.append(time.perf_counter())
    assert len(arrivals) >= 8
    # had the messages been held to the end, they would all arrive within a few ms of each other
    gaps = sorted(b - a for a, b in zip(arrivals, arrivals[1:]))
    assert gaps[len(gaps) // 2] >= 0.010, gaps
