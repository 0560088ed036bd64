"""Worked solution to 03.02's "Your turn": cosine, dot product or L2 distance?

Titan Text Embeddings V2 returns unit-length vectors unless the request says ``"normalize": false``.
The solution embeds the corpus' chunks both ways (plain ``invoke_model`` calls, 256 dimensions),
builds three faiss indexes and searches the same questions in each:

- ``IndexFlatIP`` on normalised vectors: inner product = cosine similarity;
- ``IndexFlatL2`` on normalised vectors: for unit vectors ||a - b||^2 = 2 - 2 cos(a, b), so the
  ranking is the cosine ranking exactly;
- ``IndexFlatIP`` on raw (``normalize: false``) vectors: the dot product also rewards long vectors,
  so the ranking can change.

Run it from the notebook (``from solutions.distance_metrics import run, check``) or the tests.
"""

from __future__ import annotations

import json

import boto3
import faiss
import numpy as np

from utils import models, rag

QUESTIONS = ["Which cabin class may I book for a 7-hour flight?",
             "How long does the Kite L1 battery last?",
             "What warranty comes with a refurbished robot?",
             "How do I reset my Kestrel Home app password?",
             "Which error code means the Wren V3 brush is stuck?"]


def embed(runtime, text: str, normalize: bool) -> np.ndarray:
    body = {"inputText": text, "dimensions": 256, "normalize": normalize}
    response = runtime.invoke_model(modelId=models.EMBEDDING_MODEL, body=json.dumps(body))
    return np.array(json.loads(response["body"].read())["embedding"], dtype="float32")


def run() -> list[dict]:
    """One row per question: the top-3 chunks by cosine, by L2 (unit vectors) and by raw dot product."""
    runtime = boto3.client("bedrock-runtime")
    chunks = rag.chunk_documents(rag.load_documents(), "fixed_tokens", max_tokens=300, overlap_pct=20)
    unit = np.vstack([embed(runtime, c.text, True) for c in chunks])
    raw = np.vstack([embed(runtime, c.text, False) for c in chunks])
    indexes = {"cosine": (faiss.IndexFlatIP(256), unit), "L2 (unit vectors)": (faiss.IndexFlatL2(256), unit),
               "dot product (raw vectors)": (faiss.IndexFlatIP(256), raw)}
    for index, vectors in indexes.values():
        index.add(vectors)
    norms = np.linalg.norm(raw, axis=1)
    rows = []
    for q in QUESTIONS:
        row = {"question": q}
        for name, (index, _) in indexes.items():
            query = embed(runtime, q, name != "dot product (raw vectors)")
            _, ids = index.search(query[None, :], 3)
            row[name] = [chunks[i].chunk_id for i in ids[0]]
        row["raw vector lengths (min-max)"] = f"{norms.min():.2f}-{norms.max():.2f}"
        rows.append(row)
    return rows


def check(rows: list[dict]) -> None:
    for row in rows:
        assert row["L2 (unit vectors)"] == row["cosine"], "on unit vectors L2 ranks exactly as cosine"
    assert any(row["dot product (raw vectors)"] != row["cosine"] for row in rows), \
        "on raw vectors the dot product changes some ranking"
