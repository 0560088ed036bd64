"""utils.setup(): mode resolution, offline wiring, teardown, the utils-shadowing check."""

from __future__ import annotations

import importlib
import os

import boto3
import pytest

import utils

setup_mod = importlib.import_module("utils.setup")  # the module; utils.setup is the function


@pytest.fixture
def no_aws_credentials(monkeypatch, tmp_path):
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
              "WORKSHOP_MODE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
              "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE",
              "AWS_BEARER_TOKEN_BEDROCK"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))


@pytest.fixture
def offline(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSHOP_LOG_DIR", str(tmp_path / "logs"))
    ws = utils.setup("offline", quiet=True)
    yield ws
    utils.teardown()


def test_no_credentials_means_offline(no_aws_credentials, monkeypatch):
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)
    assert setup_mod.resolve_mode() == "offline"


def test_credentials_mean_live(no_aws_credentials, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    assert setup_mod.resolve_mode() == "live"


def test_argument_beats_environment(monkeypatch):
    monkeypatch.setenv("WORKSHOP_MODE", "replay")
    assert setup_mod.resolve_mode("offline") == "offline"
    assert setup_mod.resolve_mode() == "replay"


def test_unknown_mode_is_a_clear_error():
    with pytest.raises(ValueError, match="live, offline, replay, record"):
        setup_mod.resolve_mode("ofline")


def test_offline_wires_plain_boto3_and_langchain(offline):
    assert offline.mode == "offline" and offline.endpoint_url.startswith("http://127.0.0.1:")
    assert os.environ["AWS_ENDPOINT_URL"] == offline.endpoint_url
    runtime = boto3.client("bedrock-runtime")
    out = runtime.converse(modelId=utils.models.TEXT_MODEL,
                           messages=[{"role": "user", "content": [{"text": "hi"}]}])
    assert out["ResponseMetadata"]["HTTPHeaders"]["x-local-bedrock-engine"].startswith("local_bedrock")

    from langchain_aws import ChatBedrockConverse

    llm = ChatBedrockConverse(model=utils.models.TEXT_MODEL, region_name=offline.region)
    assert "[local engine]" in llm.invoke("Hello from LangChain").content
    ops = [r["operation"] for r in offline.logger.records]
    assert ops == ["Converse", "Converse"]


def test_banner_names_mode_and_engine(offline):
    assert "offline" in offline.banner and offline.endpoint_url in offline.banner
    assert "not a model" in offline.banner


def test_teardown_restores_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "mine")
    monkeypatch.setenv("WORKSHOP_LOG_DIR", str(tmp_path))
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    utils.setup("offline", quiet=True)
    assert os.environ["AWS_ACCESS_KEY_ID"] == "offline-workshop"
    utils.teardown()
    assert os.environ["AWS_ACCESS_KEY_ID"] == "mine"
    assert "AWS_ENDPOINT_URL" not in os.environ
    assert utils.current() is None


def test_setup_twice_replaces_the_first(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSHOP_LOG_DIR", str(tmp_path))
    first = utils.setup("offline", quiet=True)
    second = utils.setup("offline", quiet=True)
    assert first.endpoint_url != second.endpoint_url
    boto3.client("bedrock-runtime").converse(
        modelId=utils.models.TEXT_MODEL, messages=[{"role": "user", "content": [{"text": "x"}]}])
    assert len(second.logger.records) == 1
    utils.teardown()


def test_replay_without_a_cassette_says_how_to_record(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSHOP_CASSETTE", str(tmp_path / "missing.jsonl"))
    with pytest.raises(FileNotFoundError, match="WORKSHOP_MODE=record"):
        utils.setup("replay", quiet=True)
    utils.teardown()


def test_a_shadowing_utils_package_is_detected(monkeypatch):
    monkeypatch.setattr(utils, "IS_WORKSHOP_UTILS", False)
    with pytest.raises(ImportError, match="pip uninstall -y utils"):
        setup_mod.check_utils_is_ours()


def test_friendly_errors_name_the_fix(offline):
    runtime = boto3.client("bedrock-runtime")
    offline.simulate_access_denied(utils.models.TEXT_MODEL)
    with pytest.raises(runtime.exceptions.AccessDeniedException) as err:
        runtime.converse(modelId=utils.models.TEXT_MODEL,
                         messages=[{"role": "user", "content": [{"text": "x"}]}])
    assert "Model access" in utils.errors.explain(err.value)


def test_a_bedrock_api_key_counts_as_credentials(no_aws_credentials, monkeypatch):
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-example")
    assert setup_mod.resolve_mode() == "live"


def test_offline_works_with_a_bedrock_api_key_set(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-example")
    monkeypatch.setenv("WORKSHOP_LOG_DIR", str(tmp_path))
    ws = utils.setup("offline", quiet=True)
    try:
        assert "not used offline" in ws.banner
        out = boto3.client("bedrock-runtime").converse(
            modelId=utils.models.TEXT_MODEL, messages=[{"role": "user", "content": [{"text": "hi"}]}])
        assert out["stopReason"] == "end_turn"
        assert "AWS_BEARER_TOKEN_BEDROCK" not in os.environ
    finally:
        utils.teardown()
    assert os.environ["AWS_BEARER_TOKEN_BEDROCK"] == "bedrock-api-key-example"


def test_record_mode_survives_a_streamed_s3_upload(tmp_path, monkeypatch):
    """Recording keys only requests whose body is bytes: an S3 PutObject with a file-like body
    (not a recorded service) must not crash the recorder."""
    import io

    from utils.recorder import Recorder

    class Request:
        url, method, context = "https://s3.amazonaws.com/bucket/key", "PUT", {}
        body = io.BytesIO(b"not json")

    request = Request()
    Recorder(cassette=None).request_created(request, "PutObject")
    assert Recorder.CONTEXT_KEY not in request.context
    request.body = b'{"a": 1}'
    Recorder(cassette=None).request_created(request, "PutObject")
    assert len(request.context[Recorder.CONTEXT_KEY]) == 64
