"""Shared fixtures: an engine, boto3 clients wired to it in-process or over HTTP."""

from __future__ import annotations

import os

import boto3
import pytest
from botocore.config import Config

from local_bedrock import Engine, EngineServer, InProcessTransport

os.environ.setdefault("WORKSHOP_LOG_DIR", os.path.join(os.path.dirname(__file__), "..", "build",
                                                       "test-logs"))
NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})
FAKE = dict(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture
def ws(tmp_path, monkeypatch):
    """utils.setup("offline") with the invocation log in a temporary folder; torn down after."""
    import utils

    monkeypatch.setenv("WORKSHOP_LOG_DIR", str(tmp_path))
    workshop = utils.setup("offline", quiet=True)
    yield workshop
    utils.teardown()


@pytest.fixture
def engine() -> Engine:
    """A fresh engine (faults off)."""
    return Engine()


@pytest.fixture
def make_client(engine):
    """make_client(service, config=None): a boto3 client answered in-process by `engine`."""
    endpoint = "http://127.0.0.1:9"  # never contacted: the in-process hook answers first
    transport = InProcessTransport(engine, endpoint)

    def make(service: str = "bedrock-runtime", config: Config | None = None):
        client = boto3.client(service, endpoint_url=endpoint, config=config or NO_RETRY, **FAKE)
        transport.attach(client)
        return client

    return make


@pytest.fixture
def runtime(make_client):
    """bedrock-runtime client on the in-process engine, no retries."""
    return make_client("bedrock-runtime")


@pytest.fixture
def server(engine):
    """The engine served over HTTP on 127.0.0.1 (stopped after the test)."""
    srv = EngineServer(engine).start()
    yield srv
    srv.stop()


@pytest.fixture
def http_client(server):
    """http_client(service): a boto3 client that talks to the HTTP server."""

    def make(service: str = "bedrock-runtime", config: Config | None = None):
        return boto3.client(service, endpoint_url=server.url, config=config or NO_RETRY, **FAKE)

    return make


def pytest_terminal_summary(terminalreporter):
    """The rot alarm: say loudly when a workshop role's model changes lifecycle within 90 days."""
    from utils.models import rot_warnings

    lines = rot_warnings()
    if lines:
        terminalreporter.write_sep("=", "model lifecycle warnings (local_bedrock/catalog_models.py)",
                                   yellow=True)
        for line in lines:
            terminalreporter.write_line(f"WARNING {line}", yellow=True)
