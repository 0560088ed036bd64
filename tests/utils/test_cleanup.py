"""utils.cleanup against the offline engine: finds the workshop's resources (and only those),
dry run by default, confirmation required, dependency order, deletion verified by listing."""

from __future__ import annotations

import uuid

import boto3
import pytest

from utils import cleanup


def test_name_matching():
    assert cleanup.is_workshop("bedrock-workshop-logs-1") and cleanup.is_workshop("/workshop/x")
    assert cleanup.is_workshop("kestrel-kb-vectors-1") and not cleanup.is_workshop("prod-logs")


def test_find_dry_run_confirm_and_delete(ws):
    tag = uuid.uuid4().hex[:8]  # moto's state is per process: unique names
    logs, s3, cw, iam = (boto3.client(s) for s in ("logs", "s3", "cloudwatch", "iam"))
    group, bucket = f"/workshop/{tag}", f"bedrock-workshop-{tag}"
    other = f"team-data-{uuid.uuid4().hex[:8]}"  # not the workshop's
    logs.create_log_group(logGroupName=group)
    for b in (bucket, other):
        s3.create_bucket(Bucket=b)
        s3.put_object(Bucket=b, Key="k.json", Body=b"{}")
    cw.put_metric_alarm(AlarmName=f"bedrock-workshop-{tag}", Namespace="AWS/Bedrock",
                        MetricName="Invocations", Statistic="Sum", Period=60, EvaluationPeriods=1,
                        Threshold=1, ComparisonOperator="GreaterThanThreshold")
    iam.create_role(RoleName=f"bedrock-workshop-{tag}", AssumeRolePolicyDocument="{}")
    iam.put_role_policy(RoleName=f"bedrock-workshop-{tag}", PolicyName="p", PolicyDocument=(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents",'
        ' "Resource": "*"}]}'))
    boto3.client("bedrock").put_model_invocation_logging_configuration(loggingConfig={
        "s3Config": {"bucketName": bucket}})

    mine = lambda name: tag in name  # noqa: E731  (only this test's resources)
    plan = cleanup.find(match=mine)
    kinds = {(r.kind, r.name) for r in plan.to_delete}
    assert ("S3 bucket (+ objects)", bucket) in kinds and ("CloudWatch log group", group) in kinds
    assert all(other != r.name for r in cleanup.find().to_delete)  # default matching too
    assert [r.kind for r in plan.to_delete][0] == "model invocation logging"  # before its bucket
    assert plan.to_delete[-1].kind == "IAM role"
    assert len(plan.to_delete) == 5 and plan.confirmation == "delete 5 resources"
    assert {u["kind"] for u in plan.unlisted} <= {k for k, _ in cleanup.LISTERS}

    dry = cleanup.delete(plan)
    assert {r["status"] for r in dry.rows} == {"would delete"}
    assert s3.head_bucket(Bucket=bucket)  # nothing changed
    with pytest.raises(ValueError, match="delete 5 resources"):
        cleanup.delete(plan, dry_run=False, confirm="yes")

    done = cleanup.delete(plan, dry_run=False, confirm=plan.confirmation)
    assert {r["status"] for r in done.rows} == {"deleted"}
    assert cleanup.find(match=mine).to_delete == []
    assert s3.list_objects_v2(Bucket=other)["KeyCount"] == 1  # someone else's: untouched
    assert "loggingConfig" not in boto3.client("bedrock").get_model_invocation_logging_configuration()


def test_hourly_billed_resources_of_others_are_listed_but_kept():
    r = cleanup.Resource("provisioned throughput", "prod-pt", cleanup.HOURLY, False, lambda: 1 / 0)
    plan = cleanup.Plan([r], [])
    assert plan.to_delete == [] and r.action.startswith("keep")
    assert cleanup.delete(plan, dry_run=False, confirm=plan.confirmation).rows == []
