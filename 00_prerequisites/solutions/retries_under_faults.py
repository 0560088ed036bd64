"""Worked solution to 00.03's "Your turn": inject throttling and server errors, and watch what
botocore's retries do with them.

1. A quota of 2 requests per 2-second window (``ws.configure_faults(rpm=2, window_s=2)``). Six
   quick calls from a client without retries: the third onwards is throttled. The same six from
   a client in ``standard`` retry mode: every call succeeds, and ``ResponseMetadata.RetryAttempts``
   shows how many throttled attempts botocore absorbed (with backoff, until the window moved on).
2. A third of all attempts fail with a server-side error (``error_rate=0.3``). ``standard`` mode
   retries 500 and 503 (transient), but not ``ModelTimeoutException``: it is a 408, which botocore does
   not treat as transient, so it reaches your code after one attempt.

Faults are switched off again at the end. Run it from the notebook
(``from solutions.retries_under_faults import run, check``) or from the tests.
"""

from __future__ import annotations

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

import utils

CALLS = 6
MAX_ATTEMPTS = 5
OFF = {"rpm": None, "window_s": 60.0, "error_rate": 0.0}


def _calls(runtime, scenario: str, retries: str) -> list[dict]:
    rows = []
    for i in range(CALLS):
        try:
            response = runtime.converse(modelId=utils.models.CHEAP_MODEL, inferenceConfig={"maxTokens": 5},
                                        messages=[{"role": "user", "content": [{"text": f"call {i}"}]}])
            outcome, meta = "ok", response["ResponseMetadata"]
        except ClientError as err:
            outcome, meta = err.response["Error"]["Code"], err.response["ResponseMetadata"]
        rows.append({"scenario": scenario, "retries": retries, "call": i, "outcome": outcome,
                     "RetryAttempts": meta.get("RetryAttempts", 0)})
    return rows


def run() -> list[dict]:
    """One row per call: scenario, retry setting, outcome and RetryAttempts."""
    ws = utils.current()
    none = boto3.client("bedrock-runtime", config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
    standard = boto3.client("bedrock-runtime",
                            config=Config(retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS}))
    rows = []
    try:
        for client, retries in ((none, "none"), (standard, f"standard, {MAX_ATTEMPTS} attempts")):
            ws.configure_faults(**{**OFF, "rpm": 2, "window_s": 2.0})  # a fresh window for each client
            rows += _calls(client, "rpm=2 per 2 s", retries)
        ws.configure_faults(**{**OFF, "error_rate": 0.3, "seed": 2})
        rows += _calls(standard, "error_rate=0.3", f"standard, {MAX_ATTEMPTS} attempts")
    finally:
        ws.configure_faults(**OFF)
    return rows


def check(rows: list[dict]) -> None:
    """Without retries the quota throttles calls; with standard retries every throttled call
    gets through after retrying; 500/503 are retried (a call ends with one only when every
    attempt failed), a ModelTimeoutException (408) is never retried."""
    quota = [r for r in rows if r["scenario"].startswith("rpm")]
    bare = [r for r in quota if r["retries"] == "none"]
    retried = [r for r in quota if r["retries"] != "none"]
    assert sum(r["outcome"] == "ThrottlingException" for r in bare) >= CALLS - 2, bare
    assert all(r["RetryAttempts"] == 0 for r in bare), bare
    assert all(r["outcome"] == "ok" for r in retried), retried
    assert sum(r["RetryAttempts"] for r in retried) > 0, "no throttled attempt was retried"
    errors = [r for r in rows if r["scenario"].startswith("error")]
    assert sum(r["RetryAttempts"] for r in errors) > 0, "no server error was retried"
    for r in errors:
        if r["outcome"] in ("InternalServerException", "ServiceUnavailableException"):
            assert r["RetryAttempts"] == MAX_ATTEMPTS - 1, r  # 500/503: retried until the limit
        else:  # ok, or a 408 that ended the retries at once (after any earlier 5xx retries)
            assert r["outcome"] in ("ok", "ModelTimeoutException"), r
    faults = utils.current().engine.faults.config
    assert not (faults.rpm or faults.error_rate), "faults left switched on"
