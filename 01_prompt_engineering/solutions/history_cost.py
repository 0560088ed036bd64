"""Worked solution to 01.01's "Your turn": what a growing conversation costs in input tokens.

Bedrock keeps no memory between calls, so every turn resends the whole history, and you pay
for it again as input tokens. It starts notebook 01's conversation (the fact sheet and a first
question), asks four follow-ups while keeping the full history, and records ``usage`` per turn.
Then it asks the last follow-up again with a trimmed history (the first exchange, which holds
the document, plus the new question) and compares. Run it from the notebook
(``from solutions.history_cost import run, check``) or from the tests.
"""

from __future__ import annotations

import boto3

import utils

FACT_SHEET = """<document>
Wren V3 (model KR-WV3) is the Kestrel robot vacuum, launched on 14 September 2023 at $649.
It maps rooms with a LiDAR turret and avoids stairs with four cliff sensors.
The battery runs for up to 150 minutes on hard floors and about 110 minutes on carpet.
Wren returns to its dock when the battery falls to 15% and resumes where it stopped.
Firmware updates install on the dock and take about 8 minutes.
</document>"""
SYSTEM = [{"text": "You are the support assistant of Kestrel Home Robotics. "
                   "Answer only from the document you are given."}]
QUESTIONS = ["How long does the battery last on carpet?", "And on hard floors?",
             "What happens when the battery runs low?", "How long do firmware updates take?",
             "How much did it cost at launch?"]


def _user(text: str) -> dict:
    return {"role": "user", "content": [{"text": text}]}


def run() -> list[dict]:
    """One row per call: turn, history sent (messages), inputTokens, outputTokens, cost."""
    runtime = boto3.client("bedrock-runtime")
    model = utils.models.TEXT_MODEL
    rows, history = [], []

    def ask(label: str, messages: list[dict]) -> dict:
        r = runtime.converse(modelId=model, system=SYSTEM, messages=messages,
                             inferenceConfig={"maxTokens": 200, "temperature": 0})
        usage = r["usage"]
        rows.append({"turn": label, "messages sent": len(messages), "inputTokens": usage["inputTokens"],
                     "outputTokens": usage["outputTokens"],
                     "costUsd": utils.models.cost_usd(model, usage["inputTokens"], usage["outputTokens"])})
        return r["output"]["message"]

    for i, question in enumerate(QUESTIONS):
        text = f"{FACT_SHEET}\n{question}" if i == 0 else question
        history += [_user(text)]
        history += [ask(f"{i + 1} (full history)", history)]
    trimmed = history[:2] + [_user(QUESTIONS[-1])]  # the document's exchange + the new question
    ask(f"{len(QUESTIONS)} (trimmed)", trimmed)
    return rows


def check(rows: list[dict]) -> None:
    """Each turn resends every earlier message (two more each turn), so input tokens grow turn
    after turn; trimming the history cuts the input tokens of the same question."""
    full, trimmed = rows[:-1], rows[-1]
    for before, after in zip(full, full[1:]):
        assert after["messages sent"] == before["messages sent"] + 2, (before, after)
        assert after["inputTokens"] > before["inputTokens"], (before, after)
    assert trimmed["messages sent"] == 3 < full[-1]["messages sent"], trimmed
    assert trimmed["inputTokens"] < full[-1]["inputTokens"], (trimmed, full[-1])
    assert trimmed["costUsd"] <= full[-1]["costUsd"], (trimmed, full[-1])
