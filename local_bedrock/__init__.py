"""A local Amazon Bedrock: serves real boto3 clients offline, through botocore's own machinery.

    from local_bedrock import Engine, EngineServer, InProcessTransport
"""

from local_bedrock.engine import Engine
from local_bedrock.faults import FaultConfig
from local_bedrock.inprocess import InProcessTransport
from local_bedrock.server import EngineServer

__all__ = ["Engine", "EngineServer", "FaultConfig", "InProcessTransport"]
