"""Worked solution to 00.03's "Your turn": inject throttling and server errors, and watch what
botocore's retries do with them.

It runs its own engine in this process (``local_bedrock.Engine`` behind an ``InProcessTransport``,
as notebook 00.03 runs a second one over HTTP), so it behaves the same in every workshop mode and
never touches your account.

1. A quota of 2 requests per 2-second window (``FaultConfig(rpm=2, window_s=2)``). Six
   quick calls from a client without retries: the third onwards is throttled. The same six from
   a client in ``standard`` retry mode: every call succeeds, and ``ResponseMetadata.RetryAttempts``
   shows how many throttled attempts botocore absorbed (with backoff, until the window moved on).
2. A third of all attempts fail with a server-side error (``error_rate=0.3``). ``standard`` mode
   retries 500 and 503 (transient), but not ``ModelTimeoutException``: it is a 408, which botocore
   does not treat as transient, so it reaches your code after one attempt.

Run it from the notebook (``from solutions.retries_under_faults import run, check``) or from the
tests.
"""

from __future__ import annotations

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

import utils
from local_bedrock import Engine, InProcessTransport
from local_bedrock.faults import FaultConfig

CALLS = 6
MAX_ATTEMPTS = 6  # enough backoff (1+2+4+8+16 s at most) to outlast a 2-second window
ENDPOINT = "http://127.0.0.1:9"  # never contacted: the in-process transport answers first
OFFLINE_KEYS = {"region_name": "us-east-1", "aws_access_key_id": "offline", "aws_secret_access_key": "offline"}


def _client(transport: InProcessTransport, attempts: int):
    client = boto3.client("bedrock-runtime", endpoint_url=ENDPOINT, **OFFLINE_KEYS,
                          config=Config(retries={"mode": "standard", "total_max_attempts": attempts}))
    transport.attach(client)
    return client


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
    engine = Engine()
    transport = InProcessTransport(engine, ENDPOINT)
    none, standard = _client(transport, 1), _client(transport, MAX_ATTEMPTS)
    rows = []
    for client, retries in ((none, "none"), (standard, f"standard, {MAX_ATTEMPTS} attempts")):
        engine.faults.configure(FaultConfig(rpm=2, window_s=2.0))  # a fresh window per client
        rows += _calls(client, "rpm=2 per 2 s", retries)
    engine.faults.configure(FaultConfig(error_rate=0.3, seed=2))
    rows += _calls(standard, "error_rate=0.3", f"standard, {MAX_ATTEMPTS} attempts")
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
