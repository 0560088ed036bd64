"""Lab 03 notebooks: the workshop's notebook rules, checked on the stored notebooks.

Execution and stored outputs are checked by nbval (`make test`); this checks structure.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scripts import nbtools

LAB = Path(__file__).resolve().parents[2] / "03_knowledge_bases"
EXPECTED = ["01_ingest_and_chunk", "02_embeddings_and_faiss", "03_rag_with_citations",
            "04_knowledge_bases_api", "05_multi_turn", "06_evaluating_rag"]
NOTEBOOKS = sorted(LAB.glob("[0-9][0-9]_*.ipynb"))
MODEL_ID = re.compile(r"[\"'](?:amazon|anthropic|meta|mistral|cohere)\.[a-z0-9-]+")


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def test_the_six_notebooks_exist():
    assert [p.stem for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_follows_the_rules(path):
    assert nbtools.problems(path) == []
    nb = cells(path)
    assert len(nb) <= 29, "keep notebooks short"  # 25 + a Your turn: exercise and worked solution
    first = source(nb[0])
    assert first.startswith(f"# 03.{path.stem[:2]} ·")
    for heading in ("## Overview", "## Context", "## Prerequisites"):
        assert heading in first, heading
    text = "\n".join(source(c) for c in nb if c["cell_type"] == "markdown")
    for heading in ("## Setup", "## Best practices", "## Next steps", "## Clean-up"):
        assert heading in text, heading
    code = [c for c in nb if c["cell_type"] == "code"]
    assert source(code[0]).strip() == "import utils\n\nws = utils.setup()"
    for i, c in enumerate(nb[1:], 1):
        if c["cell_type"] == "code":
            assert nb[i - 1]["cell_type"] == "markdown", f"cell {i} has no markdown before it"
    for c in code:
        src = source(c)
        assert not MODEL_ID.search(src), "model ids come from utils.models"
        assert "ws.mode" not in src and "WORKSHOP_MODE" not in src, "never branch on the mode"
        if "perf_counter" in src:
            assert src.startswith("# NBVAL_IGNORE_OUTPUT"), "timings vary: ignore their output"


def test_live_only_cells_say_why():
    for path in NOTEBOOKS:
        nb = cells(path)
        for i, c in enumerate(nb):
            if c["cell_type"] == "code" and source(c).startswith("# NBVAL_SKIP"):
                assert "live" in source(nb[i - 1]).lower(), f"{path.stem} cell {i}"


def test_readme_lists_every_notebook_and_the_data():
    readme = (LAB / "README.md").read_text()
    for stem in EXPECTED:
        assert f"{stem}.ipynb" in readme, stem
    assert "data/README.md" in readme
    assert "benchmarks/retrieval.py" in readme
