"""The notebooks' view of the model registry (`local_bedrock.catalog` holds the data)."""

from __future__ import annotations

from local_bedrock.catalog import (  # noqa: F401  (re-exported: the one registry)
    DEFAULT_REGION,
    MODELS,
    WORKSHOP_REGIONS,
    Model,
    base_model_id,
    by_tag,
    cost_usd,
    find,
)

TEXT_MODEL = by_tag("default-text").model_id
CHEAP_MODEL = by_tag("cheapest-text").model_id
CLAUDE_MODEL = by_tag("claude").model_id
EMBEDDING_MODEL = by_tag("default-embedding").model_id
VISION_MODEL = by_tag("vision").model_id


def text_models() -> list[Model]:
    """Active chat models that Converse supports, cheapest first."""
    out = [m for m in MODELS if m.status != "RETIRED" and m.converse and "TEXT" in m.output_modalities]
    return sorted(out, key=lambda m: m.input_price + m.output_price)


def embedding_models() -> list[Model]:
    """Embedding models in the registry."""
    return [m for m in MODELS if "EMBEDDING" in m.output_modalities]


def get(model_id: str) -> Model:
    """The registry entry for an id, or a clear error listing the known ids."""
    model = find(model_id)
    if model is None:
        known = ", ".join(m.model_id for m in MODELS if m.status != "RETIRED")
        raise KeyError(f"{model_id!r} is not in the workshop's model registry "
                       f"(local_bedrock/catalog.py). Known ids: {known}")
    return model


def rows() -> list[dict]:
    """The registry as table rows (model, provider, status, context, prices)."""
    return [{"model": m.model_id, "name": m.name, "provider": m.provider, "status": m.status,
             "context": m.context_tokens, "$/1k in": m.input_price, "$/1k out": m.output_price}
            for m in MODELS]
