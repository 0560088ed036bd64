"""Worked solution to 01.04's "Your turn": a cost budget turned into a ``maxTokens`` per model.

The most one call can cost is its input tokens at the input price plus ``maxTokens`` at the
output price. For a budget of $20 per million calls, it measures the playground prompt's input
tokens on three models (one uncapped call each), works out the largest ``maxTokens`` the budget
allows on each, and calls again with that cap. The lesson: the same budget buys far fewer output
tokens on a pricier model, and when the cap is below what the answer needs, the answer is cut
(``stopReason`` ``max_tokens``). Run it from the notebook
(``from solutions.cost_budget import run, check``) or from the tests.
"""

from __future__ import annotations

import math

import boto3

import utils

BUDGET_PER_MILLION = 20.0  # USD for a million calls of this prompt
PROMPT = """<document>
Kite L1 is the Kestrel robotic lawn mower. It navigates with RTK positioning, so it needs no
boundary wire. Its blades cut grass between 20 and 60 mm high. On one charge it can mow up to
1,200 square metres of lawn.
</document>
How much lawn can the Kite L1 mow on one charge?"""


def allowed_max_tokens(model_id: str, input_tokens: int, budget_per_million: float) -> int:
    """The largest maxTokens whose worst-case cost per call stays within the budget (0: none)."""
    m = utils.models.get(model_id)
    per_call = budget_per_million / 1_000_000
    left = per_call - input_tokens * m.input_price / 1000
    return max(0, math.floor(left / (m.output_price / 1000)))


def run(budget_per_million: float = BUDGET_PER_MILLION) -> list[dict]:
    """One row per model: input tokens, the answer's natural length, the allowed maxTokens, and
    the capped call's stopReason, output tokens and cost per million calls."""
    runtime = boto3.client("bedrock-runtime")

    def call(model_id: str, max_tokens: int) -> dict:
        r = runtime.converse(modelId=model_id, inferenceConfig={"maxTokens": max_tokens, "temperature": 0},
                             messages=[{"role": "user", "content": [{"text": PROMPT}]}])
        return {"stopReason": r["stopReason"], **r["usage"]}

    rows = []
    for model_id in (utils.models.CHEAP_MODEL, utils.models.TEXT_MODEL, utils.models.CLAUDE_MODEL):
        free = call(model_id, 300)
        cap = allowed_max_tokens(model_id, free["inputTokens"], budget_per_million)
        row = {"model": model_id, "inputTokens": free["inputTokens"], "answer needs": free["outputTokens"],
               "maxTokens allowed": cap, "stopReason": "-", "outputTokens": 0, "USD per million calls": None}
        if cap >= 1:
            capped = call(model_id, cap)
            cost = utils.models.cost_usd(model_id, capped["inputTokens"], capped["outputTokens"])
            row |= {"stopReason": capped["stopReason"], "outputTokens": capped["outputTokens"],
                    "USD per million calls": round(cost * 1_000_000, 2)}
        rows.append(row)
    return rows


def check(rows: list[dict]) -> None:
    """Every capped call stays within the budget and its cap is the largest that does; the caps
    differ by model; an answer longer than its cap is cut (max_tokens), a shorter one ends
    normally."""
    budget_per_million = BUDGET_PER_MILLION
    for r in rows:
        if r["maxTokens allowed"] < 1:
            continue
        assert r["USD per million calls"] <= budget_per_million + 0.01, r
        assert r["outputTokens"] <= r["maxTokens allowed"], r
        expected = "max_tokens" if r["answer needs"] > r["maxTokens allowed"] else "end_turn"
        assert r["stopReason"] == expected, r
        worst = utils.models.cost_usd(r["model"], r["inputTokens"], r["maxTokens allowed"]) * 1_000_000
        over = utils.models.cost_usd(r["model"], r["inputTokens"], r["maxTokens allowed"] + 1) * 1_000_000
        assert worst <= budget_per_million + 1e-9 < over + 2e-9, (r, worst, over)  # the largest cap in budget
    caps = {r["model"]: r["maxTokens allowed"] for r in rows}
    assert len(set(caps.values())) > 1, caps  # the same budget buys different caps per model
