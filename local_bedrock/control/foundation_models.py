"""ListFoundationModels and GetFoundationModel, answered from the model registry.

End-of-life models are not listed and GetFoundationModel answers them as Bedrock does
(ResourceNotFoundException); `modelLifecycle` carries every field botocore knows.
"""

from __future__ import annotations

import datetime as dt

from local_bedrock import catalog
from local_bedrock.errors import EngineError, validation
from local_bedrock.runtime.models import END_OF_LIFE, INVALID_ID

_ARN = "arn:aws:bedrock:{region}::foundation-model/{model_id}"
_MODALITIES = ("TEXT", "IMAGE", "EMBEDDING")  # botocore's ModelModality


def _time(day: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(day).replace(tzinfo=dt.timezone.utc) if day else None


def _lifecycle(model: catalog.Model) -> dict:
    life = model.lifecycle
    out = {"status": "LEGACY" if life.status == "LEGACY" else "ACTIVE"}
    for key, day in (("startOfLifeTime", life.launch), ("legacyTime", life.legacy),
                     ("publicExtendedAccessTime", life.public_extended_access),
                     ("endOfLifeTime", life.eol)):
        if day:
            out[key] = _time(day)
    return out


def inference_types(model: catalog.Model, region: str) -> list[str]:
    """ON_DEMAND where the bare id is invocable in this region; INFERENCE_PROFILE where only a
    profile serves it here (what Bedrock lists for profile-only models)."""
    if region in model.in_region:
        return ["ON_DEMAND"]
    if any(region in r.sources for r in model.routes):
        return ["INFERENCE_PROFILE"]
    return []


def offered(model: catalog.Model, region: str) -> bool:
    """True when the model is not end of life and can be invoked from this region somehow."""
    return model.status != "EOL" and bool(inference_types(model, region))


def _summary(model: catalog.Model, region: str) -> dict:
    return {
        "modelArn": _ARN.format(region=region, model_id=model.model_id),
        "modelId": model.model_id,
        "modelName": model.name,
        "providerName": model.provider,
        "inputModalities": [m for m in model.input_modalities if m in _MODALITIES],
        "outputModalities": [m for m in model.output_modalities if m in _MODALITIES],
        "responseStreamingSupported": model.streaming,
        "customizationsSupported": list(model.customizations),
        "inferenceTypesSupported": inference_types(model, region),
        "modelLifecycle": _lifecycle(model),
    }


def list_foundation_models(engine, params: dict) -> dict:
    """Every model offered in this region, filtered like Bedrock filters."""
    out = []
    for m in catalog.MODELS:
        if not offered(m, engine.call_region):
            continue
        if params.get("byProvider") and params["byProvider"].lower() != m.provider.lower():
            continue
        if params.get("byOutputModality") and params["byOutputModality"] not in m.output_modalities:
            continue
        if params.get("byCustomizationType") and params["byCustomizationType"] not in m.customizations:
            continue
        if params.get("byInferenceType") and \
                params["byInferenceType"] not in inference_types(m, engine.call_region):
            continue
        out.append(_summary(m, engine.call_region))
    return {"modelSummaries": out}


def get_foundation_model(engine, params: dict) -> dict:
    """One model's details; end of life gets ResourceNotFoundException, unknown ids or models not
    offered in this region get ValidationException."""
    model = catalog.find(params["modelIdentifier"])
    if model is None or catalog.profile_geo(params["modelIdentifier"]):
        raise validation(INVALID_ID)
    if model.status == "EOL":
        raise EngineError("ResourceNotFoundException", END_OF_LIFE, 404)
    if not offered(model, engine.call_region):
        raise validation(INVALID_ID)
    return {"modelDetails": _summary(model, engine.call_region)}
