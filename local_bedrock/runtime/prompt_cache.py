"""Prompt caching as Bedrock accounts for it: cache points, reads, writes, TTLs and latency.

A `cachePoint` block marks the end of a prefix (tools, then system, then messages, in that
order). The first call with a prefix writes it to the cache (`cacheWriteInputTokens`); a call
within its TTL that starts with the same prefix reads it (`cacheReadInputTokens`); `inputTokens`
counts only what is neither read nor written, as Bedrock reports it. A checkpoint whose prefix is
shorter than the model's minimum is not cached. Each hit renews the entry's TTL.

Latency: offline there is no prefill to skip, so the engine simulates one for requests that use
cache points (PREFILL_S_PER_TOKEN of each input token not read from the cache): a hit is then
measurably faster, as it is live.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field

from local_bedrock.catalog import Model
from local_bedrock.runtime.capabilities import cache_points
from local_bedrock.text.tokens import count_tokens

TTL_SECONDS = {"5m": 300, "1h": 3600}
PREFILL_S_PER_TOKEN = 20e-6  # a simulated 50,000 tokens/s prefill for uncached input


@dataclass
class CacheUse:
    """What one call read from and wrote to the prompt cache."""

    read: int = 0
    write: int = 0
    details: list[dict] = field(default_factory=list)  # [{"ttl": "5m", "inputTokens": n}]


class PromptCache:
    """The engine's prompt cache: prefix hash -> expiry time (per model)."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.lock = threading.Lock()
        self.entries: dict[str, float] = {}

    def account(self, model: Model, params: dict) -> CacheUse | None:
        """Read and write the cache for one Converse request; None when it has no cache point."""
        if not cache_points(params):
            return None
        spec = model.caps.cache
        use = CacheUse()
        checkpoints = _checkpoints(params)
        if spec is None:
            return use
        now = self.clock()
        valid = [(f"{model.model_id}:{key}", tokens, ttl) for key, tokens, ttl in checkpoints
                 if tokens >= spec.min_tokens]
        if not valid:
            return use
        with self.lock:
            use.read = max((tokens for key, tokens, _ in valid
                            if self.entries.get(key, 0) > now), default=0)
            for key, _, ttl in valid:  # each checkpoint is written, or renewed by a hit
                self.entries[key] = now + TTL_SECONDS.get(ttl, 300)
        longest, ttl = valid[-1][1], valid[-1][2]
        use.write = max(longest - use.read, 0)
        if use.write:
            use.details.append({"ttl": ttl, "inputTokens": use.write})
        return use


def cache_of(engine) -> PromptCache:
    """The engine's prompt cache (created on first use)."""
    return engine.state.setdefault("prompt_cache", PromptCache())


def _checkpoints(params: dict) -> list[tuple[str, int, str]]:
    """(hash of the prefix, its tokens, ttl) at each cache point, in request order."""
    out, digest, tokens = [], hashlib.sha256(), 0

    def feed(block) -> None:
        nonlocal tokens
        text = block["text"] if isinstance(block, dict) and "text" in block \
            else json.dumps(block, sort_keys=True, default=str)
        digest.update(text.encode("utf-8", "replace"))
        tokens += count_tokens(text)

    def mark(point: dict) -> None:
        out.append((digest.copy().hexdigest(), tokens, point.get("ttl", "5m")))

    for tool in (params.get("toolConfig") or {}).get("tools", []):
        mark(tool["cachePoint"]) if "cachePoint" in tool else feed(tool)
    for block in params.get("system") or []:
        mark(block["cachePoint"]) if "cachePoint" in block else feed(block)
    for message in params.get("messages") or []:
        digest.update(message.get("role", "").encode())
        for block in message.get("content") or []:
            mark(block["cachePoint"]) if "cachePoint" in block else feed(block)
    return out


def prefill_delay(use: CacheUse | None, input_tokens: int) -> None:
    """Sleep for the simulated prefill of the input not read from the cache."""
    if use is not None:
        time.sleep(max(input_tokens - use.read, 0) * PREFILL_S_PER_TOKEN)
