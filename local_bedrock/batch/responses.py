"""Handlers for Bedrock's batch inference (model invocation job) operations."""

from __future__ import annotations

from local_bedrock.batch.models import store


def create_model_invocation_job(engine, params: dict) -> dict:
    """CreateModelInvocationJob: validate, store and start running the job."""
    return store(engine).create(params)


def get_model_invocation_job(engine, params: dict) -> dict:
    """GetModelInvocationJob: status and record counts."""
    return store(engine).get(params["jobIdentifier"]).describe()


def list_model_invocation_jobs(engine, params: dict) -> dict:
    """ListModelInvocationJobs: newest first by default."""
    return store(engine).list(params)


def stop_model_invocation_job(engine, params: dict) -> dict:
    """StopModelInvocationJob: the runner stops between records and writes what it has."""
    return store(engine).stop(params["jobIdentifier"])


def install(engine) -> None:
    """Attach the batch inference handlers to an engine."""
    engine.handlers.update({
        ("bedrock", "CreateModelInvocationJob"): create_model_invocation_job,
        ("bedrock", "GetModelInvocationJob"): get_model_invocation_job,
        ("bedrock", "ListModelInvocationJobs"): list_model_invocation_jobs,
        ("bedrock", "StopModelInvocationJob"): stop_model_invocation_job,
    })
