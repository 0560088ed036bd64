"""pytest plugin: a fresh local Bedrock for each test that asks for one.

Installed with local_bedrock it registers itself (entry point `pytest11`); otherwise load it
with `-p local_bedrock.pytest_plugin` or `pytest_plugins = ["local_bedrock.pytest_plugin"]` in a
root conftest.py.

Fixtures
- `local_bedrock`: the active `local_bedrock.testing.BedrockMock` (its `.engine`, `.faults`,
  `.calls`, `.client(service)`). Every Bedrock client created during the test, by the test or
  by the code under test with plain `boto3.client(...)`, is answered by it.
- `bedrock_runtime`, `bedrock`, `bedrock_agent_runtime`: boto3 clients for the test's engine.
- `bedrock_faults`: the engine's fault injection, `bedrock_faults.configure(rpm=0)`.

Marker
    @pytest.mark.local_bedrock(faults="rpm=0", replay="recordings/x.jsonl", region="eu-west-1",
                               deny_models=[...], server=False)
configures the test's engine (arguments of `local_bedrock.testing.mock_bedrock`); a relative
`replay` path is resolved against the test file's folder.
local_bedrock.testing is imported when a test first asks for a fixture. (Importing this module
still loads the engine's core, about 0.25 s, because local_bedrock/__init__ imports it eagerly.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

MARKER = "local_bedrock"


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}(faults=None, replay=None, region=None (AWS_REGION, else us-east-1), deny_models=(), "
                   "server=False): configure the local Bedrock engine of the local_bedrock "
                   "fixture (see local_bedrock.testing.mock_bedrock).")


def _options(request) -> dict:
    options: dict = {}
    for marker in reversed(list(request.node.iter_markers(MARKER))):  # closest marker wins
        if marker.args:
            raise pytest.UsageError(f"@pytest.mark.{MARKER} takes keyword arguments only "
                                    "(faults=..., replay=..., region=...)")
        options.update(marker.kwargs)
    replay = options.get("replay")
    if replay is not None and not Path(replay).is_absolute():
        options["replay"] = Path(request.node.path).parent / replay
    return options


@pytest.fixture
def local_bedrock(request):
    """A fresh local Bedrock engine for this test; Bedrock clients made during it reach it."""
    from local_bedrock.testing import BedrockMock  # imported on use: pytest starts fast

    with BedrockMock(**_options(request)) as mock:
        yield mock


@pytest.fixture
def bedrock_runtime(local_bedrock):
    """A bedrock-runtime client answered by the test's engine."""
    return local_bedrock.client("bedrock-runtime")


@pytest.fixture
def bedrock(local_bedrock):
    """A bedrock (control plane) client answered by the test's engine."""
    return local_bedrock.client("bedrock")


@pytest.fixture
def bedrock_agent_runtime(local_bedrock):
    """A bedrock-agent-runtime client answered by the test's engine."""
    return local_bedrock.client("bedrock-agent-runtime")


@pytest.fixture
def bedrock_faults(local_bedrock):
    """The engine's fault injection: configure(rpm=0) throttles, configure(error_rate=1.0) fails."""
    return local_bedrock.faults
