"""Worked solution to 06.04's "Your turn": a customer-facing agent whose knowledge tool may only
retrieve customer documents, enforced by a metadata filter on Retrieve.

The knowledge base holds the employee handbook and internal memos beside manuals, FAQs and
policies; each document's `.metadata.json` (lab 03) gives it a `category`. The agent keeps the
same `search_knowledge_base` spec, but its function calls `Retrieve` with
`vectorSearchConfiguration.filter = {"notIn": {"key": "category", "value": INTERNAL}}`, so
internal documents can never reach the model, whatever the question. An employee question goes
to the unfiltered agent and to the filtered one; the passages each retrieved are compared.
"""

from __future__ import annotations

from pathlib import Path

import boto3

from utils import agents, models

INTERNAL = ["handbook", "memo"]
QUESTION = "How much annual leave do Kestrel employees get?"


def filtered_search(kb_id: str, flt: dict | None, seen: list):
    """A `search_knowledge_base` function whose Retrieve call carries `flt`; records sources."""
    client = boto3.client("bedrock-agent-runtime")

    def search(query: str, max_results: int = 3) -> dict:
        vector = {"numberOfResults": max_results, **({"filter": flt} if flt else {})}
        resp = client.retrieve(knowledgeBaseId=kb_id, retrievalQuery={"text": query},
                               retrievalConfiguration={"vectorSearchConfiguration": vector})
        out = []
        for r in resp["retrievalResults"]:
            meta = r.get("metadata") or {}
            doc = Path(r["location"]["s3Location"]["uri"]).stem
            seen.append({"doc_id": doc, "category": meta.get("category")})
            out.append({"doc_id": doc, "text": r["content"]["text"], "score": round(r["score"], 3)})
        return {"results": out}
    return search


def run(question: str = QUESTION) -> list[dict]:
    """The question through an unfiltered and a filtered agent: one row per retrieved passage."""
    runtime = boto3.client("bedrock-runtime")
    kb_id = agents.find_knowledge_base()
    rows = []
    for label, flt in (("no filter", None),
                       ("notIn handbook, memo", {"notIn": {"key": "category", "value": INTERNAL}})):
        seen: list[dict] = []
        toolbox = agents.Toolbox(["search_knowledge_base", "lookup_order"], functions={
            **agents.TOOL_FUNCTIONS, "search_knowledge_base": filtered_search(kb_id, flt, seen)})
        result = agents.run_agent(runtime, models.TEXT_MODEL, question, toolbox)
        rows += [{"agent": label, "stopped": result.stopped, **s} for s in seen]
    return rows


def check(rows: list[dict]) -> None:
    """Unfiltered, the employee question reaches internal documents; filtered, every passage
    comes from a customer document, and the agent still searched and answered."""
    free = [r for r in rows if r["agent"] == "no filter"]
    kept = [r for r in rows if r["agent"] != "no filter"]
    assert any(r["category"] in INTERNAL for r in free), "the unfiltered agent should find the handbook"
    assert kept, "the filtered agent must still search"
    assert all(r["category"] and r["category"] not in INTERNAL for r in kept), kept
    assert all(r["stopped"] == "end_turn" for r in rows)
