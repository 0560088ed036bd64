"""Worked solution to 05.04's "Your turn": does a shorter vector find the same pictures?

Titan Multimodal Embeddings returns 256, 384 or 1024 numbers (`outputEmbeddingLength`). The
picture library is indexed at each length and searched with the notebook's colour queries (what
the picture *looks* like) and object queries (what it *shows*): hit@1 per length, and how often
the 256-number search puts the same picture first as the 1024-number one. Shorter vectors are
cheaper to store and compare; the question is what they cost in retrieval quality.
"""

from __future__ import annotations

import base64
import io
import json

import boto3
import imagetools as it
import numpy as np

from utils import models

LENGTHS = (256, 384, 1024)
QUERIES = [
    ("something yellow", "lemons.png", "colour"),
    ("an orange and pink sunset", "sunset_beach.png", "colour"),
    ("very dark, navy blue and black", "night_city.png", "colour"),
    ("green trees and a light blue sky", "forest.png", "colour"),
    ("grey and light blue", "snowy_mountain.png", "colour"),
    ("beige and dark grey", "wren_v3.png", "colour"),
    ("white and red", "red_bicycle.png", "colour"),
    ("a robot vacuum cleaner", "wren_v3.png", "object"),
    ("a bicycle", "red_bicycle.png", "object"),
    ("mountains with snow", "snowy_mountain.png", "object"),
    ("a city skyline at night", "night_city.png", "object"),
    ("lemons on a table", "lemons.png", "object"),
]


def run() -> dict:
    """Index and search at each length: rows of hit@1 per kind of query, and the agreement."""
    runtime = boto3.client("bedrock-runtime")
    model = next(m for m in models.embedding_models() if "IMAGE" in m.input_modalities)

    def embed(dims, text=None, image=None):
        body = {"embeddingConfig": {"outputEmbeddingLength": dims}}
        if text:
            body["inputText"] = text
        if image is not None:
            buf = io.BytesIO()
            image.save(buf, "PNG")
            body["inputImage"] = base64.b64encode(buf.getvalue()).decode()
        out = json.loads(runtime.invoke_model(modelId=model.model_id, body=json.dumps(body))["body"].read())
        return np.array(out["embedding"])

    names = sorted(it.captions())
    pictures = {n: it.load(n).convert("RGB") for n in names}
    firsts, rows, norms = {}, [], {}
    for dims in LENGTHS:
        index = np.stack([embed(dims, image=pictures[n]) for n in names])
        norms[dims] = (index.shape[1], round(float(np.linalg.norm(index, axis=1).mean()), 3))
        firsts[dims] = [names[int(np.argmax(index @ embed(dims, text=q)))] for q, _, _ in QUERIES]
        for kind in ("colour", "object"):
            hits = [f == exp for f, (_, exp, k) in zip(firsts[dims], QUERIES) if k == kind]
            rows.append({"outputEmbeddingLength": dims, "queries": kind, "hit@1": round(sum(hits) / len(hits), 2),
                         "bytes per vector (float32)": dims * 4})
    agree = {dims: round(sum(a == b for a, b in zip(firsts[dims], firsts[1024])) / len(QUERIES), 2)
             for dims in LENGTHS}
    return {"rows": rows, "same first picture as 1024": agree, "length, mean norm": norms}


def check(result: dict) -> None:
    """Each length returns unit vectors of that length; shorter vectors keep most of the quality
    (hit@1 within 0.15 of 1024, most first results identical) at a fraction of the storage."""
    for dims, (length, norm) in result["length, mean norm"].items():
        assert length == dims and abs(norm - 1) < 1e-3, (dims, length, norm)
    hit = {(r["outputEmbeddingLength"], r["queries"]): r["hit@1"] for r in result["rows"]}
    for kind in ("colour", "object"):
        assert hit[(256, kind)] >= hit[(1024, kind)] - 0.15, hit
    assert result["same first picture as 1024"][256] >= 0.7, result["same first picture as 1024"]
