"""boto3 clients with the retry and timeout settings the workshop recommends."""

from __future__ import annotations

import boto3
from botocore.config import Config

RECOMMENDED = Config(
    retries={"mode": "adaptive", "max_attempts": 6},  # client-side rate limiting + backoff
    read_timeout=300,  # long generations can take minutes
    connect_timeout=10,
)


def client(service: str = "bedrock-runtime", region: str | None = None,
           config: Config | None = None):
    """A boto3 client for `service` in the current mode, with RECOMMENDED (merged with `config`)."""
    from utils.setup import current

    ctx = current()
    region = region or (ctx.region if ctx else None)
    merged = RECOMMENDED.merge(config) if config else RECOMMENDED
    return boto3.client(service, region_name=region, config=merged)


def runtime(region: str | None = None):
    """bedrock-runtime: Converse, InvokeModel, streaming (the data plane)."""
    return client("bedrock-runtime", region)


def control(region: str | None = None):
    """bedrock: models, guardrails, customization, logging configuration (the control plane)."""
    return client("bedrock", region)
