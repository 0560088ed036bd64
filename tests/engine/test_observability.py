"""Invocation-log delivery (CloudWatch Logs and S3), engine observers, and the CloudWatch extras
(percentiles in GetMetricData, alarm evaluation), all through real boto3 clients."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import uuid

import pytest
from botocore.exceptions import ClientError
from shapes import assert_conforms

from local_bedrock import FaultConfig
from local_bedrock.observability import models as obs

MODEL = "amazon.nova-micro-v1:0"
ROLE = "arn:aws:iam::123456789012:role/workshop-bedrock-logging"
MSG = [{"role": "user", "content": [{"text": "How do I read my invocation logs?"}]}]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"  # moto's state is per process: no clashes


@pytest.fixture
def logging_on(make_client):
    """A log group and a bucket, and logging configured to both; yields their names."""
    logs, s3, bedrock = make_client("logs"), make_client("s3"), make_client("bedrock")
    group, bucket = f"/workshop/{unique('bedrock')}", unique("workshop-logs")
    logs.create_log_group(logGroupName=group)
    s3.create_bucket(Bucket=bucket)
    bedrock.put_model_invocation_logging_configuration(loggingConfig={
        "cloudWatchConfig": {"logGroupName": group, "roleArn": ROLE},
        "s3Config": {"bucketName": bucket, "keyPrefix": "bedrock"},
        "textDataDeliveryEnabled": True, "embeddingDataDeliveryEnabled": False})
    return {"group": group, "bucket": bucket, "logs": logs, "s3": s3, "bedrock": bedrock}


def cw_records(env) -> list[dict]:
    events = env["logs"].filter_log_events(logGroupName=env["group"])["events"]
    return [json.loads(e["message"]) for e in events]


def s3_records(env) -> list[tuple[str, dict]]:
    out = []
    for obj in env["s3"].list_objects_v2(Bucket=env["bucket"]).get("Contents", []):
        body = env["s3"].get_object(Bucket=env["bucket"], Key=obj["Key"])["Body"].read()
        for line in gzip.decompress(body).decode().splitlines():
            out.append((obj["Key"], json.loads(line)))
    return out


def test_configuration_round_trip_and_validation(make_client):
    bedrock, logs = make_client("bedrock"), make_client("logs")
    missing = unique("/workshop/none")
    with pytest.raises(ClientError, match="log group does not exist"):
        bedrock.put_model_invocation_logging_configuration(loggingConfig={
            "cloudWatchConfig": {"logGroupName": missing, "roleArn": ROLE}})
    with pytest.raises(ClientError, match="bucket does not exist"):
        bedrock.put_model_invocation_logging_configuration(loggingConfig={
            "s3Config": {"bucketName": unique("no-such-bucket")}})
    group = unique("/workshop/ok")
    logs.create_log_group(logGroupName=group)
    with pytest.raises(ClientError, match="roleArn' failed to satisfy constraint: Member must "
                                         "satisfy regular expression pattern"):
        bedrock.put_model_invocation_logging_configuration(loggingConfig={
            "cloudWatchConfig": {"logGroupName": group, "roleArn": "my-role"}})
    assert "loggingConfig" not in bedrock.get_model_invocation_logging_configuration()
    config = {"cloudWatchConfig": {"logGroupName": group, "roleArn": ROLE},
              "textDataDeliveryEnabled": True}
    bedrock.put_model_invocation_logging_configuration(loggingConfig=config)
    got = bedrock.get_model_invocation_logging_configuration()
    assert_conforms(got, "bedrock", "GetModelInvocationLoggingConfiguration")
    assert got["loggingConfig"] == config
    bedrock.delete_model_invocation_logging_configuration()
    assert "loggingConfig" not in bedrock.get_model_invocation_logging_configuration()


def test_converse_record_matches_the_response_in_both_destinations(runtime, logging_on):
    resp = runtime.converse(modelId=MODEL, messages=MSG, requestMetadata={"team": "ops"})
    (rec,) = cw_records(logging_on)
    assert rec["schemaType"] == "ModelInvocationLog" and rec["operation"] == "Converse"
    assert rec["modelId"] == MODEL and rec["requestId"] == resp["ResponseMetadata"]["RequestId"]
    assert rec["input"]["inputTokenCount"] == resp["usage"]["inputTokens"]
    assert rec["output"]["outputTokenCount"] == resp["usage"]["outputTokens"]
    assert rec["input"]["inputBodyJson"]["messages"] == MSG
    assert rec["output"]["outputBodyJson"]["output"] == resp["output"]
    assert rec["requestMetadata"] == {"team": "ops"}
    assert "requestMetadata" not in rec["input"]["inputBodyJson"]
    assert rec["accountId"] == "123456789012" and rec["region"] == "us-east-1"
    ((key, same),) = s3_records(logging_on)
    assert same == rec
    assert key.startswith("bedrock/AWSLogs/123456789012/BedrockModelInvocationLogs/us-east-1/")
    assert key.endswith(f"_{rec['requestId']}.json.gz")
    streams = logging_on["logs"].describe_log_streams(logGroupName=logging_on["group"])
    assert [s["logStreamName"] for s in streams["logStreams"]] == [obs.LOG_STREAM]


def test_streams_are_logged_once_they_end_with_their_usage(runtime, logging_on):
    events = list(runtime.converse_stream(modelId=MODEL, messages=MSG)["stream"])
    usage = events[-1]["metadata"]["usage"]
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events
                   if "contentBlockDelta" in e)
    body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 40,
                       "messages": [{"role": "user", "content": "Say hello."}]})
    resp = runtime.invoke_model_with_response_stream(
        modelId="us.anthropic.claude-haiku-4-5-20251001-v1:0", body=body)
    chunks = [json.loads(e["chunk"]["bytes"]) for e in resp["body"]]
    conv, inv = cw_records(logging_on)
    assert conv["operation"] == "ConverseStream"
    assert conv["output"]["outputBodyJson"]["output"]["message"]["content"][0]["text"] == text
    assert conv["output"]["outputTokenCount"] == usage["outputTokens"]
    assert inv["operation"] == "InvokeModelWithResponseStream"
    assert inv["output"]["outputBodyJson"] == chunks  # the list of chunks, as Bedrock logs it
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert inv["output"]["outputTokenCount"] == metrics["outputTokenCount"]


def test_invoke_model_tokens_and_embedding_delivery_flag(runtime, logging_on):
    body = json.dumps({"inputText": "Invocation logs answer operational questions."})
    resp = runtime.invoke_model(modelId="amazon.titan-embed-text-v2:0", body=body)
    headers = resp["ResponseMetadata"]["HTTPHeaders"]
    (rec,) = cw_records(logging_on)
    assert rec["input"]["inputTokenCount"] == int(headers["x-amzn-bedrock-input-token-count"])
    assert rec["input"]["inputBodyJson"] == json.loads(body)  # text delivery is on
    assert "outputBodyJson" not in rec["output"]  # embedding delivery is off


def test_text_delivery_off_keeps_metadata_only(runtime, make_client):
    logs, bedrock = make_client("logs"), make_client("bedrock")
    group = unique("/workshop/meta")
    logs.create_log_group(logGroupName=group)
    bedrock.put_model_invocation_logging_configuration(loggingConfig={
        "cloudWatchConfig": {"logGroupName": group, "roleArn": ROLE},
        "textDataDeliveryEnabled": False})
    runtime.converse(modelId=MODEL, messages=MSG)
    rec = json.loads(logs.filter_log_events(logGroupName=group)["events"][0]["message"])
    assert "inputBodyJson" not in rec["input"] and "outputBodyJson" not in rec["output"]
    assert rec["output"]["outputTokenCount"] > 0


def test_throttled_and_failed_attempts_are_logged_with_error_codes(engine, runtime, logging_on):
    engine.faults.configure(FaultConfig(rpm=1))
    runtime.converse(modelId=MODEL, messages=MSG)
    with pytest.raises(ClientError):
        runtime.converse(modelId=MODEL, messages=MSG)
    engine.faults.configure(FaultConfig(error_rate=1.0, seed=1))
    with pytest.raises(ClientError):
        runtime.converse(modelId=MODEL, messages=MSG)
    codes = [r.get("errorCode") for r in cw_records(logging_on)]
    assert codes[0] is None
    # every attempt the engine answers is a record (the fixture's client does not retry)
    assert set(codes[1:]) >= {"ThrottlingException"} and len(codes) >= 3
    assert codes[-1] in ("ServiceUnavailableException", "InternalServerException",
                         "ModelTimeoutException")
    assert all("output" not in r for r in cw_records(logging_on) if r.get("errorCode"))


def test_nothing_is_delivered_without_a_configuration(engine, runtime, make_client):
    runtime.converse(modelId=MODEL, messages=MSG)
    delivery = engine.state["invocation_log_delivery"]
    assert delivery.delivered == 0 and not delivery.failures


def test_http_transport_delivers_too(engine, http_client, make_client):
    logs, bedrock = make_client("logs"), make_client("bedrock")
    group = unique("/workshop/http")
    logs.create_log_group(logGroupName=group)
    bedrock.put_model_invocation_logging_configuration(loggingConfig={
        "cloudWatchConfig": {"logGroupName": group, "roleArn": ROLE}})
    http_client("bedrock-runtime").converse(modelId=MODEL, messages=MSG)
    events = logs.filter_log_events(logGroupName=group)["events"]
    assert json.loads(events[0]["message"])["operation"] == "Converse"


def test_a_deleted_destination_drops_records_without_failing_calls(engine, runtime, logging_on):
    logging_on["logs"].delete_log_group(logGroupName=logging_on["group"])
    runtime.converse(modelId=MODEL, messages=MSG)  # still answered
    assert engine.state["invocation_log_delivery"].failures


def test_observers_see_every_call_and_cannot_break_it(engine, runtime):
    seen = []
    engine.observers.append(lambda **kw: seen.append(kw))
    engine.observers.append(lambda **kw: 1 / 0)  # a broken observer is logged, not raised
    runtime.converse(modelId=MODEL, messages=MSG)
    stream = runtime.converse_stream(modelId=MODEL, messages=MSG)["stream"]
    assert [s["operation"] for s in seen] == ["Converse"]  # the stream has not ended yet
    list(stream)
    assert [s["operation"] for s in seen] == ["Converse", "ConverseStream"]
    assert isinstance(seen[1]["output"]["stream"], list) and seen[1]["error"] is None
    assert all(s["latency_ms"] > 0 for s in seen)
    with pytest.raises(ClientError):
        runtime.converse(modelId="amazon.no-such-model-v1:0", messages=MSG)
    assert seen[-1]["error"].code == "ResourceNotFoundException" or seen[-1]["error"].status == 400


def test_oversized_records_keep_metadata(runtime):
    big = {"a": "x" * (300 * 1024)}
    text = obs._fit({"input": {"inputBodyJson": big}, "output": {"outputBodyJson": big}})
    assert len(text.encode()) < obs.MAX_EVENT_BYTES
    assert "omitted offline" in json.loads(text)["input"]["inputBodyJson"]


# -- CloudWatch extras -----------------------------------------------------------------------
def put_values(cw, namespace: str, name: str, values: list[float], when: dt.datetime,
               dims=None) -> None:
    cw.put_metric_data(Namespace=namespace, MetricData=[{
        "MetricName": name, "Timestamp": when, "Values": values,
        "Dimensions": dims or [{"Name": "ModelId", "Value": MODEL}]}])


def test_get_metric_data_computes_percentiles(make_client):
    cw = make_client("cloudwatch")
    ns, now = unique("Workshop/Test"), dt.datetime.now(dt.timezone.utc)
    dims = [{"Name": "ModelId", "Value": MODEL}]
    put_values(cw, unique("Workshop/Other"), "InvocationLatency", [5000.0], now, dims)  # elsewhere
    put_values(cw, ns, "InvocationLatency", [float(v) for v in range(1, 101)], now, dims)
    metric = {"Namespace": ns, "MetricName": "InvocationLatency", "Dimensions": dims}
    queries = [{"Id": f"q{i}", "MetricStat": {"Metric": metric, "Period": 3600, "Stat": stat}}
               for i, stat in enumerate(("p50", "p90", "p99", "Average", "SampleCount"))]
    out = cw.get_metric_data(MetricDataQueries=queries, StartTime=now - dt.timedelta(hours=1),
                             EndTime=now + dt.timedelta(hours=1))
    assert_conforms(out, "cloudwatch", "GetMetricData")
    got = {r["Id"]: r["Values"] for r in out["MetricDataResults"]}
    assert got["q0"] == [pytest.approx(50.5)] and got["q1"] == [pytest.approx(90.1)]
    assert got["q2"] == [pytest.approx(99.01)] and got["q3"] == [pytest.approx(50.5)]
    assert got["q4"] == [100.0]


def alarm(cw, name, ns, metric, threshold, **kw):
    cw.put_metric_alarm(AlarmName=name, Namespace=ns, MetricName=metric, Period=60,
                        EvaluationPeriods=1, Threshold=threshold,
                        ComparisonOperator="GreaterThanThreshold",
                        Dimensions=[{"Name": "ModelId", "Value": MODEL}], **kw)


def test_alarms_are_evaluated_against_the_data(make_client):
    cw = make_client("cloudwatch")
    ns, now = unique("Workshop/Alarms"), dt.datetime.now(dt.timezone.utc)
    put_values(cw, ns, "InvocationThrottles", [1.0] * 7, now)
    put_values(cw, ns, "InvocationLatency", [100.0] * 8 + [900.0, 950.0], now)
    prefix = unique("workshop")
    alarm(cw, f"{prefix}-throttles", ns, "InvocationThrottles", 5, Statistic="Sum")
    alarm(cw, f"{prefix}-quiet", ns, "InvocationThrottles", 50, Statistic="Sum")
    alarm(cw, f"{prefix}-p90", ns, "InvocationLatency", 500, ExtendedStatistic="p90")
    alarm(cw, f"{prefix}-nodata", ns, "InvocationServerErrors", 0, Statistic="Sum")
    out = cw.describe_alarms(AlarmNamePrefix=prefix)
    assert_conforms(out, "cloudwatch", "DescribeAlarms")
    states = {a["AlarmName"][len(prefix) + 1:]: a for a in out["MetricAlarms"]}
    assert states["throttles"]["StateValue"] == "ALARM"
    assert "greater than the threshold (5)" in states["throttles"]["StateReason"]
    assert states["quiet"]["StateValue"] == "OK"
    assert states["p90"]["StateValue"] == "ALARM"  # p90 of the 10 values is 905
    assert states["nodata"]["StateValue"] == "INSUFFICIENT_DATA"
