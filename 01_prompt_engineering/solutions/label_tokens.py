"""Worked solution to 01.02's "Your turn": the same label, asked for three ways, and the tokens
each way costs.

On notebook 02's six panel tickets it asks for the category (with the category definitions) as
1. JSON with ``category``, ``urgent`` and ``summary`` (notebook 02's schema);
2. JSON with ``category`` only (the rewrite: ask only for what your code reads);
3. a bare label: prefill ``<category>`` and stop at ``</category>``.
It validates every JSON reply against its schema and records ``usage`` per call. The lesson: the
label is the same, but every field you ask for is paid for in output tokens (and output tokens
cost several times input tokens). Run it from the notebook
(``from solutions.label_tokens import run, check``) or from the tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import jsonschema

import utils

PANEL = ["t06", "t12", "t19", "t32", "t42", "t56"]


def _schema(labels: list[str], full: bool) -> dict:
    props = {"category": {"type": "string", "enum": labels}}
    if full:
        props |= {"urgent": {"type": "boolean"}, "summary": {"type": "string", "maxLength": 200}}
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


def run() -> list[dict]:
    """One row per ticket and way of asking: label, schema-valid, input and output tokens, cost."""
    runtime = boto3.client("bedrock-runtime")
    model = utils.models.TEXT_MODEL
    data = Path("data")
    categories = json.loads((data / "categories.json").read_text())
    labels = list(categories)
    definitions = "Categories:\n" + "\n".join(f"- {k}: {v}" for k, v in categories.items())
    tickets = {t["id"]: t for t in map(json.loads, (data / "tickets.jsonl").read_text().splitlines())}

    def ask(prompt: str, prefill: str | None = None, **config) -> tuple[str, dict]:
        messages = [{"role": "user", "content": [{"text": prompt}]}]
        if prefill:
            messages.append({"role": "assistant", "content": [{"text": prefill}]})
        r = runtime.converse(modelId=model, messages=messages,
                             inferenceConfig={"maxTokens": 400, "temperature": 0, **config})
        return utils.text_of(r), r["usage"]

    rows = []
    for tid in PANEL:
        ticket = tickets[tid]["text"]
        for way, full in (("JSON, 3 fields", True), ("JSON, category only", False)):
            schema = _schema(labels, full)
            text, usage = ask(f"{definitions}\n\nReturn only a JSON object valid against this JSON Schema:\n"
                              f"{json.dumps(schema)}\n\n<ticket>{ticket}</ticket>")
            try:
                data_ = json.loads(text[text.find("{"):text.rfind("}") + 1])
                jsonschema.validate(data_, schema)
                label, valid = data_["category"], True
            except (ValueError, jsonschema.ValidationError):
                label, valid = None, False
            rows.append({"ticket": tid, "way": way, "label": label, "valid": valid, **_tokens(model, usage)})
        text, usage = ask(f"{definitions}\n\n<ticket>{ticket}</ticket>\nPut the category in <category> tags.",
                          prefill="<category>", stopSequences=["</category>"])
        label = text.strip()
        rows.append({"ticket": tid, "way": "prefill + stop", "label": label, "valid": label in labels,
                     **_tokens(model, usage)})
    return rows


def _tokens(model: str, usage: dict) -> dict:
    return {"inputTokens": usage["inputTokens"], "outputTokens": usage["outputTokens"],
            "costUsd": utils.models.cost_usd(model, usage["inputTokens"], usage["outputTokens"])}


def check(rows: list[dict]) -> None:
    """Every reply is valid; on every ticket, fewer fields mean fewer output tokens, and the bare
    prefilled label is the cheapest output of the three."""
    assert all(r["valid"] for r in rows), [r for r in rows if not r["valid"]]
    by = {(r["ticket"], r["way"]): r for r in rows}
    for tid in PANEL:
        full, short, bare = (by[tid, w]["outputTokens"] for w in
                             ("JSON, 3 fields", "JSON, category only", "prefill + stop"))
        assert bare < short < full, (tid, bare, short, full)
