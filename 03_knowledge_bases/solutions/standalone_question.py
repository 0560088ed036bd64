"""Worked solution to 03.05's "Your turn": rewrite a follow-up into a standalone question.

After "How big is the dust bag in the Wren V3 dock?", the follow-up "What is its charging time?"
cannot be searched as it is: "its" points at nothing. The solution searches the knowledge base
(plain ``bedrock-agent-runtime`` ``retrieve``) with three queries: the follow-up alone, the rule's
rewrite (``rag.condense_question``: the last standalone question in front), and a rewrite by hand
that names the product, the way a model rewrite should. It reports the documents of the top
passages. Run it from the notebook (``from solutions.standalone_question import run, check``) or
the tests.
"""

from __future__ import annotations

import boto3

from utils import rag

FIRST = "How big is the dust bag in the Wren V3 dock?"
FOLLOW_UP = "What is its charging time?"
BY_HAND = "What is the charging time of the Wren V3 robot vacuum?"


def run() -> list[dict]:
    """One row per query: the query and the documents of its three best passages."""
    kb_id = rag.ensure_workshop_kb(quiet=True)
    runtime = boto3.client("bedrock-agent-runtime")
    queries = {"follow-up alone": FOLLOW_UP, "rule rewrite": rag.condense_question(FIRST, FOLLOW_UP),
               "rewritten by hand": BY_HAND}
    rows = []
    for label, query in queries.items():
        results = runtime.retrieve(knowledgeBaseId=kb_id, retrievalQuery={"text": query},
                                   retrievalConfiguration={"vectorSearchConfiguration": {"numberOfResults": 3}})
        rows.append({"query": label, "text": query,
                     "top documents": [rag.doc_id_of(r["location"]["s3Location"]["uri"])
                                       for r in results["retrievalResults"]]})
    return rows


def check(rows: list[dict]) -> None:
    alone, rule, hand = rows
    assert not alone["top documents"][0].startswith(("manual-wren", "faq-wren")), \
        "the follow-up alone finds another product"
    assert hand["top documents"][0].startswith(("manual-wren", "faq-wren")), "the standalone question finds the Wren"
    assert "wren" in rule["text"].lower()
