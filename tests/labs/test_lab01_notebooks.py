"""Lab 01 notebooks: structure, model ids from the registry, and claims that match results.

nbval re-executes the notebooks and compares outputs (`make test`); these checks cover what
nbval cannot see: the arc of each notebook, where model ids come from, the LangChain
integration used, and that the prose of notebook 05 agrees with its stored results.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from local_bedrock.catalog import MODELS
from scripts.nbtools import output_text, problems, sources

LAB = Path(__file__).resolve().parents[2] / "01_prompt_engineering"
NAMES = ["01_anatomy_of_a_request", "02_prompt_patterns", "03_langchain_templates",
         "04_playground", "05_comparing_prompts"]
ARC = ["Overview", "Context", "Prerequisites", "Setup", "Best practices", "Next steps",
       "Clean-up"]


def load(name: str) -> dict:
    return json.loads((LAB / f"{name}.ipynb").read_text())


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_executed_clean_and_short(name):
    assert problems(LAB / f"{name}.ipynb") == []
    assert len(load(name)["cells"]) <= 28


@pytest.mark.parametrize("name", NAMES)
def test_notebook_follows_the_arc(name):
    markdown = "\n".join(sources(load(name), "markdown"))
    for heading in ARC:
        assert re.search(rf"^#+ .*{re.escape(heading)}", markdown, re.M | re.I), heading
    assert "offline" in markdown.lower() and "live" in markdown.lower()


@pytest.mark.parametrize("name", NAMES)
def test_model_ids_come_from_the_registry(name):
    code = "\n".join(sources(load(name), "code"))
    for model in MODELS:
        assert model.model_id not in code, f"literal model id {model.model_id} in {name}"
    assert "utils.models." in code


@pytest.mark.parametrize("name", NAMES)
def test_code_never_branches_on_the_mode(name):
    code = "\n".join(sources(load(name), "code"))
    assert "ws.mode" not in code and "WORKSHOP_MODE" not in code


def test_langchain_notebook_uses_converse_integration_with_our_clients():
    code = "\n".join(sources(load("03_langchain_templates"), "code"))
    assert re.search(r"ChatBedrockConverse\([^)]*client=runtime", code, re.S)
    assert "bedrock_client=control" in code
    assert not re.search(r"\b(BedrockChat|ChatBedrock|BedrockLLM)\(", code)


def test_playground_is_driven_from_code():
    code = "\n".join(sources(load("04_playground"), "code"))
    assert "utils.models.text_models()" in code and "utils.models.cost_usd" in code
    assert ".click()" in code


def test_comparison_prose_matches_its_stored_results():
    nb = load("05_comparing_prompts")
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code"
                and "def wilson" in "".join(c["source"]))
    rows = {}
    for line in output_text(cell).splitlines():
        m = re.match(r"([ABC]): .*?\s(\d+)/(\d+)\s+([\d.]+)\s+\S+\s+(\d+)\s+(\d+)\s", line)
        if m:
            rows[m.group(1)] = {"acc": float(m.group(4)), "tokens": int(m.group(6))}
    assert set(rows) == {"A", "B", "C"}, output_text(cell)
    # the markdown says: definitions help, examples help more, and cost ~5x B's input tokens
    assert rows["A"]["acc"] < rows["B"]["acc"] <= rows["C"]["acc"]
    assert 4 <= rows["C"]["tokens"] / rows["B"]["tokens"] <= 6
    markdown = "\n".join(sources(nb, "markdown"))
    assert "about five times the input tokens of B" in markdown


def test_fixed_and_broke_counts_quoted_in_prose_match_the_table():
    nb = load("05_comparing_prompts")
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code"
                and "fixed" in "".join(c["source"]))
    m = re.search(r"A -> B\s+(\d+)\s+(\d+)", output_text(cell))
    assert m, output_text(cell)
    markdown = "\n".join(sources(nb, "markdown"))
    assert f"B fixed {m.group(1)} of A's mistakes and broke {m.group(2)}" in markdown
