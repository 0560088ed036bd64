"""No engine path that reads text may grow faster than its input: each path is timed at 1,000
and 10,000 words in one run and the ratio compared (a quadratic path gives ~100x, a linear one
~10x), so the test does not depend on the machine's speed. `benchmarks/scaling.py` prints the
full figures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from scaling import Workload  # noqa: E402

MAX_RATIO = 30  # per 10x of input: linear is ~10x (plus fixed costs it amortises), quadratic ~100x


@pytest.fixture(scope="module")
def work():
    import utils

    w = Workload(utils.setup("offline", region="us-east-1", quiet=True))
    for name in w.paths():
        w.seconds(name, 200)  # models, classifiers and tokenizers load on first use
    yield w
    utils.teardown()


@pytest.mark.parametrize("path", ["summary", "question", "extraction_json", "classification", "tool_use",
                                  "guardrail_content_filters", "guardrail_all_policies",
                                  "converse_with_guardrail"])
def test_ten_times_the_input_costs_at_most_about_ten_times_the_time(work, path):
    small = work.seconds(path, 1_000, repeats=3)
    large = work.seconds(path, 10_000, repeats=2)
    assert large / max(small, 1e-3) <= MAX_RATIO, f"{path}: {small:.3f}s -> {large:.3f}s"


COMPOSE_S = 0.4  # how slow slow_composition makes each answer


def slow_composition(monkeypatch) -> None:
    """Make the stand-in model take COMPOSE_S seconds to compose any answer."""
    import time

    from local_bedrock.text import responder

    slow = responder.respond

    def respond(req):
        time.sleep(COMPOSE_S)
        return slow(req)

    monkeypatch.setattr(responder, "respond", respond)


def test_the_stream_starts_before_the_answer_is_composed(work, monkeypatch):
    """messageStart leaves before the answer is composed: with composition made slow on purpose
    (0.4 s), the first event still arrives at once and the rest after the composition."""
    import time

    slow_composition(monkeypatch)
    start = time.perf_counter()
    stream = work.rt.converse_stream(modelId=work.model, messages=[
        {"role": "user", "content": [{"text": "Summarise this document:\n\n" + work.document(2_000)}]}])["stream"]
    events = iter(stream)
    first = next(events)
    first_s = time.perf_counter() - start
    rest = list(events)
    total_s = time.perf_counter() - start
    assert "messageStart" in first and "metadata" in rest[-1]
    assert first_s < 0.3 <= 0.4 <= total_s, (first_s, total_s)


def test_invoke_model_stream_starts_before_the_answer_is_composed(work, monkeypatch):
    """InvokeModelWithResponseStream on Nova: its messageStart chunk leaves before the answer is
    composed (slowed to 0.4 s on purpose); the chunks after it are the whole answer as before."""
    import json
    import time

    body = json.dumps({"messages": [{"role": "user", "content": [
        {"text": "Summarise this document:\n\n" + work.document(2_000)}]}],
        "inferenceConfig": {"maxTokens": 200}})
    quick = [json.loads(e["chunk"]["bytes"]) for e in
             work.rt.invoke_model_with_response_stream(modelId=work.model, body=body)["body"]]
    slow_composition(monkeypatch)
    start = time.perf_counter()
    events = iter(work.rt.invoke_model_with_response_stream(modelId=work.model, body=body)["body"])
    first = json.loads(next(events)["chunk"]["bytes"])
    first_s = time.perf_counter() - start
    rest = [json.loads(e["chunk"]["bytes"]) for e in events]
    total_s = time.perf_counter() - start
    assert first == {"messageStart": {"role": "assistant"}} and "amazon-bedrock-invocationMetrics" in rest[-1]
    assert first_s < 0.3 <= 0.4 <= total_s, (first_s, total_s)
    strip = lambda c: {k: v for k, v in c.items() if k != "amazon-bedrock-invocationMetrics"}  # latencies differ
    assert [strip(c) for c in [first, *rest]] == [strip(c) for c in quick]


def test_invoke_model_stream_refuses_before_it_starts(work):
    """An input over the context window is a ValidationException on the call, not a broken stream."""
    import json

    import botocore.exceptions
    import pytest

    body = json.dumps({"messages": [{"role": "user", "content": [{"text": "word " * 400_000}]}]})
    with pytest.raises(botocore.exceptions.ClientError) as err:
        work.rt.invoke_model_with_response_stream(modelId=work.model, body=body)
    assert err.value.response["Error"]["Code"] == "ValidationException"
