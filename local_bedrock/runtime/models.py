"""Which model ids the engine accepts, with the errors Bedrock gives for the others."""

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

# Custom models registered at run time (lab 04): model ARN/id -> handler info.
CUSTOM_MODELS: dict[str, dict] = {}


def denied_models() -> set[str]:
    """Model ids the engine pretends you lack access to (WORKSHOP_OFFLINE_DENY, comma list)."""
    return {m.strip() for m in os.environ.get("WORKSHOP_OFFLINE_DENY", "").split(",") if m.strip()}


def resolve(model_id: str, converse: bool = False, streaming: bool = False) -> catalog.Model:
    """The registry entry for a request's modelId, or the EngineError Bedrock would answer."""
    if model_id in CUSTOM_MODELS:
        return catalog.find(CUSTOM_MODELS[model_id]["baseModelId"]) or _invalid()
    model = catalog.find(model_id)
    if model is None:
        raise validation(INVALID_ID)
    if model.status == "RETIRED":
        raise EngineError("ResourceNotFoundException", END_OF_LIFE, 404)
    if model.model_id in denied_models() or model_id in denied_models():
        raise access_denied(NO_ACCESS)
    if converse and not model.converse:
        raise validation(NOT_SUPPORTED)
    if streaming and not model.streaming:
        raise validation("The model is unsupported for streaming.")
    return model


def _invalid() -> catalog.Model:
    raise validation(INVALID_ID)
