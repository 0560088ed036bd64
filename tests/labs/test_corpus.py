"""Consistency checks for the lab 03 document corpus and its QA set.

Fast (well under a second apart from PDF text extraction) and offline.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

import pytest

pypdf = pytest.importorskip("pypdf")

DATA = Path(__file__).resolve().parents[2] / "03_knowledge_bases" / "data"
CORPUS = DATA / "corpus"
PDF_SRC = DATA / "pdf_src"
QA_PATH = DATA / "qa.jsonl"

FORMATS = {".md", ".txt", ".pdf"}
QA_KEYS = {"id", "question", "answer", "doc_ids", "evidence", "type"}
QA_TYPES = {"single", "multi", "unanswerable"}
UNANSWERABLE = "not in the documents"
PDF_FOOTER = re.compile(r"Kestrel Home Robotics - page \d+")


def norm(text: str) -> str:
    return " ".join(text.split())


def doc_paths() -> dict[str, Path]:
    return {p.stem: p for p in sorted(CORPUS.iterdir()) if p.suffix in FORMATS}


@lru_cache(maxsize=None)
def doc_text(doc_id: str) -> str:
    """Whitespace-normalised text of a document, as a RAG pipeline would load it."""
    path = doc_paths()[doc_id]
    if path.suffix == ".pdf":
        reader = pypdf.PdfReader(path)
        return norm("\n".join(page.extract_text() or "" for page in reader.pages))
    return norm(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def qa_records() -> list[dict]:
    lines = QA_PATH.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


# --------------------------------------------------------------------- corpus


def test_corpus_files_have_known_formats():
    stray = [p.name for p in CORPUS.iterdir() if p.is_file() and p.suffix not in FORMATS]
    assert not stray, f"unexpected files in corpus/: {stray}"


def test_doc_count_in_range():
    assert 30 <= len(doc_paths()) <= 60


def test_doc_ids_unique_across_formats():
    stems = Counter(p.stem for p in CORPUS.iterdir() if p.suffix in FORMATS)
    dupes = [s for s, n in stems.items() if n > 1]
    assert not dupes, f"same id used by several files: {dupes}"


def test_all_formats_present():
    counts = Counter(p.suffix for p in doc_paths().values())
    assert set(counts) == FORMATS, counts
    assert counts[".md"] > counts[".txt"] > 0
    assert counts[".pdf"] >= 5


@pytest.mark.parametrize("doc_id", sorted(doc_paths()))
def test_document_length_reasonable(doc_id):
    words = len(doc_text(doc_id).split())
    assert 120 <= words <= 700, f"{doc_id}: {words} words"


@pytest.mark.parametrize("doc_id", sorted(k for k, p in doc_paths().items() if p.suffix == ".md"))
def test_markdown_has_headings(doc_id):
    text = doc_paths()[doc_id].read_text(encoding="utf-8")
    assert re.search(r"^# \S", text, re.M), f"{doc_id} has no '# ' title"
    assert len(re.findall(r"^## \S", text, re.M)) >= 2, f"{doc_id} needs at least two '## ' sections"


def test_pdfs_match_sources_and_are_small():
    pdfs = {k for k, p in doc_paths().items() if p.suffix == ".pdf"}
    sources = {p.stem for p in PDF_SRC.glob("*.md")}
    assert pdfs == sources, "every PDF needs a pdf_src/*.md source and vice versa"
    for doc_id in pdfs:
        assert doc_paths()[doc_id].stat().st_size < 30_000, doc_id


@pytest.mark.parametrize("doc_id", sorted(p.stem for p in PDF_SRC.glob("*.md")))
def test_pdf_text_matches_source(doc_id):
    """Catches PDFs that were not rebuilt after their source changed (run build_pdfs.py)."""
    src = (PDF_SRC / f"{doc_id}.md").read_text(encoding="utf-8")
    src.encode("latin-1")  # core PDF fonts only cover latin-1
    extracted = norm(PDF_FOOTER.sub(" ", doc_text(doc_id)))
    for block in re.split(r"\n\s*\n", src):
        for piece in re.split(r"\n(?=#|- |\d+\. )", block):
            piece = norm(re.sub(r"^(#+|-|\d+\.)\s+", "", piece.strip()))
            if piece:
                assert piece in extracted, f"{doc_id}: text not found in PDF: {piece[:80]!r}"


# ---------------------------------------------------------------------- QA set


def test_qa_lines_are_json_objects_with_schema():
    for n, rec in enumerate(qa_records(), 1):
        assert isinstance(rec, dict), f"line {n}"
        assert set(rec) == QA_KEYS, f"line {n}: keys {sorted(rec)}"
        assert re.fullmatch(r"q\d{3}", rec["id"]), rec["id"]
        assert isinstance(rec["question"], str) and rec["question"].strip().endswith("?"), rec["id"]
        assert isinstance(rec["answer"], str) and rec["answer"].strip(), rec["id"]
        assert len(rec["answer"].split()) <= 12, f"{rec['id']}: answer should be short"
        assert rec["type"] in QA_TYPES, rec["id"]
        assert isinstance(rec["doc_ids"], list) and all(isinstance(d, str) for d in rec["doc_ids"])
        assert isinstance(rec["evidence"], list) and all(isinstance(e, str) and e.strip() for e in rec["evidence"])
        assert len(set(rec["doc_ids"])) == len(rec["doc_ids"]), f"{rec['id']}: duplicate doc_ids"


def test_qa_ids_and_questions_unique():
    ids = [r["id"] for r in qa_records()]
    assert len(ids) == len(set(ids))
    questions = [norm(r["question"]).lower() for r in qa_records()]
    assert len(questions) == len(set(questions))


def test_qa_counts():
    types = Counter(r["type"] for r in qa_records())
    assert sum(types.values()) >= 60, types
    assert types["multi"] >= 12, types
    assert types["unanswerable"] >= 10, types
    assert types["single"] >= 30, types


def test_qa_doc_ids_exist():
    known = set(doc_paths())
    for rec in qa_records():
        missing = set(rec["doc_ids"]) - known
        assert not missing, f"{rec['id']}: unknown doc ids {missing}"


def test_qa_type_rules():
    for rec in qa_records():
        if rec["type"] == "unanswerable":
            assert rec["answer"] == UNANSWERABLE, rec["id"]
            assert rec["doc_ids"] == [] and rec["evidence"] == [], rec["id"]
        else:
            assert rec["answer"] != UNANSWERABLE, rec["id"]
            assert rec["doc_ids"] and rec["evidence"], rec["id"]
            if rec["type"] == "single":
                assert len(rec["doc_ids"]) == 1, rec["id"]
            else:
                assert len(rec["doc_ids"]) >= 2, rec["id"]
                assert len(rec["evidence"]) >= len(rec["doc_ids"]), rec["id"]


@pytest.mark.parametrize("rec", [r for r in qa_records() if r["type"] != "unanswerable"], ids=lambda r: r["id"])
def test_qa_evidence_in_cited_documents(rec):
    texts = {d: doc_text(d) for d in rec["doc_ids"]}
    supported = set()
    for ev in rec["evidence"]:
        hits = [d for d, t in texts.items() if norm(ev) in t]
        assert hits, f"{rec['id']}: evidence not found in {rec['doc_ids']}: {ev!r}"
        supported.update(hits)
    assert supported == set(rec["doc_ids"]), f"{rec['id']}: cited docs without evidence: {set(rec['doc_ids']) - supported}"


def test_qa_uses_a_broad_part_of_the_corpus():
    cited = {d for r in qa_records() for d in r["doc_ids"]}
    assert len(cited) >= 0.75 * len(doc_paths())
    pdf_cited = {d for d in cited if doc_paths()[d].suffix == ".pdf"}
    assert pdf_cited, "at least some questions must be answered from PDFs"
