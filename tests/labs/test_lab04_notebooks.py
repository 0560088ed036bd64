"""Lab 04 notebooks: structure, registry ids, and prose that agrees with the stored results.

nbval re-executes the notebooks and compares outputs; these checks cover what it cannot see."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from local_bedrock.catalog import MODELS
from scripts.nbtools import output_text, problems, sources

LAB = Path(__file__).resolve().parents[2] / "04_customization"
NAMES = ["01_preparing_data", "02_fine_tuning_job", "03_continued_pretraining",
         "04_evaluating_base_vs_custom", "05_costs_and_cleanup"]
ARC = ["Overview", "Context", "Prerequisites", "Setup", "Best practices", "Next steps", "Clean-up"]


def load(name: str) -> dict:
    return json.loads((LAB / f"{name}.ipynb").read_text())


def outputs(nb: dict) -> str:
    return "\n".join(output_text(c) for c in nb["cells"])


@pytest.mark.parametrize("name", NAMES)
def test_executed_clean_short_and_follows_the_arc(name):
    assert problems(LAB / f"{name}.ipynb") == []
    nb = load(name)
    assert len(nb["cells"]) <= 34  # 28 + a raw first look at an API shape + a Your turn with its worked solution
    markdown = "\n".join(sources(nb, "markdown"))
    for heading in ARC:
        assert re.search(rf"^#+ .*{re.escape(heading)}", markdown, re.M | re.I), heading
    assert "offline" in markdown.lower() and "live" in markdown.lower()


@pytest.mark.parametrize("name", NAMES)
def test_no_literal_model_ids_in_code(name):
    code = "\n".join(sources(load(name), "code"))
    for model in MODELS:
        assert model.model_id not in code, f"literal model id {model.model_id} in {name}"


def test_the_validator_notebook_shows_every_kind_of_problem():
    text = outputs(load("01_preparing_data"))
    for kind in ("json", "keys", "empty", "roles", "reserved", "tokens", "count"):
        assert re.search(rf"^\S+\s+{kind}\s", text, re.M), kind
    assert "144 records" in text and ": OK" in text


def test_the_job_notebook_reads_metrics_and_serves_through_provisioned_throughput():
    nb = load("02_fine_tuning_job")
    code, text = "\n".join(sources(nb, "code")), outputs(nb)
    for call in ("create_model_customization_job", "wait_for_job", "read_metrics", "get_custom_model",
                 "list_custom_models", "create_provisioned_model_throughput"):
        assert call in code
    assert "job Completed" in text and "288 training steps" in text
    assert "out of range" in text and "Unknown hyperparameter" in text
    assert "cannot be invoked by its own ARN" in text and "InService" in text
    assert "nearest-neighbour memory" in text


def test_no_lab04_code_reads_additional_model_response_fields():
    # Nova's Converse response has none; the offline note is the x-local-bedrock-note header
    for name in NAMES:
        assert "additionalModelResponseFields" not in "\n".join(sources(load(name), "code")), name
    for path in (LAB / "router.py", LAB / "custom_models.py"):
        assert "additionalModelResponseFields" not in path.read_text(), path
    nb = load("02_fine_tuning_job")
    assert "x-local-bedrock-note" in "\n".join(sources(nb, "code"))
    assert re.search(r"x-local-bedrock-note.*only offline", "\n".join(sources(nb, "markdown")), re.S)


def test_the_continued_pretraining_notebook_shows_bedrock_refusing_and_the_alternatives():
    nb = load("03_continued_pretraining")
    code, text = "\n".join(sources(nb, "code")), outputs(nb)
    markdown = "\n".join(sources(nb, "markdown"))
    assert "78 records from 39 documents" in text  # the data preparation is kept
    assert re.search(r"^1\s+empty\s", text, re.M) and re.search(r"^2\s+keys\s", text, re.M)
    assert "training 70 records" in text and "CONTINUED_PRE_TRAINING: OK" in text
    # refused on the end-of-life Titan id, then on the cheapest active model
    assert re.search(r"titan-text-express\S*\s+end of life\s+ResourceNotFoundException", text)
    assert re.search(r"nova-micro\S*:128k\s+active\s+ValidationException\s+.*does not support "
                     r"CONTINUED_PRE_TRAINING", text)
    assert re.search(r"^CONTINUED_PRE_TRAINING\s+0\s+\(none\)", text, re.M)
    assert re.search(r"^FINE_TUNING\s+[1-9]", text, re.M) and re.search(r"^DISTILLATION\s+[1-9]", text, re.M)
    assert "stop_model_customization_job" in code  # an accepted job would be stopped at once
    assert "left: []" in text  # its bucket and role are deleted
    for link in ("custom-models.html", "custom-model-fine-tuning.html", "nova2-userguide/nova-model-recipes.html"):
        assert link in markdown, link
    assert "lab 03" in markdown.lower() and "notebook 02" in markdown
    assert re.search(r"^## Your turn", markdown, re.M)
    assert "first active registry model" not in code and "!= \"RETIRED\"" not in code


def _accuracies(text: str) -> dict:
    found = re.findall(r"^(base, queue names|base, queue descriptions|custom \(fine-tuned\))\s+(\d+)/40\s+"
                       r"([\d.]+)\s+\S+\s+(\d+)", text, re.M)
    return {name: (int(right), int(tokens)) for name, right, _, tokens in found}


def test_the_evaluation_prose_matches_its_results():
    nb = load("04_evaluating_base_vs_custom")
    results = _accuracies(outputs(nb))
    assert len(results) == 3
    base, described, custom = (results[k] for k in ("base, queue names", "base, queue descriptions",
                                                    "custom (fine-tuned)"))
    prose = " ".join("\n".join(sources(nb, "markdown")).split())
    assert "beats the base model given the same short prompt" in prose
    assert custom[0] > base[0]
    assert "matches the base model given a prompt that spells out the mapping" in prose
    assert abs(custom[0] - described[0]) <= 1
    assert "costs more tokens" in prose and described[1] > 2 * custom[1]


def test_the_cleanup_notebook_deletes_everything_and_verifies():
    nb = load("05_costs_and_cleanup")
    text = outputs(nb)
    assert "left: []" in text
    assert "delete that first" in text  # a served custom model cannot be deleted
    assert re.search(r"provisioned throughput\s+bedrock-workshop-ticket-router-pt\s+deleted", text)
    assert re.search(r"custom model\s+bedrock-workshop-ticket-router\s+deleted", text)
    assert "14,965" in text  # Titan Express PT for a month, from the registry...
    assert "Titan Text G1 - Express (end of life: last price)" in text  # ...marked as history
    assert not re.search(r"^Titan Text\S* .*\s+active\s", text, re.M)
