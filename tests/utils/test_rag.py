"""utils.rag: loaders, chunkers, the faiss/BM25 index, metrics, faithfulness, the Bedrock embedder."""

from __future__ import annotations

import json

import numpy as np
import pytest

from local_bedrock.text.tokens import count_tokens
from utils import rag


@pytest.fixture(scope="module")
def docs() -> dict[str, rag.Document]:
    return {d.doc_id: d for d in rag.load_documents()}


# ------------------------------------------------------------------------------ loaders


def test_loads_every_format_with_metadata(docs):
    assert {d.format for d in docs.values()} == {"md", "txt", "pdf"}
    md = docs["manual-wren-v3"]
    assert md.title.startswith("Wren V3 Robot Vacuum")
    assert md.metadata == {"category": "manual", "format": "md", "product": "wren"}
    assert docs["policy-travel"].metadata["category"] == "policy"


def test_pdf_pages_and_footers(docs):
    pdf = docs["manual-kite-l1"]
    assert len(pdf.page_starts) == 2 and pdf.page_starts[0] == 0
    assert "- page" not in pdf.text  # "Kestrel Home Robotics - page N" footers are stripped
    assert pdf.page_at(0) == 1 and pdf.page_at(len(pdf.text) - 1) == 2


def test_load_file_reads_a_metadata_sidecar(tmp_path):
    path = tmp_path / "note.txt"
    path.write_text("Hello robots.\n")
    (tmp_path / "note.txt.metadata.json").write_text(
        json.dumps({"metadataAttributes": {"team": "support"}}))
    assert rag.load_file(path).metadata == {"team": "support"}
    with pytest.raises(ValueError):
        rag.load_bytes("slides.pptx", b"")


# ------------------------------------------------------------------------------ chunkers


@pytest.mark.parametrize("strategy", sorted(rag.STRATEGIES))
def test_every_chunk_points_back_at_its_source_span(docs, strategy):
    chunks = rag.chunk_documents(docs.values(), strategy)
    assert {c.doc_id for c in chunks} == set(docs)
    for c in chunks:
        source = docs[c.doc_id].text[c.start:c.end]
        assert source and c.text.endswith(source), c.chunk_id
        if docs[c.doc_id].format == "pdf":
            assert c.metadata["page"] in (1, 2)


def test_fixed_tokens_respects_the_budget_and_overlaps(docs):
    doc = docs["handbook-leave-policy"]
    chunks = rag.fixed_tokens(doc, max_tokens=80, overlap_pct=25)
    assert len(chunks) > 3
    assert all(c.tokens <= 80 for c in chunks)
    pairs = list(zip(chunks, chunks[1:], strict=False))
    # overlap is whole sentences within 25% of the budget: most neighbours share one
    assert sum(b.start < a.end for a, b in pairs) >= 0.7 * len(pairs)
    none = rag.fixed_tokens(doc, max_tokens=80, overlap_pct=0)
    assert all(b.start >= a.end for a, b in zip(none, none[1:], strict=False))
    with pytest.raises(ValueError):
        rag.fixed_tokens(doc, max_tokens=5)


def test_fixed_size_and_recursive_sizes(docs):
    doc = docs["faq-shipping"]
    fixed = rag.fixed_size(doc, size=300, overlap=50)
    assert all(len(c.text) <= 300 for c in fixed)
    assert fixed[1].start == 250
    rec = rag.recursive(doc, size=300, overlap=50)
    assert all(len(c.text) <= 300 for c in rec)
    # recursive splitting ends chunks at paragraph or line breaks, fixed windows do not
    ends = [doc.text[c.end:c.end + 1] for c in rec[:-1]]
    assert sum(e in ("\n", "") for e in ends) >= len(ends) - 1


def test_by_heading_follows_sections(docs):
    doc = docs["manual-wren-v3"]
    chunks = rag.by_heading(doc)
    headings = [c.metadata["heading"] for c in chunks]
    assert "Specifications" in headings and "Battery care" in headings
    spec = chunks[headings.index("Specifications")]
    assert spec.text.startswith(doc.title) and "5,200 mAh" in spec.text
    faq = rag.by_heading(docs["faq-shipping"])  # plain text: questions act as headings
    assert any(c.metadata["heading"] == "How is Kite L1 delivered?" for c in faq)


def test_whole_and_unknown_strategy(docs):
    assert len(rag.chunk_documents(docs.values(), "whole")) == len(docs)
    with pytest.raises(ValueError, match="unknown chunking strategy"):
        rag.chunk_documents(docs.values(), "semantic-magic")


# -------------------------------------------------------------------------------- index


def _clustered(n: int = 2000, dim: int = 32, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(20, dim))
    return (centres[rng.integers(0, 20, n)] + 0.3 * rng.normal(size=(n, dim))).astype(np.float32)


def test_flat_index_is_exact_and_ivf_close(tmp_path):
    x = _clustered()
    flat = rag.VectorIndex.build(x)
    scores, ids = flat.search(x[:50], 5)
    assert (ids[:, 0] == np.arange(50)).all() and np.allclose(scores[:, 0], 1.0, atol=1e-5)
    brute = np.argsort(-(rag.normalize(x[:50]) @ rag.normalize(x).T), axis=1)[:, :5]
    assert np.mean([len(set(a) & set(b)) / 5 for a, b in zip(ids, brute, strict=True)]) > 0.99
    ivf = rag.VectorIndex.build(x, "ivf")
    _, approx = ivf.search(x[:50], 5)
    assert np.mean([len(set(a) & set(b)) / 5 for a, b in zip(approx, ids, strict=True)]) > 0.8
    ivf.save(tmp_path / "chunks.faiss")
    again = rag.VectorIndex.load(tmp_path / "chunks.faiss")
    assert (again.search(x[:50], 5)[1] == approx).all() and again.kind == "ivf"
    with pytest.raises(ValueError):
        flat.add(np.ones((1, 7), np.float32))


def test_keyword_index_ranks_rare_terms():
    kw = rag.KeywordIndex(["the dock has a dust bag", "order part KP-205 for the filter",
                           "the filter is washable"])
    scores, ids = kw.search("KP-205 filter", 3)
    assert ids[0] == 1 and scores[0] > scores[-1]
    assert len(kw.search("zebra", 3)[1]) == 0
    assert rag.tokenize("The batteries lasts") == ["battery", "last"]


def test_rrf_fuses_rankings():
    fused = rag.rrf([[1, 2, 3], [3, 1, 4]], k=60)
    order = [i for i, _ in fused]
    assert order[:2] == [1, 3] and set(order) == {1, 2, 3, 4}
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)
    assert rag.rrf([[1], [2]], weights=[1.0, 2.0])[0][0] == 2


def test_chunk_index_modes(docs):
    chunks = rag.chunk_documents([docs["guide-spare-parts-catalog"], docs["faq-wren"],
                                  docs["policy-travel"]], "by_heading")
    from local_bedrock.text.embeddings import embed

    index = rag.ChunkIndex(chunks, lambda t: embed(t, 256))
    assert index.keyword("KP-205", 1)[0].item.doc_id == "guide-spare-parts-catalog"
    assert index.semantic("cabin class on long flights", 1)[0].item.doc_id == "policy-travel"
    hybrid = index.hybrid("water filter part number", 4)
    assert len(hybrid) == 4 and hybrid[0].score >= hybrid[-1].score
    with pytest.raises(ValueError):
        index.search("x", mode="fuzzy")


# ------------------------------------------------------------------------------ metrics


def test_recall_and_reciprocal_rank():
    ranked = ["a", "b", "c", "d"]
    assert rag.recall_at_k(ranked, ["c", "x"], 3) == 0.5
    assert rag.recall_at_k(ranked, ["c"], 2) == 0.0
    assert rag.reciprocal_rank(ranked, ["c", "d"]) == pytest.approx(1 / 3)
    assert rag.reciprocal_rank(ranked, ["z"]) == 0.0


def test_evaluate_retrieval_over_a_fake_search():
    chunk = lambda d: rag.Chunk(f"{d}#0", d, "text", 0, 4)  # noqa: E731
    qa = [{"question": "q1", "doc_ids": ["a"]}, {"question": "q2", "doc_ids": ["b", "c"]},
          {"question": "q3", "doc_ids": []}]
    results = {"q1": ["x", "a"], "q2": ["b", "b", "y", "c"]}
    out = rag.evaluate_retrieval(lambda q: [rag.Hit(chunk(d), 1.0, i) for i, d in
                                           enumerate(results[q])], qa, ks=(1, 3))
    assert out["questions"] == 2
    assert out["recall@1"] == pytest.approx((0 + 0.5) / 2)
    assert out["recall@3"] == pytest.approx((1 + 1) / 2)  # b counted once: ranked b, y, c
    assert out["MRR"] == pytest.approx((0.5 + 1) / 2)


def test_faithfulness_flags_unsupported_claims():
    passages = {"policy-warranty#0": "Kite L1: 3 years from the date of delivery. Batteries in "
                                     "all robots: 12 months from the date of delivery."}
    quoted = "[local engine] From the provided documents: Kite L1: 3 years from the date of delivery."
    assert rag.faithfulness(quoted, passages) == 1.0
    made_up = "The Kite L1 warranty lasts 5 years from the date of delivery."
    rows = rag.attribute(made_up, passages)
    assert rows[0]["supported"] is False  # the number 5 is in no passage
    mixed = quoted + " Refunds are paid in gold bars."
    assert rag.faithfulness(mixed, passages) == 0.5
    assert rag.faithfulness("not in the documents", passages) is None


def test_answer_correctness_and_refusals():
    answerable = {"type": "single", "answer": "premium economy"}
    assert rag.answer_correct("You may book premium economy.", answerable) > 0.5
    assert rag.answer_correct("not in the documents", answerable) == 0.0
    unanswerable = {"type": "unanswerable", "answer": "not in the documents"}
    assert rag.answer_correct("I could not find the answer (not in the documents).", unanswerable) == 1.0
    assert rag.answer_correct("It weighs 2 kg.", unanswerable) == 0.0
    assert rag.cited_ids("Yes [policy-travel#0], see [faq-kite#2].") == ["policy-travel#0", "faq-kite#2"]
    assert rag.doc_id_of("s3://b/corpus/policy-travel.pdf") == "policy-travel"


def test_rag_prompt_tags_each_passage(docs):
    chunks = rag.fixed_tokens(docs["policy-travel"])[:2]
    prompt = rag.rag_prompt("Which class?", [rag.Hit(c, 1.0, i) for i, c in enumerate(chunks)])
    assert prompt.count("<document id=") == 2 and prompt.endswith("Question: Which class?")


# ----------------------------------------------------------------- Bedrock embeddings


def test_bedrock_embedder_caches_and_is_langchain_compatible(runtime):
    emb = rag.BedrockEmbedder(client=runtime, dimensions=256, workers=2)
    v = emb.embed(["warranty", "shipping", "warranty"])
    assert v.shape == (3, 256) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-4)
    assert np.allclose(v[0], v[2]) and emb.calls == 2
    emb.embed(["warranty"])
    assert emb.calls == 2  # cached
    assert len(emb.embed_query("shipping")) == 256 and len(emb.embed_documents(["a", "b"])) == 2
    assert emb(["x"]).shape == (1, 256)


def test_table_rows_from_api_responses():
    result = {"content": {"text": "Premium economy for flights of 6 hours or more."},
              "location": {"type": "S3", "s3Location": {"uri": "s3://b/corpus/policy-travel.pdf"}},
              "metadata": {"x-amz-bedrock-kb-document-page-number": 1.0}, "score": 0.71234}
    (row,) = rag.retrieval_rows([result])
    assert row == {"rank": 1, "score": 0.712, "document": "policy-travel", "page": 1,
                   "passage": "Premium economy for flights of 6 hours or more."}
    response = {"citations": [{"generatedResponsePart": {"textResponsePart": {
        "text": "Premium economy.", "span": {"start": 0, "end": 15}}},
        "retrievedReferences": [{k: v for k, v in result.items() if k != "score"}]}]}
    (cite,) = rag.citation_rows(response)
    assert cite["document"] == "policy-travel" and cite["span"] == "0-15"
    assert count_tokens(cite["passage"]) > 0


def test_quoted_claims_may_join_passages_but_not_words():
    passages = {"a#0": "Kite L1: 3 years from the date of delivery.",
                "b#0": "Batteries in all robots: 12 months from the date of delivery."}
    joined = "Kite L1: 3 years from the date of delivery. Batteries in all robots: 12 months"
    assert rag.quoted_from(joined, passages) == ["a#0", "b#0"]
    assert rag.faithfulness(joined, passages) == 1.0
    assert rag.quoted_from("Kite L1: 12 months from the date of delivery.", passages) is None
    assert rag.quoted_from("Kite batteries are free.", passages) is None
