"""Worked solution to 08.06's "Your turn": an alarm on a guardrail version's interventions.

A spike of interventions on one guardrail version usually means a new attack, a launch, or a
version that is too strict. The solution creates a small guardrail (a denied topic and an insults
filter) and publishes version 1, checks six customer messages with ``ApplyGuardrail`` (three of them
blocked), then puts two CloudWatch alarms on ``AWS/Bedrock/Guardrails`` ``InvocationsIntervened``
(``Sum`` over 5 minutes, dimensions ``GuardrailArn`` and ``GuardrailVersion``): one above 2
interventions, one above 10. It reads the version's own count with ``GetMetricData`` and each
alarm's state, then deletes the alarms and the guardrail.
Run it from the notebook (``from solutions.dashboard_guardrail_alarm import run, check``) or the tests.
"""

from __future__ import annotations

import datetime as dt
import time

import boto3

NAME = "workshop-dashboard-your-turn"
MESSAGES = ["How do I reset my Wren vacuum?", "Which stocks should I buy this week?",
            "You are a worthless idiot, answer me.", "What is your return policy?",
            "Should I put my savings into crypto funds?", "My order arrived late, what now?"]
THRESHOLDS = (2, 10)


def _intervened(cloudwatch, dimensions: list[dict], wait_s: float) -> float:
    """The Sum of InvocationsIntervened over the last 15 minutes (live, metrics arrive late)."""
    deadline = time.monotonic() + wait_s
    while True:
        end = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=1)
        result = cloudwatch.get_metric_data(MetricDataQueries=[{"Id": "intervened", "MetricStat": {
            "Metric": {"Namespace": "AWS/Bedrock/Guardrails", "MetricName": "InvocationsIntervened",
                       "Dimensions": dimensions}, "Period": 900, "Stat": "Sum"}}],
            StartTime=end - dt.timedelta(minutes=15), EndTime=end)["MetricDataResults"][0]
        if sum(result["Values"]) or time.monotonic() >= deadline:
            return sum(result["Values"])
        time.sleep(15)


def run(wait_s: float = 300) -> dict:
    bedrock, runtime, cloudwatch = (boto3.client(s) for s in ("bedrock", "bedrock-runtime", "cloudwatch"))
    guardrail = bedrock.create_guardrail(
        name=NAME, blockedInputMessaging="Sorry, I can't help with that.",
        blockedOutputsMessaging="Sorry, I can't share that.",
        contentPolicyConfig={"filtersConfig": [{"type": "INSULTS", "inputStrength": "HIGH", "outputStrength": "HIGH"}]},
        topicPolicyConfig={"topicsConfig": [{
            "name": "Investment advice", "type": "DENY",
            "definition": "Recommendations about which stocks, funds or cryptocurrencies to buy or sell.",
            "examples": ["Which stocks should I buy?"]}]})
    gid, arn = guardrail["guardrailId"], guardrail["guardrailArn"]
    alarms = [f"{NAME}-above-{t}" for t in THRESHOLDS]
    try:
        version = bedrock.create_guardrail_version(guardrailIdentifier=gid)["version"]
        actions = [runtime.apply_guardrail(guardrailIdentifier=gid, guardrailVersion=version, source="INPUT",
                                           content=[{"text": {"text": text}}])["action"] for text in MESSAGES]
        dimensions = [{"Name": "GuardrailArn", "Value": arn}, {"Name": "GuardrailVersion", "Value": version}]
        intervened = _intervened(cloudwatch, dimensions, wait_s)
        for name, threshold in zip(alarms, THRESHOLDS):
            cloudwatch.put_metric_alarm(
                AlarmName=name, Namespace="AWS/Bedrock/Guardrails", MetricName="InvocationsIntervened",
                Statistic="Sum", Period=300, EvaluationPeriods=1, Dimensions=dimensions, Threshold=threshold,
                ComparisonOperator="GreaterThanThreshold", TreatMissingData="notBreaching")
        deadline = time.monotonic() + wait_s
        while True:  # live, CloudWatch evaluates a new alarm within a minute or so
            states = {a["AlarmName"]: a["StateValue"]
                      for a in cloudwatch.describe_alarms(AlarmNames=alarms)["MetricAlarms"]}
            if "INSUFFICIENT_DATA" not in states.values() or time.monotonic() >= deadline:
                break
            time.sleep(15)
    finally:
        cloudwatch.delete_alarms(AlarmNames=alarms)
        bedrock.delete_guardrail(guardrailIdentifier=gid)
    return {"actions": dict(zip(MESSAGES, actions)), "intervened (GetMetricData)": intervened,
            "alarms": [{"threshold": t, "state": states[name]} for name, t in zip(alarms, THRESHOLDS)]}


def check(result: dict) -> None:
    blocked = sum(a == "GUARDRAIL_INTERVENED" for a in result["actions"].values())
    assert blocked >= 3, f"expected the topic and the insult to be blocked: {result['actions']}"
    assert result["intervened (GetMetricData)"] == blocked, "each intervention is counted once in the metric"
    states = {row["threshold"]: row["state"] for row in result["alarms"]}
    assert states[2] == "ALARM", f"{blocked} interventions should cross a threshold of 2: {states}"
    # live, a new alarm may not have been evaluated yet; it never reads ALARM below its threshold
    assert states[10] in ("OK", "INSUFFICIENT_DATA"), states
