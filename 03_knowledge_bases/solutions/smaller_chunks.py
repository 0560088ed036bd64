"""Worked solution to 03.01's "Your turn": a smaller chunk size, and what it does to retrieval.

The recursive splitter cuts the corpus at 800 characters with 100 of overlap (the notebook's
setting) and at 300 with 50. Smaller chunks mean more of them, fewer tokens each, and a different
retrieval: the solution indexes both cuts (Titan embeddings + BM25, hybrid search), searches the
QA set's questions and reports recall@1 and MRR, plus the chunk that comes first for the travel
question. Run it from the notebook (``from solutions.smaller_chunks import run, check``) or the tests.
"""

from __future__ import annotations

import boto3
import numpy as np

from utils import rag

SETTINGS = {"800 chars, 100 overlap": (800, 100), "300 chars, 50 overlap": (300, 50)}
QUESTION = "Which cabin class may I book for a 7-hour flight?"


def run() -> list[dict]:
    """One row per chunk setting: chunks, median tokens, retrieval quality, the travel question's top chunk."""
    docs = rag.load_documents()
    qa = rag.load_qa()
    embedder = rag.BedrockEmbedder(client=boto3.client("bedrock-runtime"), dimensions=256)
    rows = []
    for label, (size, overlap) in SETTINGS.items():
        chunks = [c for d in docs for c in rag.recursive(d, size=size, overlap=overlap)]
        index = rag.ChunkIndex(chunks, embedder)
        scores = rag.evaluate_retrieval(lambda q, i=index: i.hybrid(q, k=10), qa, ks=(1, 5))
        top = index.hybrid(QUESTION, k=1)[0].item
        rows.append({"setting": label, "chunks": len(chunks),
                     "median tokens": int(np.median([c.tokens for c in chunks])),
                     "recall@1": scores["recall@1"], "recall@5": scores["recall@5"], "MRR": scores["MRR"],
                     "top chunk for the travel question": top.chunk_id,
                     "its tokens": top.tokens})
    return rows


def check(rows: list[dict]) -> None:
    big, small = rows
    assert small["chunks"] > 1.8 * big["chunks"], "a chunk size under half should give about twice the chunks"
    assert small["median tokens"] < big["median tokens"]
    assert small["its tokens"] < big["its tokens"], "the travel question's top chunk is shorter"
    assert (small["recall@1"], small["MRR"]) != (big["recall@1"], big["MRR"]), "retrieval changed"
