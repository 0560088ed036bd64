"""Lab 01 data: the labelled support tickets and the category definitions.

The tickets are the test set of notebook 05 and the examples of notebooks 02 and 05, so the
checks guard what makes the measurement fair: a schema, balanced categories, no ticket in
both splits, and facts (prices, error codes, products) consistent with the Kestrel corpus
of lab 03.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "01_prompt_engineering" / "data"
CORPUS = REPO / "03_knowledge_bases" / "data" / "corpus"
PRODUCTS = ("Wren", "Heron", "Kite", "Sparrow", "Hub")


def tickets() -> list[dict]:
    return [json.loads(line) for line in (DATA / "tickets.jsonl").read_text().splitlines()]


def categories() -> dict[str, str]:
    return json.loads((DATA / "categories.json").read_text())


def corpus_text() -> str:
    return "\n".join(p.read_text(errors="ignore") for p in CORPUS.glob("*.[mt][dx]*"))


def test_ticket_schema_and_unique_ids():
    rows = tickets()
    assert len(rows) >= 30
    for row in rows:
        assert set(row) == {"id", "text", "category", "split"}, row
        assert re.fullmatch(r"t\d{2}", row["id"])
        assert row["split"] in ("example", "eval")
        assert 20 <= len(row["text"]) <= 200, row["id"]
    assert len({r["id"] for r in rows}) == len(rows)


def test_categories_have_definitions_and_balanced_splits():
    defs = categories()
    assert len(defs) == 5 and all(len(v.split()) >= 8 for v in defs.values())
    counts = Counter((r["category"], r["split"]) for r in tickets())
    assert {c for c, _ in counts} == set(defs)
    for c in defs:
        assert counts[c, "eval"] >= 6 and counts[c, "example"] >= 2, c
    assert len({counts[c, "eval"] for c in defs}) == 1  # equal eval counts: accuracy is fair


def test_no_ticket_is_both_an_example_and_a_test_item():
    def norm(text: str) -> str:
        return " ".join(re.findall(r"[a-z0-9]+", text.lower()))

    by_split: dict[str, set] = {"example": set(), "eval": set()}
    for r in tickets():
        by_split[r["split"]].add(norm(r["text"]))
    assert not by_split["example"] & by_split["eval"]
    assert sum(map(len, by_split.values())) == len(tickets())  # no duplicates at all


def test_facts_in_tickets_match_the_kestrel_corpus():
    text = corpus_text()
    if not text:
        pytest.skip("lab 03 corpus not present")
    joined = " ".join(r["text"] for r in tickets())
    for price in set(re.findall(r"\$\d[\d,]*", joined)):
        assert price in text, f"{price} is not a Kestrel price in the lab 03 corpus"
    for code in set(re.findall(r"\b[EL]\d{2}\b", joined)):
        assert code in text, f"error code {code} is not in the lab 03 corpus"
    assert sum(any(p in r["text"] for p in PRODUCTS) for r in tickets()) >= len(tickets()) // 3
