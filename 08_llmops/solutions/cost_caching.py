"""Worked solution to 08.05's "Your turn": what prompt caching saves on the same questions.

Three product documents (about 1,600 tokens) are the stable system prompt; four questions are
asked three ways on the default text model: without a cache point, with one (the first call writes
the prefix, the others read it), and with a prefix of one short document, below the model's minimum
per checkpoint, so nothing is cached even with the cache point. Each call is priced from its
``usage`` (input, cache write, cache read and output tokens) at the registry's prices.
Run it from the notebook (``from solutions.cost_caching import run, check``) or the tests.
"""

from __future__ import annotations

from pathlib import Path

import boto3

from utils import cost, models

CORPUS = Path("../03_knowledge_bases/data/corpus")
DOCS = ("manual-heron-m2.md", "faq-kite.md", "manual-kestrel-hub.md")
SHORT = ("faq-kite.md",)  # one document: fewer tokens than the model's minimum per checkpoint
QUESTIONS = ("How do I pair the hub?", "Does the Kite fold?", "How long does the Heron charge?",
             "What does a blinking hub light mean?")


def price(model_id: str, usage: dict) -> float:
    """USD of one call from its usage: cache writes and reads at their multiples of the input price."""
    m = models.get(model_id)
    write, read = cost.cache_terms(model_id)
    billed_in = (usage["inputTokens"] + usage.get("cacheWriteInputTokens", 0) * write
                 + usage.get("cacheReadInputTokens", 0) * read)
    return (billed_in * m.input_price + usage["outputTokens"] * m.output_price) / 1000


def ask(runtime, model_id: str, docs: tuple[str, ...], cache: bool) -> list[dict]:
    system = [{"text": "\n\n".join((CORPUS / name).read_text() for name in docs)}]
    if cache:
        system.append({"cachePoint": {"type": "default"}})
    rows = []
    for question in QUESTIONS:
        usage = runtime.converse(modelId=model_id, system=system,
                                 messages=[{"role": "user", "content": [{"text": question}]}],
                                 inferenceConfig={"maxTokens": 80, "temperature": 0})["usage"]
        rows.append({"inputTokens": usage["inputTokens"],
                     "cacheWriteInputTokens": usage.get("cacheWriteInputTokens", 0),
                     "cacheReadInputTokens": usage.get("cacheReadInputTokens", 0),
                     "outputTokens": usage["outputTokens"], "USD": price(model_id, usage)})
    return rows


def run(model_id: str | None = None) -> dict:
    model_id = model_id or models.TEXT_MODEL
    runtime = boto3.client("bedrock-runtime")
    runs = {"no cache point": ask(runtime, model_id, DOCS, cache=False),
            "cache point": ask(runtime, model_id, DOCS, cache=True),
            "cache point, short prefix": ask(runtime, model_id, SHORT, cache=True)}
    spec = models.get(model_id).caps.cache
    return {"model": model_id, "minimum per checkpoint": spec.min_tokens if spec else None, "calls": runs,
            "summary": [{"variant": name, "calls": len(rows),
                         "cache write tokens": sum(r["cacheWriteInputTokens"] for r in rows),
                         "cache read tokens": sum(r["cacheReadInputTokens"] for r in rows),
                         "USD": round(sum(r["USD"] for r in rows), 7)} for name, rows in runs.items()]}


def check(result: dict) -> None:
    plain, cached, short = (result["calls"][k] for k in ("no cache point", "cache point", "cache point, short prefix"))
    assert all(r["cacheWriteInputTokens"] == r["cacheReadInputTokens"] == 0 for r in plain)
    assert all(r["cacheReadInputTokens"] > 0 for r in cached[1:]), "later calls should read the cached prefix"
    # the prefix is billed once way or another: the tokens add up to the uncached prompt
    for a, b in zip(plain, cached):
        assert a["inputTokens"] == b["inputTokens"] + b["cacheWriteInputTokens"] + b["cacheReadInputTokens"]
    usd = {row["variant"]: row["USD"] for row in result["summary"]}
    assert usd["cache point"] < usd["no cache point"], "caching should make the same calls cheaper"
    assert all(r["cacheWriteInputTokens"] == r["cacheReadInputTokens"] == 0 for r in short), \
        "a prefix below the model's minimum is not cached"
