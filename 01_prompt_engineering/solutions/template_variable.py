"""Worked solution to 01.03's "Your turn": a new template variable, ``{examples}``, that puts
labelled tickets in the routing prompt, and what it does to accuracy and input tokens.

It builds notebook 03's routing template with one more variable, fills ``{definitions}`` once with
``partial()``, and fills ``{examples}`` per variant: none, or the first ``k`` labelled tickets of
each category from the ``example`` split (never the ``eval`` split it is scored on). Each variant
routes every eval ticket through ``ChatBedrockConverse`` with ``batch()``; ``usage_metadata`` gives
the input tokens. Run it from the notebook (``from solutions.template_variable import run, check``)
or from the tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
from langchain_aws import ChatBedrockConverse
from langchain_core.prompts import ChatPromptTemplate

import utils

SHOTS_PER_CATEGORY = (0, 1, 3)

TEMPLATE = ChatPromptTemplate.from_messages([
    ("system", "You are the support triage lead at Kestrel Home Robotics.\n"
               "Categories:\n{definitions}\n\n{examples}"),
    ("human", "Reply with the category of the ticket only.\n<ticket>{ticket}</ticket>"),
])


def run() -> dict:
    """{"variables": the template's variables, "rows": one row per variant}."""
    data = Path("data")
    categories = json.loads((data / "categories.json").read_text())
    tickets = [json.loads(line) for line in (data / "tickets.jsonl").read_text().splitlines()]
    evaluation = [t for t in tickets if t["split"] == "eval"]
    llm = ChatBedrockConverse(model=utils.models.TEXT_MODEL, client=boto3.client("bedrock-runtime"),
                              bedrock_client=boto3.client("bedrock"), temperature=0, max_tokens=10)
    route = TEMPLATE.partial(definitions="\n".join(f"- {k}: {v}" for k, v in categories.items())) | llm
    rows = []
    for k in SHOTS_PER_CATEGORY:
        shots = [t for c in categories
                 for t in [t for t in tickets if t["split"] == "example" and t["category"] == c][:k]]
        examples = ("Examples:\n" + "\n".join(f"Ticket: {t['text']}\nCategory: {t['category']}" for t in shots)
                    if shots else "")
        replies = route.batch([{"ticket": t["text"], "examples": examples} for t in evaluation],
                              config={"max_concurrency": 4})
        routed = [r.content.strip().strip(".").lower() for r in replies]
        rows.append({"examples per category": k, "examples": len(shots),
                     "correct": sum(p == t["category"] for p, t in zip(routed, evaluation)),
                     "of": len(evaluation),
                     "avg input tokens": round(sum(r.usage_metadata["input_tokens"] for r in replies) / len(replies)),
                     "routed": routed})
    return {"variables": TEMPLATE.input_variables, "rows": rows}


def check(result: dict) -> None:
    """The template has the new variable; every variant routes every ticket to a real category;
    and each added example is paid for on every call (input tokens grow with k)."""
    assert set(result["variables"]) == {"definitions", "examples", "ticket"}, result["variables"]
    rows = result["rows"]
    labels = {"billing", "technical", "shipping", "account", "returns"}
    for r in rows:
        assert set(r["routed"]) <= labels, set(r["routed"]) - labels
    tokens = [r["avg input tokens"] for r in rows]
    assert tokens == sorted(tokens) and len(set(tokens)) == len(tokens), tokens
    assert rows[0]["examples"] == 0 and all(r["examples"] == 5 * r["examples per category"] for r in rows)
