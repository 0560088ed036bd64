"""The engine over HTTP, SigV4-signed raw requests, moto passthrough, faults, replay."""

from __future__ import annotations

import json

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from shapes import assert_conforms

from local_bedrock import Engine, EngineServer
from local_bedrock.faults import FaultConfig
from local_bedrock.replay import Cassette

MODEL = "amazon.nova-micro-v1:0"
MSG = [{"role": "user", "content": [{"text": "Hello engine"}]}]


def test_http_and_in_process_answer_identically(http_client, runtime):
    cfg = {"temperature": 0}
    a = http_client().converse(modelId=MODEL, messages=MSG, inferenceConfig=cfg)
    b = runtime.converse(modelId=MODEL, messages=MSG, inferenceConfig=cfg)
    assert a["output"] == b["output"] and a["usage"] == b["usage"]


def test_http_stream_is_decoded_by_botocore(http_client):
    events = list(http_client().converse_stream(modelId=MODEL, messages=MSG)["stream"])
    assert "messageStart" in events[0] and "metadata" in events[-1]


def test_sigv4_signed_request_without_the_sdk(server):
    url = f"{server.url}/model/{MODEL}/converse"
    body = json.dumps({"messages": MSG})
    req = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials("testing", "testing"), "bedrock", "us-east-1").add_auth(req)
    resp = requests.post(url, data=body, headers=dict(req.headers), timeout=10)
    assert resp.status_code == 200
    assert resp.json()["output"]["message"]["role"] == "assistant"


def test_unknown_path_is_a_clear_404(server):
    resp = requests.get(f"{server.url}/no/such/api", timeout=10)
    assert resp.status_code == 404
    assert "knows no Bedrock operation" in resp.json()["message"]


def test_moto_serves_s3_cloudwatch_and_logging_config(make_client):
    s3 = make_client("s3")
    s3.create_bucket(Bucket="workshop-logs")
    bedrock = make_client("bedrock")
    bedrock.put_model_invocation_logging_configuration(loggingConfig={
        "s3Config": {"bucketName": "workshop-logs", "keyPrefix": "bedrock"},
        "textDataDeliveryEnabled": True})
    cfg = bedrock.get_model_invocation_logging_configuration()["loggingConfig"]
    assert cfg["s3Config"]["bucketName"] == "workshop-logs"
    cw = make_client("cloudwatch")
    cw.put_metric_data(Namespace="AWS/Bedrock", MetricData=[
        {"MetricName": "Invocations", "Value": 3, "Dimensions": [{"Name": "ModelId", "Value": MODEL}]}])
    names = [m["MetricName"] for m in cw.list_metrics(Namespace="AWS/Bedrock")["Metrics"]]
    assert "Invocations" in names


def test_foundation_models_come_from_the_registry(make_client):
    bedrock = make_client("bedrock")
    listed = bedrock.list_foundation_models(byOutputModality="EMBEDDING")
    assert_conforms(listed, "bedrock", "ListFoundationModels")
    ids = {m["modelId"] for m in listed["modelSummaries"]}
    assert "amazon.titan-embed-text-v2:0" in ids and MODEL not in ids
    assert bedrock.get_foundation_model(modelIdentifier=MODEL)["modelDetails"]["modelId"] == MODEL
    with pytest.raises(bedrock.exceptions.ResourceNotFoundException, match="end of its life"):
        bedrock.get_foundation_model(modelIdentifier="anthropic.claude-v2")
    with pytest.raises(bedrock.exceptions.ValidationException, match="identifier is invalid"):
        bedrock.get_foundation_model(modelIdentifier="amazon.nova-lite-v9:0")


def test_quota_throttles_past_rpm(engine, runtime):
    engine.faults.configure(FaultConfig(rpm=2))
    runtime.converse(modelId=MODEL, messages=MSG)
    runtime.converse(modelId=MODEL, messages=MSG)
    with pytest.raises(runtime.exceptions.ThrottlingException):
        runtime.converse(modelId=MODEL, messages=MSG)
    # the quota is per model
    runtime.converse(modelId="amazon.nova-lite-v1:0", messages=MSG)


def test_error_rate_injects_server_errors(engine, runtime):
    engine.faults.configure(FaultConfig(error_rate=1.0, seed=3))
    with pytest.raises(ClientError) as err:
        runtime.converse(modelId=MODEL, messages=MSG)
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] in (408, 500, 503)


def test_faults_configurable_over_http_and_from_text(server):
    resp = requests.post(f"{server.url}/_engine/faults", json={"rpm": 5}, timeout=10)
    assert resp.json()["rpm"] == 5 and server.engine.faults.config.rpm == 5
    bad = requests.post(f"{server.url}/_engine/faults", json={"nope": 1}, timeout=10)
    assert bad.status_code == 400
    assert FaultConfig.parse("rpm=60,error_rate=0.1").error_rate == 0.1
    with pytest.raises(ValueError, match="unknown setting"):
        FaultConfig.parse("rmp=60")


def test_replay_serves_recordings_and_names_missing_ones(tmp_path):
    from utils.recorder import Recorder

    live = Engine()  # stands in for real Bedrock while recording (a stub backend, said so)
    srv = EngineServer(live).start()
    cassette = Cassette(tmp_path / "c.jsonl")
    recorder = Recorder(cassette)
    session = boto3.Session(region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    rec_client = session.client("bedrock-runtime", endpoint_url=srv.url)
    for name, fn in recorder.handlers():
        rec_client.meta.events.register(name, fn)
    recorded = rec_client.converse(modelId=MODEL, messages=MSG)
    streamed = list(rec_client.converse_stream(modelId=MODEL, messages=MSG)["stream"])
    srv.stop()
    assert len(Cassette(tmp_path / "c.jsonl")) == 2

    replay = EngineServer(Engine(replay=Cassette(tmp_path / "c.jsonl"))).start()
    client = session.client("bedrock-runtime", endpoint_url=replay.url)
    again = client.converse(modelId=MODEL, messages=MSG)
    assert again["output"] == recorded["output"] and again["usage"] == recorded["usage"]
    assert list(client.converse_stream(modelId=MODEL, messages=MSG)["stream"]) == streamed
    with pytest.raises(ClientError, match="no recording"):
        client.converse(modelId=MODEL, messages=[{"role": "user", "content": [{"text": "new"}]}])
    replay.stop()


def test_unserved_runtime_operation_says_so(runtime):
    with pytest.raises(ClientError) as err:
        runtime.list_async_invokes()
    assert err.value.response["Error"]["Code"] == "NotImplementedException"
    assert "not served by the local engine" in err.value.response["Error"]["Message"]


def test_an_engine_bug_is_reported_as_such_not_as_bedrock(engine, runtime):
    def broken(engine, params):  # a deliberately failing handler (test stub)
        raise KeyError("oops")

    engine.handlers[("bedrock-runtime", "Converse")] = broken
    with pytest.raises(ClientError) as err:
        runtime.converse(modelId=MODEL, messages=MSG)
    assert err.value.response["Error"]["Code"] == "InternalServerException"
    assert "Local engine bug" in err.value.response["Error"]["Message"]


def test_count_tokens_and_get_model_conform(make_client, runtime, counting):
    counting(MODEL)
    out = runtime.count_tokens(modelId=MODEL, input={"converse": {"messages": MSG}})
    assert_conforms(out, "bedrock-runtime", "CountTokens")
    got = make_client("bedrock").get_foundation_model(modelIdentifier=MODEL)
    assert_conforms(got, "bedrock", "GetFoundationModel")
