"""Worked solution to 08.02's "Your turn": when does an alarm fire? Its threshold and its
"M out of N" evaluation decide.

A burst of calls against a quota of 3 requests per minute (the workshop's fault injection; live,
your account's real quota) is throttled; its metrics reach CloudWatch (Bedrock publishes them;
offline, the engine), and three alarms on ``InvocationThrottles`` are put and described: the
notebook's (``Sum >= 3`` over one 60-second period, 1 datapoint of 1), the same with a threshold
above the burst, and the same threshold needing 3 breaching periods of 3. Run it from the notebook
(``from solutions.metrics_alarm_threshold import run, check``) or from the tests: ``check(run())``.
"""

from __future__ import annotations

import boto3
from botocore.config import Config

import utils
from utils.setup import current

CALLS = 10
VARIANTS = [  # (name, threshold, evaluation periods, datapoints to alarm)
    ("Sum >= 3, 1 of 1 periods", 3, 1, 1),
    ("Sum >= 50, 1 of 1 periods", 50, 1, 1),
    ("Sum >= 3, 3 of 3 periods", 3, 3, 3),
]


def run() -> dict:
    """Throttle a burst, then put, describe and delete the three alarms: their states and reasons."""
    ws = current()
    runtime = boto3.client("bedrock-runtime", config=Config(retries={"total_max_attempts": 1}))
    cloudwatch = boto3.client("cloudwatch")
    model = utils.models.CHEAP_MODEL
    throttled = 0
    ws.configure_faults(rpm=3)
    try:
        for i in range(CALLS):
            try:
                runtime.converse(modelId=model, messages=[{"role": "user", "content": [{"text": f"Ticket {i}: status?"}]}],
                                 inferenceConfig={"maxTokens": 20})
            except runtime.exceptions.ThrottlingException:
                throttled += 1
    finally:
        ws.configure_faults(rpm=None)
    rows = []
    for name, threshold, periods, datapoints in VARIANTS:
        alarm = f"bedrock-workshop-exercise-{len(rows)}"
        cloudwatch.put_metric_alarm(
            AlarmName=alarm, Namespace="AWS/Bedrock", MetricName="InvocationThrottles", Statistic="Sum",
            Dimensions=[{"Name": "ModelId", "Value": model}], Period=60, EvaluationPeriods=periods,
            DatapointsToAlarm=datapoints, Threshold=threshold, ComparisonOperator="GreaterThanOrEqualToThreshold",
            TreatMissingData="notBreaching")
        got = cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]
        rows.append({"alarm": name, "threshold": threshold, "datapoints to alarm": f"{datapoints} of {periods}",
                     "state": got["StateValue"], "reason": got["StateReason"]})
        cloudwatch.delete_alarms(AlarmNames=[alarm])
    return {"calls": CALLS, "throttled": throttled, "alarms": rows}


def check(result: dict) -> None:
    """The burst was throttled; the notebook's alarm fires, a threshold above the burst does not,
    and one burst minute is not enough for an alarm that needs three breaching minutes."""
    assert 3 <= result["throttled"] < 50, result["throttled"]
    state = {r["alarm"]: r["state"] for r in result["alarms"]}
    assert state["Sum >= 3, 1 of 1 periods"] == "ALARM", state
    assert state["Sum >= 50, 1 of 1 periods"] == "OK", state
    assert state["Sum >= 3, 3 of 3 periods"] != "ALARM", state
