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
    """utils.setup("offline") in us-east-1 (the region the unit tests' model ids are written
    for: region behaviour has tests of its own) with the invocation log in a temporary folder;
    torn down after. The notebooks run in WORKSHOP_REGION, whatever it is."""
    import utils

    monkeypatch.setenv("WORKSHOP_LOG_DIR", str(tmp_path))
    workshop = utils.setup("offline", region="us-east-1", quiet=True)
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


@pytest.fixture
def counting():
    """counting(model_id): serve CountTokens for a model for one test. No model in today's
    registry is listed on the CountTokens page (it lists Claude models now end of life), so the
    engine refuses it for all; this lets the counting itself stay tested."""
    import dataclasses

    from local_bedrock import catalog

    changed = []

    def enable(model_id: str) -> str:
        model = catalog.find(model_id)
        changed.append((model, model.caps))
        object.__setattr__(model, "caps", dataclasses.replace(model.caps, count_tokens=True))
        return model_id

    yield enable
    for model, caps in changed:
        object.__setattr__(model, "caps", caps)


def pytest_collection_modifyitems(items):
    """nbval waits only 5 s between a cell's output messages once the cell has finished; on a
    loaded 2-core machine a kernel can take longer to flush a large table, which failed a CI
    run with 'Timeout of 5 seconds exceeded waiting for output'. Give it a minute."""
    for item in items:
        if hasattr(item, "output_timeout"):
            item.output_timeout = 60
