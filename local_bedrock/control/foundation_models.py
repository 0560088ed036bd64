"""ListFoundationModels and GetFoundationModel, answered from the model registry."""

from __future__ import annotations

from local_bedrock import catalog
from local_bedrock.errors import validation

_ARN = "arn:aws:bedrock:{region}::foundation-model/{model_id}"


def _summary(model: catalog.Model, region: str) -> dict:
    return {
        "modelArn": _ARN.format(region=region, model_id=model.model_id),
        "modelId": model.model_id,
        "modelName": model.name,
        "providerName": model.provider,
        "inputModalities": list(model.input_modalities),
        "outputModalities": list(model.output_modalities),
        "responseStreamingSupported": model.streaming,
        "customizationsSupported": list(model.customizations),
        "inferenceTypesSupported": ["ON_DEMAND"],
        "modelLifecycle": {"status": "LEGACY" if model.status != "ACTIVE" else "ACTIVE"},
    }


def list_foundation_models(engine, params: dict) -> dict:
    """Every active or legacy model in the registry, filtered like Bedrock filters."""
    out = []
    for m in catalog.MODELS:
        if m.status == "RETIRED":
            continue
        if params.get("byProvider") and params["byProvider"].lower() != m.provider.lower():
            continue
        if params.get("byOutputModality") and params["byOutputModality"] not in m.output_modalities:
            continue
        if params.get("byCustomizationType") and params["byCustomizationType"] not in m.customizations:
            continue
        if params.get("byInferenceType") and params["byInferenceType"] != "ON_DEMAND":
            continue
        out.append(_summary(m, engine.region))
    return {"modelSummaries": out}


def get_foundation_model(engine, params: dict) -> dict:
    """One model's details; unknown or retired ids get Bedrock's ValidationException."""
    model = catalog.find(params["modelIdentifier"])
    if model is None or model.status == "RETIRED":
        raise validation("The provided model identifier is invalid.")
    return {"modelDetails": _summary(model, engine.region)}
