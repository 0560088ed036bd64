"""08.07 cost allocation: application inference profiles per team, cost per tag from the logs and
from CloudWatch metrics (the same numbers), a Cost Explorer-shaped view, offline metric math,
and the budget-style metric-math alarm per team (values worked out by hand)."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from local_bedrock.catalog import cost_usd
from utils import cost

LITE, MICRO = "amazon.nova-lite-v1:0", "amazon.nova-micro-v1:0"
HAIKU = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
ACCOUNT = "123456789012"


@pytest.fixture
def teams(ws, monkeypatch):
    """Three profiles (two copying a foundation model, one a system profile), 3/2/1 calls."""
    monkeypatch.setattr(cost, "_PROFILES", {})
    bedrock, runtime = boto3.client("bedrock"), boto3.client("bedrock-runtime")
    made = {}
    for team, model in (("support", LITE), ("marketing", HAIKU), ("search", MICRO)):
        made[team] = bedrock.create_inference_profile(
            inferenceProfileName=f"t-{team}-{uuid.uuid4().hex[:6]}",
            modelSource={"copyFrom": cost.copy_from(model, "us-east-1", ACCOUNT)},
            tags=[{"key": "team", "value": team}])["inferenceProfileArn"]
    for team, n in (("support", 3), ("marketing", 2), ("search", 1)):
        for i in range(n):
            runtime.converse(modelId=made[team], messages=[{"role": "user", "content": [
                {"text": f"{team} question {i}: what is new?"}]}], inferenceConfig={"maxTokens": 60})
    runtime.converse(modelId=MICRO, messages=[{"role": "user", "content": [{"text": "Hi"}]}])
    yield made
    for arn in made.values():
        bedrock.delete_inference_profile(inferenceProfileIdentifier=arn)


def test_copy_from_uses_the_system_profile_arn_for_a_profile_id():
    assert cost.copy_from(HAIKU, "us-east-1", ACCOUNT) == (
        f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/{HAIKU}")
    assert cost.copy_from(LITE, "us-east-1", ACCOUNT) == (
        f"arn:aws:bedrock:us-east-1::foundation-model/{LITE}")


def test_cost_per_team_from_the_logs_prices_each_profile_as_its_model(ws, teams, tmp_path):
    profiles = cost.application_profiles(boto3.client("bedrock"))
    assert {p["tags"]["team"]: p["model"] for p in profiles.values()} == {
        "support": LITE, "marketing": HAIKU.split(".", 1)[1], "search": MICRO}
    records = ws.logger.records
    rows = {r["team"]: r for r in cost.summary(records, cost.by_tag("team"))}
    assert [rows[t]["calls"] for t in ("support", "marketing", "search", "(no profile)")] == [
        3, 2, 1, 1]
    support = [r for r in records if r["modelId"] == teams["support"]]
    by_hand = sum(cost_usd(LITE, r["input"]["inputTokenCount"], r["output"]["outputTokenCount"])
                  for r in support)
    assert rows["support"]["USD"] == pytest.approx(by_hand, abs=1e-6) and by_hand > 0
    # the snapshot beside the log survives the profiles: another process can still split cost
    saved = json.loads((tmp_path / cost.PROFILES_FILE).read_text())
    assert set(saved) == set(teams.values())
    cost._PROFILES.clear()
    unknown = {r["team"]: r for r in cost.summary(records, cost.by_tag("team"))}
    assert set(unknown) == {"(unknown profile)", "(no profile)"}
    assert unknown["(unknown profile)"]["USD"] == 0  # no model known: no price, not a guess
    cost.load_profiles(tmp_path)
    assert {r["team"] for r in cost.summary(records, cost.by_tag("team"))} == {
        "support", "marketing", "search", "(no profile)"}


def test_cost_explorer_view_groups_tag_values_and_untagged_usage(ws, teams):
    profiles = cost.application_profiles(boto3.client("bedrock"))
    view = cost.cost_explorer_view(ws.logger.records, "team", profiles)
    assert view["GroupDefinitions"] == [{"Type": "TAG", "Key": "team"}]
    (day,) = view["ResultsByTime"]
    keys = [g["Keys"][0] for g in day["Groups"]]
    assert keys == ["team$", "team$marketing", "team$search", "team$support"]
    total = sum(float(g["Metrics"]["UnblendedCost"]["Amount"]) for g in day["Groups"])
    assert total == pytest.approx(sum(cost.record_cost(r) for r in ws.logger.records), abs=1e-9)


def test_costs_from_cloudwatch_equal_the_logs_and_the_alarm_fires_over_budget(ws, teams):
    profiles = cost.application_profiles(boto3.client("bedrock"))
    cloudwatch = boto3.client("cloudwatch")
    ids = {d["Value"] for page in cloudwatch.get_paginator("list_metrics").paginate(
        Namespace="AWS/Bedrock", MetricName="InputTokenCount") for m in page["Metrics"]
        for d in m["Dimensions"]}
    assert {p["id"] for p in profiles.values()} <= ids  # published under the profile id
    by_team = {p["tags"]["team"]: (p["id"], p["model"]) for p in profiles.values()}
    from_metrics = {r["team"]: r for r in cost.costs_from_cloudwatch(by_team, minutes=10)}
    from_logs = {r["team"]: r for r in cost.summary(ws.logger.records, cost.by_tag("team"))}
    for team in by_team:
        assert from_metrics[team]["input tokens"] == from_logs[team]["input tokens"]
        assert from_metrics[team]["USD"] == pytest.approx(from_logs[team]["USD"], abs=1e-6)
    marketing = from_metrics["marketing"]["USD"]
    names = []
    for team, usd in (("marketing", marketing / 2), ("support", 1.0), ("search", 1.0)):
        alarm = cost.budget_alarm(f"t-budget-{team}-{uuid.uuid4().hex[:6]}", *by_team[team], usd)
        cloudwatch.put_metric_alarm(**alarm)
        names.append(alarm["AlarmName"])
    states = {a["AlarmName"]: a for a in cloudwatch.describe_alarms(AlarmNames=names)[
        "MetricAlarms"]}
    assert [states[n]["StateValue"] for n in names] == ["ALARM", "OK", "OK"]
    assert f"{marketing:g}"[:6] in states[names[0]]["StateReason"]
    cloudwatch.delete_alarms(AlarmNames=names)


def _put(cloudwatch, ns: str, name: str, values: list[tuple[int, float]], t0: dt.datetime):
    cloudwatch.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": name, "Timestamp": t0 + dt.timedelta(seconds=s), "Value": v}
        for s, v in values])


def test_metric_math_in_get_metric_data_by_hand(make_client):
    cloudwatch = make_client("cloudwatch")
    ns, t0 = f"Workshop/Math-{uuid.uuid4().hex[:6]}", dt.datetime(2025, 3, 4, 10, 0,
                                                                  tzinfo=dt.timezone.utc)
    _put(cloudwatch, ns, "A", [(0, 2.0), (5, 4.0), (60, 1.0)], t0)  # periods: 6, 1
    _put(cloudwatch, ns, "B", [(10, 10.0), (120, 3.0)], t0)          # periods: 10, -, 3

    def stat(qid, name):
        return {"Id": qid, "ReturnData": False, "MetricStat": {
            "Metric": {"Namespace": ns, "MetricName": name}, "Period": 60, "Stat": "Sum"}}

    res = cloudwatch.get_metric_data(
        StartTime=t0, EndTime=t0 + dt.timedelta(minutes=3), ScanBy="TimestampAscending",
        MetricDataQueries=[stat("a", "A"), stat("b", "B"),
                           {"Id": "both", "Expression": "a + b"},
                           {"Id": "filled", "Expression": "(FILL(a, 0) * 2 + FILL(b, 0)) / 4"},
                           {"Id": "total", "Expression": "SUM([a, b])"},
                           {"Id": "scalar", "Expression": "SUM(a)"}])["MetricDataResults"]
    got = {r["Id"]: r["Values"] for r in res}
    assert got["both"] == [16.0]                       # only where both have data
    assert got["filled"] == [5.5, 0.5, 0.75, 0.0]      # every period of the range
    assert got["total"] == [16.0, 1.0, 3.0]
    assert got["scalar"] == [7.0] * 4                   # one number, at every period
    assert "a" not in got and "b" not in got            # ReturnData False
    with pytest.raises(ClientError) as err:
        cloudwatch.get_metric_data(StartTime=t0, EndTime=t0 + dt.timedelta(minutes=3),
                                   MetricDataQueries=[stat("a", "A"),
                                                      {"Id": "x", "Expression": "RATE(a)"}])
    assert err.value.response["Error"]["Code"] == "ValidationError"
    assert "not supported by the offline metric math" in err.value.response["Error"]["Message"]


def test_math_alarm_without_data_is_within_budget_and_unknown_math_is_reported(make_client):
    cloudwatch = make_client("cloudwatch")
    quiet = cost.budget_alarm(f"t-quiet-{uuid.uuid4().hex[:6]}", "no-such-profile", LITE, 0.01)
    odd = {**quiet, "AlarmName": quiet["AlarmName"] + "-odd",
           "Metrics": quiet["Metrics"][:2] + [{"Id": "usd", "Expression": "RATE(tokens_in)",
                                               "ReturnData": True}]}
    for alarm in (quiet, odd):
        cloudwatch.put_metric_alarm(**alarm)
    got = {a["AlarmName"]: a for a in cloudwatch.describe_alarms(
        AlarmNames=[quiet["AlarmName"], odd["AlarmName"]])["MetricAlarms"]}
    assert got[quiet["AlarmName"]]["StateValue"] == "OK"  # FILL(...) = 0: nothing spent
    assert got[odd["AlarmName"]]["StateValue"] == "INSUFFICIENT_DATA"
    assert "Offline metric math" in got[odd["AlarmName"]]["StateReason"]
    cloudwatch.delete_alarms(AlarmNames=list(got))


def test_an_alarm_on_the_sum_of_two_profiles_expressions(ws, teams):
    """08.07's exercise: one cost-center alarm adding two profiles' USD expressions."""
    profiles = cost.application_profiles(boto3.client("bedrock"))
    by_team = {p["tags"]["team"]: (p["id"], p["model"]) for p in profiles.values()}
    spent = {r["team"]: r["USD"] for r in cost.summary(ws.logger.records, cost.by_tag("team"))}
    both = spent["support"] + spent["search"]
    center = []
    for i, team in enumerate(("support", "search")):
        center += [{**q, "ReturnData": False} for q in cost.cost_metrics(*by_team[team],
                                                                         prefix=f"p{i}_")]
    center.append({"Id": "cc", "Expression": "p0_usd + p1_usd", "ReturnData": True})
    cloudwatch = boto3.client("cloudwatch")
    states = {}
    for name, threshold in (("over", both * 0.9), ("under", both * 1.1)):
        alarm = f"t-cc-{name}-{uuid.uuid4().hex[:6]}"
        cloudwatch.put_metric_alarm(AlarmName=alarm, Metrics=center, Threshold=threshold,
                                    ComparisonOperator="GreaterThanThreshold",
                                    EvaluationPeriods=1, TreatMissingData="notBreaching")
        (got,) = cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
        states[name] = got["StateValue"]
        cloudwatch.delete_alarms(AlarmNames=[alarm])
    assert states == {"over": "ALARM", "under": "OK"}
