"""Handlers for Bedrock's model customization, custom model and provisioned throughput APIs.

moto 5's bedrock backend has customization jobs and custom models, but its jobs never run
(status stays InProgress, fixed metrics) and it creates the custom model at once; it has no
provisioned throughput. The engine serves these operations itself (see `models.py`) and keeps
S3 on moto.
"""

from __future__ import annotations

from local_bedrock.customization.models import store


def create_model_customization_job(engine, params: dict) -> dict:
    """CreateModelCustomizationJob: validate, then run the job in the background."""
    return store(engine).create_job(params)


def get_model_customization_job(engine, params: dict) -> dict:
    """GetModelCustomizationJob: status, stage details, metrics once trained."""
    return store(engine).job(params["jobIdentifier"]).describe(engine.region)


def list_model_customization_jobs(engine, params: dict) -> dict:
    """ListModelCustomizationJobs: newest first by default."""
    return store(engine).list_jobs(params)


def stop_model_customization_job(engine, params: dict) -> dict:
    """StopModelCustomizationJob: Stopping, then Stopped (no custom model is created)."""
    return store(engine).stop_job(params["jobIdentifier"])


def get_custom_model(engine, params: dict) -> dict:
    """GetCustomModel: by ARN or name."""
    return store(engine).model(params["modelIdentifier"]).describe(engine.region)


def list_custom_models(engine, params: dict) -> dict:
    """ListCustomModels: newest first by default."""
    return store(engine).list_models(params)


def delete_custom_model(engine, params: dict) -> dict:
    """DeleteCustomModel: refused while a provisioned throughput serves it."""
    return store(engine).delete_model(params["modelIdentifier"])


def create_provisioned_model_throughput(engine, params: dict) -> dict:
    """CreateProvisionedModelThroughput: Creating, then InService; its ARN becomes a modelId."""
    return store(engine).create_provisioned(params)


def get_provisioned_model_throughput(engine, params: dict) -> dict:
    """GetProvisionedModelThroughput: by ARN or name."""
    return store(engine).get_provisioned(params["provisionedModelId"]).describe(engine.region)


def list_provisioned_model_throughputs(engine, params: dict) -> dict:
    """ListProvisionedModelThroughputs: newest first by default."""
    return store(engine).list_provisioned(params)


def update_provisioned_model_throughput(engine, params: dict) -> dict:
    """UpdateProvisionedModelThroughput: rename, or serve another custom model of the same base."""
    return store(engine).update_provisioned(params)


def delete_provisioned_model_throughput(engine, params: dict) -> dict:
    """DeleteProvisionedModelThroughput: stops the hourly bill; the ARN stops answering."""
    return store(engine).delete_provisioned(params["provisionedModelId"])


def install(engine) -> None:
    """Attach the customization handlers to an engine."""
    engine.handlers.update({
        ("bedrock", "CreateModelCustomizationJob"): create_model_customization_job,
        ("bedrock", "GetModelCustomizationJob"): get_model_customization_job,
        ("bedrock", "ListModelCustomizationJobs"): list_model_customization_jobs,
        ("bedrock", "StopModelCustomizationJob"): stop_model_customization_job,
        ("bedrock", "GetCustomModel"): get_custom_model,
        ("bedrock", "ListCustomModels"): list_custom_models,
        ("bedrock", "DeleteCustomModel"): delete_custom_model,
        ("bedrock", "CreateProvisionedModelThroughput"): create_provisioned_model_throughput,
        ("bedrock", "GetProvisionedModelThroughput"): get_provisioned_model_throughput,
        ("bedrock", "ListProvisionedModelThroughputs"): list_provisioned_model_throughputs,
        ("bedrock", "UpdateProvisionedModelThroughput"): update_provisioned_model_throughput,
        ("bedrock", "DeleteProvisionedModelThroughput"): delete_provisioned_model_throughput,
    })
