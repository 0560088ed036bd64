"""Knowledge Bases handlers: bedrock-agent control plane and bedrock-agent-runtime queries.

moto's bedrockagent serves knowledge-base CRUD but no data sources, ingestion jobs or
queries, so the engine serves the whole knowledge-base control plane itself (agents still go
to moto). See `models.py` for what is real and what is not.
"""

from __future__ import annotations

from local_bedrock.knowledge_bases import models, retrieval


def _control(fn):
    def handler(engine, params: dict) -> dict:
        return fn(models.store(engine), params)

    handler.__name__ = fn.__name__
    return handler


def retrieve(engine, params: dict) -> dict:
    """Retrieve: the best chunks of a knowledge base for a query."""
    return retrieval.retrieve(models.store(engine), params)


def retrieve_and_generate(engine, params: dict) -> dict:
    """RetrieveAndGenerate: retrieve, answer from the passages, cite them; sessions."""
    return retrieval.retrieve_and_generate(engine, models.store(engine), params)


_AGENT_OPS = {
    "CreateKnowledgeBase": models.create_knowledge_base,
    "GetKnowledgeBase": models.get_knowledge_base,
    "ListKnowledgeBases": models.list_knowledge_bases,
    "DeleteKnowledgeBase": models.delete_knowledge_base,
    "CreateDataSource": models.create_data_source,
    "GetDataSource": models.get_data_source,
    "ListDataSources": models.list_data_sources,
    "DeleteDataSource": models.delete_data_source,
    "StartIngestionJob": models.start_ingestion_job,
    "GetIngestionJob": models.get_ingestion_job,
    "ListIngestionJobs": models.list_ingestion_jobs,
}


def install(engine) -> None:
    """Register the knowledge-base operations on an engine."""
    engine.handlers.update({("bedrock-agent", op): _control(fn) for op, fn in _AGENT_OPS.items()})
    engine.handlers.update({
        ("bedrock-agent-runtime", "Retrieve"): retrieve,
        ("bedrock-agent-runtime", "RetrieveAndGenerate"): retrieve_and_generate,
    })
