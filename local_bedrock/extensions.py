"""Optional families of the engine (guardrails, knowledge bases, customization, images...).

Each is imported here if present, and given the chance to hook into the engine.
"""

from __future__ import annotations

import importlib

_MODULES = (
    "local_bedrock.guardrails.responses",  # lab 07: guardrail CRUD, ApplyGuardrail, Converse hooks
    "local_bedrock.knowledge_bases.responses",  # lab 03: Retrieve, RetrieveAndGenerate
    "local_bedrock.customization.responses",  # lab 04: customization jobs, custom models
    "local_bedrock.batch.responses",  # lab 08: batch inference jobs
    "local_bedrock.evaluation.responses",  # lab 08: evaluation jobs (run offline, results in S3)
    "local_bedrock.observability.responses",  # lab 08: invocation-log delivery, CloudWatch extras
    "local_bedrock.quotas.responses",  # lab 08: Service Quotas for Bedrock, anomaly detectors
)


def install(engine) -> None:
    """Let each present extension module attach to a new engine (handlers, hooks, state)."""
    for name in _MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue
            raise
        module.install(engine)
