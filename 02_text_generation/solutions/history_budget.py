"""Worked solution to 02.02's "Your turn": a system prompt, an inferenceConfig and a history
trimmed to a token budget.

The same twelve questions are asked three times through a Converse chat with a longer system
prompt and ``inferenceConfig`` (``maxTokens`` 100, ``temperature`` 0, a stop sequence): with an
unbounded history, with a 900-token budget and with a 450-token budget. Before each call the chat
drops its oldest exchanges (user message + reply) until the estimated context, plus room for the
answer, fits. The result is the input tokens Bedrock reported per turn: bounded histories
plateau, and a smaller budget plateaus lower and costs fewer input tokens in total.
"""

from __future__ import annotations

import boto3

from utils import models

SYSTEM = ("You are a concise guide to a harbour town's history. Answer in at most two sentences, "
          "name a year when you know one, and say so when you are unsure.")
CONFIG = {"maxTokens": 100, "temperature": 0, "stopSequences": ["\n\nQuestion"]}
TOPICS = ["quay", "breakwater", "lighthouse", "lifeboat", "dock", "railway", "ferry", "cranes",
          "radar", "museum", "flood wall", "wind farms"]
TURNS = [f"Question {i + 1}: tell me one fact about the harbour's {t}." for i, t in enumerate(TOPICS)]
BUDGETS = {"unbounded": 10**9, "budget 900": 900, "budget 450": 450}


class Chat:
    """A Converse chat whose history stays within a token budget (oldest exchanges dropped)."""

    def __init__(self, client, model_id: str, system: str, config: dict, budget: int):
        self.client, self.model_id, self.system, self.config = client, model_id, system, config
        self.budget = budget
        self.messages: list[dict] = []
        self.sizes: list[int] = []

    @staticmethod
    def estimate(text: str) -> int:
        return max(1, len(text) // 4)

    def ask(self, text: str) -> dict:
        self.messages.append({"role": "user", "content": [{"text": text}]})
        self.sizes.append(self.estimate(text))
        fixed = self.estimate(self.system) + self.config["maxTokens"]
        while len(self.messages) > 1 and sum(self.sizes) + fixed > self.budget:
            del self.messages[:2], self.sizes[:2]
        resp = self.client.converse(modelId=self.model_id, system=[{"text": self.system}],
                                    messages=self.messages, inferenceConfig=self.config)
        self.messages.append(resp["output"]["message"])
        self.sizes.append(resp["usage"]["outputTokens"])
        return resp


def run() -> list[dict]:
    """One row per (history, turn): messages sent and the input tokens Bedrock reported."""
    runtime = boto3.client("bedrock-runtime")
    trace = []
    for label, budget in BUDGETS.items():
        chat = Chat(runtime, models.TEXT_MODEL, SYSTEM, CONFIG, budget)
        for turn, text in enumerate(TURNS, 1):
            resp = chat.ask(text)
            trace.append({"history": label, "budget": budget, "turn": turn,
                          "messages sent": len(chat.messages) - 1,
                          "inputTokens": resp["usage"]["inputTokens"],
                          "outputTokens": resp["usage"]["outputTokens"]})
    return trace


def summary(trace: list[dict]) -> list[dict]:
    """Per history: most messages sent, peak and total input tokens."""
    out = []
    for label in BUDGETS:
        rows = [t for t in trace if t["history"] == label]
        out.append({"history": label, "most messages sent": max(t["messages sent"] for t in rows),
                    "peak inputTokens": max(t["inputTokens"] for t in rows),
                    "total inputTokens": sum(t["inputTokens"] for t in rows),
                    "max outputTokens": max(t["outputTokens"] for t in rows)})
    return out


def check(trace: list[dict]) -> None:
    rows = {r["history"]: r for r in summary(trace)}
    unbounded, mid, small = rows["unbounded"], rows["budget 900"], rows["budget 450"]
    assert unbounded["most messages sent"] == 2 * len(TURNS) - 1, "unbounded keeps every turn"
    assert small["most messages sent"] < mid["most messages sent"] < unbounded["most messages sent"]
    assert small["peak inputTokens"] < mid["peak inputTokens"] < unbounded["peak inputTokens"]
    assert small["total inputTokens"] < mid["total inputTokens"] < unbounded["total inputTokens"]
    for label in ("budget 900", "budget 450"):  # the plateau stays under the budget
        assert rows[label]["peak inputTokens"] + CONFIG["maxTokens"] <= BUDGETS[label]
    assert all(r["max outputTokens"] <= CONFIG["maxTokens"] for r in rows.values())
