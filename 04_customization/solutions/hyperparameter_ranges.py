"""Worked solution to 04.02's "Your turn": hyperparameters out of range.

``CreateModelCustomizationJob`` checks a job's hyperparameters when it is created, before anything
is queued: a value out of the model's range, a value that is not a number, or a hyperparameter the
model does not take is refused with a ``ValidationException`` that names it. The solution makes
the same complete request as the notebook (the lab's bucket, data and role, made or found with
the same helpers) with six wrong sets of hyperparameters, and one set at the edges of Nova Micro's
ranges, which is accepted, and stopped at once so that nothing trains (live, that creates and
stops a real job). Run it from the notebook (``from solutions.hyperparameter_ranges import run,
check``) or the tests.
"""

from __future__ import annotations

import time

import boto3
import custom_models as customization
import router

WRONG = [{"epochCount": "0"}, {"epochCount": "6"}, {"learningRate": "0.001"}, {"learningRate": "0.0000001"},
         {"learningRateWarmupSteps": "101"}, {"epochCount": "two"}, {"batchSize": "8"}]
EDGES = {"epochCount": "5", "learningRate": "0.0001", "learningRateWarmupSteps": "100"}


def run() -> list[dict]:
    """One row per hyperparameter set: refused or accepted, and Bedrock's message."""
    session = boto3.session.Session()
    s3, iam, bedrock = (boto3.client(s) for s in ("s3", "iam", "bedrock"))
    account = boto3.client("sts").get_caller_identity()["Account"]
    bucket = customization.ensure_bucket(s3, router.bucket_name(account, session.region_name), session.region_name)
    train, validation, _ = router.splits()
    train_uri = customization.upload_jsonl(s3, bucket, "ticket-router/train.jsonl", router.conversation_records(train))
    valid_uri = customization.upload_jsonl(s3, bucket, "ticket-router/validation.jsonl",
                                           router.conversation_records(validation))
    role_arn = customization.ensure_customization_role(iam, router.ROLE_NAME, bucket, account)
    rows = []
    for hyperparameters in [*WRONG, EDGES]:
        name = f"bedrock-workshop-hp-try-{int(time.time() * 1000)}"
        try:
            arn = bedrock.create_model_customization_job(
                jobName=name, customModelName=name, roleArn=role_arn,
                baseModelIdentifier=customization.customization_id(router.BASE_MODEL), customizationType="FINE_TUNING",
                hyperParameters=hyperparameters, trainingDataConfig={"s3Uri": train_uri},
                validationDataConfig={"validators": [{"s3Uri": valid_uri}]},
                outputDataConfig={"s3Uri": f"s3://{bucket}/ticket-router/output/"})["jobArn"]
        except bedrock.exceptions.ValidationException as err:
            rows.append({"hyperparameters": hyperparameters, "result": "refused",
                         "message": err.response["Error"]["Message"]})
            continue
        bedrock.stop_model_customization_job(jobIdentifier=arn)
        rows.append({"hyperparameters": hyperparameters, "result": "accepted (stopped at once)", "message": ""})
    return rows


def check(rows: list[dict]) -> None:
    *wrong, edges = rows
    for row in wrong:
        assert row["result"] == "refused", row
        assert next(iter(row["hyperparameters"])) in row["message"], "the refusal names the hyperparameter"
    assert edges["result"].startswith("accepted"), "the ranges are inclusive: values at the edges pass"
