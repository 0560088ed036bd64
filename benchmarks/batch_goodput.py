"""Goodput under a quota: the resumable batch runner against a naive loop and boto3 retries.

    PYTHONPATH=. .venv/bin/python benchmarks/batch_goodput.py [--items 1000] [--quota 40]
        [--window 1.0] [--error-rate 0.1]

1,000 Converse requests go to the local engine (in-process) with a quota of R requests per
window (Bedrock's RPM quota is per 60 s; the window is shortened so the run takes seconds,
not minutes) and 10 % injected server errors (503/500/408). For each strategy it prints:

* goodput % of quota: successful calls / the most the quota can admit in the run's duration,
  R x ceil(elapsed / window) (a sliding window that starts empty admits R at once, then R
  more each time a window has passed);
* server errors: injected 503/500/408 answers; a request the server failed to process
  uses no quota (the engine's rule), so goodput can reach 100 % of the quota;
* lost: items that ended with neither a result nor a recorded error; duplicated: items
  recorded twice. The runner's run is also killed (an injected KeyboardInterrupt) after
  40 % of the items and resumed from its checkpoint; the audit covers both runs.

Strategies: naive loop (sequential, boto3 defaults = legacy retries, exceptions skipped);
boto3 adaptive (8 threads, retries mode "adaptive",
max_attempts 6; failures lost);
runner adaptive (08_llmops/batch_runner.py's run_batch, 8 threads, no quota given: it
learns it from throttles); runner with quota (told R per window, it paces to it).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
from botocore.config import Config

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.append(str(REPO / "08_llmops"))  # lab 08's own helper, as its notebooks import it

import batch_runner as batch  # noqa: E402

from local_bedrock import Engine, InProcessTransport  # noqa: E402
from local_bedrock.catalog import by_tag  # noqa: E402

MODEL = by_tag("cheapest-text").model_id
ENDPOINT = "http://127.0.0.1:9"  # never contacted: the in-process transport answers first
FAKE = dict(region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench")


class CountingFaults:
    """Wrap the engine's fault injector to count what the *server* saw: admitted, throttled."""

    def __init__(self, faults):
        self.inner = faults
        self.counts: Counter = Counter()
        self.lock = threading.Lock()
        self._admit = faults.admit
        faults.admit = self.admit

    def admit(self, model_id: str, tokens: int) -> None:
        try:
            self._admit(model_id, tokens)
        except Exception as exc:
            kind = "throttled" if getattr(exc, "code", "") == "ThrottlingException" else "failed"
            with self.lock:
                self.counts[kind] += 1
            raise
        with self.lock:
            self.counts["admitted"] += 1


def make_client(engine: Engine, config: Config):
    client = boto3.session.Session().client("bedrock-runtime", endpoint_url=ENDPOINT,
                                            config=config, **FAKE)
    InProcessTransport(engine, ENDPOINT).attach(client)
    return client


def ask(client, i: int) -> str:
    resp = client.converse(modelId=MODEL, messages=[{"role": "user", "content": [
        {"text": f"Classify ticket {i}: my robot vacuum stops after ten minutes."}]}],
        inferenceConfig={"maxTokens": 32, "temperature": 0})
    return resp["output"]["message"]["content"][0]["text"][:40]


NAIVE_CONFIG = Config(max_pool_connections=16)  # boto3 defaults: legacy retries
ADAPTIVE_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 6}, read_timeout=300,
                         connect_timeout=10, max_pool_connections=16)


def naive(client, n: int) -> dict:
    ok = lost = 0
    for i in range(n):
        try:
            ask(client, i)
            ok += 1
        except Exception:
            lost += 1
    return {"succeeded": ok, "recorded errors": 0, "lost": lost, "duplicated": 0}


def boto3_adaptive(client, n: int, concurrency: int = 8) -> dict:
    def one(i: int) -> bool:
        try:
            ask(client, i)
            return True
        except Exception:
            return False

    with ThreadPoolExecutor(concurrency) as pool:
        outcomes = list(pool.map(one, range(n)))
    return {"succeeded": sum(outcomes), "recorded errors": 0,
            "lost": outcomes.count(False), "duplicated": 0}


def runner(client, n: int, limiter: batch.RateLimiter, kill_at: int,
           concurrency: int = 8) -> dict:
    ids = [f"item-{i:05d}" for i in range(n)]
    items = {item_id: i for i, item_id in enumerate(ids)}
    done = Counter()
    lock = threading.Lock()

    def fn(i: int, kill: bool) -> str:
        if kill:
            with lock:
                done["calls"] += 1
                if done["calls"] > kill_at:
                    raise KeyboardInterrupt("benchmark: simulated kill")
        return ask(client, i)

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "checkpoint.jsonl")
        try:
            batch.run_batch(items, lambda i: fn(i, True), path, concurrency=concurrency,
                            limiter=limiter, progress=False, seed=1)
        except KeyboardInterrupt:
            pass
        first = batch.audit(path, ids)
        batch.run_batch(items, lambda i: fn(i, False), path, concurrency=concurrency,
                        limiter=limiter, progress=False, seed=2)
        final = batch.audit(path, ids)
    return {"succeeded": final["results"], "recorded errors": final["errors"],
            "lost": final["lost"], "duplicated": final["duplicated"],
            "done before kill": first["results"] + first["errors"]}


def measure(name: str, config: Config, run, quota: int, window: float,
            error_rate: float) -> dict:
    engine = Engine()
    engine.faults.configure(rpm=quota, window_s=window, error_rate=error_rate, seed=11)
    counter = CountingFaults(engine.faults)
    client = make_client(engine, config)  # built before the clock starts
    start = time.monotonic()
    row = run(client)
    elapsed = time.monotonic() - start
    capacity = quota * math.ceil(elapsed / window)
    return {"strategy": name, "seconds": round(elapsed, 1),
            "goodput % of quota": round(100 * row["succeeded"] / capacity, 1),
            "server errors": counter.counts["failed"],
            "succeeded": row["succeeded"], "recorded errors": row["recorded errors"],
            "lost": row["lost"], "duplicated": row["duplicated"],
            "throttled calls": counter.counts["throttled"]}


def print_table(rows: list[dict]) -> None:
    cols = list(rows[0])
    width = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    print("  ".join(c.ljust(width[c]) for c in cols))
    print("  ".join("-" * width[c] for c in cols))
    for r in rows:
        print("  ".join(str(r[c]).ljust(width[c]) for c in cols))


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--items", type=int, default=1000)
    ap.add_argument("--quota", type=int, default=40, help="requests admitted per window")
    ap.add_argument("--window", type=float, default=0.5, help="quota window in seconds")
    ap.add_argument("--error-rate", type=float, default=0.1)
    ap.add_argument("--only", default="", help="comma list of strategies to run")
    ap.add_argument("--concurrency", type=int, default=8, help="threads (runner, boto3 adaptive)")
    args = ap.parse_args(argv)
    n, q, w, e, c = args.items, args.quota, args.window, args.error_rate, args.concurrency
    kill = int(0.4 * n)
    strategies = {
        "naive loop": (NAIVE_CONFIG, lambda cl: naive(cl, n)),
        "boto3 adaptive": (ADAPTIVE_CONFIG, lambda cl: boto3_adaptive(cl, n, c)),
        "runner adaptive": (batch.NO_RETRY_CONFIG,
                            lambda cl: runner(cl, n, batch.RateLimiter(), kill, c)),
        "runner with quota": (batch.NO_RETRY_CONFIG,
                              lambda cl: runner(cl, n, batch.RateLimiter(q, w), kill, c)),
    }
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    ask(make_client(Engine(), batch.NO_RETRY_CONFIG), 0)  # warm up: load the embedding model
    print(f"{n} Converse calls, quota {q} requests per {w:g} s window "
          f"({q / w * 60:,.0f} RPM equivalent), {e:.0%} injected server errors, local engine "
          "in-process.\nThe runner's run is killed after 40 % of the calls and resumed.\n")
    rows = [measure(name, config, run, q, w, e) for name, (config, run) in strategies.items()
            if not only or name in only]
    print_table(rows)
    return rows


if __name__ == "__main__":
    main()
