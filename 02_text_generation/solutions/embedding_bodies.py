"""Worked solution to 02.01's "Your turn": two more providers' native InvokeModel bodies.

Embedding models are where InvokeModel stays the only runtime API, so each provider's own body
is unavoidable there. The solution embeds the same texts with Cohere Embed (``texts`` +
``input_type``: up to 96 texts in one call) and with Amazon Titan Text Embeddings V2
(``inputText``: one text per call), and compares where each reports usage: Titan in the body
(``inputTextTokenCount``), Cohere nowhere in the body; both in the ``x-amzn-bedrock-*`` headers,
with zero output tokens.
"""

from __future__ import annotations

import json

import boto3

from utils import models

TEXTS = ["The harbour register lists every ship that arrives.",
         "Ships pay a fee per ton of cargo, recorded beside their name.",
         "A storm in the winter of the flood year closed the harbour for a month."]
COHERE_BODY = {"texts": TEXTS, "input_type": "search_document"}


def _usage_keys(body: dict) -> list[str]:
    return [k for k in body if "token" in k.lower() or k.lower() in ("usage", "meta")]


def _call(runtime, model, body: dict) -> dict:
    resp = runtime.invoke_model(modelId=models.invoke_id(model), body=json.dumps(body))
    out = json.loads(resp["body"].read())
    headers = resp["ResponseMetadata"]["HTTPHeaders"]
    return {"body": out, "in": int(headers["x-amzn-bedrock-input-token-count"]),
            "out": int(headers["x-amzn-bedrock-output-token-count"])}


def run() -> list[dict]:
    """One Cohere call for all texts, one Titan call per text: a row per call."""
    runtime = boto3.client("bedrock-runtime")
    cohere = next(m for m in models.MODELS if m.family == "cohere-embed" and m.status != "EOL")
    titan = next(m for m in models.MODELS if m.family == "titan-embed" and m.status != "EOL"
                 and m.model_id.endswith("v2:0"))
    rows = []
    r = _call(runtime, cohere, COHERE_BODY)
    rows.append({"model": cohere.model_id, "texts": len(TEXTS), "body keys": ", ".join(r["body"]),
                 "usage in body": ", ".join(_usage_keys(r["body"])) or "none",
                 "body tokens": None, "header in": r["in"], "header out": r["out"],
                 "dims": len(r["body"]["embeddings"][0])})
    for text in TEXTS:
        r = _call(runtime, titan, {"inputText": text, "dimensions": 512})
        rows.append({"model": titan.model_id, "texts": 1, "body keys": ", ".join(r["body"]),
                     "usage in body": ", ".join(_usage_keys(r["body"])),
                     "body tokens": r["body"]["inputTextTokenCount"], "header in": r["in"],
                     "header out": r["out"], "dims": len(r["body"]["embedding"])})
    return rows


def check(rows: list[dict]) -> None:
    cohere, titan = rows[0], rows[1:]
    assert cohere["usage in body"] == "none", "Cohere Embed's body carries no token count"
    assert len(titan) == len(TEXTS) and all(r["usage in body"] == "inputTextTokenCount" for r in titan)
    assert all(r["body tokens"] == r["header in"] for r in titan), "Titan's body and headers agree"
    assert all(r["header out"] == 0 for r in rows), "embeddings generate no output tokens"
    # One batched Cohere call meters the same input as the three Titan calls together.
    assert cohere["header in"] > max(r["header in"] for r in titan)
    assert {r["dims"] for r in titan} == {512} and cohere["dims"] == 1024
