"""Bedrock quotas through Service Quotas, their enforcement (maxTokens reservation, burndown),
service tiers and latency-optimized inference, and CloudWatch anomaly detection, offline."""

from __future__ import annotations

import datetime as dt
import json
import re

import boto3
import pytest
from botocore.exceptions import ClientError

from local_bedrock import InProcessTransport, catalog
from local_bedrock.faults import FaultConfig
from local_bedrock.quotas import models as quota_models
from local_bedrock.quotas import table
from tests.conftest import NO_RETRY

MSG = [{"role": "user", "content": [{"text": "How do I reset the vacuum?"}]}]
LITE, NOVA2, PRO = "amazon.nova-lite-v1:0", "us.amazon.nova-2-lite-v1:0", "amazon.nova-pro-v1:0"
HAIKU55 = "us.anthropic.claude-haiku-5-5"
NAME = re.compile(r"^(On-demand InvokeModel tokens per minute for |Cross-Region InvokeModel tokens "
                  r"per minute for |Global cross-Region model inference tokens per minute for |"
                  r"Model invocation max tokens per day for )")


@pytest.fixture
def client_in(engine):
    """client_in(service, region): a boto3 client for a region, answered in-process."""
    endpoint = "http://127.0.0.1:9"
    transport = InProcessTransport(engine, endpoint)

    def make(service: str, region: str = "us-east-1"):
        c = boto3.client(service, endpoint_url=endpoint, config=NO_RETRY, region_name=region,
                         aws_access_key_id="testing", aws_secret_access_key="testing")
        transport.attach(c)
        return c

    return make


def error(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as err:
        out = call(**kwargs)
        for _ in out.get("stream", []):
            pass
    return err.value.response["Error"]["Code"], err.value.response["Error"]["Message"]


def quotas(sq) -> list[dict]:
    return [q for page in sq.get_paginator("list_service_quotas").paginate(
        ServiceCode="bedrock", PaginationConfig={"PageSize": 7}) for q in page["Quotas"]]


# -- Service Quotas ------------------------------------------------------------------------
def test_bedrock_quotas_are_served_with_the_documented_names_and_honest_provenance(client_in):
    listed = quotas(client_in("service-quotas"))
    assert listed and all(NAME.match(q["QuotaName"]) for q in listed)
    assert not [q for q in listed if "requests per minute" in q["QuotaName"]]  # RPM removed
    for q in listed:
        sourced = q["QuotaCode"].startswith("L-")
        assert sourced or q["QuotaCode"].startswith("LOCAL-")
        assert ("code from" in q["Description"]) == sourced
        assert q["QuotaArn"].endswith(f":bedrock/{q['QuotaCode']}")
    by_name = {q["QuotaName"]: q for q in listed}
    lite = by_name["Cross-Region InvokeModel tokens per minute for Amazon Nova Lite"]
    assert lite["QuotaCode"] == "L-7C42E72A"
    day = by_name["Model invocation max tokens per day for Amazon Nova Lite"]
    assert day["Value"] == max(q["Value"] for n, q in by_name.items()
                               if n.endswith("per minute for Amazon Nova Lite")) * 1440


def test_quotas_follow_where_each_model_can_be_invoked(client_in):
    east = {q["QuotaName"] for q in quotas(client_in("service-quotas", "us-east-1"))}
    frankfurt = {q["QuotaName"] for q in quotas(client_in("service-quotas", "eu-central-1"))}
    assert "On-demand InvokeModel tokens per minute for Amazon Nova Lite" in east  # in-region
    assert "On-demand InvokeModel tokens per minute for Amazon Nova Lite" not in frankfurt
    assert "Cross-Region InvokeModel tokens per minute for Amazon Nova Lite" in frankfurt
    assert not [n for n in east if n.startswith("On-demand") and "Nova 2 Lite" in n]  # profiles only
    assert "Global cross-Region model inference tokens per minute for Amazon Nova 2 Lite" in east


def test_get_default_increase_and_errors(client_in):
    sq = client_in("service-quotas")
    code = "L-7C42E72A"
    applied = sq.get_service_quota(ServiceCode="bedrock", QuotaCode=code)["Quota"]
    default = sq.get_aws_default_service_quota(ServiceCode="bedrock", QuotaCode=code)["Quota"]
    assert applied["Value"] == default["Value"] and ":123456789012:" in applied["QuotaArn"]
    asked = sq.request_service_quota_increase(ServiceCode="bedrock", QuotaCode=code,
                                              DesiredValue=applied["Value"] * 2)["RequestedQuota"]
    assert asked["Status"] == "PENDING" and isinstance(asked["Created"], dt.datetime)
    assert sq.get_service_quota(ServiceCode="bedrock", QuotaCode=code)["Quota"]["Value"] \
        == applied["Value"]  # reviewed by AWS: nothing changes at once
    assert sq.get_requested_service_quota_change(RequestId=asked["Id"])["RequestedQuota"]["Id"] \
        == asked["Id"]
    history = sq.list_requested_service_quota_change_history_by_quota(ServiceCode="bedrock",
                                                                      QuotaCode=code)
    assert [r["Id"] for r in history["RequestedQuotas"]] == [asked["Id"]]
    assert error(sq.request_service_quota_increase, ServiceCode="bedrock", QuotaCode=code,
                 DesiredValue=applied["Value"] * 3)[0] == "ResourceAlreadyExistsException"
    assert error(sq.request_service_quota_increase, ServiceCode="bedrock",
                 QuotaCode="L-DC7FF66C", DesiredValue=1)[0] == "IllegalArgumentException"
    assert error(sq.get_service_quota, ServiceCode="bedrock",
                 QuotaCode="L-00000000")[0] == "NoSuchResourceException"


def test_other_services_still_go_to_moto(client_in):
    sq = client_in("service-quotas")
    vpc = sq.list_aws_default_service_quotas(ServiceCode="vpc")["Quotas"]
    assert vpc and vpc[0]["ServiceCode"] == "vpc"


def test_the_quota_table_names_its_sources():
    facts = table.facts_for("anthropic.claude-haiku-4-5-20251001-v1:0", ("cross-region", "global"))
    assert {f.scope: f.code for f in facts} == {"cross-region": "L-58BE175A",
                                                "global": "L-9A11C666", "day": "L-6120CF2D"}
    assert facts[0].value_source and not facts[1].value_source  # one live read, one stand-in
    assert all(f.checked == "2026-12-07" for f in facts)


# -- enforcement -----------------------------------------------------------------------------
def test_quotas_are_off_unless_asked(engine, runtime):
    engine.faults.configure(quota_scale=1e-6)
    for _ in range(3):
        runtime.converse(modelId=HAIKU55, messages=MSG)


def test_max_tokens_is_reserved_at_admission(engine, runtime):
    engine.faults.configure(quotas=True, quota_scale=0.001)  # Haiku 5.5: 2,000 tokens a minute
    code, message = error(runtime.converse, modelId=HAIKU55, messages=MSG)  # reserves 128k
    assert (code, message) == ("ThrottlingException", "Too many tokens, please wait before "
                                                      "trying again.")
    out = runtime.converse(modelId=HAIKU55, messages=MSG, inferenceConfig={"maxTokens": 100})
    assert out["stopReason"]


def test_a_call_settles_to_input_plus_output_times_burndown(engine, runtime):
    engine.faults.configure(quotas=True)
    limit = quota_models.book(engine).limit_for(HAIKU55)
    assert limit.burndown == 5.0 and limit.key.endswith(
        table.local_code("Cross-Region InvokeModel tokens per minute for Anthropic Claude Haiku 5.5"))
    u = runtime.converse(modelId=HAIKU55, messages=MSG,
                         inferenceConfig={"maxTokens": 400})["usage"]
    assert engine.faults.quota_usage(limit.key) == u["inputTokens"] + 5 * u["outputTokens"]
    lite = quota_models.book(engine).limit_for(LITE)  # bare id: the on-demand quota, 1x
    u = runtime.converse(modelId=LITE, messages=MSG, inferenceConfig={"maxTokens": 50})["usage"]
    assert lite.key != limit.key and lite.burndown == 1.0
    assert engine.faults.quota_usage(lite.key) == u["inputTokens"] + u["outputTokens"]


def test_settled_quota_frees_room_for_more_calls(engine, runtime):
    ask = dict(modelId=LITE, messages=MSG, inferenceConfig={"maxTokens": 2000, "temperature": 0})  # same usage each call
    u = runtime.converse(**ask)["usage"]  # quotas off: measure one call
    used, reserved = u["inputTokens"] + u["outputTokens"], u["inputTokens"] + 2000
    assert used < reserved / 2
    tpm = quota_models.book(engine).limit_for(LITE).tpm
    engine.faults.configure(quotas=True, quota_scale=(reserved + 2 * used) / tpm)
    for _ in range(3):  # fits only because each call settles to what it used
        runtime.converse(**ask)
    assert error(runtime.converse, **ask)[0] == "ThrottlingException"


def test_fault_config_parses_the_quota_switches():
    cfg = FaultConfig.parse("quotas=1,quota_scale=0.01,rpm=5")
    assert (cfg.quotas, cfg.quota_scale, cfg.rpm) == (True, 0.01, 5)
    assert FaultConfig.parse("quotas=0").quotas is False


# -- service tiers and latency-optimized inference --------------------------------------------
def test_the_served_tier_is_reported_as_bedrock_reports_it(runtime):
    out = runtime.converse(modelId=NOVA2, messages=MSG, serviceTier={"type": "flex"})
    assert out["serviceTier"] == {"type": "flex"}
    assert "serviceTier" not in runtime.converse(modelId=NOVA2, messages=MSG)
    meta = [e["metadata"] for e in runtime.converse_stream(
        modelId=NOVA2, messages=MSG, serviceTier={"type": "priority"})["stream"] if "metadata" in e]
    assert meta[0]["serviceTier"] == {"type": "priority"}
    body = json.dumps({"messages": MSG, "inferenceConfig": {"maxTokens": 20}})
    inv = runtime.invoke_model(modelId=NOVA2, body=body, serviceTier="flex")
    assert inv["serviceTier"] == "flex"
    out = runtime.converse(modelId=PRO, messages=MSG, performanceConfig={"latency": "optimized"})
    assert out["performanceConfig"] == {"latency": "optimized"}


def test_tiers_a_model_or_region_does_not_offer_are_refused(runtime, client_in):
    assert error(runtime.converse, modelId=LITE, messages=MSG,
                 serviceTier={"type": "reserved"}) == ("ValidationException",
                                                       "Reservation not found.")
    code, message = error(runtime.converse, modelId=LITE, messages=MSG,
                          serviceTier={"type": "flex"})
    assert code == "ValidationException" and "serviceTier" in message
    oregon = client_in("bedrock-runtime", "us-west-2")
    code, message = error(oregon.converse, modelId="us.amazon.nova-pro-v1:0", messages=MSG,
                          performanceConfig={"latency": "optimized"})
    assert code == "ValidationException" and "performanceConfig.latency" in message
    assert oregon.converse(modelId="us.meta.llama3-1-70b-instruct-v1:0", messages=MSG,
                           performanceConfig={"latency": "optimized"})["performanceConfig"]
    assert error(runtime.invoke_model, modelId=LITE, serviceTier="priority",
                 body=json.dumps({"messages": MSG}))[0] == "ValidationException"


def test_each_tier_paces_and_prices_as_the_registry_says(engine, runtime, monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr("local_bedrock.faults.time.sleep", slept.append)
    engine.faults.configure(latency_ms=100, per_token_ms=10)
    waits = {}
    for tier in ("default", "priority", "flex"):
        slept.clear()
        out = runtime.converse(modelId=NOVA2, messages=MSG, serviceTier={"type": tier},
                               inferenceConfig={"maxTokens": 60, "temperature": 0})
        spec = catalog.tier_spec(tier)
        assert slept[0] == pytest.approx(0.1 * spec.first_byte_factor)
        assert slept[-1] == pytest.approx(0.01 * spec.token_pace_factor * out["usage"]["outputTokens"])
        waits[tier] = sum(slept)
    assert waits["priority"] < waits["default"] < waits["flex"]
    base = catalog.cost_usd(NOVA2, 1000, 1000)
    assert catalog.cost_usd(NOVA2, 1000, 1000, service_tier="flex") == pytest.approx(base * 0.5)
    assert catalog.cost_usd(NOVA2, 1000, 1000, service_tier="priority") == pytest.approx(base * 1.75)
    assert catalog.cost_usd(PRO, 1000, 1000, latency="optimized") == pytest.approx(
        catalog.cost_usd(PRO, 1000, 1000) * 1.25)


# -- anomaly detection --------------------------------------------------------------------------
DIMS = [{"Name": "ModelId", "Value": "amazon.nova-lite-v1:0"}]
DETECTOR = {"Namespace": "AWS/Bedrock", "MetricName": "InvocationLatency", "Dimensions": DIMS,
            "Stat": "Average"}


def put_latency(cw, values: list[float], ago_s: float) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    cw.put_metric_data(Namespace="AWS/Bedrock", MetricData=[
        {"MetricName": "InvocationLatency", "Dimensions": DIMS, "Unit": "Milliseconds",
         "Value": v, "Timestamp": now - dt.timedelta(seconds=ago_s + i)}
        for i, v in enumerate(values)])


def test_anomaly_detectors_and_a_band_alarm(client_in):
    cw = client_in("cloudwatch")
    detector_id = cw.put_anomaly_detector(SingleMetricAnomalyDetector=DETECTOR)["AnomalyDetectorId"]
    found = cw.describe_anomaly_detectors(Namespace="AWS/Bedrock")["AnomalyDetectors"]
    assert [(d["AnomalyDetectorId"], d["StateValue"]) for d in found] == [(detector_id,
                                                                           "PENDING_TRAINING")]
    cw.put_metric_alarm(
        AlarmName="latency-anomaly", ComparisonOperator="GreaterThanUpperThreshold",
        EvaluationPeriods=1, ThresholdMetricId="ad1", TreatMissingData="notBreaching",
        Metrics=[{"Id": "m1", "ReturnData": True, "MetricStat": {
            "Metric": {"Namespace": "AWS/Bedrock", "MetricName": "InvocationLatency",
                       "Dimensions": DIMS}, "Period": 60, "Stat": "Average"}},
                 {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)", "ReturnData": True}])

    def state() -> tuple[str, str]:
        alarm = cw.describe_alarms(AlarmNames=["latency-anomaly"])["MetricAlarms"][0]
        return alarm["StateValue"], alarm["StateReason"]

    assert state()[0] == "INSUFFICIENT_DATA"  # nothing to learn from yet
    put_latency(cw, [100, 104, 98, 101, 99, 103, 97, 102, 100, 101, 99, 100], ago_s=120)
    assert cw.describe_anomaly_detectors()["AnomalyDetectors"][0]["StateValue"] == "TRAINED"
    put_latency(cw, [101, 99], ago_s=5)
    assert state()[0] == "OK"
    put_latency(cw, [400, 420, 390], ago_s=1)
    value, reason = state()
    assert value == "ALARM" and "greater than the upper thresholds" in reason
    cw.delete_anomaly_detector(AnomalyDetectorId=detector_id)
    assert cw.describe_anomaly_detectors()["AnomalyDetectors"] == []
    assert error(cw.delete_anomaly_detector,
                 AnomalyDetectorId=detector_id)[0] == "ResourceNotFoundException"
