"""Fault injection for the engine: quotas that throttle, added latency, and injected 5xx errors.

Off by default. Configure per run with WORKSHOP_FAULTS="rpm=60,tpm=20000,error_rate=0.1,
latency_ms=200,per_token_ms=15,seed=7", with `Engine.faults.configure(...)`, or over HTTP with
POST /_engine/faults (JSON body with the same names).

`quotas=1` enforces the account's Bedrock tokens-per-minute quotas as Service Quotas reports them
(`local_bedrock.quotas`): each call reserves its input tokens plus `maxTokens` at admission and is
settled to input + output x the model's burndown rate when it ends, as Bedrock counts them
(quotas-token-burndown.html). `quota_scale` shrinks every quota (e.g. 0.001) so that a notebook
can reach one with a handful of calls.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, fields
from typing import Callable

from local_bedrock.errors import EngineError, throttled

_SERVER_ERRORS = (
    ("ServiceUnavailableException", "Bedrock is unable to process your request.", 503),
    ("InternalServerException", "The request processing has failed because of an unknown error.", 500),
    ("ModelTimeoutException", "The request took too long to process.", 408),
)
TOO_MANY_TOKENS = "Too many tokens, please wait before trying again."


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
    quotas: bool = False  # enforce the Service Quotas tokens-per-minute values (local_bedrock.quotas)
    quota_scale: float = 1.0  # multiply every enforced quota (offline demos: 0.001)

    @classmethod
    def parse(cls, text: str) -> "FaultConfig":
        """Parse "rpm=60,error_rate=0.1" (the WORKSHOP_FAULTS format)."""
        names = {f.name: f.type for f in fields(cls)}
        values: dict[str, object] = {}
        for item in filter(None, (p.strip() for p in text.split(","))):
            key, _, raw = item.partition("=")
            if key not in names:
                raise ValueError(f"WORKSHOP_FAULTS: unknown setting {key!r}; "
                                 f"use one of {', '.join(names)}")
            if key == "quotas":
                values[key] = raw.strip().lower() in ("1", "true", "yes", "on")
            else:
                values[key] = (float(raw) if "." in raw or key in ("error_rate", "quota_scale")
                               else int(raw))
        return cls(**values)


@dataclass(frozen=True)
class QuotaLimit:
    """The tokens-per-minute quota one call counts against, as Service Quotas names it."""

    key: str  # the quota's code: calls sharing a quota share a window
    tpm: float
    burndown: float = 1.0  # quota tokens per output token at settlement


@dataclass
class Reservation:
    """What one admitted call holds in its quota's window until it is settled."""

    key: str
    tokens: float
    burndown: float
    at: float
    settled: bool = False
    in_window: bool = True
    window: "_Window | None" = None


class _Window:
    """Entries of one quota within the window, with their running total."""

    def __init__(self) -> None:
        self.entries: deque = deque()
        self.total = 0.0

    def expire(self, now: float, window_s: float) -> None:
        while self.entries and now - self.entries[0].at >= window_s:
            entry = self.entries.popleft()
            entry.in_window = False
            self.total -= entry.tokens


class Faults:
    """Decides, per runtime call, whether to throttle, fail or delay it."""

    def __init__(self, config: FaultConfig | None = None):
        self._lock = threading.Lock()
        # model id -> the quota a call to it counts against (set by local_bedrock.quotas)
        self.quota_limit: Callable[[str], QuotaLimit | None] | None = None
        self.configure(config or FaultConfig.parse(os.environ.get("WORKSHOP_FAULTS", "")))

    def configure(self, config: FaultConfig | None = None, **changes) -> FaultConfig:
        """Replace the configuration (or change some fields) and reset the quota windows."""
        with self._lock:
            base = config or getattr(self, "config", FaultConfig())
            self.config = FaultConfig(**{**base.__dict__, **changes})
            self._rng = random.Random(self.config.seed)
            self._requests: dict[str, deque] = defaultdict(deque)
            self._tokens: dict[str, _Window] = defaultdict(_Window)
            self._quota: dict[str, _Window] = defaultdict(_Window)
        return self.config

    def admit(self, model_id: str, tokens: int) -> Reservation | None:
        """Raise ThrottlingException past a quota, or a server error at the error rate; return
        the call's reservation against its Service Quotas quota (when `quotas` is on)."""
        c = self.config
        limit = self.quota_limit(model_id) if c.quotas and self.quota_limit else None
        now = time.monotonic()
        with self._lock:
            reqs, toks = self._requests[model_id], self._tokens[model_id]
            while reqs and now - reqs[0] >= c.window_s:
                reqs.popleft()
            toks.expire(now, c.window_s)
            if c.rpm is not None and len(reqs) >= c.rpm:
                raise throttled()
            if c.tpm is not None and toks.total + tokens > c.tpm:
                raise throttled(TOO_MANY_TOKENS)
            window = None
            if limit is not None:
                window = self._quota[limit.key]
                window.expire(now, c.window_s)
                if window.total + tokens > limit.tpm * c.quota_scale:
                    raise throttled(TOO_MANY_TOKENS)
            fail = c.error_rate > 0 and self._rng.random() < c.error_rate
            error = self._rng.choice(_SERVER_ERRORS) if fail else None
            ticket = None
            if error is None:  # a request the service failed to process uses no quota
                reqs.append(now)
                toks.entries.append(Reservation(model_id, tokens, 1.0, now))
                toks.total += tokens
                if window is not None and limit is not None:
                    ticket = Reservation(limit.key, tokens, limit.burndown, now, window=window)
                    window.entries.append(ticket)
                    window.total += tokens
        if error:
            raise EngineError(*error)
        return ticket

    def settle(self, ticket: Reservation | None, input_tokens: int, output_tokens: int) -> None:
        """Replace a call's reservation by what it used: input + output x burndown."""
        if ticket is None or ticket.settled:
            return
        used = input_tokens + output_tokens * ticket.burndown
        with self._lock:
            if ticket.window is not None and ticket.in_window:
                ticket.window.total += used - ticket.tokens
            ticket.tokens, ticket.settled = used, True

    def quota_usage(self, key: str) -> float:
        """Tokens counted in a quota's current window (reservations and settled calls)."""
        with self._lock:
            window = self._quota.get(key)
            if window is None:
                return 0.0
            window.expire(time.monotonic(), self.config.window_s)
            return window.total

    def first_byte_delay(self, factor: float = 1.0) -> None:
        """Sleep the configured latency (x a service tier's factor) before answering."""
        if self.config.latency_ms:
            time.sleep(self.config.latency_ms * factor / 1000)

    def token_delay(self, n_tokens: int, factor: float = 1.0) -> None:
        """Sleep per generated token (used between stream events and before full answers)."""
        if self.config.per_token_ms and n_tokens:
            time.sleep(self.config.per_token_ms * factor * n_tokens / 1000)
