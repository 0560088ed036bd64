"""Worked solution to 06.03's "Your turn": a Strands tool of your own, beside the lab's tools.

`loyalty_points` is a typed, documented function made a tool with Strands' `@tool`: the
docstring's first paragraph becomes the description, `Args:` the parameter descriptions, the type
hints the JSON schema. An `Agent` gets it with the six shared tools; a question only it answers
goes through the agent, and the result's metrics and conversation show it was called once,
successfully, and its result went back to the model as a `toolResult`.
"""

from __future__ import annotations

import boto3
from strands import Agent, tool
from strands.models import BedrockModel

from utils import agents, models

QUESTION = "How many loyalty points does a 649 dollar order earn?"


@tool
def loyalty_points(order_total: float) -> dict:
    """Loyalty points a Kestrel online-store order earns: one point per whole US dollar, and a
    100-point bonus from 500 dollars.

    Args:
        order_total: Order value in US dollars.
    """
    points = int(order_total) + (100 if order_total >= 500 else 0)
    return {"order_total": order_total, "points": points}


def run(question: str = QUESTION) -> dict:
    """Ask the agent; return the tool's spec, its metrics and the conversation's block kinds."""
    model = BedrockModel(boto_session=boto3.Session(), model_id=models.TEXT_MODEL,
                         temperature=0, max_tokens=700)
    agent = Agent(model=model, tools=[*agents.strands_tools(agents.Toolbox()), loyalty_points],
                  system_prompt=agents.SYSTEM_PROMPT, callback_handler=None)
    result = agent(question)
    metrics = result.metrics.tool_metrics.get("loyalty_points")
    results = [b["toolResult"] for m in agent.messages for b in m["content"] if "toolResult" in b]
    return {"spec": loyalty_points.tool_spec, "stop_reason": result.stop_reason,
            "calls": metrics.call_count if metrics else 0,
            "successes": metrics.success_count if metrics else 0,
            "blocks": [(m["role"], [next(iter(b)) for b in m["content"]]) for m in agent.messages],
            "tool_results": results}


def check(out: dict) -> None:
    """The spec came from the function, the tool ran once and succeeded, and its result (649
    points + 100 bonus) went back to the model before the final answer."""
    spec = out["spec"]
    assert spec["name"] == "loyalty_points" and spec["description"].startswith("Loyalty points")
    assert spec["inputSchema"]["json"]["properties"]["order_total"]["type"] == "number"
    assert out["calls"] == 1 and out["successes"] == 1, out
    assert any("749" in str(r["content"]) and r.get("status") == "success"
               for r in out["tool_results"]), out["tool_results"]
    assert out["stop_reason"] == "end_turn"
