"""Worked solution to 08.01's "Your turn": find the most expensive call in the invocation log, then
make it cheaper and see the saving in the log.

Logging goes to a CloudWatch Logs group (created as code, with the role Bedrock assumes), a few
calls are tagged with ``requestMetadata``, and the records are read back with
``filter_log_events``. Each record is priced from its own token counts (``utils.cost.record_cost``,
on-demand list prices). The most expensive call is then sent again on the cheap model with a
tight ``maxTokens``, and its record priced the same way. Run it from the notebook
(``from solutions.logging_most_expensive import run, check``) or from the tests: ``check(run())``.
"""

from __future__ import annotations

import json
import time

import boto3

import utils
from utils import cost

LOG_GROUP = "/workshop/bedrock/invocations"
ROLE_NAME = "bedrock-workshop-invocation-logging"
CALLS = [  # (model, feature, prompt, maxTokens)
    ("TEXT_MODEL", "runbooks", "Summarise what an on-call engineer does in two sentences.", 200),
    ("CHEAP_MODEL", "triage", "Classify this ticket: 'My robot vacuum stopped charging.'", 50),
    ("CLAUDE_MODEL", "support-reply", "Draft a reply confirming a refund for a returned robot vacuum.", 400),
    ("CHEAP_MODEL", "triage", "Classify this ticket: 'The app will not log me in.'", 50),
]
CHEAPER = {"model": "CHEAP_MODEL", "maxTokens": 60}


def _log_destination(account: str, region: str) -> dict:
    """The log group and the role Bedrock writes it with (both tolerate existing already)."""
    logs, iam = boto3.client("logs"), boto3.client("iam")
    try:
        logs.create_log_group(logGroupName=LOG_GROUP)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    logs.put_retention_policy(logGroupName=LOG_GROUP, retentionInDays=7)
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "bedrock.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account}}}]}
    try:
        role_arn = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        role_arn = iam.get_role(RoleName=ROLE_NAME)["Role"]["Arn"]
    iam.put_role_policy(RoleName=ROLE_NAME, PolicyName="write-invocation-logs", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"arn:aws:logs:{region}:{account}:log-group:{LOG_GROUP}:*"}]}))
    return {"logGroupName": LOG_GROUP, "roleArn": role_arn}


def _read(logs, start_ms: int, request_ids: set[str], timeout_s: int = 600) -> list[dict]:
    """The records of these requests, polling until all have arrived (live delivery takes minutes)."""
    deadline = time.time() + timeout_s
    while True:
        pages = logs.get_paginator("filter_log_events").paginate(logGroupName=LOG_GROUP, startTime=start_ms)
        records = [json.loads(e["message"]) for p in pages for e in p["events"]]
        records = [r for r in records if r["requestId"] in request_ids]
        if len(records) >= len(request_ids) or time.time() > deadline:
            return records
        time.sleep(20)


def run() -> dict:
    """Log a few calls, price each record, re-send the most expensive one cheaper: the priced
    records and the before/after pair."""
    bedrock, logs, runtime = boto3.client("bedrock"), boto3.client("logs"), boto3.client("bedrock-runtime")
    session = boto3.session.Session()
    account = boto3.client("sts").get_caller_identity()["Account"]
    previous = bedrock.get_model_invocation_logging_configuration().get("loggingConfig")
    for _ in range(6):  # a new role can take a few seconds to be usable (live)
        try:
            bedrock.put_model_invocation_logging_configuration(loggingConfig={
                "cloudWatchConfig": _log_destination(account, session.region_name), "textDataDeliveryEnabled": True})
            break
        except bedrock.exceptions.ValidationException:
            time.sleep(10)

    def ask(model, feature, text, max_tokens):
        resp = runtime.converse(modelId=getattr(utils.models, model),
                                messages=[{"role": "user", "content": [{"text": text}]}],
                                inferenceConfig={"maxTokens": max_tokens, "temperature": 0},
                                requestMetadata={"feature": feature, "exercise": "most-expensive"})
        return resp["ResponseMetadata"]["RequestId"]

    try:
        start_ms = int(time.time() * 1000) - 1000
        ids = {ask(*call) for call in CALLS}
        priced = sorted(({"requestId": r["requestId"], "modelId": r["modelId"], "feature": r["requestMetadata"]["feature"],
                          "prompt": r["input"]["inputBodyJson"]["messages"][0]["content"][0]["text"],
                          "input tokens": r["input"]["inputTokenCount"], "output tokens": r["output"]["outputTokenCount"],
                          "USD": cost.record_cost(r)} for r in _read(logs, start_ms, ids)), key=lambda r: -r["USD"])
        top = priced[0]
        again = ask(CHEAPER["model"], top["feature"], top["prompt"], CHEAPER["maxTokens"])
        record = _read(logs, start_ms, {again})[0]
        cheaper = {**top, "requestId": again, "modelId": record["modelId"],
                   "input tokens": record["input"]["inputTokenCount"],
                   "output tokens": record["output"]["outputTokenCount"], "USD": cost.record_cost(record)}
    finally:
        if previous:
            bedrock.put_model_invocation_logging_configuration(loggingConfig=previous)
        else:
            bedrock.delete_model_invocation_logging_configuration()
    return {"priced": priced, "most expensive": top, "cheaper": cheaper}


def check(result: dict) -> None:
    """The record picked is the costliest one, every call was found in the log, and the re-sent
    call costs less, on the cheap model, within its token limit."""
    priced, top, cheaper = result["priced"], result["most expensive"], result["cheaper"]
    assert len(priced) == len(CALLS)
    assert top["USD"] == max(r["USD"] for r in priced) > 0
    assert cheaper["modelId"] == getattr(utils.models, CHEAPER["model"])
    assert cheaper["output tokens"] <= CHEAPER["maxTokens"]
    assert 0 < cheaper["USD"] < top["USD"], (cheaper["USD"], top["USD"])
