"""Worked solution to 03.04's "Your turn": a metadata filter on Retrieve.

"How long does the battery last?" does not say which product: unfiltered, the knowledge base
returns passages about whatever mentions batteries (memos, other robots). The solution asks it
three times with plain ``bedrock-agent-runtime`` ``retrieve`` calls: without a filter, with
``equals`` on the ``product`` attribute (``kite``, from each document's ``.metadata.json``), and
with ``andAll`` of that and ``in`` on ``category`` (FAQ or manual). It finds the workshop
knowledge base with ``rag.ensure_workshop_kb()`` (offline it exists; live it is created if
notebook 04 deleted it). Run it from the notebook (``from solutions.metadata_filter import run,
check``) or the tests.
"""

from __future__ import annotations

import boto3

from utils import rag

QUESTION = "How long does the battery last?"
FILTERS = {
    "no filter": None,
    "product = kite": {"equals": {"key": "product", "value": "kite"}},
    "product = kite and category in (faq, manual)": {"andAll": [
        {"equals": {"key": "product", "value": "kite"}},
        {"in": {"key": "category", "value": ["faq", "manual"]}}]},
}


def run() -> list[dict]:
    """One row per filter and result: rank, document, its product and category, score."""
    kb_id = rag.ensure_workshop_kb(quiet=True)
    runtime = boto3.client("bedrock-agent-runtime")
    rows = []
    for label, condition in FILTERS.items():
        search = {"numberOfResults": 4, **({"filter": condition} if condition else {})}
        results = runtime.retrieve(knowledgeBaseId=kb_id, retrievalQuery={"text": QUESTION},
                                   retrievalConfiguration={"vectorSearchConfiguration": search})["retrievalResults"]
        for rank, r in enumerate(results, 1):
            rows.append({"filter": label, "rank": rank,
                         "document": rag.doc_id_of(r["location"]["s3Location"]["uri"]),
                         "product": r["metadata"].get("product", "-"), "category": r["metadata"]["category"],
                         "score": round(r["score"], 3)})
    return rows


def check(rows: list[dict]) -> None:
    by = {label: [r for r in rows if r["filter"] == label] for label in FILTERS}
    assert any(r["product"] != "kite" for r in by["no filter"]), "unfiltered, other products come up"
    assert by["product = kite"] and all(r["product"] == "kite" for r in by["product = kite"])
    both = by["product = kite and category in (faq, manual)"]
    assert both and all(r["product"] == "kite" and r["category"] in ("faq", "manual") for r in both)
    assert [r["document"] for r in by["product = kite"]] != [r["document"] for r in by["no filter"]]
