"""Worked solution to 08.04's "Your turn": how many attempts should a client make against a quota?

The same burst (30 short Converse calls from 4 threads against a quota of 10 requests per 1 s
window; live, your account's real quota) is sent with botocore's ``standard`` retry mode at 1, 3
and 8 total attempts. Each run counts the calls that still failed with ``ThrottlingException``,
the retries botocore made (``ResponseMetadata.RetryAttempts``) and the wall time: more attempts
turn throttles into successes, paid for in latency. Run it from the notebook
(``from solutions.batch_retry_attempts import run, check``) or from the tests: ``check(run())``.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

import utils
from utils.setup import current

ATTEMPTS = (1, 3, 8)
CALLS, THREADS, QUOTA = 30, 4, 10


def _burst(client) -> dict:
    def one(i):
        try:
            resp = client.converse(modelId=utils.models.TEXT_MODEL,
                                   messages=[{"role": "user", "content": [{"text": f"Ticket {i}"}]}],
                                   inferenceConfig={"maxTokens": 16})
            return "ok", resp["ResponseMetadata"]["RetryAttempts"]
        except client.exceptions.ClientError as err:
            return err.response["Error"]["Code"], err.response["ResponseMetadata"].get("RetryAttempts", 0)

    start = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(one, range(CALLS)))
    seconds = time.perf_counter() - start
    return {"succeeded": sum(code == "ok" for code, _ in results),
            "throttled": sum(code == "ThrottlingException" for code, _ in results),
            "retries": sum(r for _, r in results), "seconds": round(seconds, 2)}


def run() -> list[dict]:
    """One row per total_max_attempts: succeeded, still throttled, retries made, seconds."""
    ws = current()
    warm = boto3.client("bedrock-runtime")
    warm.converse(modelId=utils.models.TEXT_MODEL, messages=[{"role": "user", "content": [{"text": "Hello"}]}],
                  inferenceConfig={"maxTokens": 16})  # the first call of a process warms connections up
    rows = []
    try:
        for attempts in ATTEMPTS:
            ws.configure_faults(rpm=QUOTA, tpm=None, window_s=1.0, error_rate=0.0)
            time.sleep(1.0)  # start each run with a fresh window
            client = boto3.client("bedrock-runtime", config=Config(
                retries={"mode": "standard", "total_max_attempts": attempts}, max_pool_connections=THREADS))
            rows.append({"mode": "standard", "total_max_attempts": attempts, **_burst(client)})
    finally:
        ws.configure_faults(rpm=None, tpm=None, window_s=60.0, error_rate=0.0)
    return rows


def check(rows: list[dict]) -> None:
    """Without retries the burst is throttled; every extra attempt leaves fewer calls throttled and
    costs retries; the most attempts take longer than none."""
    by = {r["total_max_attempts"]: r for r in rows}
    one, most = by[min(ATTEMPTS)], by[max(ATTEMPTS)]
    assert one["retries"] == 0 and one["throttled"] >= CALLS - 2 * QUOTA, one
    throttled = [by[a]["throttled"] for a in ATTEMPTS]
    assert throttled == sorted(throttled, reverse=True) and most["throttled"] < one["throttled"], throttled
    assert most["retries"] > 0 and most["seconds"] > one["seconds"], (one, most)
    assert all(r["succeeded"] + r["throttled"] == CALLS for r in rows), rows
