"""local_bedrock.testing: mock_bedrock routes every Bedrock client to a fresh engine and restores
everything after; record_bedrock writes cassettes that mock_bedrock(replay=...) serves."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import boto3
import botocore.handlers
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

from local_bedrock.testing import current, mock_bedrock, record_bedrock

REPO = Path(__file__).resolve().parents[2]
MODEL = "amazon.nova-micro-v1:0"
MSG = [{"role": "user", "content": [{"text": "Summarise: the venue flooded, the meeting moved."}]}]
NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})
GUARDRAIL = dict(name="no-finance", blockedInputMessaging="in-blocked",
                 blockedOutputsMessaging="out-blocked",
                 topicPolicyConfig={"topicsConfig": [{"name": "Finance", "type": "DENY",
                                                      "definition": "Investment advice."}]})


@pytest.fixture
def hostile_env(monkeypatch, tmp_path):
    """A developer's environment the mock must neither use nor lose: a profile, a Bedrock API
    key, a session token, engine switches, no credentials at all."""
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(k, raising=False)
    values = {"AWS_PROFILE": "prod-admin", "AWS_BEARER_TOKEN_BEDROCK": "bedrock-api-key-secret",
              "AWS_SESSION_TOKEN": "session-secret", "WORKSHOP_FAULTS": "rpm=0",
              "AWS_CONFIG_FILE": str(tmp_path / "config"), "HOME": str(tmp_path)}
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return values


def converse(client=None, **kwargs):
    client = client or boto3.client("bedrock-runtime", config=NO_RETRY)
    return client.converse(modelId=MODEL, messages=MSG, **kwargs)


def test_plain_boto3_clients_of_every_bedrock_service_reach_the_engine(hostile_env):
    with mock_bedrock() as bedrock:
        answer = converse()
        models = boto3.client("bedrock").list_foundation_models()["modelSummaries"]
        kbs = boto3.client("bedrock-agent").list_knowledge_bases()["knowledgeBaseSummaries"]
        with pytest.raises(ClientError) as missing:
            boto3.client("bedrock-agent-runtime", config=NO_RETRY).retrieve(
                knowledgeBaseId="NOSUCHKB01", retrievalQuery={"text": "robots"})

    assert answer["stopReason"] in ("end_turn", "max_tokens") and answer["usage"]["inputTokens"] > 0
    assert MODEL in {m["modelId"] for m in models}
    assert isinstance(kbs, list)
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert [(c.service, c.operation) for c in bedrock.calls] == [
        ("bedrock-runtime", "Converse"), ("bedrock", "ListFoundationModels"),
        ("bedrock-agent", "ListKnowledgeBases"), ("bedrock-agent-runtime", "Retrieve")]
    assert bedrock.calls[0].model_id == MODEL and bedrock.calls[0].body["messages"] == MSG
    # the developer's WORKSHOP_FAULTS=rpm=0 was not read (the Converse call was not throttled)
    assert bedrock.calls[0].error_code is None


def test_no_credentials_are_used_and_everything_is_restored(hostile_env):
    before_handlers = list(botocore.handlers.BUILTIN_HANDLERS)
    before_session = boto3.DEFAULT_SESSION
    with mock_bedrock(region="eu-west-1") as bedrock:
        inside = {k: os.environ.get(k) for k in
                  ("AWS_PROFILE", "AWS_BEARER_TOKEN_BEDROCK", "AWS_SESSION_TOKEN",
                   "AWS_ACCESS_KEY_ID", "AWS_REGION", "WORKSHOP_FAULTS", "AWS_CONFIG_FILE")}
        client = boto3.client("bedrock-runtime", config=NO_RETRY)
        client.converse(modelId="eu." + MODEL, messages=MSG)  # eu-west-1: via the EU profile
        signed = bedrock.calls[0]
        assert client.meta.region_name == "eu-west-1"
        assert len(botocore.handlers.BUILTIN_HANDLERS) == len(before_handlers) + 1

    assert inside["AWS_PROFILE"] is None and inside["AWS_BEARER_TOKEN_BEDROCK"] is None
    assert inside["AWS_SESSION_TOKEN"] is None and inside["WORKSHOP_FAULTS"] is None
    assert inside["AWS_ACCESS_KEY_ID"] == "local-bedrock-testing"
    assert inside["AWS_REGION"] == "eu-west-1" and inside["AWS_CONFIG_FILE"] == os.devnull
    assert signed.status == 200
    for k, v in hostile_env.items():
        assert os.environ[k] == v
    assert "AWS_ACCESS_KEY_ID" not in os.environ and "AWS_REGION" not in os.environ
    assert botocore.handlers.BUILTIN_HANDLERS == before_handlers
    assert boto3.DEFAULT_SESSION is before_session
    assert current() is None


def test_sequential_uses_see_fresh_engines():
    with mock_bedrock() as first:
        bedrock = boto3.client("bedrock")
        gid = bedrock.create_guardrail(**GUARDRAIL)["guardrailId"]
        assert [g["id"] for g in bedrock.list_guardrails()["guardrails"]] == [gid]
        first.faults.configure(rpm=0)
        with pytest.raises(ClientError):
            converse()
        first.engine.client("s3").create_bucket(Bucket="engine-state")  # the engine's moto
    with mock_bedrock() as second:
        assert second.engine.client("s3").list_buckets()["Buckets"] == []
        assert boto3.client("bedrock").list_guardrails()["guardrails"] == []
        assert converse()["usage"]["outputTokens"] > 0  # the first engine's faults are gone
        assert second.engine is not first.engine and first.engine is None
        assert [c.operation for c in second.calls] == ["ListGuardrails", "Converse"]
    assert first.calls[0].operation == "CreateGuardrail"  # kept for assertions after the block


def test_faults_throttle_fail_and_are_retried_by_the_sdk():
    with mock_bedrock(faults="rpm=0") as bedrock:
        client = boto3.client("bedrock-runtime",
                              config=Config(retries={"mode": "standard", "total_max_attempts": 3}))
        with pytest.raises(ClientError) as throttled:
            converse(client)
        assert throttled.value.response["Error"]["Code"] == "ThrottlingException"
        assert [c.error_code for c in bedrock.calls] == ["ThrottlingException"] * 3

        bedrock.faults.configure(rpm=None, error_rate=1.0)
        with pytest.raises(ClientError) as failed:
            converse()
        assert failed.value.response["ResponseMetadata"]["HTTPStatusCode"] >= 500


def test_a_kept_client_follows_the_active_mock_and_is_let_go_after():
    with mock_bedrock():
        kept = boto3.client("bedrock-runtime", config=NO_RETRY, endpoint_url="http://127.0.0.1:9")
    with mock_bedrock() as later:
        converse(kept)
        assert len(later.calls) == 1
    with pytest.raises(EndpointConnectionError):  # no mock active: nothing answers for AWS
        converse(kept)


def test_decorator_gives_each_call_a_fresh_engine():
    engines = []

    @mock_bedrock(faults={"rpm": 1})
    def one_call():
        engines.append(current().engine)
        return converse()["stopReason"]

    assert one_call() and one_call()  # rpm=1 per engine: a shared engine would throttle
    assert engines[0] is not engines[1] and current() is None

    @mock_bedrock()
    async def async_call():
        return current() is not None

    assert asyncio.run(async_call()) is True

    @mock_bedrock
    def bare():
        return current().region

    assert bare() == "us-east-1" and current() is None


def test_deny_models_answers_access_denied():
    with mock_bedrock(deny_models=[MODEL]):
        with pytest.raises(ClientError) as denied:
            converse()
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "WORKSHOP_OFFLINE_DENY" not in os.environ


def test_record_then_replay_exactly_including_streams(tmp_path):
    cassette = tmp_path / "calls.jsonl"
    with mock_bedrock():
        with record_bedrock(cassette):
            said = converse()["output"]
            streamed = [e for e in boto3.client("bedrock-runtime").converse_stream(
                modelId=MODEL, messages=MSG)["stream"]]
    assert len(cassette.read_text().splitlines()) == 2

    with mock_bedrock(replay=cassette) as replay:
        assert converse()["output"] == said
        again = list(boto3.client("bedrock-runtime").converse_stream(
            modelId=MODEL, messages=MSG)["stream"])
        with pytest.raises(ClientError) as unrecorded:
            converse(inferenceConfig={"maxTokens": 7})
    assert [e for e in again if "metadata" not in e] == [e for e in streamed if "metadata" not in e]
    assert unrecorded.value.response["Error"]["Code"] == "NoRecordingException"
    assert [c.error_code for c in replay.calls] == [None, None, "NoRecordingException"]


def test_replay_needs_an_existing_cassette(tmp_path):
    env = dict(os.environ)
    with pytest.raises(FileNotFoundError, match="record_bedrock"):
        mock_bedrock(replay=tmp_path / "missing.jsonl").start()
    assert current() is None and dict(os.environ) == env


def test_server_option_serves_other_processes_too():
    with mock_bedrock(server=True) as bedrock:
        url = os.environ["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"]
        assert url == bedrock.endpoint_url and url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "/_engine/health", timeout=5) as resp:
            assert json.load(resp)["status"] == "ok"
        converse()
    assert "AWS_ENDPOINT_URL_BEDROCK_RUNTIME" not in os.environ
    with pytest.raises(OSError):
        urllib.request.urlopen(url + "/_engine/health", timeout=2)


def test_works_inside_motos_mock_aws():
    moto = pytest.importorskip("moto")
    with moto.mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="app-bucket")
        with mock_bedrock() as bedrock:
            assert converse()["usage"]["inputTokens"] > 0  # the engine, not moto's 404
            buckets = boto3.client("s3").list_buckets()["Buckets"]
        assert [b["Name"] for b in buckets] == ["app-bucket"]  # moto's state left alone
        assert len(bedrock.calls) == 1


def test_using_a_stopped_mock_says_so():
    mock = mock_bedrock()
    with pytest.raises(RuntimeError, match="not active"):
        mock.faults.configure(rpm=1)


PLUGIN_TESTS = '''
import boto3
import pytest


def test_clients(local_bedrock, bedrock_runtime, bedrock, bedrock_agent_runtime):
    assert bedrock_runtime.meta.region_name == "us-east-1"
    assert bedrock.list_foundation_models()["modelSummaries"]
    with pytest.raises(bedrock_agent_runtime.exceptions.ResourceNotFoundException):
        bedrock_agent_runtime.retrieve(knowledgeBaseId="NOSUCHKB01",
                                       retrievalQuery={"text": "x"})
    assert [c.service for c in local_bedrock.calls] == ["bedrock", "bedrock-agent-runtime"]


@pytest.mark.local_bedrock(region="eu-west-1", faults="rpm=0")
def test_marker(local_bedrock, bedrock_faults):
    assert local_bedrock.region == "eu-west-1" and bedrock_faults.config.rpm == 0
    assert boto3.client("bedrock-runtime").meta.region_name == "eu-west-1"


@pytest.mark.local_bedrock(replay="rec/calls.jsonl")
def test_replay_path_is_relative_to_the_test_file(local_bedrock):
    assert local_bedrock.replay_path.is_file()


def test_fresh_engine_each_test(local_bedrock):
    assert local_bedrock.calls == []


@pytest.mark.local_bedrock("rpm=0")
def test_positional_marker_is_refused(local_bedrock):
    pass
'''


def test_pytest_plugin_fixtures_and_marker(tmp_path):
    """The plugin in a pytest run of its own (as another project loads it)."""
    (tmp_path / "rec").mkdir()
    (tmp_path / "rec" / "calls.jsonl").write_text("")
    (tmp_path / "test_app.py").write_text(PLUGIN_TESTS)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "WORKSHOP_"))}
    env.update(PYTHONPATH=str(REPO), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", HOME=str(tmp_path))
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-p", "local_bedrock.pytest_plugin", "-rA", str(tmp_path)],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    out = run.stdout + run.stderr
    assert "4 passed, 1 error" in out, out
    assert "ERROR test_app.py::test_positional_marker_is_refused" in out, out
    assert "takes keyword arguments only" in out, out


def test_the_mock_defaults_to_the_environments_region(monkeypatch):
    """An application deployed in eu-central-1 calls `eu.` profiles: the mock follows AWS_REGION."""
    import boto3

    from local_bedrock.testing import mock_bedrock

    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    with mock_bedrock() as bedrock:
        assert bedrock.engine.region == "eu-central-1"
        out = boto3.client("bedrock-runtime").converse(
            modelId="eu.amazon.nova-micro-v1:0", messages=[{"role": "user", "content": [{"text": "Hi"}]}])
        assert out["stopReason"] in ("end_turn", "max_tokens")
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    with mock_bedrock() as bedrock:
        assert bedrock.engine.region == "us-east-1"
