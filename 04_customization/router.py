"""Lab 04's task: route Kestrel Home Robotics support tickets to one of eight support queues.

The notebooks import this module (it sits beside them). It holds the task's constants (queues,
prompt, resource names), reads the labelled tickets, builds the training records, and
`ensure_router()` finds or builds the lab's served custom model, the way notebook 02 does it
step by step, for notebooks 04 and 05 when they run on their own.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import boto3
import custom_models as customization

from utils import models

DATA = Path(__file__).resolve().parent / "data"
QUEUES = ("billing", "shipping", "returns", "account", "floor-robots", "outdoor", "windows-hub",
          "product-safety")
SYSTEM = ("You route Kestrel Home Robotics support tickets to a support queue. Answer with one "
          f"of: {', '.join(QUEUES)}.")
BASE_MODEL = models.CHEAP_MODEL  # Amazon Nova Micro: the cheapest text model to fine-tune
# (invoked by this id; a customization job takes customization.customization_id(BASE_MODEL))
MODEL_NAME = "bedrock-workshop-ticket-router"
PT_NAME = "bedrock-workshop-ticket-router-pt"
ROLE_NAME = "bedrock-workshop-customization-role"
CPT_ROLE_NAME = "bedrock-workshop-cpt-role"  # notebook 03's own, deleted at its end
HYPERPARAMETERS = {"epochCount": "2", "learningRate": "0.00001", "learningRateWarmupSteps": "0"}


def bucket_name(account: str, region: str) -> str:
    """The lab's bucket: training data, validation data, job outputs."""
    return f"bedrock-workshop-customization-{account}-{region}"


def cpt_bucket_name(account: str, region: str) -> str:
    """Notebook 03's own bucket (the continued-pre-training records), deleted at its end."""
    return f"bedrock-workshop-cpt-{account}-{region}"


def load_tickets() -> list[dict]:
    """200 tickets {id, text, queue, split}: 160 to train and validate on, 40 held out (test)."""
    return customization.read_jsonl(DATA / "tickets.jsonl")


def prompt(ticket: dict) -> str:
    """The user turn for a ticket, the same in training and at inference."""
    return f"Ticket: {ticket['text']}"


def splits(tickets: list[dict] | None = None) -> tuple[list[dict], list[dict], list[dict]]:
    """(train, validation, test): 10% of the non-test tickets, stratified by queue, validate."""
    tickets = tickets if tickets is not None else load_tickets()
    pool = [t for t in tickets if t["split"] == "train"]
    train, validation = customization.split_train_validation(pool, 0.1, seed=4,
                                                             key=lambda t: t["queue"])
    return train, validation, [t for t in tickets if t["split"] == "test"]


def conversation_records(tickets: list[dict]) -> list[dict]:
    """Nova's bedrock-conversation-2024 records: system prompt, ticket, queue."""
    return [customization.to_conversation(prompt(t), t["queue"], SYSTEM) for t in tickets]


def ensure_router(quiet: bool = False) -> dict:
    """{"model_arn", "provisioned_arn"} of the lab's custom model and its provisioned throughput:
    found by name, or made as notebook 02 makes them (live: hours of training, then an hourly
    bill for the provisioned throughput until notebook 05 deletes it)."""
    bedrock = boto3.client("bedrock")
    model = customization.find_custom_model(bedrock, MODEL_NAME)
    if model is None:
        model_arn = train_router(quiet=quiet)
    else:
        model_arn = model["modelArn"]
    pt = customization.find_provisioned(bedrock, PT_NAME)
    if pt is None:
        arn = bedrock.create_provisioned_model_throughput(
            modelUnits=1, provisionedModelName=PT_NAME, modelId=model_arn)["provisionedModelArn"]
        pt = customization.wait_for_provisioned(bedrock, arn)
    if not quiet:
        print(f"Custom model {MODEL_NAME} served by provisioned throughput {PT_NAME} "
              f"({pt['status']}).")
    return {"model_arn": model_arn, "provisioned_arn": pt["provisionedModelArn"]}


def train_router(quiet: bool = False) -> str:
    """Upload the data, run the fine-tuning job, return the custom model's ARN."""
    session = boto3.session.Session()
    region = session.region_name
    account = boto3.client("sts").get_caller_identity()["Account"]
    s3, bedrock = boto3.client("s3"), boto3.client("bedrock")
    bucket = customization.ensure_bucket(s3, bucket_name(account, region), region)
    train, validation, _ = splits()
    train_uri = customization.upload_jsonl(s3, bucket, "ticket-router/train.jsonl",
                                           conversation_records(train))
    valid_uri = customization.upload_jsonl(s3, bucket, "ticket-router/validation.jsonl",
                                           conversation_records(validation))
    role_arn = customization.ensure_customization_role(boto3.client("iam"), ROLE_NAME, bucket,
                                                       account)
    job_arn = bedrock.create_model_customization_job(
        jobName=f"{MODEL_NAME}-{int(time.time())}", customModelName=MODEL_NAME, roleArn=role_arn,
        baseModelIdentifier=customization.customization_id(BASE_MODEL),
        customizationType="FINE_TUNING", hyperParameters=HYPERPARAMETERS,
        trainingDataConfig={"s3Uri": train_uri},
        validationDataConfig={"validators": [{"s3Uri": valid_uri}]},
        outputDataConfig={"s3Uri": f"s3://{bucket}/ticket-router/output/"})["jobArn"]
    job = customization.wait_for_job(bedrock, job_arn, progress=not quiet)
    if job["status"] != "Completed":
        raise RuntimeError(f"The fine-tuning job ended {job['status']}: "
                           f"{job.get('failureMessage', '')}")
    return job["outputModelArn"]


def ask(runtime, model_id: str, ticket: dict, system: str = SYSTEM) -> dict:
    """One Converse call that routes a ticket; returns the response."""
    return runtime.converse(
        modelId=model_id, system=[{"text": system}],
        messages=[{"role": "user", "content": [{"text": prompt(ticket)}]}],
        inferenceConfig={"maxTokens": 10, "temperature": 0})


if __name__ == "__main__":  # a quick look at the data
    train, validation, test = splits()
    print(json.dumps({"train": len(train), "validation": len(validation), "test": len(test)}))
