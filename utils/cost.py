"""What the calls cost: tokens x the registry's on-demand prices, grouped any way, and what-ifs.

Prices come from `local_bedrock.catalog` (USD per 1,000 tokens, on-demand, us-east-1, as on the
Amazon Bedrock pricing page when the registry was written - check before you budget). Failed
and throttled calls are not billed and count as zero. Cross-region inference-profile ids
(`us.`, `eu.`, ...) are priced as their base model; calls through an application inference
profile (its ARN as modelId) as the model the profile copies, once `application_profiles()` or
`load_profiles()` has told this module which one (cost per team: `by_tag`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Callable, Iterable

from local_bedrock.catalog import cost_usd, find, model_arn, profile_geo
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
    at the registry's cache prices); an application profile is priced as the model it copies."""
    i, o = tokens(record)
    r, w = cache_tokens(record)
    return cost_usd(model_id or base_model(record.get("modelId", "")), i, o, r, w)


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


def _column(by: str | Callable[[dict], str]) -> str:
    """The name of the grouping column: the path, a grouping's `column` attribute, or "group"."""
    return by if isinstance(by, str) else getattr(by, "column", "group")


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
    name = _column(by)
    rows = [{name: k, **g, "USD": round(g["USD"], 6), "share": f"{g['USD'] / total:.0%}"}
            for k, g in groups.items()]
    return sorted(rows, key=lambda r: (-r["USD"], r[name]))


def table(records: Iterable[dict], by: str | Callable[[dict], str] = "modelId",
          title: str = "") -> Table:
    """`summary` as a displayable table, with a total row."""
    rows = summary(list(records), by)
    name = _column(by)
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


# -- application inference profiles: cost per team -------------------------------------------------
# An application inference profile copies a model or a system profile under an ARN of its own,
# with tags; calls made with that ARN as modelId can be split per tag (CreateInferenceProfile,
# https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-create.html, checked
# 2026-12-07). Offline, each notebook's engine knows only the profiles it created: a snapshot of
# what `application_profiles()` saw is kept beside the invocation log, so the dashboard can still
# split the cost of profiles created (and deleted) by another notebook, as Cost Explorer keeps
# the tags of past usage.
PROFILES_FILE = "application_profiles.json"
NO_PROFILE, UNTAGGED, UNKNOWN_PROFILE = "(no profile)", "(untagged)", "(unknown profile)"
_PROFILES: dict[str, dict] = {}  # profile ARN -> {"id", "name", "model", "tags"}


def is_application_profile(model_id: str) -> bool:
    """True for an application inference profile ARN used as modelId."""
    return ":application-inference-profile/" in (model_id or "")


def copy_from(model_id: str, region: str, account: str) -> str:
    """The `modelSource.copyFrom` ARN for a model id: the system inference profile's ARN for a
    profile id (``us.``, ``eu.``, ``global.``...), else the foundation model's ARN."""
    if profile_geo(model_id):
        return f"arn:aws:bedrock:{region}:{account}:inference-profile/{model_id}"
    return model_arn(model_id, region)


def application_profiles(bedrock=None, log_dir: str | os.PathLike | None = None) -> dict:
    """Every APPLICATION inference profile of the account with its model and tags
    (ListInferenceProfiles, ListTagsForResource): {arn: {"id", "name", "model", "tags"}}.
    Remembered for pricing and `by_tag`, and added to the snapshot beside the invocation log."""
    if bedrock is None:
        import boto3

        bedrock = boto3.client("bedrock")
    found, kwargs = {}, {"typeEquals": "APPLICATION"}
    while True:
        page = bedrock.list_inference_profiles(**kwargs)
        for p in page["inferenceProfileSummaries"]:
            tags = bedrock.list_tags_for_resource(resourceARN=p["inferenceProfileArn"])["tags"]
            models = [m["modelArn"].rsplit("/", 1)[-1] for m in p.get("models", [])]
            found[p["inferenceProfileArn"]] = {
                "id": p["inferenceProfileId"], "name": p["inferenceProfileName"],
                "model": models[0] if models else "", "tags": {t["key"]: t["value"] for t in tags}}
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    known = {**load_profiles(log_dir), **found}
    path = _profiles_path(log_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(known, indent=1, sort_keys=True), encoding="utf-8")
    _PROFILES.update(found)
    return found


def load_profiles(log_dir: str | os.PathLike | None = None) -> dict:
    """The profiles snapshot beside the invocation log (remembered for pricing and `by_tag`)."""
    path = _profiles_path(log_dir)
    known = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    _PROFILES.update(known)
    return known


def _profiles_path(log_dir: str | os.PathLike | None) -> Path:
    if log_dir is None:
        from utils.setup import current

        ws = current()
        if ws is not None and ws.logger is not None:
            return ws.logger.log_dir / PROFILES_FILE
        from utils.invocation_log import default_log_dir

        return default_log_dir() / PROFILES_FILE
    return Path(log_dir) / PROFILES_FILE


def base_model(model_id: str) -> str:
    """The model an application profile ARN copies (when known), else `model_id` itself."""
    info = _PROFILES.get(model_id)
    return info["model"] if info and info.get("model") else model_id


def tag_of(record: dict, key: str, profiles: dict | None = None) -> str | None:
    """The value of tag `key` on the application profile a record's call went through (None:
    not through a profile, an unknown profile, or no such tag)."""
    info = (profiles if profiles is not None else _PROFILES).get(record.get("modelId", ""))
    return (info or {}).get("tags", {}).get(key)


def by_tag(key: str, profiles: dict | None = None) -> Callable[[dict], str]:
    """A grouping for `summary`/`table`: the profile's tag value, else "(untagged)",
    "(unknown profile)" or "(no profile)" (a call made with a model or system profile id)."""
    known = profiles if profiles is not None else _PROFILES

    def group(record: dict) -> str:
        model_id = record.get("modelId", "")
        if not is_application_profile(model_id):
            return NO_PROFILE
        if model_id not in known:
            return UNKNOWN_PROFILE
        return tag_of(record, key, known) or UNTAGGED

    group.column = key  # type: ignore[attr-defined]  (the table's column name)
    return group


def cost_explorer_view(records: Iterable[dict], key: str, profiles: dict | None = None) -> dict:
    """What Cost Explorer's GetCostAndUsage (Granularity DAILY, GroupBy TAG `key`, metric
    UnblendedCost) would show once `key` is an active cost allocation tag, computed from the
    logs: groups keyed "<key>$<value>", untagged usage under "<key>$" (the key format is the
    one CE answers with; amounts here are estimates at the registry's prices)."""
    days: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in records:
        day = r["timestamp"][:10]
        days[day][f"{key}${tag_of(r, key, profiles) or ''}"] += record_cost(r)
    results = []
    for day in sorted(days):
        end = (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
        results.append({"TimePeriod": {"Start": day, "End": end}, "Total": {}, "Groups": [
            {"Keys": [k], "Metrics": {"UnblendedCost": {"Amount": f"{usd:.10f}", "Unit": "USD"}}}
            for k, usd in sorted(days[day].items())], "Estimated": True})
    return {"GroupDefinitions": [{"Type": "TAG", "Key": key}], "ResultsByTime": results}


# -- cost from CloudWatch metrics, and a budget-style alarm per team ---------------------------------
def _decimal(x: float) -> str:
    return f"{x:.9f}".rstrip("0").rstrip(".") or "0"


def cost_metrics(profile_id: str, model_id: str, period_s: int = 3600, prefix: str = "",
                 namespace: str = "AWS/Bedrock") -> list[dict]:
    """MetricDataQuery items: Sum of InputTokenCount and OutputTokenCount under ModelId =
    `profile_id` (`utils.metrics.model_dimension`), and a metric math expression turning them
    into USD at the registry's on-demand prices for `model_id` (prompt-cache tokens are not
    counted). Usable in GetMetricData and, as they are, in PutMetricAlarm's `Metrics`."""
    model = find(model_id)
    if model is None:
        raise KeyError(f"{model_id!r} is not in the registry: no price to turn tokens into USD")

    def stat(qid: str, name: str) -> dict:
        return {"Id": f"{prefix}{qid}", "ReturnData": False, "MetricStat": {
            "Metric": {"Namespace": namespace, "MetricName": name,
                       "Dimensions": [{"Name": "ModelId", "Value": profile_id}]},
            "Period": period_s, "Stat": "Sum"}}

    per_million_in, per_million_out = model.input_price * 1000, model.output_price * 1000
    usd = (f"(FILL({prefix}tokens_in, 0) * {_decimal(per_million_in)} + "
           f"FILL({prefix}tokens_out, 0) * {_decimal(per_million_out)}) / 1000000")
    return [stat("tokens_in", "InputTokenCount"), stat("tokens_out", "OutputTokenCount"),
            {"Id": f"{prefix}usd", "Label": f"USD at {model.name} on-demand prices",
             "Expression": usd, "ReturnData": True}]


def budget_alarm(name: str, profile_id: str, model_id: str, usd: float,
                 period_s: int = 3600) -> dict:
    """PutMetricAlarm arguments: ALARM when the profile's estimated spend in one period
    (default an hour) exceeds `usd`; quiet periods count as within budget."""
    return {"AlarmName": name, "Metrics": cost_metrics(profile_id, model_id, period_s),
            "AlarmDescription": f"Estimated Bedrock spend through {profile_id} above "
                                f"{usd} USD per {period_s // 60} min (tokens x registry prices)",
            "Threshold": usd, "ComparisonOperator": "GreaterThanThreshold",
            "EvaluationPeriods": 1, "DatapointsToAlarm": 1, "TreatMissingData": "notBreaching"}


def costs_from_cloudwatch(teams: dict[str, tuple[str, str]], minutes: int = 60, cloudwatch=None,
                          expect_input_tokens: int = 0, wait_s: float = 0) -> list[dict]:
    """Tokens and estimated USD per team over the last `minutes` from AWS/Bedrock metrics
    (GetMetricData with `cost_metrics`); `teams` maps a team to (profile id, model id). Live,
    metrics arrive a minute or two after the calls: with `wait_s`, poll until the input tokens
    add up to `expect_input_tokens` or the time is up."""
    import time

    if cloudwatch is None:
        import boto3

        cloudwatch = boto3.client("cloudwatch")
    queries, names = [], list(teams)
    for i, team in enumerate(names):
        for q in cost_metrics(*teams[team], period_s=minutes * 60, prefix=f"t{i}_"):
            queries.append({**q, "ReturnData": True})
    deadline = time.monotonic() + wait_s
    while True:
        now = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
        end = now + dt.timedelta(minutes=1)
        page = cloudwatch.get_metric_data(MetricDataQueries=queries, EndTime=end,
                                          StartTime=end - dt.timedelta(minutes=minutes))
        sums = {r["Id"]: sum(r["Values"]) for r in page["MetricDataResults"]}
        rows = [{"team": team, "ModelId": teams[team][0],
                 "input tokens": int(sums.get(f"t{i}_tokens_in", 0)),
                 "output tokens": int(sums.get(f"t{i}_tokens_out", 0)),
                 "USD": round(sums.get(f"t{i}_usd", 0.0), 6)} for i, team in enumerate(names)]
        if sum(r["input tokens"] for r in rows) >= expect_input_tokens \
                or time.monotonic() >= deadline:
            return rows
        time.sleep(10)
