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
