"""Handlers for Bedrock's evaluation job operations (jobs run offline; see `models`)."""

from __future__ import annotations

from local_bedrock.evaluation.models import store


def create_evaluation_job(engine, params: dict) -> dict:
    """CreateEvaluationJob: validate like Bedrock, store the job InProgress and run it."""
    return store(engine).create(params)


def get_evaluation_job(engine, params: dict) -> dict:
    """GetEvaluationJob."""
    return store(engine).get(params["jobIdentifier"]).describe()


def list_evaluation_jobs(engine, params: dict) -> dict:
    """ListEvaluationJobs."""
    return store(engine).list(params)


def stop_evaluation_job(engine, params: dict) -> dict:
    """StopEvaluationJob."""
    return store(engine).stop(params["jobIdentifier"])


def batch_delete_evaluation_job(engine, params: dict) -> dict:
    """BatchDeleteEvaluationJob."""
    return store(engine).batch_delete(params["jobIdentifiers"])


def install(engine) -> None:
    """Attach the evaluation job handlers to an engine."""
    engine.handlers.update({
        ("bedrock", "CreateEvaluationJob"): create_evaluation_job,
        ("bedrock", "GetEvaluationJob"): get_evaluation_job,
        ("bedrock", "ListEvaluationJobs"): list_evaluation_jobs,
        ("bedrock", "StopEvaluationJob"): stop_evaluation_job,
        ("bedrock", "BatchDeleteEvaluationJob"): batch_delete_evaluation_job,
    })
