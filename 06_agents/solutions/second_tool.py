"""Worked solution to 06.01's "Your turn": a second tool next to `lookup_order`, and the loop followed.

The new tool, `warranty_end`, is written as a raw Converse `toolSpec` (name, description,
inputSchema.json) and a Python function. The question needs both tools in order: the order's
delivery date only exists in `lookup_order`'s result, so the model asks for `lookup_order` first,
reads the `toolResult`, then asks for `warranty_end` with that date. The loop is the notebook's,
with plain dicts (no `Toolbox`): `toolConfig`, `toolUse` blocks in, `toolResult` blocks out.
"""

from __future__ import annotations

import datetime as dt

import boto3

from utils import agents, models

WARRANTY_SPEC = {
    "name": "warranty_end",
    "description": "Compute the date a product's warranty ends, from the date the order was "
                   "delivered and the warranty length in years.",
    "inputSchema": {"json": {
        "type": "object",
        "properties": {
            "delivered_on": {"type": "string", "format": "date",
                             "description": "Delivery date of the order, YYYY-MM-DD."},
            "years": {"type": "integer", "minimum": 1, "maximum": 5,
                      "description": "Warranty length in years."}},
        "required": ["delivered_on", "years"]}},
}


def warranty_end(delivered_on: str, years: int) -> dict:
    """The day the warranty ends: the delivery date plus `years` (29 February becomes 28)."""
    start = dt.date.fromisoformat(delivered_on)
    try:
        end = start.replace(year=start.year + years)
    except ValueError:
        end = start.replace(year=start.year + years, day=28)
    return {"delivered_on": delivered_on, "years": years, "warranty_ends": end.isoformat()}


FUNCTIONS = {"lookup_order": agents.lookup_order, "warranty_end": warranty_end}
TOOL_CONFIG = {"tools": [{"toolSpec": agents.TOOL_SPECS["lookup_order"]},
                         {"toolSpec": WARRANTY_SPEC}]}
QUESTION = "Look up order ORD-20401 and compute when its 2-year warranty ends."


def run(question: str = QUESTION, max_steps: int = 5) -> list[dict]:
    """Model -> tools -> model with raw dicts; one row per model call and per tool call."""
    runtime = boto3.client("bedrock-runtime")
    messages = [{"role": "user", "content": [{"text": question}]}]
    rows = []
    for step in range(1, max_steps + 1):
        resp = runtime.converse(modelId=models.TEXT_MODEL, messages=messages,
                                toolConfig=TOOL_CONFIG,
                                inferenceConfig={"maxTokens": 700, "temperature": 0})
        message = resp["output"]["message"]
        messages.append(message)
        uses = [b["toolUse"] for b in message["content"] if "toolUse" in b]
        rows.append({"step": step, "kind": "model", "stopReason": resp["stopReason"],
                     "name": ", ".join(u["name"] for u in uses) or "-",
                     "input": [u["input"] for u in uses] or "-", "output": "-"})
        if resp["stopReason"] != "tool_use":
            return rows
        results = []
        for use in uses:
            try:
                output, status = FUNCTIONS[use["name"]](**use["input"]), "success"
            except Exception as exc:  # an error result the model can act on, never a crash
                output, status = {"error": str(exc)}, "error"
            results.append({"toolResult": {"toolUseId": use["toolUseId"],
                                           "content": [{"json": output}], "status": status}})
            rows.append({"step": step, "kind": "tool", "stopReason": "-", "name": use["name"],
                         "input": use["input"],
                         "output": output.get("warranty_ends") or output.get("delivered_on")
                         or status})
        messages.append({"role": "user", "content": results})
    return rows


def check(rows: list[dict]) -> None:
    """Both tools ran, in order, the second with a date only the first one's result contained,
    and the loop ended with a final answer."""
    tools = [r for r in rows if r["kind"] == "tool"]
    assert [t["name"] for t in tools] == ["lookup_order", "warranty_end"], tools
    delivered = agents.lookup_order("ORD-20401")["delivered_on"]
    assert tools[1]["input"]["delivered_on"] == delivered, "the date must come from the first result"
    assert tools[1]["output"] == warranty_end(delivered, 2)["warranty_ends"]
    assert rows[-1]["kind"] == "model" and rows[-1]["stopReason"] == "end_turn"
    assert sum(r["kind"] == "model" for r in rows) == 3  # ask, ask again, answer
