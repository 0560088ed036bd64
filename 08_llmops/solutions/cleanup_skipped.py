"""Worked solution to 08.11's "Your turn": what a skipped clean-up leaves behind.

08.07 ends by deleting its budget alarm and its application inference profile. Pretend that step
was skipped: create one of each as 08.07 does, plus a profile named without the workshop prefix (as
a teammate might), then list with ``cleanup.find()``. The workshop-named pair is found, with what it
bills and the action ``delete``; the other profile is not in the plan at all: the clean-up finds
only what follows the naming rule. Finally delete exactly these three, so nothing is left.
Run it from the notebook (``from solutions.cleanup_skipped import run, check``) or the tests.
"""

from __future__ import annotations

import boto3

from utils import cleanup, cost, models

FOUND = ("workshop-skipped-support", "workshop-skipped-budget")  # follow the naming rule
UNNAMED = "support-prod-assistant"  # does not: the clean-up cannot know it is the workshop's


def run() -> dict:
    """Leave an alarm and two profiles behind, list them with cleanup.find(), then delete them."""
    bedrock, cloudwatch = boto3.client("bedrock"), boto3.client("cloudwatch")
    region = bedrock.meta.region_name
    account = boto3.client("sts").get_caller_identity()["Account"]
    source = cost.copy_from(models.TEXT_MODEL, region, account)
    arns = [bedrock.create_inference_profile(inferenceProfileName=name, modelSource={"copyFrom": source},
                                             tags=[{"key": "team", "value": "support"}])["inferenceProfileArn"]
            for name in (FOUND[0], UNNAMED)]
    cloudwatch.put_metric_alarm(AlarmName=FOUND[1], Namespace="AWS/Bedrock", MetricName="OutputTokenCount",
                                Statistic="Sum", Period=3600, EvaluationPeriods=1, Threshold=100_000,
                                ComparisonOperator="GreaterThanThreshold", TreatMissingData="notBreaching")
    try:
        plan = cleanup.find()
        left = [{"kind": r.kind, "name": r.name, "billing": r.billing, "action": r.action}
                for r in plan.resources if r.name in (*FOUND, UNNAMED)]
    finally:  # delete exactly what this exercise created, found or not
        for arn in arns:
            bedrock.delete_inference_profile(inferenceProfileIdentifier=arn)
        cloudwatch.delete_alarms(AlarmNames=[FOUND[1]])
    after = cleanup.find()
    return {"left running": left, "in the plan": [r.name for r in plan.to_delete],
            "after deleting": [r.name for r in after.resources if r.name in (*FOUND, UNNAMED)]}


def check(result: dict) -> None:
    names = {row["name"]: row for row in result["left running"]}
    for name in FOUND:
        assert name in names and names[name]["action"] == "delete", f"{name} was not found for deletion"
        assert name in result["in the plan"]
    assert names[FOUND[0]]["kind"] == "application inference profile"
    assert UNNAMED not in names and UNNAMED not in result["in the plan"], \
        "a profile without the workshop prefix should be invisible to the clean-up"
    assert result["after deleting"] == [], f"left behind: {result['after deleting']}"
