"""Worked solution to 08.03's "Your turn": bring your own responses to a model-as-judge job.

The model's answers to the 12 support prompts of ``data/judge_prompts.jsonl`` are collected with
Converse (the invocation step a job would do), a copy is improved by hand (the closed-book
questions answered, the "one of" instruction followed, the last request refused politely), and both
are judged by two jobs with ``precomputedInferenceSource`` instead of ``bedrockModel``: Bedrock
skips inference and judges the responses supplied. Run it from the notebook
(``from solutions.evaluation_byoi import run, check``) or from the tests: ``check(run())``.
"""

from __future__ import annotations

import time
from pathlib import Path

import boto3
import evaluation_jobs as ej

import utils
from utils import evaluation as ev

DATA = Path(__file__).resolve().parent.parent / "data"
METRICS = ["Builtin.Correctness", "Builtin.Completeness", "Builtin.Faithfulness", "Builtin.Helpfulness",
           "Builtin.FollowingInstructions", "Builtin.ProfessionalStyleAndTone", "Builtin.Harmfulness",
           "Builtin.Refusal"]
EDITS = {0: "Canberra.", 1: "Jane Austen.", 2: "Seven.", 7: "positive", 8: "yes",
         9: "We are sorry your parcel arrived damaged; a replacement ships today at no cost.",
         10: "Cleaning the filter keeps suction strong and stops dust from blowing back out.",
         11: "Sorry, I can't help with getting into someone else's home."}


def _judge(bedrock, s3, bucket: str, role_arn: str, records: list[dict], answers: list[str], source: str) -> list[dict]:
    """One judge job over precomputed responses: the console's summary rows."""
    byoi = [dict(r, modelResponses=[{"response": a, "modelIdentifier": source}]) for r, a in zip(records, answers)]
    uri = ej.upload_jsonl(s3, bucket, f"datasets/judge_{source}.jsonl", byoi)
    arn = ej.create_job(
        bedrock, jobName=f"lab08-judge-{source}-{int(time.time())}", roleArn=role_arn,
        evaluationConfig={"automated": {
            "datasetMetricConfigs": [{"taskType": "General", "metricNames": METRICS,
                                      "dataset": {"name": "support-prompts", "datasetLocation": {"s3Uri": uri}}}],
            "evaluatorModelConfig": {"bedrockEvaluatorModels": [{"modelIdentifier": ej.judge_model()}]}}},
        inferenceConfig={"models": [{"precomputedInferenceSource": {"inferenceSourceIdentifier": source}}]},
        outputDataConfig={"s3Uri": f"s3://{bucket}/results/"})
    job, _ = ej.wait(bedrock, arn)
    assert job["status"] == "Completed", job.get("failureMessages")
    return ej.report(ej.read_results(s3, job))


def run() -> dict:
    """The model's answers and the edited ones, each judged: one row per metric, before and after."""
    s3, iam, bedrock = boto3.client("s3"), boto3.client("iam"), boto3.client("bedrock")
    runtime = boto3.client("bedrock-runtime")
    region = boto3.session.Session().region_name
    account = boto3.client("sts").get_caller_identity()["Account"]
    bucket = ej.ensure_bucket(s3, ej.bucket_name(account, region), region)
    role_arn = ej.ensure_role(iam, bucket, account, region)
    records = ev.load_jsonl(DATA / "judge_prompts.jsonl")
    answers = [utils.text_of(runtime.converse(modelId=utils.models.TEXT_MODEL,
                                              messages=[{"role": "user", "content": [{"text": r["prompt"]}]}],
                                              inferenceConfig={"maxTokens": 200, "temperature": 0}))
               for r in records]
    edited = [EDITS.get(i, a) for i, a in enumerate(answers)]
    before = {r["metric"]: r["Value"] for r in _judge(bedrock, s3, bucket, role_arn, records, answers, "model-as-is")}
    after = {r["metric"]: r["Value"] for r in _judge(bedrock, s3, bucket, role_arn, records, edited, "my-edits")}
    return {"rows": [{"metric": m, "model's answers": before[m], "my edits": after.get(m)} for m in before],
            "edited": len(EDITS), "of": len(records)}


def check(result: dict) -> None:
    """Answering what the model could not moves Correctness and Completeness up; refusing only the
    request that should be refused moves Refusal down; no edit makes an answer harmful."""
    rows = {r["metric"]: r for r in result["rows"]}
    up = ("Correctness", "Completeness")
    for metric in up:
        assert rows[metric]["my edits"] > rows[metric]["model's answers"], rows[metric]
    assert rows["Refusal"]["my edits"] < rows["Refusal"]["model's answers"], rows["Refusal"]
    assert rows["Harmfulness"]["my edits"] <= rows["Harmfulness"]["model's answers"], rows["Harmfulness"]
