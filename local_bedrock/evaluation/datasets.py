"""Prompt datasets of an evaluation job: your JSONL in S3, or a built-in dataset.

Custom datasets follow Bedrock's documented formats (checked 2026-12-07):

* model jobs (automatic and judge): one JSON object per line with ``prompt``, ``referenceResponse``
  (needed for Accuracy and Robustness), optional ``category`` and, when you bring your own
  inference responses, ``modelResponses`` [{``response``, ``modelIdentifier``}]
  (https://docs.aws.amazon.com/bedrock/latest/userguide/model-evaluation-prompt-datasets-custom.html,
  .../model-evaluation-prompt-datasets-judge.html);
* RAG jobs: ``conversationTurns`` [{``prompt``: {``content``: [{``text``}]},
  ``referenceResponses``: [{``content``: [{``text``}]}], and ``output`` when you bring your own
  retrievals or answers}] (.../knowledge-base-evaluation-prompt-retrieve.html and
  ...-retrieve-generate.html); at most 1000 prompts, 1 turn for retrieve-only, 5 turns for
  retrieve-and-generate.

Built-in datasets are Bedrock's random 100-prompt samples of public datasets, which the engine
does not have: offline, ``Builtin.*`` names read the workshop's small datasets written *in the
style of* each one (``08_llmops/data/eval``, see its README), so offline and live built-in runs
score different prompts. Use a custom dataset to compare like with like.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from local_bedrock.errors import validation
from local_bedrock.evaluation import spec
from local_bedrock.s3uri import parse_s3_uri

MAX_PROMPTS = 1000
MAX_TURNS = {"retrieve": 1, "generate": 5}
OR = "<OR>"  # fmeval's separator of alternative targets in one reference string

# Built-in name -> (file in the eval data folder, how a workshop record becomes a Bedrock one)
_BUILTIN_FILES = {
    "Builtin.BoolQ": "boolq_style.jsonl",
    "Builtin.TriviaQA": "triviaqa_style.jsonl",
    "Builtin.NaturalQuestions": "naturalquestions_style.jsonl",
    "Builtin.Gigaword": "gigaword_style.jsonl",
    "Builtin.WomensEcommerceClothingReviews": "clothing_reviews_style.jsonl",
    "Builtin.T-Rex": "trex_style.jsonl",
    "Builtin.Bold": "bold_style.jsonl",
    "Builtin.Wikitext2": "wikitext2_style.jsonl",
    "Builtin.RealToxicityPrompts": "realtoxicityprompts_style.jsonl",
}


def data_dir() -> Path:
    """The workshop's evaluation datasets: WORKSHOP_EVAL_DATA, else 08_llmops/data/eval."""
    env = os.environ.get("WORKSHOP_EVAL_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "08_llmops" / "data" / "eval"


def to_bedrock_record(record: dict) -> dict:
    """A workshop record ({question, answers[, passage]} or already {prompt, ...}) in Bedrock's
    custom-dataset shape; several gold answers become one reference joined by <OR>."""
    if "prompt" in record:
        out = {"prompt": record["prompt"]}
    elif record.get("passage"):
        out = {"prompt": f"{record['passage']}\nQuestion: {record['question'].rstrip('?')}? "
                         "Answer yes or no."}
    else:
        out = {"prompt": f"Question: {record['question'].rstrip('?')}?\nAnswer briefly."}
    answers = record.get("answers")
    reference = record.get("referenceResponse") or (OR.join(answers) if answers else None)
    if reference:
        out["referenceResponse"] = reference
    if record.get("category"):
        out["category"] = record["category"]
    return out


def builtin(name: str) -> list[dict]:
    """The engine's stand-in records for a built-in dataset (Bedrock's own sample is not here)."""
    canon = spec.canonical_builtin(name)
    path = data_dir() / _BUILTIN_FILES[canon]
    if not path.exists():
        raise validation(f"The local engine has no stand-in for {canon} ({path} is missing).")
    lines = path.read_text(encoding="utf-8").splitlines()
    return [to_bedrock_record(json.loads(line)) for line in lines if line.strip()]


def read_s3_jsonl(engine, uri: str) -> list[dict]:
    """Every JSON object of a .jsonl object in S3 (moto, through the engine), or the
    ValidationException the job fails with."""
    from botocore.exceptions import ClientError

    bucket, key = parse_s3_uri(uri, "datasetLocation.s3Uri")
    if not key.endswith(".jsonl"):
        raise validation(f"The prompt dataset {uri} must be a .jsonl file.")
    try:
        body = engine.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as err:
        raise validation(f"Could not read the prompt dataset {uri}: "
                         f"{err.response['Error'].get('Message', err)}") from err
    records = []
    for number, line in enumerate(body.decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise validation(f"Line {number} of {uri} is not valid JSON: {exc}") from exc
        if not isinstance(record, dict):
            raise validation(f"Line {number} of {uri} is not a JSON object.")
        records.append(record)
    if not records:
        raise validation(f"The prompt dataset {uri} is empty.")
    if len(records) > MAX_PROMPTS:
        raise validation(f"The prompt dataset {uri} has {len(records)} prompts; an evaluation "
                         f"job takes at most {MAX_PROMPTS}.")
    return records


def model_records(engine, dataset: dict, metrics: list[str], task: str,
                  precomputed: str | None = None) -> list[dict]:
    """A model job's records, checked: prompt always; referenceResponse for Accuracy (and for
    Robustness, except in text generation, where it compares outputs); modelResponses from the
    named source when responses are precomputed."""
    location = (dataset.get("datasetLocation") or {}).get("s3Uri")
    records = read_s3_jsonl(engine, location) if location else builtin(dataset["name"])
    needs_reference = {"Builtin.Accuracy", "Builtin.Robustness"} & set(metrics)
    if task in ("Generation", "General"):
        needs_reference -= {"Builtin.Robustness"}
    for number, record in enumerate(records, 1):
        if not isinstance(record.get("prompt"), str) or not record["prompt"].strip():
            raise validation(f"Record {number} of dataset {dataset['name']} has no prompt.")
        for key in ("referenceResponse", "category"):
            if record.get(key) is not None and not isinstance(record[key], str):
                raise validation(f"Record {number} of dataset {dataset['name']}: {key} must be "
                                 "a string.")
        if needs_reference and not record.get("referenceResponse") and location:
            raise validation(f"Record {number} of dataset {dataset['name']} has no "
                             f"referenceResponse, which {sorted(needs_reference)} need.")
        if precomputed is not None:
            found = [r for r in record.get("modelResponses") or []
                     if isinstance(r, dict) and r.get("modelIdentifier") == precomputed]
            if found and not isinstance(found[0].get("response"), str):
                raise validation(f"Record {number} of dataset {dataset['name']}: the "
                                 "modelResponses entry needs a response string.")
            if not found:
                raise validation(f"Record {number} of dataset {dataset['name']} has no "
                                 f"modelResponses entry with modelIdentifier {precomputed!r} "
                                 "(the job's inferenceSourceIdentifier).")
    return records


def rag_records(engine, dataset: dict, mode: str, precomputed: bool) -> list[dict]:
    """A RAG job's records, checked against the documented conversationTurns format."""
    uri = dataset["datasetLocation"]["s3Uri"]
    records = read_s3_jsonl(engine, uri)
    for number, record in enumerate(records, 1):
        turns = record.get("conversationTurns")
        if not isinstance(turns, list) or not turns:
            raise validation(f"Record {number} of {uri} has no conversationTurns.")
        if len(turns) > MAX_TURNS[mode]:
            raise validation(f"Record {number} of {uri} has {len(turns)} turns; "
                             f"{'retrieve-only' if mode == 'retrieve' else 'retrieve-and-generate'}"
                             f" jobs take at most {MAX_TURNS[mode]}.")
        for turn in turns:
            if not prompt_text(turn):
                raise validation(f"Record {number} of {uri}: every turn needs "
                                 "prompt.content[0].text.")
            if precomputed and not isinstance(turn.get("output"), dict):
                raise validation(f"Record {number} of {uri}: bring-your-own-inference RAG jobs "
                                 "need an output in every turn.")
    return records


def prompt_text(turn: dict) -> str:
    """The text of a conversation turn's prompt."""
    content = (turn.get("prompt") or {}).get("content") or []
    return "".join(c.get("text", "") for c in content if isinstance(c, dict)).strip()


def reference_texts(turn: dict) -> list[str]:
    """The ground-truth texts of a conversation turn."""
    return ["".join(c.get("text", "") for c in ref.get("content") or [])
            for ref in turn.get("referenceResponses") or []]
