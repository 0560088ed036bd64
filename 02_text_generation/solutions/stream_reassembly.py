"""Worked solution to 02.03's "Your turn": time to first chunk vs total, and the answer
reassembled from the stream's ``contentBlockDelta`` events.

For a short and a long answer (``maxTokens`` 20 and 120) the solution streams the same request
with ConverseStream, timestamps every text delta, joins the deltas back into the answer and reads
usage and stop reason from the ``metadata`` and ``messageStop`` events. It then asks plain
Converse the same thing at temperature 0 and compares the texts. The longer answer arrives in more
chunks, and its first chunk comes no later than the stream ends.
"""

from __future__ import annotations

import time

import boto3

from utils import models

PROMPT = "Describe a busy harbour at dawn for a visitor."
LENGTHS = (20, 120)


def stream_once(runtime, max_tokens: int, prompt: str = PROMPT) -> dict:
    """Stream one answer: delta times (ms from the call), the text and the final events."""
    request = {"modelId": models.TEXT_MODEL,
               "messages": [{"role": "user", "content": [{"text": prompt}]}],
               "inferenceConfig": {"maxTokens": max_tokens, "temperature": 0}}
    start = time.perf_counter()
    pieces, times, stop, usage = [], [], None, {}
    for event in runtime.converse_stream(**request)["stream"]:
        if "contentBlockDelta" in event:
            times.append((time.perf_counter() - start) * 1000)
            pieces.append(event["contentBlockDelta"]["delta"].get("text", ""))
        elif "messageStop" in event:
            stop = event["messageStop"]["stopReason"]
        elif "metadata" in event:
            usage = event["metadata"]["usage"]
    total = (time.perf_counter() - start) * 1000
    whole = runtime.converse(**request)
    text = "".join(pieces)
    return {"maxTokens": max_tokens, "chunks": len(pieces), "first chunk ms": round(times[0]),
            "total ms": round(total), "outputTokens": usage.get("outputTokens"),
            "stopReason": stop, "chars": len(text),
            "same as Converse": text == "".join(b.get("text", "") for b in
                                                whole["output"]["message"]["content"])}


def run() -> list[dict]:
    runtime = boto3.client("bedrock-runtime")
    return [stream_once(runtime, n) for n in LENGTHS]


def check(rows: list[dict]) -> None:
    short, long = rows
    for r in rows:
        assert r["chunks"] >= 1 and r["chars"] > 0, "the deltas rebuild a non-empty answer"
        assert r["first chunk ms"] <= r["total ms"], "the first chunk arrives before the end"
        assert 0 < r["outputTokens"] <= r["maxTokens"]
    assert short["stopReason"] == "max_tokens" and short["outputTokens"] == short["maxTokens"]
    assert long["chunks"] > short["chunks"] and long["chars"] > short["chars"]
