"""Worked solution to 04.03's "Your turn": continued-pre-training records of different sizes.

Continued pre-training reads JSONL records with one key, ``input`` (Titan Text's format, the last
spec Bedrock published: at most 4,096 tokens per record, 2,048 with a batch size of 2 or more).
The solution cuts lab 03's Markdown and text documents with ``customization.chunk_text`` at four
settings (chunk size, batch size, one document at a time or the whole corpus as one text) and
validates each set of records: smaller chunks give more records; whole-corpus chunks of 3,000
tokens fit the limit at batch size 1 and break it at batch size 2. Run it from the notebook
(``from solutions.cpt_record_size import run, check``) or the tests.
"""

from __future__ import annotations

from pathlib import Path

import custom_models as customization

CORPUS = Path(__file__).resolve().parents[2] / "03_knowledge_bases" / "data" / "corpus"
SETTINGS = [(400, "1", False), (100, "1", False), (3000, "1", True), (3000, "2", True)]


def run() -> list[dict]:
    """One row per setting: records, longest record, the validator's verdict."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.iterdir()) if p.suffix in (".md", ".txt")]
    rows = []
    for max_tokens, batch_size, whole_corpus in SETTINGS:
        sources = ["\n\n".join(texts)] if whole_corpus else texts
        records = [customization.to_pretraining(c) for t in sources for c in customization.chunk_text(t, max_tokens)]
        report = customization.validate_pretraining(records, hyperparameters={"batchSize": batch_size})
        rows.append({"max_tokens": max_tokens, "batchSize": batch_size, "whole corpus": whole_corpus,
                     "records": len(records), "longest": max(report.tokens),
                     "limit": customization.method("amazon.titan-text-express-v1", "CONTINUED_PRE_TRAINING")
                     .token_limit({"batchSize": batch_size}),
                     "over the limit": report.by_kind().get("tokens", 0), "verdict": "OK" if report.ok else "problems"})
    return rows


def check(rows: list[dict]) -> None:
    base, small, whole_1, whole_2 = rows
    assert base["verdict"] == "OK" and small["records"] > 2 * base["records"], "smaller chunks, more records"
    assert whole_1["limit"] == 4096 and whole_2["limit"] == 2048, "a batch size of 2 halves the limit"
    assert whole_1["verdict"] == "OK" and whole_1["longest"] > 2048
    assert whole_2["over the limit"] > 0 and whole_2["verdict"] == "problems"
