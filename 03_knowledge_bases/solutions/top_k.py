"""Worked solution to 03.06's "Your turn": how many chunks to retrieve (top-k).

Recall and MRR depend on k: the more chunks handed to the model, the more often the gold
documents are among them, and the more tokens every prompt carries. The solution indexes
Bedrock's default chunks (FIXED_SIZE, 300 tokens, 20% overlap; Titan V2 at 256 dimensions plus
BM25, hybrid search), retrieves k = 1, 2, 4, 8 and 16 chunks for every answerable question of the
QA set, and reports document-level recall and MRR within those k chunks, with the mean number of
context tokens a prompt would carry. Run it from the notebook (``from solutions.top_k import run,
check``) or the tests.
"""

from __future__ import annotations

import boto3
import numpy as np

from utils import rag

KS = (1, 2, 4, 8, 16)


def run() -> list[dict]:
    """One row per k: recall and MRR of the gold documents within the top k chunks, context tokens."""
    qa = rag.load_qa()
    chunks = rag.chunk_documents(rag.load_documents(), "fixed_tokens", max_tokens=300, overlap_pct=20)
    index = rag.ChunkIndex(chunks, rag.BedrockEmbedder(client=boto3.client("bedrock-runtime"), dimensions=256))
    answerable = [r for r in qa if r["doc_ids"]]
    rows = []
    for k in KS:
        scores = rag.evaluate_retrieval(lambda q, k=k: index.hybrid(q, k=k), qa, ks=(k,))
        context = [sum(h.item.tokens for h in index.hybrid(r["question"], k=k)) for r in answerable]
        rows.append({"k": k, "recall": scores[f"recall@{k}"], "MRR": scores["MRR"],
                     "context tokens (mean)": int(np.mean(context))})
    return rows


def check(rows: list[dict]) -> None:
    recall = [r["recall"] for r in rows]
    mrr = [r["MRR"] for r in rows]
    tokens = [r["context tokens (mean)"] for r in rows]
    assert recall == sorted(recall) and recall[-1] > recall[0], "more chunks, more gold documents found"
    assert mrr == sorted(mrr), "MRR within k chunks can only grow with k"
    assert tokens == sorted(tokens) and tokens[-1] > 8 * tokens[0], "and every prompt grows with k"
