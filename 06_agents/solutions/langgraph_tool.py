"""Worked solution to 06.02's "Your turn": a tool of your own added to the LangGraph agent.

`shipping_cost` is a plain Python function made a LangChain tool with `@tool` (the docstring is
the description, the type hints the JSON schema). It joins the lab's six tools in
`create_agent`, and a shipping question goes through the graph: the model node asks for the new
tool, the tools node runs it, the model node answers. LangChain sends the new tool to Bedrock as
one more `toolSpec` in `toolConfig`.
"""

from __future__ import annotations

import boto3
from langchain.agents import create_agent
from langchain_aws import ChatBedrockConverse
from langchain_core.tools import tool

from utils import agents, models

QUESTION = "How much is standard shipping for a $120 order?"


@tool
def shipping_cost(order_total: float, express: bool = False) -> dict:
    """Shipping cost of a Kestrel online-store order in the United States.

    Args:
        order_total: Order value in US dollars, before shipping.
        express: True for express shipping (2 business days).
    """
    if express:
        return {"shipping": 19.0, "method": "express"}
    return {"shipping": 0.0 if order_total > 149 else 9.95, "method": "standard"}


def run(question: str = QUESTION) -> list[dict]:
    """The graph's messages for the question, one row each (node output in order)."""
    llm = ChatBedrockConverse(model=models.TEXT_MODEL, client=boto3.client("bedrock-runtime"),
                              temperature=0, max_tokens=700)
    tools = [*agents.langchain_tools(agents.Toolbox()), shipping_cost]
    graph = create_agent(llm, tools, system_prompt=agents.SYSTEM_PROMPT)
    state = graph.invoke({"messages": [{"role": "user", "content": question}]},
                         {"recursion_limit": 8})
    return [{"message": type(m).__name__,
             "tool calls": [(c["name"], c["args"]) for c in getattr(m, "tool_calls", [])] or "-",
             "tool": getattr(m, "name", None) or "-",
             "content": agents.message_text(m)[:80]} for m in state["messages"]]


def check(rows: list[dict]) -> None:
    """The model asked for the new tool with the order total, the tools node ran it and returned
    the standard rate, and the graph ended on an answer."""
    asks = [c for r in rows if r["message"] == "AIMessage" and r["tool calls"] != "-"
            for c in r["tool calls"]]
    assert any(name == "shipping_cost" and float(args["order_total"]) == 120 for name, args in asks), asks
    results = [r for r in rows if r["message"] == "ToolMessage" and r["tool"] == "shipping_cost"]
    assert results and "9.95" in results[0]["content"], rows
    assert rows[-1]["message"] == "AIMessage" and rows[-1]["tool calls"] == "-"
