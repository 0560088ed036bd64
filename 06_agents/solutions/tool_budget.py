"""Worked solution to 06.05's "Your turn": a tool-call budget, and an alarm on tool calls, seen firing.

A question that needs the same tool twice runs through the plain Converse loop with a per-tool
budget (`LoopDetector(max_per_tool=BUDGET)`) of 1 and of 2. With 1, the second call is blocked:
the model receives an error result instead of the tool's output. Each run's requested tool calls
go to CloudWatch as a custom metric, and a metric alarm with the budget as its threshold goes to
ALARM. (Live, CloudWatch evaluates the alarm once its period has passed, so `StateValue` may read
INSUFFICIENT_DATA for a minute; the metric itself is there at once.)
"""

from __future__ import annotations

import datetime as dt

import boto3

from utils import agents, models

QUESTION = "Convert 649 US dollars to euros, and also convert 100 pounds to yen."
BUDGET = 1
NAMESPACE, METRIC, ALARM = "Workshop/Agents", "ToolCallsRequested", "workshop-agent-tool-budget"


def run(question: str = QUESTION, budget: int = BUDGET) -> dict:
    """Run the question with the budget and with one more; publish tool calls; read the alarm."""
    runtime = boto3.client("bedrock-runtime")
    cloudwatch = boto3.client("cloudwatch")
    toolbox = agents.Toolbox()
    rows = []
    for limit in (budget, budget + 1):
        result = agents.run_agent(runtime, models.TEXT_MODEL, question, toolbox,
                                  loop=agents.LoopDetector(max_per_tool=limit))
        tool_steps = [s for s in result.steps if s.kind == "tool"]
        rows.append({"max_per_tool": limit, "tool calls requested": len(tool_steps),
                     "ran": sum(s.status != "blocked" for s in tool_steps),
                     "blocked": sum(s.status == "blocked" for s in tool_steps),
                     "stopped": result.stopped,
                     "statuses": ", ".join(f"{s.name}:{s.status}" for s in tool_steps)})
        cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=[{
            "MetricName": METRIC, "Dimensions": [{"Name": "Agent", "Value": "converse-loop"}],
            "Timestamp": dt.datetime.now(dt.timezone.utc), "Value": len(tool_steps),
            "Unit": "Count"}])
    cloudwatch.put_metric_alarm(
        AlarmName=ALARM, Namespace=NAMESPACE, MetricName=METRIC, Statistic="Maximum",
        Dimensions=[{"Name": "Agent", "Value": "converse-loop"}], Period=60, EvaluationPeriods=1,
        Threshold=float(budget), ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching")
    try:
        alarm = cloudwatch.describe_alarms(AlarmNames=[ALARM])["MetricAlarms"][0]
    finally:
        cloudwatch.delete_alarms(AlarmNames=[ALARM])
    return {"budget": budget, "runs": rows, "alarm": alarm["StateValue"],
            "reason": alarm.get("StateReason", "")}


def check(result: dict) -> None:
    """Within the budget, nothing is blocked; one over it, the extra call is blocked (never run)
    and the run still ends with an answer; the alarm on requested tool calls fires."""
    tight, loose = result["runs"]
    assert tight["tool calls requested"] > result["budget"], "the question must need more calls"
    assert tight["blocked"] >= 1 and tight["ran"] <= result["budget"], tight
    assert loose["blocked"] == 0 and loose["ran"] == loose["tool calls requested"], loose
    assert tight["stopped"] == "end_turn", "a blocked call is an error result, not a crash"
    assert result["alarm"] == "ALARM", result
