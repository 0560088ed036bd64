"""Which model identifiers the engine accepts in a region, with the errors Bedrock gives the others.

The rules, each as Bedrock answers it (messages from real responses; see the README's
"What the engine enforces"):
- an unknown id, a profile whose geography doesn't serve this region, or a model not offered
  here: ValidationException "The provided model identifier is invalid."
- an end-of-life model: ResourceNotFoundException (the model has reached the end of its life)
- a model invocable only through an inference profile, called by its bare id: ValidationException
  "Invocation of model ID ... with on-demand throughput isn't supported. ..."
- a Legacy model is served (ListFoundationModels marks it LEGACY).
"""

from __future__ import annotations

import os

from local_bedrock import catalog
from local_bedrock.errors import EngineError, access_denied, validation

INVALID_ID = "The provided model identifier is invalid."
END_OF_LIFE = ("This model version has reached the end of its life. Please refer to the AWS "
               "documentation for more details.")
NO_ACCESS = "You don't have access to the model with the specified model ID."
NOT_SUPPORTED = ("This action doesn't support the model that you provided. Try again with a "
                 "supported text or chat model.")
PROFILE_ONLY = ("Invocation of model ID {model_id} with on-demand throughput isn\u2019t supported. "
                "Retry your request with the ID or ARN of an inference profile that contains "
                "this model.")

def denied_from_env() -> set[str]:
    """Model ids a new engine starts without access to (WORKSHOP_OFFLINE_DENY, a comma list:
    configuration for an engine in another process, e.g. ``local-bedrock``)."""
    return {m.strip() for m in os.environ.get("WORKSHOP_OFFLINE_DENY", "").split(",") if m.strip()}


def resolve(model_id: str, converse: bool = False, streaming: bool = False,
            engine=None) -> catalog.Model:
    """The registry entry for a request's modelId in the engine's region, or the EngineError
    Bedrock would answer. Accepts bare ids, foundation-model ARNs, system inference-profile ids
    and ARNs, application inference-profile ARNs and custom-model ARNs."""
    custom = getattr(engine, "custom_models", {}).get(model_id)  # lab 04: a custom model's ARN
    if custom is not None:
        return catalog.find(custom["baseModelId"]) or _invalid()
    region = getattr(engine, "call_region", catalog.DEFAULT_REGION)
    if ":application-inference-profile/" in model_id:
        model = _application_profile(engine, model_id)
    else:
        model = catalog.find(model_id)
        if model is None:
            raise validation(INVALID_ID)
        if model.status == "EOL":
            raise EngineError("ResourceNotFoundException", END_OF_LIFE, 404)
        _check_reachable(model, model_id, region)
    if model.status == "EOL":
        raise EngineError("ResourceNotFoundException", END_OF_LIFE, 404)
    denied = getattr(engine, "denied_models", set())
    if model.model_id in denied or model_id in denied:
        raise access_denied(NO_ACCESS)
    if converse and not model.converse:
        raise validation(NOT_SUPPORTED)
    if streaming and not model.streaming:
        raise validation("The model is unsupported for streaming.")
    return model


def _check_reachable(model: catalog.Model, model_id: str, region: str) -> None:
    """Raise what Bedrock raises when `model_id` can't be invoked on demand from `region`."""
    geo = catalog.profile_geo(model_id)
    if geo is not None:
        route = model.route(geo)
        if route is None or region not in route.sources:
            raise validation(INVALID_ID)
        if model_id.startswith("arn:") and model_id.split(":")[3] != region:
            raise validation(INVALID_ID)
        return
    if model_id.startswith("arn:") and model_id.split(":")[3] not in ("", region):
        raise validation(INVALID_ID)
    if region in model.in_region:
        return
    if any(region in r.sources for r in model.routes):
        raise validation(PROFILE_ONLY.format(model_id=model.model_id))
    raise validation(INVALID_ID)


def _application_profile(engine, arn: str) -> catalog.Model:
    from local_bedrock.control.inference_profiles import store

    app = store(engine).lookup(arn) if engine is not None else None
    if app is None:
        raise validation(INVALID_ID)
    return catalog.find(app.base_model_id) or _invalid()


def _invalid() -> catalog.Model:
    raise validation(INVALID_ID)
