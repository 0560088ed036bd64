"""batch_runner (08_llmops): every item ends as exactly one result or one recorded error."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.lab_modules import load

batch = load("08_llmops", "batch_runner")

REPO = Path(__file__).resolve().parents[2]
MODEL = "amazon.nova-micro-v1:0"


def client_error(code: str, status: int) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"injected {code}"},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, "Converse")


def ask(runtime, text: str, model: str = MODEL) -> str:
    resp = runtime.converse(modelId=model, messages=[{"role": "user", "content": [{"text": text}]}],
                            inferenceConfig={"maxTokens": 24, "temperature": 0})
    return resp["output"]["message"]["content"][0]["text"]


# ----------------------------------------------------------------------------- plain runs


def test_every_item_once_and_results_keyed_by_id(tmp_path):
    calls = Counter()
    lock = threading.Lock()

    def fn(x):
        with lock:
            calls[x] += 1
        return x * x

    items = {f"i{n}": n for n in range(50)}
    report = batch.run_batch(items, fn, tmp_path / "c.jsonl", concurrency=4, progress=False)
    assert report.results == {f"i{n}": n * n for n in range(50)}
    assert report.errors == {} and report.processed == 50 and report.skipped == 0
    assert set(calls.values()) == {1}
    assert batch.audit(tmp_path / "c.jsonl", items) == {
        "items": 50, "results": 50, "errors": 0, "lost": 0, "duplicated": 0, "unexpected": 0}
    again = batch.run_batch(items, fn, tmp_path / "c.jsonl", progress=False)  # all done already
    assert again.skipped == 50 and again.processed == 0 and again.calls == 0
    assert sum(calls.values()) == 50


def test_item_shapes_and_duplicate_ids(tmp_path):
    assert batch.normalise_items([{"id": 1, "q": "a"}, {"id": 2, "q": "b"}])[1] == (
        "2", {"id": 2, "q": "b"})
    assert batch.normalise_items([("a", 1), ("b", 2)]) == [("a", 1), ("b", 2)]
    with pytest.raises(ValueError, match="unique"):
        batch.run_batch([("a", 1), ("a", 2)], str, tmp_path / "c.jsonl", progress=False)


def test_retry_policy_by_error_kind(tmp_path):
    calls = Counter()

    def fn(kind):
        calls[kind] += 1
        if kind == "fatal":
            raise client_error("ValidationException", 400)
        if kind == "flaky" and calls[kind] < 3:
            raise client_error("ServiceUnavailableException", 503)
        if kind == "broken":
            raise client_error("ModelTimeoutException", 408)
        if kind == "busy" and calls[kind] < 4:
            raise client_error("ThrottlingException", 429)
        if kind == "bug":
            raise KeyError("not a botocore error")
        return kind

    items = {k: k for k in ("fatal", "flaky", "broken", "busy", "bug", "fine")}
    report = batch.run_batch(items, fn, tmp_path / "c.jsonl", concurrency=1, max_attempts=4,
                             base_delay_s=0.001, progress=False)
    assert calls == {"fatal": 1, "flaky": 3, "broken": 4, "busy": 4, "bug": 1, "fine": 1}
    assert set(report.results) == {"flaky", "busy", "fine"}
    assert report.errors["fatal"]["code"] == "ValidationException"
    assert report.errors["broken"] == {"code": "ModelTimeoutException",
                                       "message": "injected ModelTimeoutException", "status": 408}
    assert report.errors["bug"]["code"] == "KeyError"
    assert report.throttles == 3 and report.retried_errors == 2 + 4
    lines = batch.read_checkpoint(tmp_path / "c.jsonl")
    assert {r["id"]: r["attempts"] for r in lines}["busy"] == 4


def test_drop_errors_lets_a_new_run_retry_them(tmp_path):
    path = tmp_path / "c.jsonl"
    broken = {"b"}
    report = batch.run_batch({"a": 1, "b": 2}, lambda x: 1 / (x - 2) if "b" in broken else x,
                             path, progress=False)
    assert set(report.errors) == {"b"}
    assert batch.drop_errors(path) == 1
    broken.clear()
    report = batch.run_batch({"a": 1, "b": 2}, lambda x: x, path, progress=False)
    assert report.results == {"a": -1.0, "b": 2}
    assert report.skipped == 1 and batch.audit(path, ["a", "b"])["duplicated"] == 0


# ----------------------------------------------------------------------------- the engine


def test_runner_against_engine_quota_and_5xx_loses_nothing(tmp_path, engine, make_client):
    engine.faults.configure(rpm=25, window_s=0.25, error_rate=0.2, seed=5)
    runtime = make_client("bedrock-runtime", batch.NO_RETRY_CONFIG)
    items = {f"q{n:03d}": f"What is part number {n}?" for n in range(120)}
    items["q-bad"] = "this one uses a retired model"

    def fn(text):
        return ask(runtime, text, "anthropic.claude-v2" if "retired" in text else MODEL)

    report = batch.run_batch(items, fn, tmp_path / "c.jsonl", concurrency=6, progress=False)
    audit = batch.audit(tmp_path / "c.jsonl", items)
    assert audit["lost"] == 0 and audit["duplicated"] == 0
    assert audit["results"] + audit["errors"] == 121
    assert report.errors["q-bad"]["code"] == "ResourceNotFoundException"
    assert report.throttles > 0 and report.retried_errors > 0  # faults really happened
    assert len(report.results) >= 118  # 5xx are retried (6 attempts at 20 %)
    assert all(text.startswith("[local engine]") for text in report.results.values())


def test_quota_limiter_paces_to_the_quota(tmp_path, engine, make_client):
    engine.faults.configure(rpm=10, window_s=0.3)
    runtime = make_client("bedrock-runtime", batch.NO_RETRY_CONFIG)
    limiter = batch.RateLimiter(requests=10, per_s=0.3, skew_s=0.01)
    items = {str(n): f"hello {n}" for n in range(45)}
    report = batch.run_batch(items, lambda t: ask(runtime, t), tmp_path / "c.jsonl",
                             concurrency=8, limiter=limiter, progress=False)
    assert len(report.results) == 45
    # The server enforces the quota; the limiter's job is to stay under it so that few calls
    # are throttled. Client-side timestamps bunch under load, so they are not asserted on.
    assert report.elapsed_s >= 4 * 0.3  # 45 calls need at least 5 windows
    # How many calls get throttled depends on scheduling jitter at 0.3 s windows (machine
    # load), so it is measured by benchmarks/batch_goodput.py, not asserted here.


def test_adaptive_limiter_learns_a_rate_from_throttles(tmp_path, engine, make_client):
    engine.faults.configure(rpm=20, window_s=0.5)
    runtime = make_client("bedrock-runtime", batch.NO_RETRY_CONFIG)
    limiter = batch.RateLimiter()
    assert limiter.rate is None
    items = {str(n): f"hello {n}" for n in range(80)}
    report = batch.run_batch(items, lambda t: ask(runtime, t), tmp_path / "c.jsonl",
                             concurrency=8, limiter=limiter, progress=False)
    assert len(report.results) == 80 and report.throttles > 0
    assert limiter.rate is not None and 10 < limiter.rate < 200  # ~40/s is the quota


# ----------------------------------------------------------------------------- kills


def test_exception_mid_run_then_resume(tmp_path):
    path = tmp_path / "c.jsonl"
    calls = Counter()
    lock = threading.Lock()

    def fn(x, limit):
        with lock:
            calls["n"] += 1
            calls[x] += 1
            if limit and calls["n"] > limit:
                raise KeyboardInterrupt("simulated Ctrl-C")
        time.sleep(0.002)
        return -x

    items = {f"k{n:03d}": n for n in range(200)}
    with pytest.raises(KeyboardInterrupt):
        batch.run_batch(items, lambda x: fn(x, 60), path, concurrency=5, progress=False)
    first = batch.audit(path, items)
    assert 50 <= first["results"] <= 60 and first["duplicated"] == 0
    report = batch.run_batch(items, lambda x: fn(x, None), path, concurrency=5, progress=False)
    assert report.skipped == first["results"]
    assert batch.audit(path, items)["lost"] == 0
    assert batch.audit(path, items)["duplicated"] == 0
    assert report.results == {k: -v for k, v in items.items()}
    recorded_first = {r["id"] for r in batch.read_checkpoint(path)[: first["results"]]}
    assert all(calls[items[k]] == 1 for k in recorded_first)  # done items never re-run


def test_torn_last_line_is_repaired_and_a_corrupt_middle_is_refused(tmp_path):
    path = tmp_path / "c.jsonl"
    batch.run_batch({"a": 1, "b": 2}, lambda x: x, path, progress=False)
    with open(path, "a") as fh:
        fh.write('{"id": "c", "status": "ok", "res')  # killed mid-write
    report = batch.run_batch({"a": 1, "b": 2, "c": 3}, lambda x: x * 10, path, progress=False)
    assert report.skipped == 2 and report.results == {"a": 1, "b": 2, "c": 30}
    assert [json.loads(line)["id"] for line in path.read_text().splitlines()] == ["a", "b", "c"]
    path.write_text('{"id": "a", "status": "ok", "result": 1}\nGARBAGE\n'
                    '{"id": "b", "status": "ok", "result": 2}\n')
    with pytest.raises(ValueError, match="corrupted"):
        batch.run_batch({"a": 1}, lambda x: x, path, progress=False)


CHILD = textwrap.dedent("""
    import sys
    from local_bedrock import Engine, InProcessTransport
    import boto3
    from tests.lab_modules import load

    batch = load("08_llmops", "batch_runner")

    engine = Engine()
    engine.faults.configure(rpm=60, window_s=0.2, error_rate=0.15, seed=int(sys.argv[2]))
    endpoint = "http://127.0.0.1:9"
    runtime = boto3.client("bedrock-runtime", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id="t", aws_secret_access_key="t",
                           config=batch.NO_RETRY_CONFIG)
    InProcessTransport(engine, endpoint).attach(runtime)

    def fn(n):
        with open(sys.argv[3], "a") as log:
            log.write(f"{sys.argv[2]} {n}\\n")
        resp = runtime.converse(modelId="amazon.nova-micro-v1:0", messages=[
            {"role": "user", "content": [{"text": f"Describe part {n}."}]}],
            inferenceConfig={"maxTokens": 16, "temperature": 0})
        return {"n": n, "tokens": resp["usage"]["outputTokens"]}

    items = {f"part-{n:04d}": n for n in range(300)}
    batch.run_batch(items, fn, sys.argv[1], concurrency=6, progress=False)
    print("finished")
""")


def run_child(tmp_path: Path, seed: int) -> subprocess.Popen:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, str(script), str(tmp_path / "c.jsonl"), str(seed),
                             str(tmp_path / "calls.log")], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_sigkill_mid_run_then_resume_loses_and_duplicates_nothing(tmp_path):
    path = tmp_path / "c.jsonl"
    child = run_child(tmp_path, seed=1)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_bytes().splitlines()) >= 80:
            break
        if child.poll() is not None:
            pytest.fail(f"child ended before the kill: {child.communicate()}")
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    assert child.returncode == -signal.SIGKILL
    ids = [f"part-{n:04d}" for n in range(300)]
    killed = batch.audit(path, ids)
    assert 80 <= killed["results"] + killed["errors"] < 300  # really killed mid-way
    assert killed["duplicated"] == 0

    resumed = run_child(tmp_path, seed=2)
    out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    assert out.strip() == "finished"
    final = batch.audit(path, ids)
    assert final["lost"] == 0 and final["duplicated"] == 0 and final["unexpected"] == 0
    assert final["results"] + final["errors"] == 300
    lines = batch.read_checkpoint(path)
    assert all(r["result"]["n"] == int(r["id"][5:]) for r in lines if r["status"] == "ok")
    assert all(r["error"]["status"] in (500, 503, 408) for r in lines if r["status"] == "error")
    # the resumed run called exactly the items the killed run had not recorded
    calls = [line.split() for line in (tmp_path / "calls.log").read_text().splitlines()]
    first_ids = {r["id"] for r in lines[: killed["results"] + killed["errors"]]}
    second = {f"part-{int(n):04d}" for run, n in calls if run == "2"}
    assert second == set(ids) - first_ids
