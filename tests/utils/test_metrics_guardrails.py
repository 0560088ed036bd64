"""AWS/Bedrock/Guardrails metrics: the engine publishes one evaluation per guarded content source
(ApplyGuardrail, and the input and output of guarded model calls) under the documented dimension
rows; `utils.metrics.read_guardrail_metrics` reads them back per policy and per version. Counts
below are worked out by hand from the calls each test makes."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from local_bedrock.observability.guardrail_metrics import NAMESPACE
from utils import metrics

LITE = "amazon.nova-lite-v1:0"
INVEST = "Which stocks should I buy this week to get rich?"
BENIGN = "How do I reset my Wren vacuum cleaner?"
PII = "Please email me at jane.doe@example.com about my order."
POLICIES = dict(
    contentPolicyConfig={"filtersConfig": [{"type": "HATE", "inputStrength": "HIGH",
                                            "outputStrength": "HIGH"}]},
    topicPolicyConfig={"topicsConfig": [{
        "name": "Investment advice", "type": "DENY",
        "definition": "Recommendations about which stocks, funds or crypto to buy or sell.",
        "examples": ["Which stocks should I buy?"]}]},
    sensitiveInformationPolicyConfig={"piiEntitiesConfig": [{"type": "EMAIL",
                                                             "action": "ANONYMIZE"}]},
)


@pytest.fixture
def guardrail(make_client):
    bedrock = make_client("bedrock")
    g = bedrock.create_guardrail(name="ops-metrics", blockedInputMessaging="Blocked.",
                                 blockedOutputsMessaging="Blocked.", **POLICIES)
    version = bedrock.create_guardrail_version(guardrailIdentifier=g["guardrailId"])["version"]
    return g["guardrailId"], g["guardrailArn"], version


def msg(text: str) -> list[dict]:
    return [{"role": "user", "content": [{"text": text}]}]


def by_policy(cloudwatch) -> dict[str, int]:
    return {r["GuardrailPolicyType"]: r["InvocationsIntervened"]
            for r in metrics.read_guardrail_metrics(cloudwatch, minutes=5)["policy"]}


def test_guarded_calls_publish_metrics_per_version_and_policy(engine, make_client, guardrail):
    runtime, cloudwatch = make_client(), make_client("cloudwatch")
    gid, arn, version = guardrail
    before = by_policy(cloudwatch)  # per-policy series are account-wide: compare with before
    cfg = {"guardrailIdentifier": gid, "guardrailVersion": version}
    applied = runtime.apply_guardrail(source="INPUT", content=[{"text": {"text": INVEST}}], **cfg)
    assert applied["action"] == "GUARDRAIL_INTERVENED"                  # 1 evaluation, intervened
    plain = runtime.converse(modelId=LITE, messages=msg(BENIGN), guardrailConfig=cfg)  # 2, none
    runtime.converse(modelId=LITE, messages=msg(PII), guardrailConfig=cfg)  # 2, input anonymized
    blocked = runtime.invoke_model(  # 1: the input is blocked, the model never runs
        modelId=LITE, body=json.dumps({"messages": msg(INVEST)}), guardrailIdentifier=gid,
        guardrailVersion=version)
    stream = runtime.converse_stream(modelId=LITE, messages=msg(BENIGN), guardrailConfig=cfg)
    events = list(stream["stream"])                                     # 2, none
    body = json.loads(blocked["body"].read())
    # the caller did not ask for a trace: the engine's own use of it does not leak
    assert "trace" not in plain and "amazon-bedrock-trace" not in body
    assert body["amazon-bedrock-guardrailAction"] == "INTERVENED"
    assert not any("trace" in e.get("metadata", {}) for e in events)

    gm = engine.state["guardrail_metrics"]
    assert gm.published == 0  # buffered: nothing is put until CloudWatch is read
    summary = metrics.read_guardrail_metrics(cloudwatch, minutes=5)
    mine = [r for r in summary["version"] if r["guardrail"] == gid]
    assert mine == [{"guardrail": gid, "GuardrailVersion": version, "Invocations": 8,
                     "InvocationsIntervened": 3, "intervened": "38%"}]
    after = by_policy(cloudwatch)
    delta = {p: after.get(p, 0) - before.get(p, 0) for p in after}
    assert delta["TopicPolicy"] == 2 and delta["SensitiveInformationPolicy"] == 1
    assert delta["ContentPolicy"] == 0
    assert (arn, version) in metrics.guardrail_versions(cloudwatch)


def test_a_caller_who_asks_for_the_trace_still_gets_it(make_client, guardrail):
    runtime = make_client()
    gid, _, version = guardrail
    out = runtime.converse(modelId=LITE, messages=msg(INVEST), guardrailConfig={
        "guardrailIdentifier": gid, "guardrailVersion": version, "trace": "enabled"})
    topics = out["trace"]["guardrail"]["inputAssessment"][gid]["topicPolicy"]["topics"]
    assert topics[0]["action"] == "BLOCKED"
    raw = runtime.invoke_model(modelId=LITE, body=json.dumps({"messages": msg(BENIGN)}),
                               guardrailIdentifier=gid, guardrailVersion=version,
                               trace="ENABLED")
    assert "amazon-bedrock-trace" in json.loads(raw["body"].read())


def test_apply_guardrail_latency_and_errors_by_operation(make_client, guardrail):
    runtime, cloudwatch = make_client(), make_client("cloudwatch")
    gid, arn, version = guardrail
    runtime.apply_guardrail(guardrailIdentifier=gid, guardrailVersion=version, source="OUTPUT",
                            content=[{"text": {"text": BENIGN}}])
    with pytest.raises(runtime.exceptions.ClientError):
        runtime.apply_guardrail(guardrailIdentifier="nosuchguardrail", guardrailVersion="1",
                                source="INPUT", content=[{"text": {"text": BENIGN}}])
    end = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=1)

    def value(name, dims, stat="Sum"):
        res = cloudwatch.get_metric_data(StartTime=end - dt.timedelta(minutes=10), EndTime=end,
                                         MetricDataQueries=[{"Id": "q", "MetricStat": {
                                             "Metric": {"Namespace": NAMESPACE, "MetricName": name,
                                                        "Dimensions": dims},
                                             "Period": 600, "Stat": stat}}])
        return sum(res["MetricDataResults"][0]["Values"])

    mine = [{"Name": "GuardrailArn", "Value": arn}, {"Name": "GuardrailVersion", "Value": version}]
    assert value("InvocationLatency", mine, "SampleCount") == 1
    assert value("TextUnitCount", mine) >= 2  # a content filter and a topic: units of each
    missing = [{"Name": "GuardrailArn", "Value": arn.rsplit("/", 1)[0] + "/nosuchguardrail"},
               {"Name": "GuardrailVersion", "Value": "1"}]
    assert value("InvocationClientErrors", missing) == 1
    assert value("Invocations", missing) == 0
    assert value("Invocations", [{"Name": "Operation", "Value": "ApplyGuardrail"}]) >= 1


def test_apply_guardrail_is_not_a_model_invocation_log_record(make_client, guardrail):
    logs, bedrock, runtime = make_client("logs"), make_client("bedrock"), make_client()
    group = f"/workshop/test-guardrail-metrics-{id(logs)}"
    logs.create_log_group(logGroupName=group)
    bedrock.put_model_invocation_logging_configuration(loggingConfig={"cloudWatchConfig": {
        "logGroupName": group, "roleArn": "arn:aws:iam::123456789012:role/bedrock-logging"}})
    gid, _, version = guardrail
    runtime.apply_guardrail(guardrailIdentifier=gid, guardrailVersion=version, source="INPUT",
                            content=[{"text": {"text": BENIGN}}])
    runtime.converse(modelId=LITE, messages=msg(BENIGN))
    events = logs.filter_log_events(logGroupName=group)["events"]
    assert [json.loads(e["message"])["operation"] for e in events] == ["Converse"]
