"""Evaluation jobs offline: requests validated like Bedrock (runs: tests/engine/test_evaluation_jobs.py)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from shapes import assert_conforms

from local_bedrock.evaluation.models import HUMAN_NOT_RUN

ROLE = "arn:aws:iam::123456789012:role/bedrock-workshop-eval-role"
MODEL = "amazon.nova-lite-v1:0"


def request(**changes) -> dict:
    req = {
        "jobName": "lab08-qa-eval",
        "roleArn": ROLE,
        "evaluationConfig": {"automated": {"datasetMetricConfigs": [
            {"taskType": "QuestionAndAnswer", "dataset": {"name": name},
             "metricNames": ["Builtin.Accuracy", "Builtin.Toxicity"]}
            for name in ("Builtin.BoolQ", "Builtin.TriviaQa", "Builtin.NaturalQuestions")]}},
        "inferenceConfig": {"models": [{"bedrockModel": {
            "modelIdentifier": MODEL,
            "inferenceParams": json.dumps({"inferenceConfig": {"maxTokens": 50}})}}]},
        "outputDataConfig": {"s3Uri": "s3://bedrock-workshop-eval/evaluations/"},
    }
    req.update(changes)
    return req


def code_of(call) -> str:
    with pytest.raises(ClientError) as err:
        call()
    return err.value.response["Error"]["Code"]


def test_valid_job_is_stored_and_listed(make_client):
    bedrock = make_client("bedrock")
    created = bedrock.create_evaluation_job(**request())
    assert_conforms(created, "bedrock", "CreateEvaluationJob")
    assert ":evaluation-job/" in created["jobArn"]
    job = bedrock.get_evaluation_job(jobIdentifier=created["jobArn"])
    assert_conforms(job, "bedrock", "GetEvaluationJob")
    assert job["status"] == "InProgress" and job["jobType"] == "Automated"
    assert job["evaluationConfig"] == request()["evaluationConfig"]
    listed = bedrock.list_evaluation_jobs()
    assert_conforms(listed, "bedrock", "ListEvaluationJobs")
    (summary,) = listed["jobSummaries"]
    assert summary["evaluationTaskTypes"] == ["QuestionAndAnswer"]
    assert summary["modelIdentifiers"] == [MODEL]
    assert code_of(lambda: bedrock.create_evaluation_job(**request())) == "ConflictException"
    assert bedrock.list_evaluation_jobs(statusEquals="Failed")["jobSummaries"] == []
    bedrock.stop_evaluation_job(jobIdentifier=created["jobArn"])


def test_human_job_is_failed_with_the_reason(make_client):
    bedrock = make_client("bedrock")
    req = request(jobName="human-eval", evaluationConfig={"human": {
        "humanWorkflowConfig": {"flowDefinitionArn":
                                "arn:aws:sagemaker:us-east-1:123456789012:flow-definition/f"},
        "customMetrics": [{"name": "Helpful", "ratingMethod": "ThumbsUpDown"}],
        "datasetMetricConfigs": [{"taskType": "General", "metricNames": ["Helpful"], "dataset": {
            "name": "mine", "datasetLocation": {"s3Uri": "s3://bedrock-workshop-eval/d.jsonl"}}}]}})
    job = bedrock.get_evaluation_job(jobIdentifier=bedrock.create_evaluation_job(**req)["jobArn"])
    assert job["status"] == "Failed" and job["jobType"] == "Human"
    assert job["failureMessages"] == [HUMAN_NOT_RUN] and "live mode" in HUMAN_NOT_RUN
    assert code_of(lambda: bedrock.stop_evaluation_job(jobIdentifier=job["jobArn"])) == \
        "ValidationException"


@pytest.mark.parametrize(("change", "code"), [
    ({"jobName": "Lab08_Eval"}, "ValidationException"),  # upper case and underscore
    ({"roleArn": "my-role"}, "ValidationException"),
    ({"outputDataConfig": {"s3Uri": "bucket/evaluations"}}, "ValidationException"),
    ({"inferenceConfig": {"models": [{"bedrockModel": {"modelIdentifier": "anthropic.claude-v2"}}]}},
     "ResourceNotFoundException"),
    ({"inferenceConfig": {"models": [{"bedrockModel": {"modelIdentifier": MODEL,
                                                       "inferenceParams": "{maxTokens: 5"}}]}},
     "ValidationException"),
    ({"inferenceConfig": {"models": [{"bedrockModel": {"modelIdentifier": MODEL}}] * 2}},
     "ValidationException"),
])
def test_malformed_requests_fail_like_bedrock(make_client, change, code):
    bedrock = make_client("bedrock")
    assert code_of(lambda: bedrock.create_evaluation_job(**request(**change))) == code


@pytest.mark.parametrize("dataset_config", [
    {"taskType": "QuestionAndAnswer", "dataset": {"name": "Builtin.Gigaword"},
     "metricNames": ["Builtin.Accuracy"]},
    {"taskType": "QuestionAndAnswer", "dataset": {"name": "Builtin.BoolQ"},
     "metricNames": ["Builtin.Faithfulness"]},
    {"taskType": "QuestionAndAnswer", "dataset": {"name": "my-questions"},
     "metricNames": ["Builtin.Accuracy"]},
])
def test_wrong_dataset_or_metric_is_rejected(make_client, dataset_config):
    bedrock = make_client("bedrock")
    req = request(evaluationConfig={"automated": {"datasetMetricConfigs": [dataset_config]}})
    assert code_of(lambda: bedrock.create_evaluation_job(**req)) == "ValidationException"


def test_custom_dataset_in_s3_is_accepted(make_client):
    bedrock = make_client("bedrock")
    req = request(jobName="custom-qa", evaluationConfig={"automated": {"datasetMetricConfigs": [
        {"taskType": "QuestionAndAnswer", "metricNames": ["Builtin.Accuracy"],
         "dataset": {"name": "support-faq",
                     "datasetLocation": {"s3Uri": "s3://bedrock-workshop-eval/data/faq.jsonl"}}}]}})
    arn = bedrock.create_evaluation_job(**req)["jobArn"]
    assert bedrock.get_evaluation_job(jobIdentifier=arn)["jobName"] == "custom-qa"
    # the job identifier is the ARN (botocore's pattern); a bare id is malformed
    assert code_of(lambda: bedrock.get_evaluation_job(jobIdentifier=arn.rsplit("/", 1)[-1])) == \
        "ValidationException"
    missing = arn.rsplit("/", 1)[0] + "/nosuchjob123"
    assert code_of(lambda: bedrock.get_evaluation_job(jobIdentifier=missing)) == \
        "ResourceNotFoundException"


# ------------------------------------------------------------------ the notebook's helper module


@pytest.fixture
def ej():
    """08_llmops/evaluation_jobs.py, imported as the notebook imports it."""
    import importlib
    import sys
    from pathlib import Path

    lab = str(Path(__file__).resolve().parents[2] / "08_llmops")
    sys.path.insert(0, lab)
    try:
        yield importlib.import_module("evaluation_jobs")
    finally:
        sys.path.remove(lab)


def test_helper_reads_results_and_reports_like_the_console(make_client, ej):
    s3, bedrock = make_client("s3"), make_client("bedrock")
    bucket = ej.ensure_bucket(s3, "lab08-helper-test", "us-east-1")
    assert ej.ensure_bucket(s3, bucket, "us-east-1") == bucket  # idempotent
    records = [{"prompt": "Classify the sentiment as one of: positive, negative.\nReview: "
                          "Lovely fabric.", "referenceResponse": "positive"},
               {"prompt": "Classify the sentiment as one of: positive, negative.\nReview: "
                          "It ripped.", "referenceResponse": "negative"}]
    uri = ej.upload_jsonl(s3, bucket, "helper/reviews.jsonl", records)
    arn = ej.create_job(bedrock, jobName="helper-test", roleArn=ROLE, evaluationConfig={
        "automated": {"datasetMetricConfigs": [{"taskType": "Classification", "metricNames": [
            "Builtin.Accuracy"], "dataset": {"name": "reviews", "datasetLocation": {"s3Uri": uri}}}]}},
        inferenceConfig={"models": [{"bedrockModel": {"modelIdentifier": MODEL}}]},
        outputDataConfig={"s3Uri": f"s3://{bucket}/out"})
    job, statuses = ej.wait(bedrock, arn, poll_s=0.05)
    assert statuses == ["InProgress", "Completed"]
    assert ej.job_prefix(job) == (bucket, f"out/helper-test/{arn.rsplit('/', 1)[-1]}/")
    (key,) = ej.result_files(s3, job)
    assert ej.KEY.search(key)["dataset"] == "reviews"
    rows = ej.read_results(s3, job)
    assert [(r["record"], r["metric"], r["task"]) for r in rows] == [
        (0, "Accuracy", "Classification"), (1, "Accuracy", "Classification")]
    expected = sum(r["response"] == rec["referenceResponse"] for r, rec in zip(rows, records,
                                                                                  strict=True)) / 2
    assert ej.report(rows) == [{"dataset": "reviews", "metric": "Accuracy", "Value": expected,
                                "Number of prompts": 2, "Number of responses": 2}]
    assert ej.pivot(rows) == {0: {"Accuracy": rows[0]["result"]}, 1: {"Accuracy": rows[1]["result"]}}


def test_helper_reads_rag_records_and_tolerates_missing_scores(ej):
    rag = {"conversationTurns": [{"prompt": {"content": [{"text": "Where?"}]}, "output": {
        "text": "Reno."}, "results": [{"metricName": "Builtin.Correctness", "result": 1.0,
                                        "evaluatorDetails": [{"explanation": "fine"}]}]}]}
    failed = {"automatedEvaluationResult": {"scores": []}, "inputRecord": {"prompt": "Hi"},
              "modelResponses": [{"response": ""}]}

    class FakeS3:
        def get_paginator(self, name):
            return self

        def paginate(self, **kw):
            return [{"Contents": [{"Key": "out/j/abc123def456/models/KB1/taskTypes/General/"
                                          "datasets/d/x_output.jsonl"}]}]

        def get_object(self, Bucket, Key):
            import io

            body = (json.dumps(rag) + "\n" + json.dumps(failed) + "\n").encode()
            return {"Body": io.BytesIO(body)}

    job = {"outputDataConfig": {"s3Uri": "s3://b/out/"}, "jobName": "j",
           "jobArn": "arn:aws:bedrock:us-east-1:123456789012:evaluation-job/abc123def456"}
    rows = ej.read_results(FakeS3(), job)
    assert rows[0]["metric"] == "Correctness" and rows[0]["response"] == "Reno."
    assert rows[0]["explanation"] == "fine" and rows[0]["source"] == "KB1"
    assert rows[1]["metric"] is None  # a prompt without a response still counts as a prompt
    (summary,) = ej.report(rows)
    assert summary["Number of prompts"] == 2 and summary["Number of responses"] == 1


def test_role_policy_grants_what_the_three_job_kinds_need(ej):
    policy = ej.role_policy("my-bucket", "123456789012", "us-east-1")
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert {"s3:GetObject", "s3:PutObject", "s3:ListBucket", "bedrock:InvokeModel",
            "bedrock:Retrieve", "bedrock:RetrieveAndGenerate"} <= actions
    assert ej.judge_model().endswith("amazon.nova-pro-v1:0")
