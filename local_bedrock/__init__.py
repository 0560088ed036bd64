"""A local Amazon Bedrock: serves real boto3 clients offline, through botocore's own machinery.

    from local_bedrock import Engine, EngineServer, InProcessTransport
    from local_bedrock.testing import mock_bedrock      # a test double for your own application

The names below are loaded on first use, so importing a small piece (``local_bedrock.catalog``,
``local_bedrock.errors``) does not load the engine.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from local_bedrock.engine import Engine
    from local_bedrock.faults import FaultConfig
    from local_bedrock.inprocess import InProcessTransport
    from local_bedrock.server import EngineServer

_HOMES = {"Engine": "local_bedrock.engine", "EngineServer": "local_bedrock.server",
          "FaultConfig": "local_bedrock.faults", "InProcessTransport": "local_bedrock.inprocess"}
__all__ = ["Engine", "EngineServer", "FaultConfig", "InProcessTransport"]


def __getattr__(name: str):
    """Load ``Engine``, ``EngineServer``, ``FaultConfig`` or ``InProcessTransport`` on first use."""
    if name not in _HOMES:
        raise AttributeError(f"module 'local_bedrock' has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name]), name)
    globals()[name] = value
    return value
