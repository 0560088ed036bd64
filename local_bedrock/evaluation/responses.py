"""Handlers for Bedrock's model evaluation job operations (validated and stored, not run)."""

from __future__ import annotations

from local_bedrock.evaluation.models import store


def create_evaluation_job(engine, params: dict) -> dict:
    """CreateEvaluationJob: validate like Bedrock, store the job (status Failed, with why)."""
    return store(engine).create(params)


def get_evaluation_job(engine, params: dict) -> dict:
    """GetEvaluationJob."""
    return store(engine).describe(params["jobIdentifier"])


def list_evaluation_jobs(engine, params: dict) -> dict:
    """ListEvaluationJobs."""
    return store(engine).list(params)


def stop_evaluation_job(engine, params: dict) -> dict:
    """StopEvaluationJob."""
    return store(engine).stop(params["jobIdentifier"])


def install(engine) -> None:
    """Attach the evaluation job handlers to an engine."""
    engine.handlers.update({
        ("bedrock", "CreateEvaluationJob"): create_evaluation_job,
        ("bedrock", "GetEvaluationJob"): get_evaluation_job,
        ("bedrock", "ListEvaluationJobs"): list_evaluation_jobs,
        ("bedrock", "StopEvaluationJob"): stop_evaluation_job,
    })
