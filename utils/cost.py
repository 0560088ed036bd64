"""What the calls cost: tokens x the registry's on-demand prices, grouped any way, and what-ifs.

Prices come from `local_bedrock.catalog` (USD per 1,000 tokens, on-demand, us-east-1, as on the
Amazon Bedrock pricing page when the registry was written - check before you budget). Failed
and throttled calls are not billed and count as zero. Cross-region inference-profile ids
(`us.`, `eu.`, ...) are priced as their base model.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Callable, Iterable

from local_bedrock.catalog import cost_usd, find
from utils.display import Table

# Prompt caching, as multiples of the model's input price (Anthropic's published terms on
# Bedrock: writes 1.25x, reads 0.1x; Amazon Nova: writes at the input price, reads 0.25x).
# Check the pricing page for your model; these are what-if defaults, not a bill.
CACHE_TERMS = {"Anthropic": (1.25, 0.10), "Amazon": (1.0, 0.25)}
MIN_CACHE_TOKENS = 1024  # a cache checkpoint needs at least this many tokens (model-dependent)
CACHE_TTL_S = 300  # a cached prefix lives 5 minutes after its last use


def billed(record: dict) -> bool:
    """True when the call succeeded (only successful calls are billed)."""
    return not record.get("error") and not record.get("errorCode")


def tokens(record: dict) -> tuple[int, int]:
    """(input, output) tokens of a record; (0, 0) for failed calls. Input excludes tokens read
    from or written to the prompt cache (see cache_tokens), as Bedrock reports it."""
    if not billed(record):
        return 0, 0
    return (record.get("input", {}).get("inputTokenCount", 0),
            record.get("output", {}).get("outputTokenCount", 0))


def cache_tokens(record: dict) -> tuple[int, int]:
    """(read from the cache, written to the cache) input tokens of a record."""
    if not billed(record):
        return 0, 0
    inp = record.get("input", {})
    return inp.get("cacheReadInputTokenCount", 0), inp.get("cacheWriteInputTokenCount", 0)


def record_cost(record: dict, model_id: str | None = None) -> float:
    """USD for one record, at its own model's price or at `model_id`'s (cache reads and writes
    at the registry's cache prices)."""
    i, o = tokens(record)
    r, w = cache_tokens(record)
    return cost_usd(model_id or record.get("modelId", ""), i, o, r, w)


def key_of(by: str | Callable[[dict], str]) -> Callable[[dict], str]:
    """A grouping function from a dotted path ("modelId", "workshop.notebook",
    "requestMetadata.feature") or a callable; missing values become "(none)"."""
    if callable(by):
        return by

    def get(record: dict) -> str:
        node = record
        for part in by.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return str(node) if node not in (None, "") else "(none)"

    return get


def summary(records: Iterable[dict], by: str | Callable[[dict], str] = "modelId") -> list[dict]:
    """Rows per group: calls, failed, input/output tokens, USD, share of the total; costliest
    first."""
    key = key_of(by)
    groups: dict[str, dict] = defaultdict(lambda: {"calls": 0, "failed": 0, "input tokens": 0,
                                                   "output tokens": 0, "USD": 0.0})
    for r in records:
        g = groups[key(r)]
        g["calls"] += 1
        g["failed"] += not billed(r)
        i, o = tokens(r)
        g["input tokens"] += i
        g["output tokens"] += o
        g["USD"] += record_cost(r)
    total = sum(g["USD"] for g in groups.values()) or 1.0
    name = by if isinstance(by, str) else "group"
    rows = [{name: k, **g, "USD": round(g["USD"], 6), "share": f"{g['USD'] / total:.0%}"}
            for k, g in groups.items()]
    return sorted(rows, key=lambda r: (-r["USD"], r[name]))


def table(records: Iterable[dict], by: str | Callable[[dict], str] = "modelId",
          title: str = "") -> Table:
    """`summary` as a displayable table, with a total row."""
    rows = summary(list(records), by)
    name = by if isinstance(by, str) else "group"
    if rows:
        rows.append({name: "TOTAL", **{k: sum(r[k] for r in rows)
                                       for k in ("calls", "failed", "input tokens",
                                                 "output tokens")},
                     "USD": round(sum(r["USD"] for r in rows), 6), "share": "100%"})
    return Table(rows, [name, "calls", "failed", "input tokens", "output tokens", "USD", "share"],
                 title=title)


def what_if_models(records: Iterable[dict], model_ids: Iterable[str]) -> list[dict]:
    """The same billed tokens priced on other models: USD and ratio to what was spent.

    Tokenizers differ between model families (the same text is often 10-30 % more or fewer
    tokens), and so does quality: treat this as a first estimate, then evaluate (08.03)."""
    records = [r for r in records if billed(r)]
    actual = sum(record_cost(r) for r in records)
    rows = []
    for m in model_ids:
        usd = sum(record_cost(r, m) for r in records)
        rows.append({"model": m, "USD": round(usd, 6),
                     "vs actual": f"{usd / actual:.2f}x" if actual else "-"})
    return sorted(rows, key=lambda r: r["USD"])


def per_thousand_calls(records: Iterable[dict]) -> dict:
    """Average billed tokens and USD per 1,000 successful calls (for projections)."""
    ok = [r for r in records if billed(r)]
    if not ok:
        return {"calls": 0, "input tokens": 0, "output tokens": 0, "USD": 0.0}
    n = len(ok)
    return {"calls": 1000, "input tokens": round(sum(tokens(r)[0] for r in ok) / n * 1000),
            "output tokens": round(sum(tokens(r)[1] for r in ok) / n * 1000),
            "USD": round(sum(record_cost(r) for r in ok) / n * 1000, 4)}


# -- prompt caching ----------------------------------------------------------------------------
def cache_terms(model_id: str) -> tuple[float, float]:
    """(write multiplier, read multiplier) of the input price: the registry's cache prices for
    the model, else the provider's usual terms."""
    m = find(model_id)
    if m is not None and m.input_price and m.cache_read_price is not None:
        write = (m.cache_write_price if m.cache_write_price is not None else m.input_price)
        return write / m.input_price, m.cache_read_price / m.input_price
    return CACHE_TERMS.get(m.provider if m else "", (1.25, 0.10))


def caching_what_if(model_id: str, prefix_tokens: int, other_input_tokens: int,
                    output_tokens: int, calls: int, hit_rate: float = 1.0) -> dict:
    """Cost of `calls` requests sharing a `prefix_tokens` prefix, without and with caching.

    With caching, a miss writes the prefix to the cache (write multiplier) and a hit reads it
    (read multiplier); the rest of the input and the output are billed as usual. A prefix
    shorter than the model's minimum per checkpoint (registry; MIN_CACHE_TOKENS when unknown)
    is not cached, and a model without prompt caching caches nothing."""
    model = find(model_id)
    if model is None:
        raise KeyError(f"{model_id!r} is not in the registry")
    per_in = model.input_price / 1000
    write, read = cache_terms(model_id)
    rest = calls * (other_input_tokens * per_in + output_tokens * model.output_price / 1000)
    without = rest + calls * prefix_tokens * per_in
    spec = model.caps.cache
    minimum = spec.min_tokens if spec else MIN_CACHE_TOKENS
    cacheable = spec is not None and prefix_tokens >= minimum
    hits = round(calls * hit_rate) if cacheable else 0
    misses = calls - hits
    with_cache = rest + prefix_tokens * per_in * (
        hits * read + misses * (write if cacheable else 1.0))
    return {"model": model_id, "calls": calls, "prefix tokens": prefix_tokens,
            "cacheable": cacheable, "USD without": round(without, 4),
            "USD with cache": round(with_cache, 4),
            "saving": f"{1 - with_cache / without:.0%}" if without else "-"}


def _prefix(record: dict) -> str:
    """The cacheable part of a Converse request: system prompt, tools, all but the last turn."""
    body = record.get("input", {}).get("inputBodyJson")
    if not isinstance(body, dict):
        return ""
    parts = [b.get("text", "") for b in body.get("system") or [] if isinstance(b, dict)]
    parts.append(str((body.get("toolConfig") or {}).get("tools", "")))
    for m in (body.get("messages") or [])[:-1]:
        parts += [b.get("text", "") for b in m.get("content", []) if isinstance(b, dict)]
    return "\n".join(p for p in parts if p)


def _all_text(record: dict) -> str:
    body = record.get("input", {}).get("inputBodyJson")
    if not isinstance(body, dict):
        return ""
    parts = [_prefix(record)]
    for m in (body.get("messages") or [])[-1:]:
        parts += [b.get("text", "") for b in m.get("content", []) if isinstance(b, dict)]
    return "\n".join(p for p in parts if p)


def repeated_prefixes(records: Iterable[dict]) -> list[dict]:
    """Prompt prefixes (system + tools + earlier turns) that repeat across billed Converse calls,
    with their estimated tokens (the record's input tokens x the prefix's share of the input
    characters), how many calls reused them within the cache TTL, and whether they are long
    enough to cache."""
    import datetime as dt

    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in records:
        prefix = _prefix(r)
        if billed(r) and prefix:
            groups[(r["modelId"], hashlib.sha256(prefix.encode()).hexdigest()[:10])].append(r)
    rows = []
    for (model, digest), rs in groups.items():
        if len(rs) < 2:
            continue
        share = len(_prefix(rs[0])) / max(len(_all_text(rs[0])), 1)
        est = round(rs[0]["input"]["inputTokenCount"] * share)
        times = sorted(dt.datetime.fromisoformat(r["timestamp"].replace("Z", "+00:00"))
                       for r in rs)
        reuses = sum((b - a).total_seconds() <= CACHE_TTL_S for a, b in zip(times, times[1:]))
        rows.append({"model": model, "prefix": digest, "calls": len(rs),
                     "est. prefix tokens": est, "reuses within TTL": reuses,
                     "cacheable": est >= MIN_CACHE_TOKENS})
    return sorted(rows, key=lambda r: (-r["calls"] * r["est. prefix tokens"], r["prefix"]))
