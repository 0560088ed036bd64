"""The notebooks' view of the model registry: roles that resolve to the id that works in your region.

`utils.models.TEXT_MODEL` (and the other roles) give the bare model id where the model is
invocable on demand in the workshop's region, else the id of the geography's system inference
profile (`us.`, `eu.`, `au.`, `global.` ...). The data live in `local_bedrock.catalog_models`.
"""

from __future__ import annotations

import datetime as dt
import os

from local_bedrock.catalog import (  # noqa: F401  (re-exported: the one registry)
    CHECKED,
    DEFAULT_REGION,
    MODELS,
    WORKSHOP_REGIONS,
    Model,
    base_model_id,
    by_tag,
    cost_usd,
    days_to_change,
    find,
    invocation_arns,
    invocation_id,
    model_arn,
)

ROLES = {  # name in utils.models -> registry tag
    "TEXT_MODEL": "default-text",
    "CHEAP_MODEL": "cheapest-text",
    "CLAUDE_MODEL": "claude",
    "EMBEDDING_MODEL": "default-embedding",
    "VISION_MODEL": "vision",
    "IMAGE_MODEL": "default-image",
}


class ModelNotOffered(LookupError):
    """A model can't be invoked on demand from a region (neither in-region nor by a profile)."""


def region() -> str:
    """The workshop's region: the one `utils.setup()` chose, else the environment's."""
    from utils.setup import current

    ws = current()
    if ws is not None:
        return ws.region
    return (os.environ.get("WORKSHOP_REGION") or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION)


def invoke_id(model: Model | str, in_region: str | None = None) -> str:
    """The id that invokes `model` on demand from the region (bare id or system profile id)."""
    entry = get(model) if isinstance(model, str) else model
    where = in_region or region()
    ident = invocation_id(entry, where)
    if ident is None:
        homes = ", ".join(entry.in_region) or "no region on demand"
        raise ModelNotOffered(
            f"{entry.name} ({entry.model_id}) can't be invoked on demand from {where}: it is "
            f"offered in {homes}. Pick another region (WORKSHOP_REGION) or another model.")
    return ident


def region_for(model: Model | str) -> str:
    """The workshop's region if the model is invocable there, else the first region it is
    offered in (image models live in fewer regions: call them with a client for that region)."""
    entry = get(model) if isinstance(model, str) else model
    here = region()
    if invocation_id(entry, here) is not None or not entry.in_region:
        return here
    return entry.in_region[0]


def role(tag: str, in_region: str | None = None) -> str:
    """The id of the model tagged `tag`, resolved for the region."""
    model = by_tag(tag)
    return invoke_id(model, in_region or region_for(model))


def __getattr__(name: str) -> str:
    if name in ROLES:
        return role(ROLES[name])
    raise AttributeError(f"module 'utils.models' has no attribute {name!r}")


def role_models() -> dict[str, Model]:
    """Each role's registry entry, by role name."""
    return {name: by_tag(tag) for name, tag in ROLES.items()}


def text_models() -> list[Model]:
    """Chat models Converse supports that are not end of life, cheapest first."""
    out = [m for m in MODELS if m.status != "EOL" and m.converse and "TEXT" in m.output_modalities]
    return sorted(out, key=lambda m: m.input_price + m.output_price)


def embedding_models() -> list[Model]:
    """Embedding models in the registry that are not end of life."""
    return [m for m in MODELS if "EMBEDDING" in m.output_modalities and m.status != "EOL"]


def get(model_id: str) -> Model:
    """The registry entry for an id, profile id or ARN, or a clear error listing known ids."""
    model = find(model_id)
    if model is None:
        known = ", ".join(m.model_id for m in MODELS if m.status != "EOL")
        raise KeyError(f"{model_id!r} is not in the workshop's model registry "
                       f"(local_bedrock/catalog_models.py). Known ids: {known}")
    return model


def rows() -> list[dict]:
    """The registry as table rows (model, provider, status, how to call it here, prices)."""
    here = region()
    return [{"model": m.model_id, "name": m.name, "provider": m.provider, "status": m.status,
             "call it as": invocation_id(m, here) or "-", "context": m.context_tokens,
             "$/1k in": m.input_price, "$/1k out": m.output_price}
            for m in MODELS]


def rot_warnings(today: dt.date | None = None, horizon_days: int = 90) -> list[str]:
    """A line per role whose model is not ACTIVE, or goes Legacy or end of life within the
    horizon, or whose 'EOL no sooner than' date has passed (AWS may announce Legacy any time)."""
    today = today or dt.date.today()
    out = []
    for name, model in role_models().items():
        life = model.lifecycle
        if life.status_on(today) != "ACTIVE":
            out.append(f"{name} -> {model.model_id} is {life.status_on(today)}")
            continue
        change = days_to_change(model, today)
        if change and change[1] <= horizon_days:
            out.append(f"{name} -> {model.model_id}: {change[0]} in {change[1]} days")
        elif life.eol_not_before and dt.date.fromisoformat(life.eol_not_before) <= today:
            out.append(f"{name} -> {model.model_id}: its 'EOL no sooner than' date "
                       f"({life.eol_not_before}) has passed; check its model card")
    return out


def invoke_arn(ident: str, in_region: str | None = None, account: str | None = None) -> str:
    """The ARN of an invocation id, for APIs that take one (a knowledge base's modelArn, IAM):
    the foundation-model ARN of a bare id, the inference-profile ARN of a profile id."""
    where = in_region or region()
    if ident.startswith("arn:"):
        return ident
    if base_model_id(ident) == ident:
        return model_arn(ident, where)
    if account is None:
        from utils.setup import current

        ws = current()
        account = getattr(ws, "account", None)
        if account is None:
            import boto3

            account = boto3.client("sts", region_name=where).get_caller_identity()["Account"]
    return f"arn:aws:bedrock:{where}:{account}:inference-profile/{ident}"
