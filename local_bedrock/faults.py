"""Fault injection for the engine: quotas that throttle, added latency, and injected 5xx errors.

Off by default. Configure per run with WORKSHOP_FAULTS="rpm=60,tpm=20000,error_rate=0.1,
latency_ms=200,per_token_ms=15,seed=7", with `Engine.faults.configure(...)`, or over HTTP with
POST /_engine/faults (JSON body with the same names).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, fields

from local_bedrock.errors import EngineError, throttled

_SERVER_ERRORS = (
    ("ServiceUnavailableException", "Bedrock is unable to process your request.", 503),
    ("InternalServerException", "The request processing has failed because of an unknown error.", 500),
    ("ModelTimeoutException", "The request took too long to process.", 408),
)


@dataclass
class FaultConfig:
    """What to inject. Zero/None means off."""

    rpm: int | None = None  # requests per minute, per model
    tpm: int | None = None  # tokens per minute (input + max output), per model
    latency_ms: float = 0.0  # added before the first byte of every runtime answer
    per_token_ms: float = 0.0  # added per output token (streams are paced by it)
    error_rate: float = 0.0  # fraction of runtime calls that fail with a server-side error
    window_s: float = 60.0  # the quota window; shorten it to run quota demos quickly
    seed: int = 0

    @classmethod
    def parse(cls, text: str) -> "FaultConfig":
        """Parse "rpm=60,error_rate=0.1" (the WORKSHOP_FAULTS format)."""
        names = {f.name: f.type for f in fields(cls)}
        values = {}
        for item in filter(None, (p.strip() for p in text.split(","))):
            key, _, raw = item.partition("=")
            if key not in names:
                raise ValueError(f"WORKSHOP_FAULTS: unknown setting {key!r}; "
                                 f"use one of {', '.join(names)}")
            values[key] = float(raw) if "." in raw or key in ("error_rate",) else int(raw)
        return cls(**values)


class Faults:
    """Decides, per runtime call, whether to throttle, fail or delay it."""

    def __init__(self, config: FaultConfig | None = None):
        self._lock = threading.Lock()
        self.configure(config or FaultConfig.parse(os.environ.get("WORKSHOP_FAULTS", "")))

    def configure(self, config: FaultConfig | None = None, **changes) -> FaultConfig:
        """Replace the configuration (or change some fields) and reset the quota windows."""
        with self._lock:
            base = config or getattr(self, "config", FaultConfig())
            self.config = FaultConfig(**{**base.__dict__, **changes})
            self._rng = random.Random(self.config.seed)
            self._requests: dict[str, deque] = defaultdict(deque)
            self._tokens: dict[str, deque] = defaultdict(deque)
        return self.config

    def admit(self, model_id: str, tokens: int) -> None:
        """Raise ThrottlingException past the quota, or a server error at the error rate."""
        c = self.config
        now = time.monotonic()
        with self._lock:
            reqs, toks = self._requests[model_id], self._tokens[model_id]
            for q in (reqs, toks):
                while q and now - q[0][0] >= c.window_s:
                    q.popleft()
            if c.rpm is not None and len(reqs) >= c.rpm:
                raise throttled()
            if c.tpm is not None and sum(n for _, n in toks) + tokens > c.tpm:
                raise throttled("Too many tokens, please wait before trying again.")
            fail = c.error_rate > 0 and self._rng.random() < c.error_rate
            error = self._rng.choice(_SERVER_ERRORS) if fail else None
            if error is None:  # a request the service failed to process uses no quota
                reqs.append((now, 1))
                toks.append((now, tokens))
        if error:
            raise EngineError(*error)

    def first_byte_delay(self) -> None:
        """Sleep the configured latency before answering."""
        if self.config.latency_ms:
            time.sleep(self.config.latency_ms / 1000)

    def token_delay(self, n_tokens: int) -> None:
        """Sleep per generated token (used between stream events and before full answers)."""
        if self.config.per_token_ms and n_tokens:
            time.sleep(self.config.per_token_ms * n_tokens / 1000)
