"""Worked solution to 02.05's "Your turn": a validation rule of your own in the prompt API.

The deck's Bedrock Prompt Schema only says "prompt is a string". This solution tightens it with
two draft-04 keywords, the dialect API Gateway models use too: ``maxLength`` 1,000 on ``prompt``
and ``additionalProperties: false`` on the body. It swaps the handler's validator for one built
from the stricter schema (as a redeploy with the new ``schemas/prompt.schema.json`` would),
sends the same proxy events with the deck's schema and with the stricter one, and counts the
Converse calls the handler's Bedrock client makes. The rule turns a 200 into a 400 that names the
failed keyword, and a rejected request never reaches Bedrock.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import boto3
import jsonschema

# The function's code root, as Lambda puts it on the path (the notebook adds it the same way).
_SRC = Path(__file__).resolve().parent.parent / "lambda_app"
for _p in (_SRC / "src", _SRC):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

from bedrock_api import handler  # noqa: E402
from local_api import LambdaContext, proxy_event  # noqa: E402

RULES = {"prompt": {"maxLength": 1000}, "body": {"additionalProperties": False}}
CASES = [("short prompt", {"prompt": "What does a harbour master do?"}),
         ("1,500-character prompt", {"prompt": "Tell me about the harbour. " * 55}),
         ("extra field", {"prompt": "Hello", "temperature": 2})]


def stricter_schema() -> dict:
    schema = copy.deepcopy(handler.PROMPT_SCHEMA)
    schema["properties"]["prompt"].update(RULES["prompt"])
    schema.update(RULES["body"])
    jsonschema.Draft4Validator.check_schema(schema)
    return schema


def run() -> list[dict]:
    """Each case through the handler with the deck's schema and with the stricter one."""
    client = boto3.client("bedrock-runtime")
    calls = []
    client.meta.events.register("before-call.bedrock-runtime.Converse", lambda **kw: calls.append(1))
    original_validator, original_client = handler._PROMPT, handler._client
    handler.set_client(client)
    rows = []
    try:
        for schema_name, schema in (("deck", handler.PROMPT_SCHEMA), ("stricter", stricter_schema())):
            handler._PROMPT = jsonschema.Draft4Validator(schema)
            for i, (case, payload) in enumerate(CASES):
                before = len(calls)
                out = handler.lambda_handler(proxy_event(payload, request_id=f"rule-{schema_name}-{i}"),
                                             LambdaContext())
                body = json.loads(out["body"])
                rows.append({"schema": schema_name, "case": case, "status": out["statusCode"],
                             "Bedrock calls": len(calls) - before,
                             "response": body["response"] if out["statusCode"] != 200 else "(answer)"})
    finally:
        handler._PROMPT = original_validator
        handler.set_client(original_client)
    return rows


def check(rows: list[dict]) -> None:
    deck = {r["case"]: r for r in rows if r["schema"] == "deck"}
    strict = {r["case"]: r for r in rows if r["schema"] == "stricter"}
    assert all(r["status"] == 200 and r["Bedrock calls"] == 1 for r in deck.values()), \
        "the deck's schema accepts every case"
    assert strict["short prompt"]["status"] == 200
    for case in ("1,500-character prompt", "extra field"):
        assert strict[case]["status"] == 400, f"{case}: the new rule answers 400"
        assert strict[case]["Bedrock calls"] == 0, "a rejected request never reaches Bedrock"
    assert "maxLength" in strict["1,500-character prompt"]["response"]
    assert "additionalProperties" in strict["extra field"]["response"]
    assert "Tell me about" not in strict["1,500-character prompt"]["response"], "never echo input"
