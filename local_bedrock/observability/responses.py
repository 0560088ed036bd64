"""Handlers for the model invocation logging configuration, and the engine hook-up."""

from __future__ import annotations

from local_bedrock.observability import guardrail_metrics, models, runtime_metrics
from local_bedrock.observability.cloudwatch import patch_moto


def put_model_invocation_logging_configuration(engine, params: dict) -> dict:
    """PutModelInvocationLoggingConfiguration: destinations must exist; replaces any previous."""
    models.put_config(engine, params["loggingConfig"])
    return {}


def get_model_invocation_logging_configuration(engine, params: dict) -> dict:
    """GetModelInvocationLoggingConfiguration: the current configuration (nothing when off)."""
    config = models.get_config(engine)
    return {"loggingConfig": config} if config else {}


def delete_model_invocation_logging_configuration(engine, params: dict) -> dict:
    """DeleteModelInvocationLoggingConfiguration: logging off; delivered records stay."""
    models.delete_config(engine)
    return {}


def install(engine) -> None:
    """Serve the logging configuration, deliver records after each model call, publish
    AWS/Bedrock and guardrail metrics, patch moto."""
    engine.handlers.update({
        ("bedrock", "PutModelInvocationLoggingConfiguration"):
            put_model_invocation_logging_configuration,
        ("bedrock", "GetModelInvocationLoggingConfiguration"):
            get_model_invocation_logging_configuration,
        ("bedrock", "DeleteModelInvocationLoggingConfiguration"):
            delete_model_invocation_logging_configuration,
    })
    engine.observers.append(models._delivery(engine))
    metrics = engine.state["guardrail_metrics"] = guardrail_metrics.GuardrailMetrics(
        engine, models.DEFAULT_ACCOUNT)
    metrics.install()  # AWS/Bedrock/Guardrails datums from every guarded call
    runtime = engine.state["runtime_metrics"] = runtime_metrics.RuntimeMetrics(engine)
    engine.observers.append(runtime)  # AWS/Bedrock datums from every model call, as Bedrock's
    serve_with_moto = engine.moto

    def moto(request):  # patch moto on first use, so engines that never touch moto stay light
        patch_moto()
        if guardrail_metrics.is_cloudwatch(request):
            runtime.flush()  # the datums so far, before anyone reads CloudWatch
            metrics.flush()
        return serve_with_moto(request)

    engine.moto = moto
