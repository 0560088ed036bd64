"""Worked solution to 03.03's "Your turn": how many passages to give the model.

The number of retrieved passages (``k`` here, ``numberOfResults`` in Knowledge Bases) decides what
the model can cite and what each call costs. For a question that needs two documents (q011: a
stolen laptop, answered by the security policy and the IT handbook), the solution retrieves 1, 2,
4 and 8 chunks (hybrid search, Titan V2 embeddings), asks Converse with the notebook's citing
system prompt, and reports the gold documents that reached the prompt, the passages the answer's
claims are attributed to, and the input tokens Bedrock counted. Run it from the notebook
(``from solutions.more_passages import run, check``) or the tests.
"""

from __future__ import annotations

import boto3

from utils import models, rag

KS = (1, 2, 4, 8)
QUESTION_ID = "q011"


def run() -> list[dict]:
    """One row per k: passages sent, gold documents among them, cited passages, input tokens."""
    runtime = boto3.client("bedrock-runtime")
    chunks = rag.chunk_documents(rag.load_documents(), "fixed_tokens", max_tokens=300, overlap_pct=20)
    index = rag.ChunkIndex(chunks, rag.BedrockEmbedder(client=runtime))
    record = next(r for r in rag.load_qa() if r["id"] == QUESTION_ID)
    rows = []
    for k in KS:
        hits = index.hybrid(record["question"], k=k)
        response = runtime.converse(
            modelId=models.TEXT_MODEL, system=[{"text": rag.SYSTEM_PROMPT}],
            messages=[{"role": "user", "content": [{"text": rag.rag_prompt(record["question"], hits)}]}],
            inferenceConfig={"temperature": 0, "maxTokens": 300})
        answer = response["output"]["message"]["content"][0]["text"]
        passages = {h.item.chunk_id: h.item.text for h in hits}
        cited = sorted({c["passage"] for c in rag.attribute(answer, passages) if c["supported"]}
                       | set(rag.cited_ids(answer)))
        docs = {h.item.doc_id for h in hits}
        rows.append({"k": k, "passages": len(hits), "sent": list(passages), "gold documents reached": sorted(docs & set(record["doc_ids"])),
                     "of": len(record["doc_ids"]), "cited": cited,
                     "input tokens": response["usage"]["inputTokens"]})
    return rows


def check(rows: list[dict]) -> None:
    tokens = [r["input tokens"] for r in rows]
    assert tokens == sorted(tokens) and tokens[0] < tokens[-1], "more passages, more input tokens"
    reached = [len(r["gold documents reached"]) for r in rows]
    assert reached == sorted(reached), "a larger k never loses a gold document"
    assert reached[0] < rows[0]["of"] <= reached[-1], "k=1 cannot hold both documents; k=8 does"
    for r in rows:
        assert r["passages"] == r["k"]
        assert set(r["cited"]) <= set(r["sent"]), "an answer cites only passages it was given"
