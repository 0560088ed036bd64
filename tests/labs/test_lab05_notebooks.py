"""Lab 05 notebooks 01-02: structure, registry ids, and outputs that agree with the lesson.

nbval re-executes the notebooks and compares outputs; these checks cover what it cannot see."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from local_bedrock.catalog import MODELS
from scripts.nbtools import output_text, problems, sources

LAB = Path(__file__).resolve().parents[2] / "05_multimodal"
NAMES = ["01_image_generation", "02_image_editing"]
ARC = ["Overview", "Context", "Prerequisites", "Setup", "Your turn", "Best practices",
       "Next steps", "Clean-up"]
RETIRED = "amazon.titan-image-generator-v2:0"  # the one literal id: the lifecycle lesson


def load(name: str) -> dict:
    return json.loads((LAB / f"{name}.ipynb").read_text())


def outputs(nb: dict) -> str:
    return "\n".join(output_text(c) for c in nb["cells"])


@pytest.mark.parametrize("name", NAMES)
def test_executed_clean_small_and_follows_the_arc(name):
    assert problems(LAB / f"{name}.ipynb") == []
    nb = load(name)
    markdown = "\n".join(sources(nb, "markdown"))
    for heading in ARC:
        assert re.search(rf"^#+ .*{re.escape(heading)}", markdown, re.M | re.I), heading
    assert "offline" in markdown.lower() and "live" in markdown.lower()
    cells = nb["cells"]
    for before, cell in zip(cells, cells[1:]):  # a markdown cell before each code cell
        assert cell["cell_type"] == "markdown" or before["cell_type"] == "markdown"
    code_cells = [c for c in cells if c["cell_type"] == "code"]
    assert max(len("".join(c["source"]).splitlines()) for c in code_cells) <= 25


@pytest.mark.parametrize("name", NAMES)
def test_no_literal_model_ids_in_code_but_the_retired_one(name):
    code = "\n".join(sources(load(name), "code"))
    for model in MODELS:
        if model.model_id != RETIRED:
            assert model.model_id not in code, f"literal model id {model.model_id} in {name}"
    assert "utils.models" in code
    assert (RETIRED in code) == (name == "01_image_generation")


def test_generation_notebook_shows_seed_regions_lifecycle_and_cost():
    nb = load("01_image_generation")
    text = outputs(nb)
    assert "same seed twice gives identical bytes: True" in text
    assert "1344x768" in text and "768x1344" in text  # aspect ratios, not pixel sizes
    assert "The provided model identifier is invalid." in text  # the wrong region
    assert "ResourceNotFoundException" in text and RETIRED in text  # the retired model
    assert re.search(r"^total\s+\d+\s+[\d.]+$", text, re.M)  # the cost table


def test_editing_notebook_keeps_the_product_and_shows_refusals():
    nb = load("02_image_editing")
    text = outputs(nb)
    for service in ("inpaint", "erase", "search-replace", "search-recolor", "outpaint",
                    "remove-background"):
        assert re.search(rf"^{service}\s+us\.stability\.", text, re.M), service
    assert re.search(r"^outpaint, creativity 0\.2\s+0\.0%$", text, re.M)  # the pixel check
    assert "required key [prompt] not found" in text
    assert "they must be the same size" in text
    assert "RGBA transparent:" in text
